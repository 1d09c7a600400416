//! Real executables for the tests of the shipping choice (see `fixtures/README.md`): a program
//! for x86-64 needing glibc 2.17 or 2.34, one for aarch64, a static musl one and a Mach-O one.

/// x86-64, dynamic, needs `GLIBC_2.17`.
pub(crate) const X86_64_GLIBC_2_17: &[u8] = include_bytes!("fixtures/hello-x86_64-gnu.2.17");
/// x86-64, dynamic, needs `GLIBC_2.34`.
pub(crate) const X86_64_GLIBC_2_34: &[u8] = include_bytes!("fixtures/hello-x86_64-gnu.2.34");
/// aarch64, dynamic, needs `GLIBC_2.17`.
pub(crate) const AARCH64_GLIBC_2_17: &[u8] = include_bytes!("fixtures/hello-aarch64-gnu.2.17");
/// x86-64, static, musl.
pub(crate) const X86_64_MUSL: &[u8] = include_bytes!("fixtures/hello-x86_64-musl");
/// Mach-O, arm64 (a program built on an Apple-silicon Mac).
pub(crate) const MACHO: &[u8] = include_bytes!("fixtures/hello-aarch64-macos");

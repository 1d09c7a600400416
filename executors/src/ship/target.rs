//! Where a program is to run, apart from any executor: a CPU architecture and a C library (its
//! family and, for glibc, the newest version there), and whether a binary can run there.

use super::elf::{elf_machine, required_glibc};

/// A glibc version, `(major, minor)`: `(2, 34)`.
pub(crate) type GlibcVersion = (u32, u32);

/// A CPU architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arch {
    /// 64-bit x86.
    X86_64,
    /// 64-bit ARM (AWS's `arm64`).
    Aarch64,
}

impl Arch {
    /// Its name in ELF files and in Rust targets: `x86_64`, `aarch64`.
    pub(crate) fn machine(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

/// The C library programs find on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Libc {
    /// GNU libc, this version at most: a binary that needs a newer `GLIBC_2.x` symbol version
    /// does not run.
    Gnu(GlibcVersion),
}

/// Where a program is to run: Linux on this architecture, with this C library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    /// The CPU architecture.
    pub arch: Arch,
    /// The C library.
    pub libc: Libc,
}

impl Target {
    /// The Rust target of it, without a glibc version: `x86_64-unknown-linux-gnu`.
    pub(crate) fn rust_target(&self) -> String {
        match self.libc {
            Libc::Gnu(_) => format!("{}-unknown-linux-gnu", self.arch.machine()),
        }
    }
}

/// Why a binary cannot run on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unfit {
    /// It is not a Linux (ELF) executable (a Mach-O program, a script).
    NotElf,
    /// It is built for this other machine (as [`elf_machine`] names it).
    Machine(&'static str),
    /// It needs glibc `needs`, and the target has only `has`.
    Glibc {
        /// The newest `GLIBC_2.x` symbol version the binary requires.
        needs: GlibcVersion,
        /// The target's glibc.
        has: GlibcVersion,
    },
}

/// Whether the binary `bytes` can run on `target`: an ELF file for its machine that needs no
/// newer glibc than it has (checked in that order).
pub(crate) fn check(bytes: &[u8], target: &Target) -> Result<(), Unfit> {
    match elf_machine(bytes) {
        None => return Err(Unfit::NotElf),
        Some(m) if m != target.arch.machine() => return Err(Unfit::Machine(m)),
        _ => {}
    }
    match (target.libc, required_glibc(bytes)) {
        (Libc::Gnu(has), Some(needs)) if needs > has => Err(Unfit::Glibc { needs, has }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X86_GLIBC_2_34: Target = Target {
        arch: Arch::X86_64,
        libc: Libc::Gnu((2, 34)),
    };

    #[test]
    fn binaries_fit_a_target_by_machine_then_glibc() {
        let mut bin = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
        bin.extend_from_slice(b"\0GLIBC_2.17\0GLIBC_2.34\0");
        assert_eq!(check(&bin, &X86_GLIBC_2_34), Ok(()));
        let arm = Target {
            arch: Arch::Aarch64,
            ..X86_GLIBC_2_34
        };
        assert_eq!(check(&bin, &arm), Err(Unfit::Machine("x86_64")));
        bin.extend_from_slice(b"GLIBC_2.38\0");
        assert_eq!(
            check(&bin, &X86_GLIBC_2_34),
            Err(Unfit::Glibc {
                needs: (2, 38),
                has: (2, 34)
            })
        );
        assert_eq!(check(b"#!/bin/sh\n", &X86_GLIBC_2_34), Err(Unfit::NotElf));
    }

    #[test]
    fn targets_name_their_rust_target() {
        assert_eq!(X86_GLIBC_2_34.rust_target(), "x86_64-unknown-linux-gnu");
        let arm = Target {
            arch: Arch::Aarch64,
            ..X86_GLIBC_2_34
        };
        assert_eq!(arm.rust_target(), "aarch64-unknown-linux-gnu");
    }
}

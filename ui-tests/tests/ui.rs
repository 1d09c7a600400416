//! Compile-time checks of orbital's macros: every program in `pass/` must compile, and every
//! program in `fail/` must fail with exactly the errors in its `.stderr` snapshot.
//!
//! The snapshots were taken with the toolchain pinned in `rust-toolchain.toml`; rustc's wording
//! changes between releases, so run these tests with that toolchain. After a deliberate change
//! to a diagnostic (or to the pinned toolchain), regenerate the snapshots with
//!
//! ```text
//! TRYBUILD=overwrite cargo test -p orbital-ui-tests
//! ```
//!
//! and read every changed `.stderr` before committing it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass(concat!(env!("CARGO_MANIFEST_DIR"), "/pass/*.rs"));
    t.compile_fail(concat!(env!("CARGO_MANIFEST_DIR"), "/fail/*.rs"));
}

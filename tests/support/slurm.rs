//! The single-node Slurm that `harness/slurm` starts, as the Slurm tests see it.
//!
//! Include it with `#[path = "support/slurm.rs"] mod slurm;`. It uses only `std`, so it
//! compiles on its own in any test target.
//!
//! [`target`] reads the environment `eval "$(./harness/slurm)"` exports. Without it, a test
//! under the harness (`ORBITAL_HARNESS=1`) fails, and a plain `cargo test` skips loudly.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Set (to 1) when the test Slurm runs.
pub const ENV_SLURM: &str = "ORBITAL_TEST_SLURM";
/// The compute node's name.
pub const ENV_NODE: &str = "ORBITAL_TEST_SLURM_NODE";
/// The default partition.
pub const ENV_PARTITION: &str = "ORBITAL_TEST_SLURM_PARTITION";
/// A directory every test user may write, seen by the "compute node" (this machine).
pub const ENV_WORKDIR: &str = "ORBITAL_TEST_SLURM_WORKDIR";

/// The Slurm to test against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmTarget {
    pub node: String,
    pub partition: String,
    pub workdir: PathBuf,
}

fn under_harness() -> bool {
    std::env::var("ORBITAL_HARNESS").as_deref() == Ok("1")
}

/// The test Slurm, from the environment; `None` (said loudly) when a plain `cargo test` runs
/// without it, a panic under the harness.
pub fn target() -> Option<SlurmTarget> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let names = [ENV_SLURM, ENV_NODE, ENV_PARTITION, ENV_WORKDIR];
    let missing: Vec<&str> = names.iter().copied().filter(|n| get(n).is_none()).collect();
    if !missing.is_empty() {
        if under_harness() {
            panic!(
                "ORBITAL_HARNESS=1 but the test Slurm's environment is missing ({}): harness/slurm failed to \
                 start Slurm, or its output was not `eval`ed; run `./harness/slurm` and read what it prints",
                missing.join(", ")
            );
        }
        let test = std::thread::current()
            .name()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n=== SKIPPED{test}: the Slurm tests need a real Slurm; run ./harness/run-tests \
             (or eval \"$(./harness/slurm)\") === (missing: {})",
            missing.join(", ")
        );
        return None;
    }
    let var = |name: &str| get(name).unwrap();
    Some(SlurmTarget {
        node: var(ENV_NODE),
        partition: var(ENV_PARTITION),
        workdir: var(ENV_WORKDIR).into(),
    })
}

impl SlurmTarget {
    /// A fresh directory under the shared workdir, open to every user.
    pub fn fresh_dir(&self, tag: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let d = self
            .workdir
            .join(format!("{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&d).expect("a directory in the Slurm workdir");
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o1777));
        d
    }

    /// Runs a Slurm command (or any command) here and returns what it gave.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
    }

    /// The path of `harness/slurm`, for its `restart-ctld` and `resume-node` commands.
    pub fn harness_script() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("harness/slurm")
    }
}

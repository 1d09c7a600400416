//! The floor the remote executors share: what a host is (`probe`, `target`), what a program
//! needs (`elf`), the choice between shipping this executable and building the program for the
//! host (`choose`, `cross`, `program`: the one shipping path), installing it by content hash,
//! the runner exchange and shell helpers. Uses orbital-core only, never an executor's module;
//! each file builds under its users' features (every remote executor turns on `ssh`).

#[cfg(feature = "ssh")]
pub(crate) mod choose;
#[cfg(feature = "ssh")]
pub(crate) mod cross;
#[cfg(feature = "ssh")]
pub(crate) mod elf;
#[cfg(all(test, feature = "ssh"))]
pub(crate) mod fixtures;
#[cfg(any(feature = "ssh", feature = "slurm", feature = "awslambda"))]
pub(crate) mod install;
#[cfg(feature = "ssh")]
pub(crate) mod probe;
#[cfg(feature = "ssh")]
pub(crate) mod program;
#[cfg(any(feature = "process", feature = "ssh"))]
pub(crate) mod runner_io;
#[cfg(any(feature = "ssh", feature = "slurm", feature = "awslambda"))]
pub(crate) mod shell;
#[cfg(feature = "ssh")]
pub(crate) mod shipped;
#[cfg(any(feature = "awslambda", feature = "awsbatch"))]
pub(crate) mod strip;
#[cfg(feature = "ssh")]
pub(crate) mod target;

//! The floor the remote executors share: reading the program, choosing or cross-building a
//! build for a target, installing it by content hash, the runner exchange and shell helpers.
//! Uses orbital-core only, never an executor's module; each file builds under its users' features.

#[cfg(feature = "awslambda")]
pub(crate) mod choose;
#[cfg(feature = "awslambda")]
pub(crate) mod cross;
#[cfg(feature = "awslambda")]
pub(crate) mod elf;
#[cfg(any(feature = "ssh", feature = "slurm", feature = "awslambda"))]
pub(crate) mod install;
#[cfg(any(feature = "process", feature = "ssh"))]
pub(crate) mod runner_io;
#[cfg(any(feature = "ssh", feature = "slurm", feature = "awslambda"))]
pub(crate) mod shell;
#[cfg(feature = "awslambda")]
pub(crate) mod target;

//! The shared floor of the executors that run tasks elsewhere than this process: shipping the
//! program to where tasks run, talking to its runner, and the shell helpers they share.
//! Its files may use orbital-core and each other, never an executor's module.

#[cfg(feature = "awslambda")]
pub(crate) mod choose;
#[cfg(feature = "awslambda")]
pub(crate) mod cross;
#[cfg(feature = "awslambda")]
pub(crate) mod elf;
#[cfg(feature = "ssh")]
pub(crate) mod install;
#[cfg(any(feature = "process", feature = "ssh"))]
pub(crate) mod runner_io;
#[cfg(feature = "ssh")]
pub(crate) mod shell;
#[cfg(feature = "awslambda")]
pub(crate) mod target;

//! orbital-executors: where tasks run.
//!
//! - [`local`]: tokio tasks and a blocking pool in this process (the default; no setup).
//! - `process` (feature `process`, on by default): each task in a child process of the same
//!   binary, with its output captured and its process group killed on time limit or cancel.
//! - `ssh` (feature `ssh`): tasks on SSH hosts over one multiplexed connection per host, the
//!   binary shipped once by content hash.
//! - `slurm` (feature `slurm`): tasks as Slurm jobs, the ready tasks packed into job arrays,
//!   one `squeue` per poll; Slurm's commands run here or on a login node over SSH.
//! - `awslambda` (feature `awslambda`): tasks as synchronous invocations of a Lambda function
//!   that is this program, deployed once per build; and the function's side (Lambda mode).
//! - `awsbatch` (feature `awsbatch`): tasks as AWS Batch jobs, ready tasks of one shape packed
//!   into array jobs, the program fetched from S3 by a fixed bootstrap in a stock image.
//!
//! Later executors (process, ssh, slurm, awslambda) each live in one module behind a cargo
//! feature of the same name, so that only those who use them compile their dependencies.
//! What they share (shipping the program to where tasks run, the runner exchange, shell
//! helpers) lives in the private `ship` module, which imports none of them.

#![warn(missing_docs)]

#[cfg(any(feature = "awslambda", feature = "awsbatch"))]
mod aws;
#[cfg(feature = "awsbatch")]
pub mod awsbatch;
#[cfg(feature = "awslambda")]
pub mod awslambda;
pub mod blocking_pool;
mod covalent;
pub mod local;
#[cfg(feature = "process")]
pub mod process;
#[cfg(any(
    feature = "process",
    feature = "ssh",
    feature = "slurm",
    feature = "awslambda",
    feature = "awsbatch"
))]
mod ship;
#[cfg(feature = "slurm")]
pub mod slurm;
#[cfg(feature = "ssh")]
pub mod ssh;

#[cfg(feature = "awsbatch")]
pub use awsbatch::AwsBatchExecutor;
#[cfg(feature = "awslambda")]
pub use awslambda::AwsLambdaExecutor;
pub use local::LocalExecutor;
#[cfg(feature = "process")]
pub use process::ProcessExecutor;
#[cfg(feature = "ssh")]
pub use ship::choose::CrossBuild;
#[cfg(feature = "ssh")]
pub use ship::shipped::Shipped;
#[cfg(feature = "slurm")]
pub use slurm::SlurmExecutor;
#[cfg(feature = "ssh")]
pub use ssh::SshExecutor;

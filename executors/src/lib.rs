//! orbital-executors: where tasks run.
//!
//! - [`local`]: tokio tasks and a blocking pool in this process (the default; no setup).
//!
//! Later executors (process, ssh, slurm, awslambda) each live in one module behind a cargo
//! feature of the same name, so that only those who use them compile their dependencies.

#![warn(missing_docs)]

pub mod blocking_pool;
pub mod local;

pub use local::LocalExecutor;

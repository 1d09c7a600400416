//! orbital-core: the runtime of [orbital](https://docs.rs/orbital): graph, registry, codec,
//! task protocol, dispatcher, results store, executor trait and configuration.
//!
//! Users depend on the `orbital` facade crate; this crate is what it re-exports, and what
//! executor crates implement against.

#![warn(missing_docs)]

pub mod builder;
pub mod codec;
pub mod config;
mod data;
mod dispatcher;
pub mod draw;
mod error;
pub mod executor;
pub mod graph;
pub mod identity;
mod node;
pub mod program;
mod progress;
pub mod protocol;
pub mod registry;
mod result;
pub mod runner;
mod runtime;
mod status;
pub mod store;
mod task;
mod workflow;

pub use config::{Config, ConfigError};
pub use data::{Data, TypeInfo};
pub use dispatcher::{Dispatch, Progress};
pub use error::{Error, NodeFailure, Result};
pub use executor::{
    Batching, Executor, ExecutorChoice, ExecutorContext, ExecutorError, ExecutorRef, ExecutorSel,
    IntoExecutor, JobHandle, JobState,
};
pub use graph::{Arg, Graph, NodeId};
pub use node::{IntoNode, Node, Split, TupleField};
pub use registry::{ElectronDef, LatticeDef, Registry};
pub use result::{DispatchResult, NodeResult, Untyped};
pub use runtime::{get_result, resume, CancelOutcome, Runtime, RuntimeBuilder};
pub use status::{DispatchStatus, NodeStatus};
pub use task::{Task, TaskError, TaskErrorKind, TaskOutcome, TaskSpec};
pub use workflow::Workflow;

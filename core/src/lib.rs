//! orbital-core: the runtime of [orbital](https://docs.rs/orbital): graph, registry, codec,
//! task protocol, dispatcher, results store, executor trait and configuration.
//!
//! Users depend on the `orbital` facade crate; this crate is what it re-exports, and what
//! executor crates implement against.
//!
//! The folders follow the path of a task, and imports point one way, down this list:
//!
//! - [`dispatch`](Dispatch): the dispatcher's state machine, the [`Runtime`], progress and
//!   results: uses everything below;
//! - [`around`]: what runs around a task on its host (transfers, `deps_bash`, `call_before`,
//!   `call_after`) and the task's context;
//! - [`runner`]: the program in runner mode, the other end of the wire: runs one spec from the
//!   [`Registry`];
//! - `graph`: the graph a `#[lattice]` body builds, the [`Registry`], drawings;
//! - [`executor`]: the [`Executor`] trait, and how a node chooses one;
//! - `task`: a task as it travels ([`TaskSpec`], [`TaskOutcome`]), the electron definitions,
//!   the wire [`protocol`], the build [`identity`];
//! - [`error`](Error), then [`store`], then [`config`], [`data`](Data), [`codec`] and
//!   [`status`](DispatchStatus) at the bottom.

#![warn(missing_docs)]

pub mod around;
pub mod codec;
pub mod config;
pub mod covalent_keys;
mod data;
mod dispatch;
mod error;
pub mod executor;
pub mod graph;
pub mod runner;
mod status;
pub mod store;
mod task;

pub use dispatch::detach;
pub use graph::{builder, draw, registry};
pub use task::{identity, program, protocol, transfer};

pub use config::{Config, ConfigError};
pub use data::{Data, TypeInfo};
pub use dispatch::{
    get_result, resume, wait, CancelOutcome, Dispatch, DispatchResult, NodeResult, Progress,
    Redispatch, Runtime, RuntimeBuilder, Untyped,
};
pub use error::{Error, NodeFailure, Result};
pub use executor::{
    Batching, Executor, ExecutorChoice, ExecutorContext, ExecutorError, ExecutorRef, ExecutorSel,
    IntoExecutor, JobHandle, JobState,
};
pub use graph::node::{IntoNode, Node, Split, TupleField};
pub use graph::workflow::Workflow;
pub use graph::{Arg, Graph, IntoTuple, NodeId, Nodes};
/// Re-exported so that executor crates declare their [`covalent_keys::IgnoredKeys`] with
/// `orbital_core::inventory::submit!`.
pub use inventory;
pub use registry::{ElectronDef, LatticeDef, Registry};
pub use status::{DispatchStatus, NodeStatus};
pub use task::{Task, TaskError, TaskErrorKind, TaskOutcome, TaskSpec, Workdir};

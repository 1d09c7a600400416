//! # orbital
//!
//! Typed workflows of ordinary Rust functions that run where the work belongs.
//!
//! `#[electron]` makes a function a task; `#[lattice]` makes a function a workflow of tasks,
//! checked by the compiler; the runtime dispatches it, runs each task on its executor, and
//! keeps every result in a SQLite file.
//!
//! ```no_run
//! use orbital::prelude::*;
//!
//! #[electron]
//! fn join_words(a: String, b: String) -> String {
//!     format!("{a}, {b}")
//! }
//!
//! #[electron]
//! fn excitement(a: String) -> String {
//!     format!("{a}!")
//! }
//!
//! #[lattice]
//! fn simple_workflow(a: String, b: String) -> String {
//!     let phrase = join_words(a, b);
//!     excitement(phrase)
//! }
//!
//! #[orbital::main]
//! async fn main() -> orbital::Result<()> {
//!     let result = simple_workflow::dispatch("Hello".into(), "World".into()).await?.wait().await?;
//!     println!("{}", result.output()?); // Hello, World!
//!     Ok(())
//! }
//! ```
//!
//! Inside a lattice body an electron call records a node and returns a [`Node<T>`]; outside,
//! `join_words::call(a, b)` runs the plain function (for unit tests).

#![warn(missing_docs)]

pub use orbital_core::{
    codec, config, draw, executor, get_result, graph, registry, store, Config, ConfigError, Data,
    Dispatch, DispatchResult, DispatchStatus, Error, Executor, ExecutorError, IntoExecutor,
    IntoNode, Node, NodeFailure, NodeId, NodeResult, NodeStatus, Progress, Registry, Result,
    Runtime, RuntimeBuilder, Split, Task, TaskError, TaskErrorKind, TaskOutcome, TaskSpec,
    TypeInfo, Untyped, Workflow,
};
pub use orbital_macros::{electron, lattice, main};

/// The executors that ship with orbital.
pub mod executors {
    pub use orbital_executors::*;
}

/// What a workflow file needs: `use orbital::prelude::*;`.
pub mod prelude {
    pub use crate::{electron, lattice, DispatchStatus, IntoNode, Node, NodeStatus, Split};
}

/// Prepares the program: selects its mode and checks its registry.
///
/// `#[orbital::main]` calls it before any of `main`'s code; call it yourself as the first line
/// of `main` if you cannot use the attribute. Today the program always runs as the driver
/// (your `main`); this is where the task-runner and Lambda modes plug in, so that the same
/// binary can run its own electrons elsewhere.
///
/// ```
/// orbital::init().expect("no two electrons share a name");
/// ```
///
/// # Errors
/// When two electrons (or two lattices) are registered under one name: the error names both.
pub fn init() -> Result<()> {
    link_executors();
    Registry::get()?;
    Ok(())
}

/// Keeps the built-in executors linked in, so `type = "local"` always resolves.
fn link_executors() {
    std::hint::black_box(orbital_executors::LocalExecutor::default);
}

#[doc(hidden)]
pub mod __private;

//! Around a task: what runs on the task's host before and after the call, and the context the
//! electron sees. Covalent's `files`, `deps_bash`, `call_before` and `call_after`, and
//! `orbital::context()`.
//!
//! [`run`] runs one task through every step, for the `local` executor (in this process) and
//! for the runner (a task process on any host). It uses `task` only.

pub mod bash;
pub mod calls;
mod context;
pub mod files;
mod run;

pub use context::{context, NoContext, TaskContext};
pub use run::{run, Place, Ran, SpawnBlocking};

//! The task: one electron call as it travels to an executor and back. What to run
//! ([`TaskSpec`], [`Task`]), what came of it ([`TaskOutcome`], [`TaskError`]), the electron
//! definitions the runner calls, the wire protocol, and the build identity of the program.
//! It may use `data`, `codec` and `config`; nothing here knows graphs, executors or dispatches.

pub mod electron;
mod error;
pub mod identity;
pub mod program;
pub mod protocol;
mod spec;
pub mod transfer;
mod workdir;

pub use electron::{
    Args, CallDep, CallResult, ElectronDef, ElectronEntry, Helpers, Invoke, ParamDef,
};
pub use error::{TaskError, TaskErrorKind};
pub use spec::{Task, TaskOutcome, TaskSpec};
pub use transfer::{Direction, TaskFile, Transfer};
pub use workdir::Workdir;

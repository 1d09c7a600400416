//! An electron as the program holds it: its registered name, signature and parameters, and the
//! function that runs it on encoded arguments. `#[electron]` emits one and submits it to
//! `inventory`; [`Registry`](crate::graph::registry::Registry) collects them.
//!
//! Which executor an electron runs on is a graph matter (the node records it): the definition
//! holds only what every executor and runner needs to call the function.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

use super::error::TaskError;
use super::transfer::Transfer;
use crate::data::TypeInfo;

/// Encoded arguments, one per parameter.
pub type Args = Vec<Bytes>;

/// How an electron's function is called.
#[derive(Clone, Copy)]
pub enum Invoke {
    /// A plain `fn`: runs on a blocking thread, never on the dispatcher's.
    Blocking(fn(Args) -> Result<Bytes, TaskError>),
    /// An `async fn`: polled on the runtime.
    Async(fn(Args) -> BoxFuture<'static, Result<Bytes, TaskError>>),
}

/// A parameter of an electron or lattice.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    /// The parameter's name.
    pub name: &'static str,
    /// Its type.
    pub ty: TypeInfo,
}

/// An electron: a function that runs as one task. Emitted by `#[electron]`.
pub struct ElectronDef {
    /// The stable, registered name.
    pub name: &'static str,
    /// The function's own name (a node's display name).
    pub fn_name: &'static str,
    /// The signature as written, for people and for checking a runner's registry.
    pub signature: &'static str,
    /// Where it is defined.
    pub file: &'static str,
    /// The line of the definition.
    pub line: u32,
    /// Its parameters.
    pub params: &'static [ParamDef],
    /// Its output type (for `Result<T, E>`, `T`).
    pub output: TypeInfo,
    /// How many times a failed attempt is retried.
    pub retries: u32,
    /// The longest one attempt may run.
    pub time_limit: Option<Duration>,
    /// The hash of its signature's and body's tokens (and its `version` option), as 32 hex
    /// digits: what reuse and the cache key on, next to its name and arguments.
    pub code_hash: &'static str,
    /// `#[electron(cache = true)]`: reuse any earlier completed result of the same code and
    /// arguments from the store, in any dispatch.
    pub cache: bool,
    /// What runs around the call on the task's host: file transfers, `deps_bash`,
    /// `call_before` and `call_after`.
    pub helpers: Helpers,
    /// How to call it.
    pub invoke: Invoke,
}

/// What `#[electron(files = .., deps_bash = .., call_before = .., call_after = ..)]` asks to
/// run around the call, on the task's host.
///
/// ```
/// let none = orbital_core::registry::Helpers::NONE;
/// assert!(none.is_empty());
/// ```
#[derive(Clone, Copy)]
pub struct Helpers {
    /// The file transfers, built on the task's host just before the task (so that a
    /// transfer's settings may come from that host's environment).
    pub files: Option<fn() -> Vec<Transfer>>,
    /// Shell commands run in the task's working directory before the call, in order.
    pub deps_bash: &'static [&'static str],
    /// Functions called in the task's process before the call, in order.
    pub call_before: &'static [CallDep],
    /// Functions called in the task's process after the call, in order.
    pub call_after: &'static [CallDep],
}

impl Helpers {
    /// No helpers.
    pub const NONE: Helpers = Helpers {
        files: None,
        deps_bash: &[],
        call_before: &[],
        call_after: &[],
    };

    /// Whether there is nothing to run around the call.
    pub fn is_empty(&self) -> bool {
        self.files.is_none()
            && self.deps_bash.is_empty()
            && self.call_before.is_empty()
            && self.call_after.is_empty()
    }
}

/// What a `call_before` or `call_after` function returned: a value for the electron's
/// context, nothing, or an error message.
pub type CallResult = Result<Option<Arc<dyn Any + Send + Sync>>, String>;

/// A `call_before` or `call_after` function, as the electron holds it.
#[derive(Clone, Copy)]
pub struct CallDep {
    /// The function's path as written (`setup`, `db::connect`).
    pub name: &'static str,
    /// Calls it.
    pub call: fn() -> CallResult,
}

impl std::fmt::Debug for ElectronDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElectronDef")
            .field("name", &self.name)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// The registration record of an electron (what `#[electron]` submits).
pub struct ElectronEntry(pub &'static ElectronDef);
inventory::collect!(ElectronEntry);

//! An electron as the program holds it: its registered name, signature and parameters, and the
//! function that runs it on encoded arguments. `#[electron]` emits one and submits it to
//! `inventory`; [`Registry`](crate::graph::registry::Registry) collects them.
//!
//! Which executor an electron runs on is a graph matter (the node records it): the definition
//! holds only what every executor and runner needs to call the function.

use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

use super::error::TaskError;
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
    /// How to call it.
    pub invoke: Invoke,
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

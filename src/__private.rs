//! What the macros expand to. Not a public API: names here change without notice.

use std::fmt::Display;
use std::future::Future;

pub use bytes::Bytes;
pub use futures::future::BoxFuture;
pub use inventory;
pub use orbital_core::builder;
pub use orbital_core::codec::CodecError;
pub use orbital_core::graph::{Arg, NodeId};
pub use orbital_core::registry::{
    Args, ElectronDef, ElectronEntry, Invoke, LatticeDef, LatticeEntry, ParamDef,
};
pub use orbital_core::{
    Data, ExecutorChoice, ExecutorSel, IntoExecutor, IntoNode, Node, TaskError, TypeInfo, Workflow,
};
pub use smallvec::{smallvec, SmallVec};

/// Checks at compile time that `T` may cross a process boundary (the error lands on `T`).
pub const fn assert_data<T: Data>() {}

/// Checks that an electron's error type can be shown.
pub fn error_message<E: Display>(e: &E) -> String {
    format!("{e:#}")
}

/// Checks the number of arguments a task received.
pub fn check_arity(args: &Args, expected: usize, electron: &str) -> Result<(), TaskError> {
    if args.len() == expected {
        Ok(())
    } else {
        Err(TaskError::codec(format!(
            "electron `{electron}` takes {expected} arguments but the task carried {}",
            args.len()
        )))
    }
}

/// Decodes argument `index` (parameter `param`) of electron `electron`.
pub fn decode_arg<T: Data>(
    args: &Args,
    index: usize,
    param: &str,
    electron: &str,
) -> Result<T, TaskError> {
    let bytes = args.get(index).map(|b| &b[..]).unwrap_or_default();
    orbital_core::codec::decode(bytes)
        .map_err(|e| TaskError::codec(format!("argument `{param}` of `{electron}`: {e}")))
}

/// Encodes an electron's output.
pub fn encode_output<T: Data>(value: &T, electron: &str) -> Result<Bytes, TaskError> {
    orbital_core::codec::encode(value)
        .map_err(|e| TaskError::codec(format!("output of `{electron}`: {e}")))
}

/// Encodes a lattice input.
pub fn encode_input<T: Data>(value: &T) -> Result<Bytes, CodecError> {
    orbital_core::codec::encode(value)
}

/// The executor selection of `executor = expr`.
pub fn executor_sel(e: impl IntoExecutor) -> ExecutorSel {
    e.into_executor_sel()
}

/// Runs `#[orbital::main]`'s body: selects the mode, then drives the body on a tokio runtime.
pub fn run_main<F: Future>(body: F) -> F::Output {
    init_or_exit();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(body),
        Err(e) => {
            eprintln!("error: cannot start the tokio runtime: {e}");
            std::process::exit(70)
        }
    }
}

/// Runs `#[orbital::main]` on a non-async `main`.
pub fn init_or_exit() {
    if let Err(e) = crate::init() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

/// Dispatches a built workflow on the global runtime.
pub async fn dispatch<T: Data>(
    workflow: Workflow<T>,
) -> orbital_core::Result<orbital_core::Dispatch<T>> {
    crate::init()?;
    orbital_core::Runtime::global()?.dispatch(workflow).await
}

/// A `Result`-like electron output whose `Ok` type is the node's type (`std::fmt::Result`...).
pub trait ElectronResult {
    /// The output on success.
    type Ok;
}

impl<T, E> ElectronResult for Result<T, E> {
    type Ok = T;
}

//! What the macros expand to. Not a public API: names here change without notice.

use std::fmt::Display;
use std::future::Future;

pub use async_trait::async_trait;
pub use bytes::Bytes;
pub use futures::future::BoxFuture;
pub use inventory;
pub use orbital_core::builder;
pub use orbital_core::codec::CodecError;
pub use orbital_core::graph::{Arg, Assembly, Composite, NodeId};
pub use orbital_core::program::{record as record_program, Recorded as ProgramRecord};
pub use orbital_core::registry::{
    Args, CallDep, CallResult, ElectronDef, ElectronEntry, Helpers, Invoke, LatticeDef,
    LatticeEntry, ParamDef,
};
pub use orbital_core::transfer::{self, Transfer};
pub use orbital_core::{
    Data, Dispatch, ExecutorChoice, ExecutorSel, IntoExecutor, IntoNode, IntoTuple, Node, Nodes,
    Result, TaskError, TypeInfo, Workflow,
};
pub use smallvec::{smallvec, SmallVec};
pub use typetag;

/// What generated code needs of one value type (a parameter, an output or a lattice input).
///
/// Each type of a signature gets one `DataFns::<T>::new()`, spanned on the user's type: that is
/// the single place where `T: Data` is checked, so a type that cannot cross a process boundary
/// is reported once, on that type (once per missing trait: rustc reports `Serialize` and
/// `Deserialize` apart). Everything else goes through the built value, without a bound of its
/// own that could repeat the error.
pub struct DataFns<T> {
    /// What the runtime knows of `T`.
    pub info: TypeInfo,
    encode: fn(&T) -> Result<Bytes, CodecError>,
    decode: fn(&[u8]) -> Result<T, CodecError>,
}

impl<T> DataFns<T> {
    /// The functions of `T`. The bound is the function's, not the `impl`'s, so that a missing
    /// one is reported as `T: Data` (with its message), not as a missing method.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self
    where
        T: Data,
    {
        DataFns {
            info: TypeInfo::of::<T>(),
            encode: orbital_core::codec::encode::<T>,
            decode: orbital_core::codec::decode::<T>,
        }
    }

    /// Decodes argument `index` (parameter `param`) of electron or lattice `owner`.
    pub fn decode_arg(
        &self,
        args: &Args,
        index: usize,
        param: &str,
        owner: &str,
    ) -> Result<T, TaskError> {
        let bytes = args.get(index).map(|b| &b[..]).unwrap_or_default();
        (self.decode)(bytes)
            .map_err(|e| TaskError::codec(format!("argument `{param}` of `{owner}`: {e}")))
    }

    /// Encodes the output of electron `electron`.
    pub fn encode_output(&self, value: &T, electron: &str) -> Result<Bytes, TaskError> {
        (self.encode)(value).map_err(|e| TaskError::codec(format!("output of `{electron}`: {e}")))
    }

    /// Encodes a lattice input.
    pub fn encode_input(&self, value: &T) -> Result<Bytes, CodecError> {
        (self.encode)(value)
    }
}

/// What generated code needs of a lattice's output type; like [`DataFns`], the one place where
/// `T: Data` is checked for it.
pub struct LatticeFns<T> {
    /// What the runtime knows of `T`.
    pub info: TypeInfo,
    dispatch: fn(Workflow<T>) -> BoxFuture<'static, Result<Dispatch<T>>>,
    submit: fn(Workflow<T>) -> BoxFuture<'static, Result<String>>,
}

impl<T> LatticeFns<T> {
    /// The functions of `T`. The bound is the function's, not the `impl`'s, so that a missing
    /// one is reported as `T: Data` (with its message), not as a missing method.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self
    where
        T: Data,
    {
        LatticeFns {
            info: TypeInfo::of::<T>(),
            dispatch: dispatch_boxed::<T>,
            submit: submit_boxed::<T>,
        }
    }

    /// Dispatches a built workflow on the global runtime.
    pub fn dispatch(&self, workflow: Workflow<T>) -> BoxFuture<'static, Result<Dispatch<T>>> {
        (self.dispatch)(workflow)
    }
}

/// Submits a built workflow to a detached driver on the global runtime.
impl<T> LatticeFns<T> {
    pub fn submit(&self, workflow: Workflow<T>) -> BoxFuture<'static, Result<String>> {
        (self.submit)(workflow)
    }
}

fn submit_boxed<T: Data>(workflow: Workflow<T>) -> BoxFuture<'static, Result<String>> {
    Box::pin(async move {
        crate::init()?;
        orbital_core::Runtime::global()?.submit(workflow).await
    })
}

fn dispatch_boxed<T: Data>(workflow: Workflow<T>) -> BoxFuture<'static, Result<Dispatch<T>>> {
    Box::pin(async move {
        crate::init()?;
        orbital_core::Runtime::global()?.dispatch(workflow).await
    })
}

/// What an electron's `Err` type must be: something that can be shown.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an electron's error type: it does not implement `std::fmt::Display`",
    label = "an `Err` fails the node, with this type's `Display` text as the reason",
    note = "implement `std::fmt::Display` for it (`thiserror` derives it), or return a `String` error"
)]
pub trait ElectronError: Display {}

impl<E: Display> ElectronError for E {}

/// The message of an electron's `Err`.
pub fn error_message<E: ElectronError>(e: &E) -> String {
    format!("{e:#}")
}

/// Checks the number of arguments a task received.
pub fn check_arity(args: &Args, expected: usize, owner: &str) -> Result<(), TaskError> {
    if args.len() == expected {
        Ok(())
    } else {
        Err(TaskError::codec(format!(
            "`{owner}` takes {expected} arguments but the task carried {}",
            args.len()
        )))
    }
}

/// What `executor = expr` accepts; its message is what a wrong `expr` reports.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an executor",
    label = "expected an executor value or an executor's name",
    note = "`executor = \"name\"` names `[executors.name]` in `orbital.toml`; `executor = expr` takes a value whose type implements `orbital::Executor` (such as `orbital::executors::LocalExecutor::default()`), or a `String` name"
)]
pub trait ExecutorValue: IntoExecutor {}

impl<E: IntoExecutor> ExecutorValue for E {}

/// The executor selection of `executor = expr`.
pub fn executor_sel(e: impl ExecutorValue) -> ExecutorSel {
    e.into_executor_sel()
}

/// Runs `#[orbital::main]`'s body: selects the mode, then drives the body on a tokio runtime.
pub fn run_main<F: Future>(body: F) -> F::Output {
    init_or_exit();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(async {
            let out = body.await;
            // Store everything and fold the store's log into its file before the process ends.
            if let Some(global) = orbital_core::Runtime::global_if_built() {
                if let Err(e) = global.shutdown().await {
                    eprintln!("error: {e}");
                }
            }
            #[cfg(feature = "ssh")]
            orbital_executors::ssh::close_all().await;
            out
        }),
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

/// A `Result`-like electron output whose `Ok` type is the node's type (`std::fmt::Result`...).
pub trait ElectronResult {
    /// The output on success.
    type Ok;
}

impl<T, E> ElectronResult for Result<T, E> {
    type Ok = T;
}

/// Whether this build moves `s3://` files (orbital's `s3` feature).
pub const S3_TRANSFERS: bool = cfg!(feature = "s3");
/// Whether this build moves `http(s)://` files (orbital's `http` feature).
pub const HTTP_TRANSFERS: bool = cfg!(feature = "http");

/// What a `call_before` or `call_after` function may return: `()`, or `Result<T, E>` whose
/// `T` reaches the electron through `orbital::context()` and whose `E` fails the node.
#[diagnostic::on_unimplemented(
    message = "a `call_before` or `call_after` function returns `()` or `Result<T, E>`, not `{Self}`",
    label = "this function returns `{Self}`",
    note = "return `Ok(value)` to hand `value` to the electron (`orbital::context()?.value::<T>()`), or `()` for nothing"
)]
pub trait CallReturn {
    /// The value for the context, or the error's message.
    fn into_call_result(self) -> CallResult;
}

impl CallReturn for () {
    fn into_call_result(self) -> CallResult {
        Ok(None)
    }
}

impl<T: std::any::Any + Send + Sync, E: Display> CallReturn for std::result::Result<T, E> {
    fn into_call_result(self) -> CallResult {
        match self {
            Ok(v) => Ok(Some(std::sync::Arc::new(v))),
            Err(e) => Err(error_message(&e)),
        }
    }
}

/// Converts what a `call_before` or `call_after` function returned.
pub fn call_result<R: CallReturn>(r: R) -> CallResult {
    r.into_call_result()
}

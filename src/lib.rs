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

pub use orbital_core::around::{context, NoContext, TaskContext};
pub use orbital_core::{
    codec, config, covalent_keys, detach, draw, executor, get_result, graph, registry, resume,
    store, wait, Batching, CancelOutcome, Config, ConfigError, Data, Dispatch, DispatchResult,
    DispatchStatus, Error, Executor, ExecutorContext, ExecutorError, IntoExecutor, IntoNode,
    IntoTuple, JobHandle, JobState, Node, NodeFailure, NodeId, NodeResult, NodeStatus, Nodes,
    Progress, Redispatch, Registry, Result, Runtime, RuntimeBuilder, Split, Task, TaskError,
    TaskErrorKind, TaskOutcome, TaskSpec, TypeInfo, Untyped, Workflow,
};
pub use orbital_macros::{electron, executor, lattice, main};

/// `#[derive(orbital::Nodes)]`: a struct whose fields can be nodes. It writes
/// `Stats::nodes(..) -> Node<Stats>`, one argument per field in order, each a node or a
/// constant of the field's type, and implements the [`Nodes`](trait@Nodes) trait. The node
/// it records makes the struct in the dispatcher, without a task. See the README, "Composite
/// shapes".
///
/// ```
/// use orbital::prelude::*;
///
/// #[derive(serde::Serialize, serde::Deserialize, orbital::Nodes)]
/// struct Stats {
///     total: f64,
///     count: usize,
/// }
///
/// #[electron]
/// fn total(xs: Vec<f64>) -> f64 {
///     xs.iter().sum()
/// }
///
/// #[electron]
/// fn count(xs: Vec<f64>) -> usize {
///     xs.len()
/// }
///
/// #[lattice]
/// fn stats(xs: Vec<f64>) -> Stats {
///     Stats::nodes(total(xs.clone()), count(xs))
/// }
///
/// let workflow = stats::build(vec![1.0, 2.5]);
/// assert_eq!(workflow.graph().len(), 3); // total, count, and the `Stats` node
/// ```
pub use orbital_macros::Nodes;

/// File transfers around a task: Covalent's `TransferFromRemote` and `TransferToRemote`.
///
/// `#[electron(files = [from(..), to(..)])]` takes them (the macro finds `from` and `to`
/// here); any other expression giving a [`Transfer`](fs::Transfer) works too, and is built on
/// the task's host, just before the task.
///
/// ```
/// use orbital::fs::{from, to};
/// let input = from("rsync://data.example.org/srv/in.csv", "in.csv").user("alice");
/// let output = to("out.csv", "s3://results/{dispatch}/out.csv");
/// # let _ = (input, output);
/// ```
pub mod fs {
    pub use orbital_core::transfer::{from, to, Direction, TaskFile, Transfer};
    pub use orbital_core::Workdir;
}

/// The executors that ship with orbital.
pub mod executors {
    pub use orbital_executors::*;
}

/// What a workflow file needs: `use orbital::prelude::*;`.
pub mod prelude {
    pub use crate::{electron, lattice, DispatchStatus, IntoNode, Node, NodeStatus, Nodes, Split};
}

/// Prepares the program: selects its mode and checks its registry.
///
/// `#[orbital::main]` calls it before any of `main`'s code; call it yourself as the first line
/// of `main` if you cannot use the attribute. The program that dispatches a workflow is also
/// the binary that runs its tasks elsewhere: started by an executor with a hidden argument
/// (see [`orbital_core::runner`]), `init` runs that task and exits the process, so none of
/// `main`'s own code runs. Otherwise it returns, and `main` goes on as the driver.
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
    match orbital_core::runner::Mode::from_env() {
        // Lambda mode: the program is a function's `bootstrap` and serves its invocations (its
        // runner children inherit the variable, but they are in runner mode).
        #[cfg(feature = "awslambda")]
        orbital_core::runner::Mode::Driver
            if std::env::var_os(orbital_executors::awslambda::RUNTIME_API_ENV).is_some() =>
        {
            std::process::exit(orbital_executors::awslambda::serve())
        }
        orbital_core::runner::Mode::Driver => Ok(()),
        orbital_core::runner::Mode::Runner(args) => {
            if let Some(path) = &args.pid_file {
                if let Err(e) = orbital_core::runner::lead_group(path) {
                    eprintln!("orbital runner: cannot write {}: {e}", path.display());
                    std::process::exit(orbital_core::runner::EXIT_INTERNAL);
                }
            }
            std::process::exit(orbital_core::runner::run_task(&args))
        }
        orbital_core::runner::Mode::Query => {
            let q = orbital_core::runner::query()?;
            println!("{}", serde_json::to_string_pretty(&q).unwrap_or_default());
            std::process::exit(0)
        }
        orbital_core::runner::Mode::Resume(id) => std::process::exit(resume_mode(&id)),
        orbital_core::runner::Mode::Redispatch { id, reuse, detach } => {
            std::process::exit(redispatch_mode(&id, reuse, detach))
        }
        orbital_core::runner::Mode::Detach => {
            orbital_core::detach::request_detach();
            Ok(())
        }
    }
}

/// `--orbital-resume ID`: resumes the dispatch, waits for it, reports, and gives the exit code.
fn resume_mode(id: &str) -> i32 {
    let id = id.to_owned();
    mode_thread(move || {
        block_on_mode(&id.clone(), async move {
            let runtime = Runtime::global()?;
            let dispatch = runtime.resume(&id).await?;
            eprintln!("resuming dispatch {id}");
            report(&runtime, dispatch).await
        })
    })
}

/// `--orbital-redispatch ID [--no-reuse] [--detach]`: dispatches ID's lattice again with its
/// inputs, waits for it (or hands it to a detached driver), reports, and gives the exit code.
fn redispatch_mode(id: &str, reuse: bool, detach: bool) -> i32 {
    let id = id.to_owned();
    mode_thread(move || {
        block_on_mode(&id.clone(), async move {
            let runtime = Runtime::global()?;
            let how = Redispatch::same_inputs().reuse(reuse);
            if detach {
                let new = runtime.submit_redispatch(&id, how).await?;
                println!("{new}");
                eprintln!("dispatch {id} redispatched as {new}, detached");
                runtime.shutdown().await?;
                return Ok(DispatchStatus::Completed);
            }
            let dispatch = runtime.redispatch(&id, how).await?;
            eprintln!("dispatch {id} redispatched as {}", dispatch.id());
            report(&runtime, dispatch).await
        })
    })
}

/// Waits for a dispatch of a mode, prints its output (or error) and its status.
async fn report(runtime: &Runtime, dispatch: Dispatch<Untyped>) -> Result<DispatchStatus> {
    let id = dispatch.id().to_owned();
    let result = dispatch.wait().await;
    let shutdown = runtime.shutdown().await;
    let result = result?;
    shutdown?;
    let reused = result
        .nodes()
        .iter()
        .filter(|n| n.reused_from().is_some())
        .count();
    match result.output_json() {
        Some(out) => println!("{out}"),
        None => eprintln!("{}", result.error().unwrap_or("no output")),
    }
    if reused > 0 {
        eprintln!("dispatch {id}: {reused} node(s) reused earlier results");
    }
    eprintln!("dispatch {id} {}", result.status());
    Ok(result.status())
}

/// Runs a mode's future on a tokio runtime of its own.
fn block_on_mode(
    id: &str,
    body: impl std::future::Future<Output = Result<DispatchStatus>>,
) -> Result<DispatchStatus> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Resume {
            id: id.to_owned(),
            message: format!("cannot start a tokio runtime: {e}"),
        })?;
    rt.block_on(body)
}

/// Runs a mode on a thread of its own (so that it works even if `init` was called inside a
/// runtime), and turns its end into the process's exit code: 0 completed, 1 failed or
/// cancelled, 2 an error before or while it ran.
fn mode_thread(run: impl FnOnce() -> Result<DispatchStatus> + Send + 'static) -> i32 {
    match std::thread::spawn(run).join() {
        Ok(Ok(DispatchStatus::Completed)) => 0,
        Ok(Ok(_)) => 1,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            2
        }
        Err(_) => 70,
    }
}

/// Keeps the built-in executors linked in, so `type = "local"` always resolves.
fn link_executors() {
    std::hint::black_box(orbital_executors::LocalExecutor::default);
    std::hint::black_box(orbital_executors::ProcessExecutor::default);
    #[cfg(feature = "slurm")]
    std::hint::black_box(orbital_executors::SlurmExecutor::new);
    #[cfg(feature = "awslambda")]
    std::hint::black_box(orbital_executors::AwsLambdaExecutor::new);
    #[cfg(feature = "awsbatch")]
    std::hint::black_box(orbital_executors::AwsBatchExecutor::new);
}

#[doc(hidden)]
pub mod __private;

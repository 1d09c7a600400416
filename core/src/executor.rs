//! The executor trait: where and how a task runs.
//!
//! An executor either runs one task at a time ([`Executor::run`], for executors whose round
//! trip is cheap: `local`, `process`) or takes batches ([`Executor::submit`], [`Executor::poll`],
//! [`Executor::collect`]: for executors that pay a round trip per job, such as Slurm or Lambda,
//! so that many ready tasks travel in one submission). [`Executor::batching`] tells the
//! dispatcher which.
//!
//! Executors are `typetag`-serialisable: `[executors.NAME]` in `orbital.toml` deserialises into
//! one (`type = "local"`, or the table's name when `type` is absent), a graph with its executors
//! can be stored, and a user can add their own. With the `orbital` crate, one attribute does it
//! (`#[orbital::executor(name = "refuse")]` on the `impl`, and no `typetag` or `async-trait` of
//! the user's own); below this crate, the two attributes it stands for:
//!
//! ```
//! use orbital_core::{Executor, ExecutorError, Task, TaskOutcome, TaskError};
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize)]
//! struct Refuse;
//!
//! #[typetag::serde(name = "refuse")]
//! #[async_trait::async_trait]
//! impl Executor for Refuse {
//!     fn kind(&self) -> &'static str { "refuse" }
//!     async fn run(&self, task: Task) -> TaskOutcome {
//!         TaskOutcome::new(Err(TaskError::executor("refused")), std::time::SystemTime::now())
//!     }
//! }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::task::{Task, TaskOutcome, Workdir};

/// An executor the runtime can use: shared by every dispatch of the process.
pub type ExecutorRef = Arc<dyn Executor>;

/// How an executor wants its tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batching {
    /// One [`Executor::run`] call per task.
    None,
    /// Ready tasks go out in batches of at most `max_batch` through [`Executor::submit`], and are
    /// polled every `poll_interval` through [`Executor::poll`].
    Batch {
        /// The most tasks one submission may hold.
        max_batch: usize,
        /// How often to poll submitted jobs.
        poll_interval: Duration,
    },
}

/// A submitted job, as the executor identifies it (a Slurm job id, a request id...).
///
/// Handles are persisted with the node, so that a resumed dispatch can find its jobs again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobHandle(pub String);

/// The state of a submitted job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    /// Waiting to start.
    Pending,
    /// Running.
    Running,
    /// Ended; [`Executor::collect`] returns its outcome.
    Done,
}

/// Context given to [`Executor::setup`] and [`Executor::teardown`].
#[derive(Debug, Clone)]
pub struct ExecutorContext {
    /// The name the executor is configured under (`[executors.NAME]`).
    pub name: String,
    /// The dispatch that is starting or ending.
    pub dispatch_id: String,
}

/// An executor could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
#[error("executor `{executor}`: {message}")]
pub struct ExecutorError {
    /// The executor's name.
    pub executor: String,
    /// What went wrong and what to do.
    pub message: String,
}

/// Where and how tasks run. See the [module documentation](self).
///
/// Implementations must make [`Executor::run`] cancel-safe: when the dispatcher drops the
/// future (time limit, cancel), the task's work must stop (a child process is killed, a remote
/// job is cancelled).
#[typetag::serde(tag = "type")]
#[async_trait::async_trait]
pub trait Executor: Send + Sync + fmt::Debug + 'static {
    /// The executor's type, as written in `type = "..."` (`"local"`, `"ssh"`...).
    fn kind(&self) -> &'static str;

    /// The most tasks of one dispatch this executor runs at once (`None`: no limit).
    fn max_concurrency(&self) -> Option<usize> {
        None
    }

    /// Whether tasks go one by one or in batches.
    fn batching(&self) -> Batching {
        Batching::None
    }

    /// For an executor given by value in code (`executor = AwsBatchExecutor::new().vcpu(8)`):
    /// the executor to use in its place, completed from the runtime's `[executors.NAME]`
    /// tables (`tables`), so that code sets only what differs (the resources) and the
    /// configuration the rest (the queue, the bucket, the credentials). Called when a dispatch
    /// first meets the value, before [`Executor::batching`] and [`Executor::setup`] are read.
    /// `Ok(None)` (the default) uses the value as it is.
    ///
    /// # Errors
    /// A message naming the table and key that cannot complete the value.
    fn configured(
        &self,
        tables: &std::collections::BTreeMap<String, toml::Table>,
    ) -> Result<Option<ExecutorRef>, String> {
        let _ = tables;
        Ok(None)
    }

    /// Called once per dispatch before its first task on this executor.
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        Ok(())
    }

    /// Called once per dispatch after its last task on this executor.
    async fn teardown(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        Ok(())
    }

    /// The working directory settings sent with each of its tasks (`workdir`,
    /// `create_unique_workdir`, `keep_workdir`); by default a unique directory per task under
    /// the host's temporary directory, removed after the task.
    fn task_workdir(&self) -> Workdir {
        Workdir::default()
    }

    /// Runs one task to its outcome. Used when [`Executor::batching`] is [`Batching::None`].
    async fn run(&self, task: Task) -> TaskOutcome;

    /// Submits a batch of tasks, returning one handle per task, in order.
    async fn submit(&self, tasks: Vec<Task>) -> Result<Vec<JobHandle>, ExecutorError> {
        let _ = tasks;
        Err(unsupported(self.kind(), "submit"))
    }

    /// The states of submitted jobs, in the order of `jobs`, in one round trip.
    async fn poll(&self, jobs: &[JobHandle]) -> Result<Vec<JobState>, ExecutorError> {
        let _ = jobs;
        Err(unsupported(self.kind(), "poll"))
    }

    /// The outcome of a job that [`Executor::poll`] reported `Done`.
    async fn collect(&self, job: &JobHandle) -> Result<TaskOutcome, ExecutorError> {
        let _ = job;
        Err(unsupported(self.kind(), "collect"))
    }

    /// Cancels a submitted job.
    async fn cancel(&self, job: &JobHandle) -> Result<(), ExecutorError> {
        let _ = job;
        Err(unsupported(self.kind(), "cancel"))
    }
}

fn unsupported(kind: &str, what: &str) -> ExecutorError {
    {
        ExecutorError {
            executor: kind.to_owned(),
            message: format!("this executor does not take batches (`{what}` is not implemented)"),
        }
    }
}

/// Which executor a node runs on, as chosen in the source.
#[derive(Clone, Copy)]
pub enum ExecutorChoice {
    /// The lattice's default (`local` unless the lattice or a parent lattice sets one).
    Default,
    /// `executor = "name"`: `[executors.name]` in `orbital.toml` (`local` needs none).
    Named(&'static str),
    /// `executor = expr`: an executor value (or a name computed in code), built once on first use.
    Value(fn() -> ExecutorSel),
}

impl fmt::Debug for ExecutorChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecutorChoice::Default => f.write_str("Default"),
            ExecutorChoice::Named(n) => write!(f, "Named({n:?})"),
            ExecutorChoice::Value(get) => write!(f, "Value({})", get().label()),
        }
    }
}

/// A resolved choice of executor for one node: a configured name, or a value.
#[derive(Clone)]
pub enum ExecutorSel {
    /// `[executors.NAME]` (or `local`).
    Named(Arc<str>),
    /// An executor value, with the label shown for it.
    Value(ExecutorRef),
}

impl ExecutorSel {
    /// The name shown for this executor in results and graphs.
    pub fn label(&self) -> String {
        match self {
            ExecutorSel::Named(n) => n.to_string(),
            ExecutorSel::Value(e) => e.kind().to_owned(),
        }
    }

    /// The choice resolved against a lattice default.
    pub fn resolve(choice: ExecutorChoice, default: &ExecutorSel) -> ExecutorSel {
        match choice {
            ExecutorChoice::Default => default.clone(),
            ExecutorChoice::Named(n) => ExecutorSel::Named(Arc::from(n)),
            ExecutorChoice::Value(get) => get(),
        }
    }

    /// The built-in default: the `local` executor.
    pub fn local() -> ExecutorSel {
        ExecutorSel::Named(Arc::from("local"))
    }
}

impl fmt::Debug for ExecutorSel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Anything that can be given as `executor = expr`: an executor value, or a configured name.
///
/// ```
/// use orbital_core::IntoExecutor;
/// let _ = "local".into_executor_sel();
/// ```
pub trait IntoExecutor {
    /// The executor this value denotes.
    fn into_executor_sel(self) -> ExecutorSel;
}

impl<E: Executor> IntoExecutor for E {
    fn into_executor_sel(self) -> ExecutorSel {
        ExecutorSel::Value(Arc::new(self))
    }
}

impl IntoExecutor for ExecutorRef {
    fn into_executor_sel(self) -> ExecutorSel {
        ExecutorSel::Value(self)
    }
}

impl IntoExecutor for &str {
    fn into_executor_sel(self) -> ExecutorSel {
        ExecutorSel::Named(Arc::from(self))
    }
}

impl IntoExecutor for String {
    fn into_executor_sel(self) -> ExecutorSel {
        ExecutorSel::Named(Arc::from(self))
    }
}

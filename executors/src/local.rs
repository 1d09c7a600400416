//! The `local` executor: runs electrons in this process.
//!
//! `async fn` electrons are polled on the tokio runtime; plain `fn` electrons run on a pool of
//! blocking threads ([`crate::blocking_pool`]), so a slow or blocking electron never stalls the dispatcher. A panic fails only
//! its own node. A time limit or cancel stops an async electron at its next `.await`; a blocking
//! electron cannot be interrupted in-process: its node ends at once and its thread finishes in
//! the background (use the `process` executor to kill runaway work).
//!
//! ```toml
//! [executors.local]
//! max_concurrency = 64            # tasks of one dispatch running at once (default: no limit)
//! workdir = "/scratch/orbital"    # where tasks' working directories go (default: $TMPDIR/orbital-workdir)
//! create_unique_workdir = true    # one per task, WORKDIR/DISPATCH/node_N (the default)
//! keep_workdir = false            # remove each task's own directory after it (the default)
//! ```

use std::time::SystemTime;

use crate::blocking_pool;
use orbital_core::around::{self, Place};
use orbital_core::{Executor, Task, TaskOutcome, Workdir};
use serde::{Deserialize, Serialize};

/// Runs electrons in this process. See the [module documentation](self).
///
/// ```
/// let local = orbital_executors::LocalExecutor { max_concurrency: Some(8), ..Default::default() };
/// # let _ = local;
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalExecutor {
    /// The most tasks of one dispatch running at once (`None`: no limit).
    #[serde(default)]
    pub max_concurrency: Option<usize>,
    /// Where the tasks' working directories go (Covalent's key; default
    /// `$TMPDIR/orbital-workdir`). `~/` is the home directory.
    #[serde(default)]
    pub workdir: Option<String>,
    /// One directory per task, `WORKDIR/DISPATCH/node_N` (the default), or `WORKDIR` itself
    /// for every task (Covalent's key; Covalent's default is `false`).
    #[serde(default = "yes")]
    pub create_unique_workdir: bool,
    /// Keep each task's own directory after it ends (default: removed).
    #[serde(default)]
    pub keep_workdir: bool,
}

impl Default for LocalExecutor {
    fn default() -> Self {
        LocalExecutor {
            max_concurrency: None,
            workdir: None,
            create_unique_workdir: true,
            keep_workdir: false,
        }
    }
}

fn yes() -> bool {
    true
}

#[typetag::serde(name = "local")]
#[async_trait::async_trait]
impl Executor for LocalExecutor {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn max_concurrency(&self) -> Option<usize> {
        self.max_concurrency
    }

    fn task_workdir(&self) -> Workdir {
        Workdir {
            base: self.workdir.clone().unwrap_or_default(),
            unique: self.create_unique_workdir,
            keep: self.keep_workdir,
        }
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        let started = SystemTime::now();
        let ran = around::run(&task.spec, task.electron, Place::Shared, spawn_blocking).await;
        let mut outcome = TaskOutcome::new(ran.result, started);
        outcome.kept_output = ran.kept_output;
        let (out, err) = (ran.printed.stdout, ran.printed.stderr);
        outcome.stdout = (!out.is_empty()).then_some(out);
        outcome.stderr = (!err.is_empty()).then_some(err);
        outcome
    }
}

fn spawn_blocking(job: Box<dyn FnOnce() + Send>) {
    blocking_pool::spawn(job);
}

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
//! max_concurrency = 64   # tasks of one dispatch running at once (default: no limit)
//! ```

use std::panic::AssertUnwindSafe;
use std::time::SystemTime;

use futures::FutureExt;

use crate::blocking_pool;
use orbital_core::registry::Invoke;
use orbital_core::{Executor, Task, TaskError, TaskOutcome};
use serde::{Deserialize, Serialize};

/// Runs electrons in this process. See the [module documentation](self).
///
/// ```
/// let local = orbital_executors::LocalExecutor { max_concurrency: Some(8) };
/// # let _ = local;
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalExecutor {
    /// The most tasks of one dispatch running at once (`None`: no limit).
    #[serde(default)]
    pub max_concurrency: Option<usize>,
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

    async fn run(&self, task: Task) -> TaskOutcome {
        let started = SystemTime::now();
        let args = task.spec.args;
        let result = match task.electron.invoke {
            Invoke::Blocking(f) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                blocking_pool::spawn(move || {
                    if tx.is_closed() {
                        return; // cancelled or timed out before it started
                    }
                    let result = match std::panic::catch_unwind(AssertUnwindSafe(|| f(args))) {
                        Ok(result) => result,
                        Err(panic) => Err(TaskError::from_panic(panic)),
                    };
                    let _ = tx.send(result);
                });
                rx.await.unwrap_or_else(|_| {
                    Err(TaskError::executor("the blocking pool dropped the task"))
                })
            }
            Invoke::Async(f) => match AssertUnwindSafe(f(args)).catch_unwind().await {
                Ok(result) => result,
                Err(panic) => Err(TaskError::from_panic(panic)),
            },
        };
        TaskOutcome::new(result, started)
    }
}

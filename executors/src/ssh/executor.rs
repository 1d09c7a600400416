//! The ssh executor as the dispatcher sees it: connect and ship before the first task, then
//! run each task on the host.

use std::time::SystemTime;

use orbital_core::{Executor, ExecutorContext, ExecutorError, Task, TaskOutcome};

use super::config::{SshExecutor, DEFAULT_MAX_CONCURRENCY};
use super::connection::Host;
use super::task;

impl SshExecutor {
    /// Connects, asks the host what it is, and ships the program there (built for the host
    /// first when this executable cannot run there): what `setup` does before the first task,
    /// with what it cost. Once per host, remote directory and shipping settings per process;
    /// a second call reports the first's work.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), orbital_core::ExecutorError> {
    /// let old = orbital_executors::SshExecutor::new("login.cluster.org").username("alice");
    /// let shipped = old.ship().await?;
    /// println!("{} for {} ({})", shipped.path, shipped.target, shipped.origin);
    /// # Ok(()) }
    /// ```
    pub async fn ship(&self) -> Result<crate::Shipped, ExecutorError> {
        let host = Host::get(self).await.map_err(|e| self.error(e))?;
        host.binary(self).await.map_err(|e| self.error(e))
    }
}

#[typetag::serde(name = "ssh")]
#[async_trait::async_trait]
impl Executor for SshExecutor {
    fn kind(&self) -> &'static str {
        "ssh"
    }

    fn task_workdir(&self) -> orbital_core::Workdir {
        orbital_core::Workdir {
            base: self
                .remote_workdir
                .clone()
                .unwrap_or_else(|| format!("{}/workdir", self.remote_dir.trim_end_matches('/'))),
            unique: self.create_unique_workdir,
            keep: self.keep_workdir,
        }
    }

    fn max_concurrency(&self) -> Option<usize> {
        Some(self.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY))
    }

    /// Connects (or reuses the connection) and ships the binary before the first task.
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        self.ship().await.map(|_| ())
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        let started = SystemTime::now();
        match task::run(self, task).await {
            Ok(outcome) => outcome,
            Err(e) => TaskOutcome::new(Err(e), started),
        }
    }
}

//! The slurm executor as the dispatcher sees it: batches of ready tasks submitted as job
//! arrays, polled, collected and cancelled; setup and teardown of the working directory.

use std::time::{Duration, SystemTime};

use orbital_core::{
    Batching, Executor, ExecutorContext, ExecutorError, JobHandle, JobState, Task, TaskError,
    TaskErrorKind, TaskOutcome,
};

use super::config::SlurmExecutor;
use crate::ship::shell::quote;

impl SlurmExecutor {
    /// Checks the configuration and the working directory, asks the cluster what it is, and
    /// puts the program in `remote_workdir/bin` (built for the cluster first when this
    /// executable cannot run there): what `setup` does before the first task, with what it
    /// cost. Once per executor value.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), orbital_core::ExecutorError> {
    /// let cluster = orbital_executors::SlurmExecutor::new().target("x86_64-unknown-linux-musl");
    /// let shipped = cluster.ship().await?;
    /// println!("{} ({})", shipped.path, shipped.origin);
    /// # Ok(()) }
    /// ```
    pub async fn ship(&self) -> Result<crate::Shipped, ExecutorError> {
        self.prepare()
            .await
            .map(|(_, shipped)| shipped)
            .map_err(|e| self.error(e))
    }
}

#[typetag::serde(name = "slurm")]
#[async_trait::async_trait]
impl Executor for SlurmExecutor {
    fn kind(&self) -> &'static str {
        "slurm"
    }

    fn task_workdir(&self) -> orbital_core::Workdir {
        orbital_core::Workdir {
            base: format!("{}/workdir", self.remote_workdir.trim_end_matches('/')),
            unique: self.create_unique_workdir,
            keep: self.keep_workdir,
        }
    }

    fn max_concurrency(&self) -> Option<usize> {
        self.max_concurrency
    }

    fn batching(&self) -> Batching {
        Batching::Batch {
            max_batch: self.array_size.max(1),
            poll_interval: Duration::from_secs_f64(self.poll_freq.clamp(0.05, 3600.0)),
        }
    }

    /// Checks the configuration, the Slurm commands and the working directory, and puts the
    /// binary there, before the dispatch's first task.
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        self.ship().await.map(drop)
    }

    /// Removes the dispatch's job files when `cleanup` is on.
    async fn teardown(&self, ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        if !self.cleanup {
            return Ok(());
        }
        let Some(workdir) = self.state.workdir.get() else {
            return Ok(());
        };
        let dir = format!("{workdir}/{}", ctx.dispatch_id);
        match self
            .transport()
            .sh(&format!("rm -rf {}", quote(&dir)), None)
            .await
        {
            Ok(o) if o.ok() => Ok(()),
            Ok(o) => Err(self.error(format!("cannot remove {dir}: {}", o.stderr))),
            Err(e) => Err(self.error(e)),
        }
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        // The dispatcher sends this executor's tasks through `submit`; a lone call still works.
        let started = SystemTime::now();
        let limit = task.spec.time_limit;
        let jobs = match self.submit(vec![task]).await {
            Ok(j) => j,
            Err(e) => return TaskOutcome::new(Err(TaskError::executor(e.to_string())), started),
        };
        let every = Duration::from_secs_f64(self.poll_freq.clamp(0.05, 3600.0));
        loop {
            tokio::time::sleep(every).await;
            if let Some(l) = limit.filter(|l| started.elapsed().unwrap_or_default() > *l) {
                let _ = self.cancel(&jobs[0]).await;
                return TaskOutcome::new(
                    Err(TaskError::new(
                        TaskErrorKind::TimedOut,
                        format!("timed out after {}", humantime_secs(l)),
                    )),
                    started,
                );
            }
            match self.poll(&jobs).await {
                Ok(s) if s.first() == Some(&JobState::Done) => {
                    return self.collect(&jobs[0]).await.unwrap_or_else(|e| {
                        TaskOutcome::new(Err(TaskError::executor(e.to_string())), started)
                    })
                }
                Ok(_) => {}
                Err(e) => {
                    return TaskOutcome::new(Err(TaskError::executor(e.to_string())), started)
                }
            }
        }
    }

    async fn submit(&self, tasks: Vec<Task>) -> Result<Vec<JobHandle>, ExecutorError> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        self.submit_batch(tasks).await.map_err(|e| self.error(e))
    }

    async fn poll(&self, jobs: &[JobHandle]) -> Result<Vec<JobState>, ExecutorError> {
        self.poll_jobs(jobs).await.map_err(|e| self.error(e))
    }

    async fn collect(&self, job: &JobHandle) -> Result<TaskOutcome, ExecutorError> {
        self.collect_job(job).await.map_err(|e| self.error(e))
    }

    async fn cancel(&self, job: &JobHandle) -> Result<(), ExecutorError> {
        self.cancel_job(job).await.map_err(|e| self.error(e))
    }
}

fn humantime_secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

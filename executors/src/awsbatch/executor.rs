//! The awsbatch executor as the dispatcher sees it: batches of ready tasks submitted as array
//! jobs, polled, collected and terminated; setup, and with `cleanup` the dispatch's objects
//! removed at its end.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use orbital_core::{
    Batching, Executor, ExecutorContext, ExecutorError, ExecutorRef, JobHandle, JobState, Task,
    TaskError, TaskErrorKind, TaskOutcome,
};

use super::collect::CANCEL_REASON;
use super::config::AwsBatchExecutor;
use super::handle::Handle;
use crate::aws::said::said;

impl AwsBatchExecutor {
    fn every(&self) -> Duration {
        Duration::from_secs_f64(self.poll_freq.clamp(0.05, 3600.0))
    }
}

#[typetag::serde(name = "awsbatch")]
#[async_trait::async_trait]
impl Executor for AwsBatchExecutor {
    fn kind(&self) -> &'static str {
        "awsbatch"
    }

    fn task_workdir(&self) -> orbital_core::Workdir {
        orbital_core::Workdir::at("/tmp/orbital-workdir")
    }

    fn max_concurrency(&self) -> Option<usize> {
        self.max_concurrency
    }

    fn batching(&self) -> Batching {
        Batching::Batch {
            max_batch: self.array_size.max(1),
            poll_interval: self.every(),
        }
    }

    /// A value given in code takes the settings it was not given from `[executors.awsbatch]`.
    fn configured(
        &self,
        tables: &BTreeMap<String, toml::Table>,
    ) -> Result<Option<ExecutorRef>, String> {
        self.merged(tables)
    }

    /// Checks the settings, the credentials, the queue, the bucket, the roles and the log
    /// group; puts the program in the bucket and registers the job definition when they are
    /// not there: before the dispatch's first task.
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        self.prepare().await.map(drop).map_err(|e| self.error(e))
    }

    /// With `cleanup`: removes the dispatch's specs, manifests and outcomes from the bucket.
    async fn teardown(&self, ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        if !self.cleanup {
            return Ok(());
        }
        let Some(clients) = self.state.clients.get() else {
            return Ok(());
        };
        crate::aws::s3io::remove_prefix(
            &clients.s3,
            &self.s3_bucket_name,
            &format!("orbital/{}/", ctx.dispatch_id),
        )
        .await
        .map(drop)
        .map_err(|e| self.error(e))
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        // The dispatcher sends this executor's tasks through `submit`; a lone call still works.
        let started = SystemTime::now();
        let limit = task.spec.time_limit;
        let jobs = match self.submit(vec![task]).await {
            Ok(j) => j,
            Err(e) => return TaskOutcome::new(Err(TaskError::executor(e.to_string())), started),
        };
        loop {
            tokio::time::sleep(self.every()).await;
            if let Some(l) = limit.filter(|l| started.elapsed().unwrap_or_default() > *l) {
                let _ = self.cancel(&jobs[0]).await;
                return TaskOutcome::new(
                    Err(TaskError::new(
                        TaskErrorKind::TimedOut,
                        format!("timed out after {:.1} s", l.as_secs_f64()),
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
        self.submit_tasks(tasks).await.map_err(|e| self.error(e))
    }

    async fn poll(&self, jobs: &[JobHandle]) -> Result<Vec<JobState>, ExecutorError> {
        self.poll_jobs(jobs).await.map_err(|e| self.error(e))
    }

    async fn collect(&self, job: &JobHandle) -> Result<TaskOutcome, ExecutorError> {
        self.collect_job(job).await.map_err(|e| self.error(e))
    }

    /// `TerminateJob` (which also stops a job that is running).
    async fn cancel(&self, job: &JobHandle) -> Result<(), ExecutorError> {
        let h = Handle::parse(job).map_err(|e| self.error(e))?;
        let (id, _) = self.current(&h.element);
        let clients = self.clients().await.map_err(|e| self.error(e))?;
        clients
            .batch
            .terminate_job()
            .job_id(&id)
            .reason(CANCEL_REASON)
            .send()
            .await
            .map(drop)
            .map_err(|e| self.error(format!("cannot terminate job {id}: {}", said(&e))))
    }
}

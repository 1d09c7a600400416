//! The awslambda executor as the dispatcher sees it: deploy (and check the bucket) at setup,
//! one invoke per task, and with `cleanup` the created functions and payloads removed at the end.

use std::time::SystemTime;

use orbital_core::{Executor, ExecutorContext, ExecutorError, Task, TaskOutcome};

use super::config::{AwsLambdaExecutor, DEFAULT_MAX_CONCURRENCY};
use crate::aws::said::said;

#[typetag::serde(name = "awslambda")]
#[async_trait::async_trait]
impl Executor for AwsLambdaExecutor {
    fn kind(&self) -> &'static str {
        "awslambda"
    }

    fn task_workdir(&self) -> orbital_core::Workdir {
        // A function may write only under /tmp.
        orbital_core::Workdir::at("/tmp/orbital-workdir")
    }

    fn max_concurrency(&self) -> Option<usize> {
        Some(self.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY))
    }

    /// Deploys the function (when its code is not this build's) before the first task, and
    /// checks the bucket when one is named.
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        *self.state.deployed.lock().await = None;
        let clients = self.clients().await.map_err(|e| self.error(e))?;
        if let Some(b) = &self.s3_bucket_name {
            if let Err(e) = clients.s3.head_bucket().bucket(b).send().await {
                let said = said(&e);
                return Err(self.error(format!(
                    "s3_bucket_name `{b}` cannot be used ({said}): create it (`aws s3 mb s3://{b}`) or name a bucket \
                     these credentials may write"
                )));
            }
        }
        self.deploy().await.map(drop)
    }

    /// With `cleanup`: deletes the functions this executor created and the dispatch's payloads.
    async fn teardown(&self, ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        if !self.cleanup {
            return Ok(());
        }
        let Some(clients) = self.state.clients.get() else {
            return Ok(());
        };
        if let Some(b) = &self.s3_bucket_name {
            crate::aws::s3io::remove_prefix(
                &clients.s3,
                b,
                &format!("orbital/{}/", ctx.dispatch_id),
            )
            .await
            .map_err(|e| self.error(e))?;
        }
        let created: Vec<String> = self
            .state
            .created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        for name in created {
            clients
                .lambda
                .delete_function()
                .function_name(&name)
                .send()
                .await
                .map_err(|e| {
                    self.error(format!("cannot delete the function {name}: {}", said(&e)))
                })?;
            tracing::info!(function = %name, "deleted the Lambda function it created");
        }
        *self.state.deployed.lock().await = None;
        Ok(())
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        let started = SystemTime::now();
        match self.invoke(task).await {
            Ok(o) => o,
            Err(e) => TaskOutcome::new(Err(e), started),
        }
    }
}

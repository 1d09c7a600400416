//! What setup does once per executor, before the first job: the configuration checked, the
//! credentials, queue, bucket, roles and log group checked, the program put in the bucket
//! (once per build) and the job definition found or registered (once per build, image and
//! platform).

use std::time::Instant;

use super::config::AwsBatchExecutor;
use super::definition::Inputs;
use super::state::Prepared;

impl AwsBatchExecutor {
    /// Prepares the executor (once; later calls return what the first found).
    pub(super) async fn prepare(&self) -> Result<Prepared, String> {
        self.state
            .prepared
            .get_or_try_init(|| async {
                self.check_config()?;
                let t0 = Instant::now();
                let clients = self.clients().await?;
                let queue = self.check_queue(&clients).await?;
                self.check_bucket(&clients).await?;
                self.check_log_group(&clients).await?;
                let job_role_arn = match (&self.job_role_arn, &self.batch_job_role_name) {
                    (Some(a), _) => Some(a.clone()),
                    (None, Some(n)) => {
                        Some(self.role_arn(&clients, "batch_job_role_name", n).await?)
                    }
                    (None, None) => None,
                };
                let execution_role_arn = if queue.platform == "FARGATE" {
                    Some(
                        self.role_arn(
                            &clients,
                            "batch_execution_role_name",
                            &self.batch_execution_role_name,
                        )
                        .await?,
                    )
                } else {
                    None
                };
                let me = self.clone();
                let local = tokio::task::spawn_blocking(move || me.local_program())
                    .await
                    .map_err(|e| format!("preparing the program failed: {e}"))??;
                let program = self.upload_program(&clients, &local).await?;
                let definition = self
                    .definition(
                        &clients,
                        &Inputs {
                            build_id: &local.build_id,
                            platform: queue.platform,
                            job_role_arn: job_role_arn.as_deref(),
                            execution_role_arn: execution_role_arn.as_deref(),
                        },
                    )
                    .await?;
                tracing::info!(
                    queue = %queue.arn,
                    platform = queue.platform,
                    %definition,
                    secs = t0.elapsed().as_secs_f64(),
                    "AWS Batch ready"
                );
                Ok::<_, String>(Prepared {
                    queue_arn: queue.arn,
                    program,
                    build_id: local.build_id,
                    definition,
                })
            })
            .await
            .cloned()
    }
}

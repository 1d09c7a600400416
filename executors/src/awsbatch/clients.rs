//! The AWS clients of an executor, made once: the configuration loaded from its keys
//! (profile, credentials file, region, endpoint, retries), the credentials shown to STS, and
//! the Batch, S3, CloudWatch Logs and IAM clients.

use super::config::AwsBatchExecutor;
use super::state::Clients;

impl AwsBatchExecutor {
    /// The clients, made once (the credentials checked then).
    pub(super) async fn clients(&self) -> Result<Clients, String> {
        self.state
            .clients
            .get_or_try_init(|| async {
                let access = self.access();
                let crate::aws::sdk::Loaded { conf, caller_arn } = access.load().await?;
                Ok(Clients {
                    batch: aws_sdk_batch::Client::new(&conf),
                    s3: access.s3(&conf),
                    logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
                    iam: aws_sdk_iam::Client::new(&conf),
                    caller_arn,
                })
            })
            .await
            .cloned()
    }
}

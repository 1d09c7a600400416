//! The AWS clients of an executor, made once: the configuration loaded (profile, credentials
//! file, region, endpoint, retries), the credentials checked, and the Lambda and S3 clients.

use std::time::Duration;

use super::config::AwsLambdaExecutor;
use super::state::Clients;

impl AwsLambdaExecutor {
    /// The keys that say how to reach AWS.
    pub(super) fn access(&self) -> crate::aws::sdk::Access<'_> {
        crate::aws::sdk::Access {
            profile: self.profile.as_deref(),
            credentials_file: self.credentials_file.as_deref(),
            region: self.region.as_deref(),
            endpoint_url: self.endpoint_url.as_deref(),
        }
    }

    /// The Lambda and S3 clients, made once (the credentials checked then).
    pub(super) async fn clients(&self) -> Result<Clients, String> {
        self.state
            .clients
            .get_or_try_init(|| async {
                let access = self.access();
                let crate::aws::sdk::Loaded { conf, caller_arn } = access.load().await?;
                let lambda_conf = aws_sdk_lambda::config::Builder::from(&conf)
                    .timeout_config(
                        aws_config::timeout::TimeoutConfig::builder()
                            .connect_timeout(Duration::from_secs(10))
                            .operation_attempt_timeout(Duration::from_secs(
                                u64::from(self.timeout) + 30,
                            ))
                            .build(),
                    )
                    .build();
                Ok(Clients {
                    lambda: aws_sdk_lambda::Client::from_conf(lambda_conf),
                    s3: access.s3(&conf),
                    caller_arn,
                })
            })
            .await
            .cloned()
    }
}

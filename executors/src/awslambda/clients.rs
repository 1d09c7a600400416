//! The AWS clients of an executor, made once: the configuration loaded (profile, credentials
//! file, region, endpoint, retries), the credentials checked, and the Lambda and S3 clients.

use std::time::Duration;

use super::config::AwsLambdaExecutor;
use super::credentials::{check_accepted, check_credentials};
use super::state::Clients;

impl AwsLambdaExecutor {
    /// The Lambda and S3 clients, made once (the credentials checked then).
    pub(super) async fn clients(&self) -> Result<Clients, String> {
        self.state
            .clients
            .get_or_try_init(|| async {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(p) = &self.profile {
                    loader = loader.profile_name(p);
                }
                if let Some(f) = &self.credentials_file {
                    let path = crate::ship::shell::expand_local(f);
                    if !path.is_file() {
                        return Err(format!(
                            "credentials_file {} does not exist: fix the path, or remove the key to use the \
                             normal AWS chain",
                            path.display()
                        ));
                    }
                    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
                    loader = loader.profile_files(
                        EnvConfigFiles::builder()
                            .with_file(EnvConfigFileKind::Credentials, path)
                            .include_default_config_file(true)
                            .build(),
                    );
                }
                if let Some(r) = &self.region {
                    loader = loader.region(aws_config::Region::new(r.clone()));
                }
                if let Some(u) = &self.endpoint_url {
                    loader = loader.endpoint_url(u);
                }
                loader = loader.retry_config(
                    aws_config::retry::RetryConfig::standard()
                        .with_max_attempts(8)
                        .with_initial_backoff(Duration::from_millis(50)),
                );
                let conf = loader.load().await;
                if conf.region().is_none() {
                    return Err(
                        "no AWS region: set `region` (or AWS_REGION, or a region in the profile)".to_owned(),
                    );
                }
                check_credentials(&conf, self).await?;
                let caller_arn = check_accepted(&conf, self).await?;
                let lambda_conf = aws_sdk_lambda::config::Builder::from(&conf)
                    .timeout_config(
                        aws_config::timeout::TimeoutConfig::builder()
                            .connect_timeout(Duration::from_secs(10))
                            .operation_attempt_timeout(Duration::from_secs(u64::from(self.timeout) + 30))
                            .build(),
                    )
                    .build();
                let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
                    .force_path_style(self.endpoint_url.is_some())
                    .build();
                Ok(Clients {
                    lambda: aws_sdk_lambda::Client::from_conf(lambda_conf),
                    s3: aws_sdk_s3::Client::from_conf(s3_conf),
                    caller_arn,
                })
            })
            .await
            .cloned()
    }
}

//! The SDK configuration of an AWS executor, loaded once from its access keys: the profile, a
//! credentials file, the region and an endpoint, with the standard retries; the credentials
//! resolved and shown to STS, so that a bad key is named at setup.

use std::time::Duration;

pub(crate) use super::access::Access;
use super::credentials::{check_accepted, check_credentials};

/// `arn:<partition>:iam::<account>:role/<role>`, the partition and account read from `caller`
/// (an `arn:<partition>:<service>::<account>:<resource>` ARN).
pub(crate) fn role_in_account(caller: &str, role: &str) -> Option<String> {
    let parts: Vec<&str> = caller.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, _, _, account, _] if !partition.is_empty() && !account.is_empty() => {
            Some(format!("arn:{partition}:iam::{account}:role/{role}"))
        }
        _ => None,
    }
}

/// The loaded configuration, and who the credentials are (STS's answer, when it has one).
pub(crate) struct Loaded {
    pub conf: aws_config::SdkConfig,
    pub caller_arn: Option<String>,
}

impl Access<'_> {
    /// Loads the configuration, resolves the credentials and asks STS whether they are good.
    pub(crate) async fn load(&self) -> Result<Loaded, String> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(p) = self.profile {
            loader = loader.profile_name(p);
        }
        if let Some(f) = self.credentials_file {
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
        if let Some(r) = self.region {
            loader = loader.region(aws_config::Region::new(r.to_owned()));
        }
        if let Some(u) = self.endpoint_url {
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
                "no AWS region: set `region` (or AWS_REGION, or a region in the profile)"
                    .to_owned(),
            );
        }
        check_credentials(&conf, self).await?;
        let caller_arn = check_accepted(&conf, self).await?;
        Ok(Loaded { conf, caller_arn })
    }

    /// An S3 client of `conf`: path-style addressing with an endpoint of one's own (emulators and
    /// S3-compatible stores do not serve bucket subdomains).
    pub(crate) fn s3(&self, conf: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(conf)
                .force_path_style(self.endpoint_url.is_some())
                .build(),
        )
    }
}

//! The awslambda executor's configuration: the function, the bucket, the credentials and
//! region, the function's settings and how the program is built for it, with their defaults
//! and their checks.

use std::sync::Arc;

use orbital_core::runner::DEFAULT_CAPTURE_LIMIT;
use orbital_core::ExecutorError;
use serde::{Deserialize, Serialize};

use super::state::LambdaState;
use crate::ship::choose::CrossBuild;

/// Runs tasks as invocations of a Lambda function that is this program. See the
/// [module documentation](super).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsLambdaExecutor {
    /// The function to deploy to and invoke (created when missing). Default:
    /// `orbital-<program>-<build hash>`, one function per build.
    #[serde(default)]
    pub function_name: Option<String>,
    /// The bucket for payloads over the invoke limit (and zips over the inline upload limit).
    #[serde(default)]
    pub s3_bucket_name: Option<String>,
    /// A credentials file to read instead of `~/.aws/credentials` (Covalent's `credentials`
    /// is the same key).
    #[serde(default, alias = "credentials")]
    pub credentials_file: Option<String>,
    /// The profile to use (default: the AWS chain's).
    #[serde(default)]
    pub profile: Option<String>,
    /// The region (default: the AWS chain's).
    #[serde(default)]
    pub region: Option<String>,
    /// Seconds between two checks while a created or updated function settles. Covalent polls
    /// S3 for a task's result this often; orbital invokes synchronously, so a result comes back
    /// as soon as the function returns and nothing else waits on this.
    #[serde(default = "default_poll_freq")]
    pub poll_freq: f64,
    /// The function's timeout in seconds (Lambda's limit is 900).
    #[serde(default = "default_timeout")]
    pub timeout: u32,
    /// Where the package (the stripped binary) is cached. Default `~/.cache/orbital/lambda`.
    #[serde(default)]
    pub cache_dir: Option<String>,
    /// The role ARN a created function runs as.
    #[serde(default)]
    pub execution_role: Option<String>,
    /// Covalent's form of the role: its name (e.g. `CovalentLambdaExecutionRole`), resolved to
    /// `arn:<partition>:iam::<account>:role/<name>` in the account of the credentials (as
    /// Covalent does). Set `execution_role` instead for a role with a path.
    #[serde(default)]
    pub lambda_role_name: Option<String>,
    /// The function's memory in MB.
    #[serde(default = "default_memory")]
    pub memory_size: u32,
    /// `x86_64` or `arm64`.
    #[serde(default = "default_architecture")]
    pub architecture: String,
    /// Delete the functions this executor created, and the dispatch's S3 payloads, when a
    /// dispatch ends.
    #[serde(default)]
    pub cleanup: bool,
    /// An endpoint for every AWS call (an emulator, an S3-compatible store); S3 is then
    /// addressed path-style.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// The program to deploy instead of the running one: the same program, built for the
    /// function (`cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.17`). Unset,
    /// the running executable is deployed when it can run on `provided.al2023`, and otherwise
    /// built again for it (see `cross_build`).
    #[serde(default)]
    pub binary: Option<String>,
    /// When to build this program again for the function with `cargo zigbuild` (same package,
    /// target and features, glibc 2.17): `"auto"` when the running executable cannot run on
    /// Lambda (another architecture, a newer glibc, macOS), `"always"`, or `"never"` (an error
    /// then says how to build it by hand).
    #[serde(default)]
    pub cross_build: CrossBuild,
    /// The target of that build, instead of `provided.al2023` on `architecture` (glibc
    /// 2.17): e.g. `"x86_64-unknown-linux-musl"` for a static build. Its architecture must
    /// be the function's.
    #[serde(default)]
    pub target: Option<String>,
    /// The Cargo profile of that build.
    #[serde(default = "default_build_profile")]
    pub build_profile: String,
    /// The package features of that build. Default: those of the running program, as
    /// `#[orbital::main]` recorded them (none for a program without it).
    #[serde(default)]
    pub build_features: Option<Vec<String>>,
    /// Invokes of one dispatch at once.
    #[serde(default)]
    pub max_concurrency: Option<usize>,
    /// The most bytes of stdout, and of stderr, kept per task.
    #[serde(default = "default_capture_limit")]
    pub capture_limit: u64,
    #[serde(skip)]
    pub(super) state: Arc<LambdaState>,
}

fn default_build_profile() -> String {
    crate::ship::program::DEFAULT_PROFILE.to_owned()
}

fn default_poll_freq() -> f64 {
    1.0
}
fn default_timeout() -> u32 {
    900
}
fn default_memory() -> u32 {
    512
}
fn default_architecture() -> String {
    "x86_64".to_owned()
}
fn default_capture_limit() -> u64 {
    DEFAULT_CAPTURE_LIMIT
}

/// Invokes at once when `max_concurrency` is not set.
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;

impl AwsLambdaExecutor {
    /// An executor with every setting at its default (the function named after the program).
    pub fn new() -> Self {
        AwsLambdaExecutor {
            function_name: None,
            s3_bucket_name: None,
            credentials_file: None,
            profile: None,
            region: None,
            poll_freq: default_poll_freq(),
            timeout: default_timeout(),
            cache_dir: None,
            execution_role: None,
            lambda_role_name: None,
            memory_size: default_memory(),
            architecture: default_architecture(),
            cleanup: false,
            endpoint_url: None,
            binary: None,
            cross_build: CrossBuild::Auto,
            target: None,
            build_profile: default_build_profile(),
            build_features: None,
            max_concurrency: None,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            state: Arc::default(),
        }
    }

    /// An error of this executor, naming the function when it is set.
    pub(super) fn error(&self, message: impl Into<String>) -> ExecutorError {
        ExecutorError {
            executor: format!(
                "awslambda{}",
                self.function_name
                    .as_deref()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default()
            ),
            message: message.into(),
        }
    }

    /// Checks the settings; the error names the key to change.
    pub(super) fn check_config(&self) -> Result<(), String> {
        if self.architecture != "x86_64" && self.architecture != "arm64" {
            return Err(format!(
                "`architecture = \"{}\"`: Lambda runs \"x86_64\" or \"arm64\"",
                self.architecture
            ));
        }
        if !(1..=900).contains(&self.timeout) {
            return Err(format!(
                "`timeout = {}`: a Lambda function's timeout is 1 to 900 seconds",
                self.timeout
            ));
        }
        if !(128..=10240).contains(&self.memory_size) {
            return Err(format!(
                "`memory_size = {}`: Lambda gives a function 128 to 10240 MB",
                self.memory_size
            ));
        }
        if let (Some(arn), Some(name)) = (&self.execution_role, &self.lambda_role_name) {
            return Err(format!(
                "both `execution_role = \"{arn}\"` and `lambda_role_name = \"{name}\"` are set: keep one \
                 (`lambda_role_name` is the role's name, `execution_role` its ARN)"
            ));
        }
        if let Some(name) = &self.lambda_role_name {
            if name.is_empty() || name.starts_with("arn:") || name.contains('/') {
                return Err(format!(
                    "`lambda_role_name = \"{name}\"` is not a role name: give the name alone (e.g. \
                     \"CovalentLambdaExecutionRole\"), or set `execution_role` to an ARN"
                ));
            }
        }
        if !(self.poll_freq > 0.0 && self.poll_freq.is_finite()) {
            return Err(format!(
                "`poll_freq = {}`: set a number of seconds above 0",
                self.poll_freq
            ));
        }
        Ok(())
    }
}

impl Default for AwsLambdaExecutor {
    fn default() -> Self {
        AwsLambdaExecutor::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_configuration_parses() {
        let e: AwsLambdaExecutor = toml::from_str(
            r#"
function_name = "my-lambda-function"
s3_bucket_name = "covalent-lambda-job-resources"
credentials_file = "/home/user/.aws/credentials"
profile = "default"
region = "us-east-1"
cache_dir = "/home/user/.cache/covalent"
poll_freq = 5
timeout = 60
"#,
        )
        .unwrap();
        assert_eq!(e.function_name.as_deref(), Some("my-lambda-function"));
        assert_eq!(e.timeout, 60);
        assert!(e.check_config().is_ok());
    }

    #[test]
    fn the_second_seed_configuration_parses() {
        // ../shared/reference/002: Covalent's `credentials` and `lambda_role_name`.
        let e: AwsLambdaExecutor = toml::from_str(
            r#"
credentials = "/home/user/.aws/credentials"
profile = "default"
region = "us-east-1"
lambda_role_name = "CovalentLambdaExecutionRole"
s3_bucket_name = "covalent-lambda-job-resources"
cache_dir = "/home/user/.cache/covalent"
poll_freq = 5
timeout = 60
memory_size = 512
cleanup = true
"#,
        )
        .unwrap();
        assert_eq!(
            e.credentials_file.as_deref(),
            Some("/home/user/.aws/credentials")
        );
        assert_eq!(
            e.lambda_role_name.as_deref(),
            Some("CovalentLambdaExecutionRole")
        );
        assert!(e.check_config().is_ok());
    }

    #[test]
    fn a_role_given_twice_or_as_an_arn_name_is_refused() {
        let e: AwsLambdaExecutor =
            toml::from_str("execution_role = \"arn:aws:iam::1:role/r\"\nlambda_role_name = \"r\"")
                .unwrap();
        assert!(e.check_config().unwrap_err().contains("keep one"));
        let e: AwsLambdaExecutor =
            toml::from_str("lambda_role_name = \"arn:aws:iam::1:role/r\"").unwrap();
        assert!(e.check_config().unwrap_err().contains("`lambda_role_name"));
    }

    #[test]
    fn bad_settings_name_the_key() {
        let e: AwsLambdaExecutor = toml::from_str("architecture = \"sparc\"").unwrap();
        assert!(e.check_config().unwrap_err().contains("`architecture"));
        let e: AwsLambdaExecutor = toml::from_str("timeout = 1000").unwrap();
        assert!(e.check_config().unwrap_err().contains("`timeout"));
    }
}

//! The awsbatch executor's configuration: Covalent's keys (`batch_queue`, `s3_bucket_name`, the
//! roles and log group, `vcpu`, `memory` in GB, `num_gpus`, `retry_attempts`, `time_limit`,
//! `poll_freq`, `cache_dir`, `container_image_uri`), then orbital's own, with their defaults and
//! their checks. The builder methods also record what code set, so that a value given in code
//! takes the rest from `[executors.awsbatch]` (see `configured.rs`).

use std::sync::Arc;

use orbital_core::runner::DEFAULT_CAPTURE_LIMIT;
use orbital_core::ExecutorError;
use serde::{Deserialize, Serialize};

use super::state::BatchState;
use crate::ship::choose::CrossBuild;

/// Runs tasks as AWS Batch jobs: ready tasks go out as one array job, each child fetches this
/// program from S3 and runs its task. See the [module documentation](super).
///
/// ```
/// use orbital_executors::AwsBatchExecutor;
/// let big = AwsBatchExecutor::new().vcpu(8.0).memory_gb(30.0).num_gpus(1);
/// assert_eq!(big.memory_mib(), 30 * 1024);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsBatchExecutor {
    /// A credentials file to read instead of `~/.aws/credentials` (Covalent's `credentials`).
    #[serde(default, alias = "credentials_file")]
    pub credentials: Option<String>,
    /// The profile to use (default: the AWS chain's).
    #[serde(default)]
    pub profile: Option<String>,
    /// The region (default: the AWS chain's).
    #[serde(default)]
    pub region: Option<String>,
    /// The bucket for the program, the specs, the manifests and the outcomes.
    #[serde(default = "default_bucket")]
    pub s3_bucket_name: String,
    /// The job queue (name or ARN).
    #[serde(default = "default_queue")]
    pub batch_queue: String,
    /// The prefix of the job definitions orbital registers (one per build, image and platform:
    /// `<prefix>-<hash>`).
    #[serde(default = "default_definition")]
    pub batch_job_definition_name: String,
    /// The ECS execution role's name (in the credentials' account): needed on Fargate, where it
    /// lets the agent write logs.
    #[serde(default = "default_execution_role")]
    pub batch_execution_role_name: String,
    /// The role the job runs as, by name (in the credentials' account). None: the job has no
    /// AWS credentials of its own (the program, spec and outcome move by presigned URLs).
    #[serde(default)]
    pub batch_job_role_name: Option<String>,
    /// The job role by ARN (a role with a path, or in another account).
    #[serde(default)]
    pub job_role_arn: Option<String>,
    /// The CloudWatch Logs group of the jobs' output (it must exist). None: Batch's own
    /// `/aws/batch/job`.
    #[serde(default)]
    pub batch_job_log_group_name: Option<String>,
    /// vCPUs per task (Fargate takes fractions: 0.25, 0.5...).
    #[serde(default = "default_vcpu")]
    pub vcpu: f64,
    /// Memory per task, GB (as Covalent has it; 3.75 is 3840 MiB).
    #[serde(default = "default_memory")]
    pub memory: f64,
    /// GPUs per task (EC2 only).
    #[serde(default)]
    pub num_gpus: u32,
    /// Attempts Batch makes when the infrastructure fails (a host lost, a failed download); a
    /// task's own error is not retried by Batch but by the electron's `retries`. 1 to 10.
    #[serde(default = "default_retry_attempts")]
    pub retry_attempts: u32,
    /// Seconds an attempt may run (`attemptDurationSeconds`, at least 60); an electron's own
    /// `time_limit` replaces it for that electron's jobs. 0: none.
    #[serde(default = "default_time_limit")]
    pub time_limit: u64,
    /// Seconds between two polls (one `DescribeJobs` per 100 of the executor's jobs).
    #[serde(default = "default_poll_freq")]
    pub poll_freq: f64,
    /// Where a build of this program for Batch is cached. Default `~/.cache/orbital/awsbatch`.
    #[serde(default)]
    pub cache_dir: Option<String>,
    /// The image the jobs run: any image with `sh` and `curl`.
    #[serde(default = "default_image")]
    pub container_image_uri: String,
    /// `"auto"` (from the queue's compute environments), `"EC2"` or `"FARGATE"`.
    #[serde(default = "default_platform")]
    pub platform: String,
    /// `x86_64` or `arm64`: the compute environment's instances.
    #[serde(default = "default_architecture")]
    pub architecture: String,
    /// When to build this program again for the jobs' image with `cargo zigbuild` (see the
    /// Lambda executor's key of the same name).
    #[serde(default)]
    pub cross_build: CrossBuild,
    /// The target of that build (default: Amazon Linux 2023 on `architecture`, glibc 2.17).
    #[serde(default)]
    pub target: Option<String>,
    /// The program to ship instead of the running one (a build of this same program).
    #[serde(default)]
    pub binary: Option<String>,
    /// The Cargo profile of that build.
    #[serde(default = "default_build_profile")]
    pub build_profile: String,
    /// The package features of that build (default: those `#[orbital::main]` recorded).
    #[serde(default)]
    pub build_features: Option<Vec<String>>,
    /// The most tasks one array job holds (Batch allows 10,000).
    #[serde(default = "default_array_size")]
    pub array_size: usize,
    /// Seconds the presigned URLs of a submission are valid (at most 7 days). A job that starts
    /// after they expired is submitted again with fresh ones, not counted against `retries`.
    #[serde(default = "default_presign_ttl")]
    pub presign_ttl: u64,
    /// Remove the dispatch's objects (specs, manifests, outcomes) from the bucket at its end.
    #[serde(default)]
    pub cleanup: bool,
    /// One endpoint for every AWS call (an emulator); S3 is then addressed path-style.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Jobs of one dispatch at once (default: no limit but Batch's own capacity).
    #[serde(default)]
    pub max_concurrency: Option<usize>,
    /// The most bytes of stdout, and of stderr, kept per task.
    #[serde(default = "default_capture_limit")]
    pub capture_limit: u64,
    /// The keys set by the builder methods (a value given in code), laid over
    /// `[executors.awsbatch]` when the runtime has that table.
    #[serde(skip)]
    pub(super) code: Option<toml::Table>,
    #[serde(skip)]
    pub(super) state: Arc<BatchState>,
}

fn default_bucket() -> String {
    "covalent-batch-job-resources".to_owned()
}
fn default_queue() -> String {
    "covalent-batch-queue".to_owned()
}
fn default_definition() -> String {
    "orbital".to_owned()
}
fn default_execution_role() -> String {
    "ecsTaskExecutionRole".to_owned()
}
fn default_vcpu() -> f64 {
    2.0
}
fn default_memory() -> f64 {
    3.75
}
fn default_retry_attempts() -> u32 {
    3
}
fn default_time_limit() -> u64 {
    300
}
fn default_poll_freq() -> f64 {
    10.0
}
fn default_image() -> String {
    DEFAULT_IMAGE.to_owned()
}
fn default_platform() -> String {
    "auto".to_owned()
}
fn default_architecture() -> String {
    "x86_64".to_owned()
}
fn default_build_profile() -> String {
    crate::ship::program::DEFAULT_PROFILE.to_owned()
}
fn default_array_size() -> usize {
    1000
}
fn default_presign_ttl() -> u64 {
    12 * 3600
}
fn default_capture_limit() -> u64 {
    DEFAULT_CAPTURE_LIMIT
}

/// The image jobs run when `container_image_uri` is not set.
pub const DEFAULT_IMAGE: &str = "public.ecr.aws/amazonlinux/amazonlinux:2023";

/// Batch's shortest `attemptDurationSeconds`.
pub(super) const MIN_ATTEMPT_SECS: u64 = 60;

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident, $field:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, v: $ty) -> Self {
            self.record(stringify!($field), toml::Value::try_from(&v).ok());
            self.$field = v.into();
            self
        }
    };
}

impl AwsBatchExecutor {
    /// An executor with every setting at its default. Given in code, the settings it is not
    /// given come from `[executors.awsbatch]` when the runtime's configuration has that table.
    pub fn new() -> Self {
        let mut e: AwsBatchExecutor = toml::Value::Table(toml::Table::new())
            .try_into()
            .unwrap_or_else(|_| unreachable!("every key of the awsbatch executor has a default"));
        e.code = Some(toml::Table::new());
        e
    }

    fn record(&mut self, key: &str, value: Option<toml::Value>) {
        if let (Some(code), Some(v)) = (self.code.as_mut(), value) {
            code.insert(key.to_owned(), v);
        }
    }

    setter!(
        /// vCPUs per task.
        vcpu, vcpu: f64
    );
    setter!(
        /// Memory per task in GB (Covalent's `memory`).
        memory_gb, memory: f64
    );
    setter!(
        /// GPUs per task.
        num_gpus, num_gpus: u32
    );
    setter!(
        /// The job queue.
        batch_queue, batch_queue: String
    );
    setter!(
        /// The bucket.
        s3_bucket_name, s3_bucket_name: String
    );
    setter!(
        /// `attemptDurationSeconds` (see the key).
        time_limit, time_limit: u64
    );
    setter!(
        /// Batch's attempts for failures of the infrastructure.
        retry_attempts, retry_attempts: u32
    );
    setter!(
        /// The image.
        container_image_uri, container_image_uri: String
    );
    setter!(
        /// An endpoint for every AWS call.
        endpoint_url, endpoint_url: Option<String>
    );
    setter!(
        /// The region.
        region, region: Option<String>
    );

    /// The memory of a task in MiB, as Batch takes it.
    pub fn memory_mib(&self) -> u64 {
        (self.memory * 1024.0).round().max(0.0) as u64
    }

    /// An error of this executor, naming the queue.
    pub(super) fn error(&self, message: impl Into<String>) -> ExecutorError {
        ExecutorError {
            executor: format!("awsbatch (queue {})", self.batch_queue),
            message: message.into(),
        }
    }

    /// The keys that say how to reach AWS.
    pub(super) fn access(&self) -> crate::aws::sdk::Access<'_> {
        crate::aws::sdk::Access {
            profile: self.profile.as_deref(),
            credentials_file: self.credentials.as_deref(),
            region: self.region.as_deref(),
            endpoint_url: self.endpoint_url.as_deref(),
        }
    }

    /// Checks the settings; the error names the key to change.
    pub(super) fn check_config(&self) -> Result<(), String> {
        if self.architecture != "x86_64" && self.architecture != "arm64" {
            return Err(format!(
                "`architecture = \"{}\"`: Batch runs \"x86_64\" or \"arm64\"",
                self.architecture
            ));
        }
        if !["auto", "EC2", "FARGATE"].contains(&self.platform.as_str()) {
            return Err(format!(
                "`platform = \"{}\"`: write \"auto\", \"EC2\" or \"FARGATE\"",
                self.platform
            ));
        }
        if !(self.vcpu > 0.0 && self.vcpu.is_finite()) {
            return Err(format!(
                "`vcpu = {}`: give a number of vCPUs above 0",
                self.vcpu
            ));
        }
        if self.memory_mib() < 4 {
            return Err(format!(
                "`memory = {}`: memory is in GB (Batch's least is 4 MiB, 0.004 GB)",
                self.memory
            ));
        }
        if !(1..=10).contains(&self.retry_attempts) {
            return Err(format!(
                "`retry_attempts = {}`: Batch makes 1 to 10 attempts",
                self.retry_attempts
            ));
        }
        if self.time_limit != 0 && self.time_limit < MIN_ATTEMPT_SECS {
            return Err(format!(
                "`time_limit = {}`: Batch's shortest attempt is {MIN_ATTEMPT_SECS} s (0: no limit)",
                self.time_limit
            ));
        }
        if !(self.poll_freq > 0.0 && self.poll_freq.is_finite()) {
            return Err(format!(
                "`poll_freq = {}`: set a number of seconds above 0",
                self.poll_freq
            ));
        }
        if !(1..=10_000).contains(&self.array_size) {
            return Err(format!(
                "`array_size = {}`: an array job holds 1 to 10000 tasks",
                self.array_size
            ));
        }
        if !(1..=7 * 24 * 3600).contains(&self.presign_ttl) {
            return Err(format!(
                "`presign_ttl = {}`: a presigned URL lives 1 s to 7 days (604800 s)",
                self.presign_ttl
            ));
        }
        if let (Some(name), Some(arn)) = (&self.batch_job_role_name, &self.job_role_arn) {
            return Err(format!(
                "both `batch_job_role_name = \"{name}\"` and `job_role_arn = \"{arn}\"` are set: keep one"
            ));
        }
        if self.platform == "FARGATE" && self.num_gpus > 0 {
            return Err("`num_gpus`: Fargate has no GPUs; use an EC2 queue".to_owned());
        }
        Ok(())
    }
}

impl Default for AwsBatchExecutor {
    fn default() -> Self {
        AwsBatchExecutor::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covalents_table_parses_as_it_is() {
        // ../shared/reference/003, "Overview of Configuration".
        let e: AwsBatchExecutor = toml::from_str(
            r#"
credentials = "~/.aws/credentials"
profile = "default"
region = "us-east-1"
s3_bucket_name = "covalent-batch-job-resources"
batch_queue = "covalent-batch-queue"
batch_job_definition_name = "covalent-batch-jobs"
batch_execution_role_name = "ecsTaskExecutionRole"
batch_job_role_name = "CovalentBatchJobRole"
batch_job_log_group_name = "covalent-batch-job-logs"
vcpu = 2
memory = 3.75
num_gpus = 0
retry_attempts = 3
time_limit = 300
poll_freq = 10
cache_dir = "/tmp/covalent"
"#,
        )
        .unwrap();
        assert_eq!(e.memory_mib(), 3840);
        assert_eq!(
            e.batch_job_role_name.as_deref(),
            Some("CovalentBatchJobRole")
        );
        assert!(e.check_config().is_ok());
        assert!(e.code.is_none(), "a table is not a value given in code");
    }

    #[test]
    fn the_builder_records_what_code_set() {
        let e = AwsBatchExecutor::new().vcpu(8.0).memory_gb(30.0);
        let code = e.code.as_ref().unwrap();
        assert_eq!(code.get("vcpu"), Some(&toml::Value::Float(8.0)));
        assert_eq!(code.get("memory"), Some(&toml::Value::Float(30.0)));
        assert_eq!(code.len(), 2);
        assert_eq!(e.batch_queue, "covalent-batch-queue");
    }

    #[test]
    fn bad_settings_name_the_key() {
        for (text, key) in [
            ("platform = \"ECS\"", "`platform"),
            ("time_limit = 10", "`time_limit"),
            ("retry_attempts = 0", "`retry_attempts"),
            ("memory = 0.001", "`memory"),
            ("array_size = 20000", "`array_size"),
            ("presign_ttl = 0", "`presign_ttl"),
            ("architecture = \"sparc\"", "`architecture"),
            (
                "batch_job_role_name = \"a\"\njob_role_arn = \"arn:aws:iam::1:role/b\"",
                "keep one",
            ),
        ] {
            let e: AwsBatchExecutor = toml::from_str(text).unwrap();
            let err = e.check_config().unwrap_err();
            assert!(err.contains(key), "{text}: {err}");
        }
    }
}

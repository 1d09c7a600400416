//! The `awsbatch` executor: electrons as AWS Batch jobs. Ready tasks of one shape go out as
//! one array job; every job runs a stock image (`sh` and `curl` are all it needs) whose fixed
//! bootstrap fetches this very program from S3 and runs it in runner mode on its task's spec.
//! Its files may use `aws/` (the SDK configuration, credentials, S3), `ship/` and orbital-core.
//!
//! Covalent pickles each task to S3, registers a job definition per task, submits one job per
//! task, polls each every 10 s and needs an image with a matching Python. orbital instead:
//!
//! - puts the program in the bucket **once per build** (`orbital/bin/<build id>-<arch>`,
//!   content-addressed: an unchanged build uploads nothing) and registers **one job definition
//!   per build, image and platform** (`<batch_job_definition_name>-<hash>`), reused;
//! - submits ready tasks of one shape as **one array job** (up to `array_size`): their specs are
//!   one S3 object, and a manifest maps `AWS_BATCH_JOB_ARRAY_INDEX` to each child's byte range
//!   and the presigned URL its outcome goes to; resources, timeout and tags are overrides;
//! - polls with **one `DescribeJobs` per 100 jobs**;
//! - lets Batch retry **only the infrastructure's failures** (`evaluateOnExit`: a host lost, a
//!   failed download, an image not pulled); a task's own error comes back as its outcome and
//!   follows the electron's `retries`;
//! - reads CloudWatch Logs **only when a job left no outcome** (out of memory, a timeout, a
//!   host lost, a failed bootstrap) and quotes its end in the node's error.
//!
//! ```toml
//! [executors.awsbatch]
//! batch_queue = "covalent-batch-queue"            # the job queue (the default)
//! s3_bucket_name = "covalent-batch-job-resources" # the program, specs and outcomes (the default)
//! region = "us-east-1"
//! profile = "default"                             # credentials: the normal AWS chain when unset
//! credentials = "~/.aws/credentials"              # Covalent's key (`credentials_file` also works)
//! vcpu = 2                                        # per task (the default)
//! memory = 3.75                                   # GB per task (the default: 3840 MiB)
//! num_gpus = 0
//! retry_attempts = 3                              # Batch's attempts, for the infrastructure's failures
//! time_limit = 300                                # attemptDurationSeconds (>= 60; 0: none)
//! poll_freq = 10                                  # seconds between polls
//! # batch_job_role_name = "CovalentBatchJobRole"  # the role the tasks run as (or job_role_arn)
//! # batch_execution_role_name = "ecsTaskExecutionRole"  # Fargate only
//! # batch_job_log_group_name = "covalent-batch-job-logs" # default: Batch's /aws/batch/job
//! # container_image_uri = "public.ecr.aws/amazonlinux/amazonlinux:2023"
//! # platform = "auto"                             # or "EC2", "FARGATE" (auto: from the queue)
//! # architecture = "x86_64"                       # or "arm64"
//! # array_size = 1000                             # tasks per array job at most
//! # presign_ttl = 43200                           # seconds the URLs of a submission live
//! # cleanup = false                               # remove the dispatch's objects at its end
//! ```
//!
//! In code, a value takes the settings it is not given from that table:
//!
//! ```
//! use orbital_executors::AwsBatchExecutor;
//! let gpu = AwsBatchExecutor::new().vcpu(8.0).memory_gb(60.0).num_gpus(1);
//! assert_eq!(gpu.memory_mib(), 61440);
//! ```

mod bootstrap;
mod clients;
mod collect;
mod config;
mod configured;
mod definition;
mod executor;
mod handle;
mod poll;
mod prepare;
mod program;
mod resources;
mod state;
mod submit;

pub use config::{AwsBatchExecutor, DEFAULT_IMAGE};

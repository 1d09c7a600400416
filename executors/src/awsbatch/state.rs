//! What an awsbatch executor keeps between calls: its AWS clients, what setup found (the queue,
//! the platform, the program in S3, the job definition), and what the polls saw of each job.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::OnceCell;

use crate::aws::s3io::S3Ref;

/// What the executor keeps between calls (its clones share it).
#[derive(Default)]
pub(crate) struct BatchState {
    pub(super) clients: OnceCell<Clients>,
    pub(super) prepared: OnceCell<Prepared>,
    /// What the last polls saw, by element id (`<job id>` or `<job id>:<index>`).
    pub(super) seen: Mutex<HashMap<String, Seen>>,
    /// Elements submitted again (their presigned URLs had expired): the first element id to
    /// the current one, and how many times.
    pub(super) moved: Mutex<HashMap<String, (String, u32)>>,
    /// The submissions, by their S3 prefix: what a resubmission needs.
    pub(super) submissions: Mutex<HashMap<String, Submission>>,
}

impl std::fmt::Debug for BatchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchState").finish_non_exhaustive()
    }
}

/// The AWS clients, made once per executor.
#[derive(Clone)]
pub(super) struct Clients {
    pub(super) batch: aws_sdk_batch::Client,
    pub(super) s3: aws_sdk_s3::Client,
    pub(super) logs: aws_sdk_cloudwatchlogs::Client,
    pub(super) iam: aws_sdk_iam::Client,
    /// Who the credentials are, as STS said (`None` when the endpoint has no STS).
    pub(super) caller_arn: Option<String>,
}

/// What setup found and made: once per executor.
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    /// The job queue's ARN.
    pub(super) queue_arn: String,
    /// The program in S3 (content-addressed by its build identity).
    pub(super) program: S3Ref,
    /// The build identity every spec carries.
    pub(super) build_id: String,
    /// The job definition (`name:revision`).
    pub(super) definition: String,
}

/// A job element as a poll saw it.
#[derive(Debug, Clone, Default)]
pub(super) struct Seen {
    pub(super) status: String,
    pub(super) status_reason: Option<String>,
    pub(super) exit_code: Option<i32>,
    pub(super) reason: Option<String>,
    pub(super) log_stream: Option<String>,
    /// The job's own `statusReason` (a TerminateJob's reason, say).
    pub(super) job_reason: Option<String>,
    pub(super) attempts: usize,
}

/// One submission (an array job or a single job), for its resubmission.
#[derive(Debug, Clone)]
pub(super) struct Submission {
    /// `orbital/<dispatch>/<batch>`.
    pub(super) prefix: String,
    /// The specs object and each element's byte range in it.
    pub(super) specs: S3Ref,
    pub(super) ranges: Vec<(u64, u64)>,
    /// The SubmitJob settings that do not change (name, resources, timeout, tags).
    pub(super) shape: Shape,
    /// Submissions made of it so far (names the next manifest).
    pub(super) resubmits: u32,
}

/// The per-job settings of a submission.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Shape {
    pub(super) job_name: String,
    pub(super) vcpu: f64,
    pub(super) memory_mib: u64,
    pub(super) gpus: u32,
    /// `attemptDurationSeconds` (None: no timeout).
    pub(super) timeout: Option<u64>,
    pub(super) dispatch_id: String,
}

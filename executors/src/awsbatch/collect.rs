//! Collecting a task: its outcome from S3 (the stdout and stderr are in it), or, when the job
//! left none, an error that says why from what Batch said (a timeout, out of memory, a host
//! lost, the bootstrap's own failures, the runner's exit codes) and quotes the end of the
//! job's CloudWatch log: the one case where the log is read.

use std::time::SystemTime;

use orbital_core::{protocol, runner, JobHandle, TaskError, TaskErrorKind, TaskOutcome};

use super::bootstrap::{EXIT_EXPIRED, EXIT_NO_LINE, EXIT_TRANSFER};
use super::config::AwsBatchExecutor;
use super::handle::Handle;
use super::state::{Clients, Seen};
use crate::aws::said::said;

/// The reason orbital gives Batch when it cancels a job.
pub(super) const CANCEL_REASON: &str = "cancelled by orbital";

/// Batch's own log group, when `batch_job_log_group_name` is not set.
const BATCH_LOG_GROUP: &str = "/aws/batch/job";

impl AwsBatchExecutor {
    /// The outcome of an ended job.
    pub(super) async fn collect_job(&self, job: &JobHandle) -> Result<TaskOutcome, String> {
        let h = Handle::parse(job)?;
        let (id, moves) = self.current(&h.element);
        let seen = self
            .state
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        let clients = self.clients().await?;
        let key = h.outcome_key();
        let got = clients
            .s3
            .get_object()
            .bucket(&self.s3_bucket_name)
            .key(&key)
            .send()
            .await;
        match got {
            Ok(o) => {
                let bytes = o
                    .body
                    .collect()
                    .await
                    .map_err(|e| format!("cannot read s3://{}/{key}: {e}", self.s3_bucket_name))?
                    .into_bytes();
                let mut out = protocol::read_outcome(&mut bytes.as_ref()).map_err(|e| {
                    format!(
                        "AWS Batch job {id}: its outcome (s3://{}/{key}) could not be read: {e}",
                        self.s3_bucket_name
                    )
                })?;
                out.exit_code = seen.as_ref().and_then(|s| s.exit_code).or(Some(0));
                Ok(out)
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                let log = match &seen {
                    Some(s) => self.log(&clients, s).await,
                    None => None,
                };
                let tail = log
                    .as_ref()
                    .map(|(where_, text)| tail_of(where_, text))
                    .unwrap_or_default();
                let error = self.why(&id, seen.as_ref(), moves, &tail);
                let mut o = TaskOutcome::new(Err(error), SystemTime::now());
                o.exit_code = seen.and_then(|s| s.exit_code);
                // What the job printed (the bootstrap's words, then what the task had printed).
                o.stderr = log.map(|(_, text)| text);
                Ok(o)
            }
            Err(e) => Err(format!(
                "cannot read the outcome s3://{}/{key}: {}",
                self.s3_bucket_name,
                said(&e)
            )),
        }
    }

    /// Why a job left no outcome, as the node's error.
    fn why(&self, id: &str, seen: Option<&Seen>, moves: u32, tail: &str) -> TaskError {
        let Some(s) = seen else {
            return TaskError::executor(format!(
                "AWS Batch no longer knows job {id} (Batch keeps ended jobs for about 7 days), and it left no outcome"
            ));
        };
        let said = s
            .status_reason
            .as_deref()
            .map(|r| format!("; Batch said: {r}"))
            .unwrap_or_default();
        let subject = format!("AWS Batch job {id}");
        let status_reason = s.status_reason.as_deref().unwrap_or("");
        let reason = s.reason.as_deref().unwrap_or("");
        let job_reason = s.job_reason.as_deref().unwrap_or("");
        let (kind, text) = if job_reason == CANCEL_REASON || status_reason == CANCEL_REASON {
            (
                TaskErrorKind::Cancelled,
                format!("{subject} was terminated: {CANCEL_REASON}"),
            )
        } else if status_reason.starts_with("Job attempt duration exceeded timeout") {
            (
                TaskErrorKind::TimedOut,
                format!(
                    "{subject} ran past its attemptDurationSeconds (the electron's `time_limit`, else the \
                     executor's `time_limit = {}`) and Batch stopped it",
                    self.time_limit
                ),
            )
        } else if reason.starts_with("OutOfMemoryError") {
            (
                TaskErrorKind::Failed,
                format!(
                    "{subject} ran out of memory ({reason}): it had `memory = {}` GB ({} MiB); raise `memory`",
                    self.memory,
                    self.memory_mib()
                ),
            )
        } else if status_reason.starts_with("Host EC2") {
            (
                TaskErrorKind::Executor,
                format!(
                    "{subject} lost its host in each of its {} attempts (`retry_attempts = {}`)",
                    s.attempts, self.retry_attempts
                ),
            )
        } else if s.exit_code == Some(EXIT_TRANSFER) {
            (
                TaskErrorKind::Executor,
                format!(
                    "{subject}: the bootstrap could not download the program or the spec, or upload the outcome, in \
                     {} attempts (can the jobs reach S3? a Fargate job needs a public IP or a VPC endpoint)",
                    s.attempts
                ),
            )
        } else if s.exit_code == Some(EXIT_EXPIRED) {
            (
                TaskErrorKind::Executor,
                format!(
                    "{subject}: its presigned URLs had expired when it started ({} submissions); raise `presign_ttl` \
                     (now {} s) above the time jobs wait in the queue",
                    moves + 1,
                    self.presign_ttl
                ),
            )
        } else if s.exit_code == Some(EXIT_NO_LINE) {
            (
                TaskErrorKind::Executor,
                format!("{subject}: the manifest had no line for its index"),
            )
        } else if let Some(code) = s.exit_code.filter(|c| *c != 0) {
            let e = if code > 128 && code < 128 + 65 {
                runner::exit_error(None, Some(code - 128), "", &subject)
            } else {
                runner::exit_error(Some(code), None, "", &subject)
            };
            (e.kind, e.message)
        } else if s.status == "SUCCEEDED" {
            (
                TaskErrorKind::Executor,
                format!("{subject} SUCCEEDED but left no outcome"),
            )
        } else {
            (
                TaskErrorKind::Failed,
                format!("{subject} ended {}", s.status),
            )
        };
        TaskError::new(kind, format!("{text}{said}{tail}"))
    }

    /// The job's log (`GROUP STREAM`, and its text, at most `capture_limit` bytes from its end),
    /// when it has one.
    async fn log(&self, clients: &Clients, s: &Seen) -> Option<(String, String)> {
        let stream = s.log_stream.as_ref()?;
        let group = self
            .batch_job_log_group_name
            .as_deref()
            .unwrap_or(BATCH_LOG_GROUP);
        let got = clients
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(false)
            .limit(10_000)
            .send()
            .await;
        match got {
            Ok(o) => {
                let lines: Vec<&str> = o.events().iter().filter_map(|e| e.message()).collect();
                let text = lines.join("\n");
                let limit = usize::try_from(self.capture_limit).unwrap_or(usize::MAX);
                let text = end_of(text.trim_end(), limit);
                (!text.trim().is_empty()).then(|| (format!("{group} {stream}"), text.to_owned()))
            }
            Err(e) => {
                tracing::debug!(error = %said(&e), "cannot read the job's log");
                None
            }
        }
    }
}

/// At most the last `n` bytes of `text`, from a character's start.
fn end_of(text: &str, n: usize) -> &str {
    let start = text.len().saturating_sub(n);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    &text[start..]
}

/// `; the end of its log (WHERE): ...` (its last 2000 bytes).
fn tail_of(where_: &str, text: &str) -> String {
    format!(
        "; the end of its log ({where_}): {}",
        end_of(text.trim(), 2000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_start_at_a_character() {
        assert_eq!(end_of("héllo", 4), "llo");
        assert_eq!(end_of("abc", 10), "abc");
        assert!(tail_of("g s", "x").ends_with("(g s): x"));
    }
}

//! Polling: one `DescribeJobs` per 100 of the executor's jobs, Batch's states read as the
//! dispatcher's, and what was seen kept for the collect. A job whose presigned URLs expired
//! before it started (the bootstrap's exit 91) is submitted again with fresh ones, at most
//! [`MAX_RESUBMITS`] times, and stays pending meanwhile: it is not counted against `retries`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_batch::types::JobDetail;
use orbital_core::{JobHandle, JobState};

use super::bootstrap::EXIT_EXPIRED;
use super::config::AwsBatchExecutor;
use super::handle::Handle;
use super::state::Seen;
use crate::aws::said::said;

/// Times a task is submitted again because its URLs expired.
pub(super) const MAX_RESUBMITS: u32 = 3;

/// Batch's most job ids per `DescribeJobs`.
const DESCRIBE_MAX: usize = 100;

impl AwsBatchExecutor {
    /// The element a handle's task is now (after resubmissions), and how many there were.
    pub(super) fn current(&self, element: &str) -> (String, u32) {
        self.state
            .moved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(element)
            .cloned()
            .unwrap_or_else(|| (element.to_owned(), 0))
    }

    /// The states of `jobs`.
    pub(super) async fn poll_jobs(&self, jobs: &[JobHandle]) -> Result<Vec<JobState>, String> {
        let clients = self.clients().await?;
        let handles = jobs
            .iter()
            .map(Handle::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let now: Vec<(String, u32)> = handles.iter().map(|h| self.current(&h.element)).collect();
        let mut ids: Vec<&str> = now.iter().map(|(id, _)| id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut seen: HashMap<String, Seen> = HashMap::new();
        for chunk in ids.chunks(DESCRIBE_MAX) {
            let got = clients
                .batch
                .describe_jobs()
                .set_jobs(Some(chunk.iter().map(|s| (*s).to_owned()).collect()))
                .send()
                .await
                .map_err(|e| format!("DescribeJobs failed: {}", said(&e)))?;
            for j in got.jobs() {
                if let Some(id) = j.job_id() {
                    seen.insert(id.to_owned(), seen_of(j));
                }
            }
        }
        let mut expired: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut states = Vec::with_capacity(jobs.len());
        for (k, (h, (id, moves))) in handles.iter().zip(&now).enumerate() {
            let state = match seen.get(id) {
                None => JobState::Done,
                Some(s)
                    if s.status == "FAILED"
                        && s.exit_code == Some(EXIT_EXPIRED)
                        && *moves < MAX_RESUBMITS =>
                {
                    expired.entry(h.prefix.clone()).or_default().push(k);
                    JobState::Pending
                }
                Some(s) => match s.status.as_str() {
                    "RUNNING" => JobState::Running,
                    "SUCCEEDED" | "FAILED" => JobState::Done,
                    _ => JobState::Pending,
                },
            };
            states.push(state);
        }
        self.state
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(seen);
        for (prefix, ks) in expired {
            let picked: Vec<&Handle> = ks.iter().map(|&k| &handles[k]).collect();
            self.resubmit(&clients, &prefix, &picked).await?;
        }
        Ok(states)
    }

    /// Submits the tasks of `handles` (of the submission at `prefix`) again, with fresh URLs.
    async fn resubmit(
        &self,
        clients: &super::state::Clients,
        prefix: &str,
        handles: &[&Handle],
    ) -> Result<(), String> {
        let prep = self.prepare().await?;
        let Some(mut sub) = self
            .state
            .submissions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(prefix)
            .cloned()
        else {
            return Err(format!("no submission is known under {prefix}"));
        };
        let which: Vec<usize> = handles.iter().map(|h| h.index).collect();
        let id = self.send(clients, &prep, &mut sub, &which).await?;
        tracing::warn!(job = %id, tasks = which.len(), "presigned URLs expired before the jobs started; submitted them again");
        let resubmits = sub.resubmits;
        self.state
            .submissions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(prefix.to_owned(), sub);
        let mut moved = self.state.moved.lock().unwrap_or_else(|p| p.into_inner());
        for (pos, h) in handles.iter().enumerate() {
            let element = if handles.len() == 1 {
                id.clone()
            } else {
                format!("{id}:{pos}")
            };
            let count = moved.get(&h.element).map_or(0, |(_, c)| *c) + 1;
            moved.insert(h.element.clone(), (element, count));
        }
        tracing::debug!(resubmits, "resubmission recorded");
        Ok(())
    }
}

/// What a job's description says.
fn seen_of(j: &JobDetail) -> Seen {
    let last = j.attempts().last();
    let container = j.container();
    let last_container = last.and_then(|a| a.container());
    Seen {
        status: j
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        status_reason: last
            .and_then(|a| a.status_reason())
            .or(j.status_reason())
            .map(str::to_owned),
        exit_code: container
            .and_then(|c| c.exit_code())
            .or(last_container.and_then(|c| c.exit_code())),
        reason: container
            .and_then(|c| c.reason())
            .or(last_container.and_then(|c| c.reason()))
            .map(str::to_owned),
        log_stream: container
            .and_then(|c| c.log_stream_name())
            .or(last_container.and_then(|c| c.log_stream_name()))
            .map(str::to_owned),
        job_reason: j.status_reason().map(str::to_owned),
        attempts: j.attempts().len(),
    }
}

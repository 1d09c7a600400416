//! Polling: one `squeue` for every job of the executor in flight, what the states mean for the
//! tasks (a controller that does not answer for a while, jobs gone from the queue), and the
//! files of the jobs that ended read ahead in one round trip.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use orbital_core::{JobHandle, JobState};

use super::config::SlurmExecutor;
use super::handle::Handle;
use super::queue::{self, JobInfo};
use super::state::{Finished, Snapshot};
use crate::ship::shell::quote;

/// How long `squeue` may fail because the controller is unreachable (restarting, say) before
/// polling reports an error.
const CONTROLLER_GRACE: Duration = Duration::from_secs(180);
/// How many polls in a row a job may be missing from `squeue` before it counts as ended.
const MISSING_POLLS: u32 = 2;
impl SlurmExecutor {
    /// The state of each job, from one `squeue` (or the last one, while it is fresh); what
    /// the jobs that ended left is read ahead.
    pub(super) async fn poll_jobs(&self, jobs: &[JobHandle]) -> Result<Vec<JobState>, String> {
        let handles: Vec<Handle<'_>> = jobs.iter().map(Handle::parse).collect();
        let mut guard = self.state.queue.lock().await;
        let snap = &mut *guard;
        let fresh = snap.at.is_some_and(|at| {
            at.elapsed() < Duration::from_secs_f64(self.poll_freq / 2.0)
                && handles.iter().all(|h| snap.jobs.contains_key(h.element))
        });
        if !fresh {
            self.refresh(snap, &handles).await?;
        }
        let mut states = Vec::with_capacity(handles.len());
        let mut ended = Vec::new();
        for h in &handles {
            let state = match snap.jobs.get(h.element) {
                Some(info) => {
                    let phase = queue::phase(&info.state);
                    if phase == JobState::Pending
                        && queue::blocked_reason(&info.reason)
                        && snap.warned_blocked.insert(h.element.to_owned())
                    {
                        tracing::warn!(
                            job = h.element,
                            reason = %info.reason,
                            "a Slurm job waits for a node that is not available (drained or down?)"
                        );
                    }
                    phase
                }
                None if snap.unreachable_since.is_some() => JobState::Pending,
                None => {
                    let n = snap.missing.entry(h.element.to_owned()).or_default();
                    *n += 1;
                    if *n >= MISSING_POLLS {
                        JobState::Done
                    } else {
                        JobState::Pending
                    }
                }
            };
            if state == JobState::Done {
                ended.push((h, snap.jobs.get(h.element).cloned()));
            }
            states.push(state);
        }
        drop(guard);
        let ended: Vec<_> = {
            let have = self
                .state
                .finished
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            ended
                .into_iter()
                .filter(|(h, _)| !have.contains_key(h.element))
                .collect()
        };
        if !ended.is_empty() {
            self.read_ahead(ended).await;
        }
        Ok(states)
    }

    /// One `squeue` for the given jobs and every other job of this executor in flight.
    async fn refresh(&self, snap: &mut Snapshot, handles: &[Handle<'_>]) -> Result<(), String> {
        let mut ids: Vec<String> = self
            .state
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        for h in handles {
            if !ids.iter().any(|i| i == h.base()) {
                ids.push(h.base().to_owned());
            }
        }
        let cmd = format!(
            "{}squeue -h -r -t all -j {} -O {}",
            self.path_prefix(),
            ids.join(","),
            quote(queue::SQUEUE_FORMAT)
        );
        let t = self.transport();
        let out = t.sh(&cmd, None).await;
        let parsed = match out {
            Ok(o) if o.ok() => Ok(queue::parse(&o.stdout_text())),
            Ok(o) if queue::no_such_jobs(&o.stderr) => Ok(HashMap::new()),
            Ok(o) if queue::controller_unreachable(&o.stderr) => Err((true, o.stderr)),
            Ok(o) => Err((false, format!("squeue failed: {}", o.stderr))),
            Err(e) => Err((true, e)),
        };
        match parsed {
            Ok(jobs) => {
                if snap.unreachable_since.take().is_some() {
                    tracing::info!("the Slurm controller answers again");
                }
                for h in handles {
                    if jobs.contains_key(h.element) {
                        snap.missing.remove(h.element);
                    }
                }
                snap.jobs = jobs;
                snap.at = Some(Instant::now());
                Ok(())
            }
            Err((true, said)) => {
                let since = *snap.unreachable_since.get_or_insert_with(Instant::now);
                if since.elapsed() > CONTROLLER_GRACE {
                    return Err(format!(
                        "the Slurm controller has not answered for {} s ({said}); is slurmctld running?",
                        since.elapsed().as_secs()
                    ));
                }
                tracing::warn!(error = %said, "the Slurm controller does not answer; still waiting for it");
                Ok(())
            }
            Err((false, said)) => Err(said),
        }
    }

    /// Reads what jobs that ended left (outcome, log, captures), all in one round trip.
    async fn read_ahead(&self, ended: Vec<(&Handle<'_>, Option<JobInfo>)>) {
        let files: Vec<(String, Option<u64>)> = ended
            .iter()
            .flat_map(|(h, _)| h.files(self.capture_limit))
            .collect();
        let mut got = match self.transport().read_files(&files).await {
            Ok(g) => g.into_iter(),
            Err(e) => {
                tracing::warn!(error = %e, "reading the files of ended jobs failed; collect tries again");
                return;
            }
        };
        let mut finished = self
            .state
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for (h, info) in ended {
            let fin = Finished::from_files(info, &mut got);
            finished.insert(h.element.to_owned(), fin);
        }
    }
}

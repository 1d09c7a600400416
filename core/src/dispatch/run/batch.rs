//! The batch driver: one batch of tasks submitted to an executor that takes batches, polled in
//! one call per round until each job is done or over its time limit.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::outcome::timed_out;
use super::state::Event;
use crate::executor::{ExecutorRef, JobHandle, JobState};
use crate::task::{Task, TaskError, TaskOutcome};

/// One submitted task of a batch, until its outcome is sent.
struct BatchJob {
    node: u32,
    attempt: u32,
    limit: Option<Duration>,
    job: JobHandle,
    /// When a poll first saw the job running: its time limit counts from there (time waiting
    /// in a queue is not running time).
    running_since: Option<tokio::time::Instant>,
}

/// Submits a batch, polls it (one call for all its jobs) until every job is done or over its
/// time limit (counted from when the job was first seen running), and sends each outcome to
/// the dispatcher.
pub(super) async fn drive_batch(
    exec: ExecutorRef,
    tx: mpsc::UnboundedSender<Event>,
    tasks: Vec<(u32, Task)>,
    poll_interval: Duration,
) {
    let started = SystemTime::now();
    let done = |node: u32, attempt: u32, result: Result<Bytes, TaskError>| {
        let _ = tx.send(Event::Done {
            node,
            attempt,
            outcome: TaskOutcome::new(result, started),
        });
    };
    let ids: Vec<(u32, u32, Option<Duration>)> = tasks
        .iter()
        .map(|(n, t)| (*n, t.spec.attempt, t.spec.time_limit))
        .collect();
    let jobs = match exec
        .submit(tasks.into_iter().map(|(_, t)| t).collect())
        .await
    {
        Ok(jobs) if jobs.len() == ids.len() => jobs,
        other => {
            let e = match other {
                Ok(jobs) => TaskError::executor(format!(
                    "submitted {} tasks but the executor returned {} job handles",
                    ids.len(),
                    jobs.len()
                )),
                Err(e) => TaskError::executor(e.to_string()),
            };
            for (node, attempt, _) in ids {
                done(node, attempt, Err(e.clone()));
            }
            return;
        }
    };
    let _ = tx.send(Event::Submitted {
        nodes: ids.iter().map(|(n, a, _)| (*n, *a)).collect(),
        jobs: jobs.clone(),
    });
    let mut pending: Vec<BatchJob> = ids
        .into_iter()
        .zip(jobs)
        .map(|((node, attempt, limit), job)| BatchJob {
            node,
            attempt,
            limit,
            job,
            running_since: None,
        })
        .collect();
    let mut poll_errors = 0;
    while !pending.is_empty() {
        tokio::time::sleep(poll_interval).await;
        if tx.is_closed() {
            return;
        }
        let handles: Vec<JobHandle> = pending.iter().map(|p| p.job.clone()).collect();
        let states = match exec.poll(&handles).await {
            Ok(s) if s.len() == handles.len() => {
                poll_errors = 0;
                s
            }
            other => {
                poll_errors += 1;
                tracing::warn!(attempt = poll_errors, error = ?other.err(), "polling a batch failed");
                if poll_errors >= 5 {
                    let e = TaskError::executor("polling the executor failed 5 times in a row");
                    for p in pending.drain(..) {
                        done(p.node, p.attempt, Err(e.clone()));
                    }
                }
                continue;
            }
        };
        let mut still = Vec::with_capacity(pending.len());
        for (mut p, state) in pending.into_iter().zip(states) {
            if state == JobState::Running && p.running_since.is_none() {
                p.running_since = Some(tokio::time::Instant::now());
            }
            if state == JobState::Done {
                let outcome = match exec.collect(&p.job).await {
                    Ok(o) => o,
                    Err(e) => TaskOutcome::new(Err(TaskError::executor(e.to_string())), started),
                };
                let _ = tx.send(Event::Done {
                    node: p.node,
                    attempt: p.attempt,
                    outcome,
                });
            } else if let Some(limit) = p
                .limit
                .filter(|l| p.running_since.is_some_and(|t| t.elapsed() > *l))
            {
                if let Err(e) = exec.cancel(&p.job).await {
                    tracing::warn!(error = %e, "could not cancel a job over its time limit");
                }
                done(p.node, p.attempt, Err(timed_out(limit)));
            } else {
                still.push(p);
            }
        }
        pending = still;
    }
}

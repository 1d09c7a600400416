//! Collecting a task: what its job left (read ahead by the poll, or read now), made into the
//! node's outcome: the runner's own, or an error that names the job's Slurm state and id.

use std::time::SystemTime;

use orbital_core::{protocol, runner, JobHandle, TaskError, TaskErrorKind, TaskOutcome};

use super::config::SlurmExecutor;
use super::handle::Handle;
use super::queue::JobInfo;
use super::state::Finished;

impl SlurmExecutor {
    /// The outcome of an ended job, from what the poll read ahead or from its files now.
    pub(super) async fn collect_job(&self, job: &JobHandle) -> Result<TaskOutcome, String> {
        let h = Handle::parse(job);
        let taken = self
            .state
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(h.element);
        let fin = match taken {
            Some(f) => f,
            None => {
                let got = self
                    .transport()
                    .read_files(&h.files(self.capture_limit))
                    .await?;
                let info = self.state.queue.lock().await.jobs.get(h.element).cloned();
                Finished::from_files(info, &mut got.into_iter())
            }
        };
        {
            let mut active = self.state.active.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = active.get_mut(h.base()) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    active.remove(h.base());
                }
            }
        }
        Ok(outcome_of(&h, fin, &self.prerun_commands))
    }
}

/// The node's outcome from what the job left: the runner's outcome when it wrote one,
/// otherwise an error that names the job's Slurm state and id.
fn outcome_of(h: &Handle<'_>, fin: Finished, prerun: &[String]) -> TaskOutcome {
    let now = SystemTime::now();
    let log = fin
        .log
        .as_deref()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .filter(|l| !l.trim().is_empty());
    if let Some(bytes) = &fin.outcome {
        match protocol::read_outcome(&mut bytes.as_slice()) {
            Ok(mut o) => {
                o.exit_code = fin.info.as_ref().and_then(|i| i.exit().0).or(Some(0));
                return o;
            }
            Err(e) => {
                return TaskOutcome {
                    result: Err(TaskError::executor(format!(
                        "Slurm job {}: its outcome ({}) could not be read: {e}",
                        h.element,
                        h.file("out")
                    ))),
                    stderr: log,
                    ..TaskOutcome::new(Ok(Default::default()), now)
                };
            }
        }
    }
    let id = h.element;
    let tail = log
        .as_deref()
        .map(|l| {
            let l = l.trim();
            let start = l.len().saturating_sub(2000);
            let start = (start..l.len())
                .find(|&i| l.is_char_boundary(i))
                .unwrap_or(0);
            format!("; the end of its log ({}): {}", h.file("log"), &l[start..])
        })
        .unwrap_or_default();
    let (code, signal) = match fin.info.as_ref().map_or((None, None), JobInfo::exit) {
        // srun (and the script's `exit $rc`) report a task killed by signal N as 128 + N.
        (Some(c), None) if c > 128 && c < 128 + 65 => (None, Some(c - 128)),
        other => other,
    };
    let prerun_failed = crate::ship::shell::prerun_failure(prerun, log.as_deref().unwrap_or(""));
    let error = match fin.info.as_ref().map(|i| i.state.as_str()) {
        _ if prerun_failed.is_some() => TaskError::failed(format!(
            "Slurm job {id}: {}",
            prerun_failed.unwrap_or_default()
        )),
        None => TaskError::executor(format!(
            "Slurm no longer knows job {id} (it ended more than MinJobAge ago, or the controller lost it) and \
             it left no outcome in {}{tail}",
            h.file("out")
        )),
        Some("TIMEOUT") => TaskError::new(
            TaskErrorKind::TimedOut,
            format!("Slurm job {id} ended TIMEOUT: it ran past its --time limit{tail}"),
        ),
        Some("CANCELLED") => TaskError::new(
            TaskErrorKind::Cancelled,
            format!("Slurm job {id} was CANCELLED (by scancel or an administrator){tail}"),
        ),
        Some("OUT_OF_MEMORY") => TaskError::failed(format!(
            "Slurm job {id} ended OUT_OF_MEMORY: ask for more memory with `options.mem` (e.g. mem = \"8G\"){tail}"
        )),
        Some("NODE_FAIL") => TaskError::executor(format!(
            "Slurm job {id} ended NODE_FAIL: its node failed (`retries` on the electron runs it again){tail}"
        )),
        Some("COMPLETED") => TaskError::executor(format!(
            "Slurm job {id} COMPLETED but its task wrote no outcome ({}): does `srun_append` or a pre-run \
             command stop the task command from running?{tail}",
            h.file("out")
        )),
        Some("FAILED") => {
            let mut e = runner::exit_error(code, signal, "", &format!("Slurm job {id} (FAILED)"));
            e.message.push_str(&tail);
            e
        }
        Some(other) => TaskError::executor(format!(
            "Slurm job {id} ended {other} ({}){tail}",
            fin.info.as_ref().map_or("", |i| i.reason.as_str())
        )),
    };
    let text = |b: &Option<Vec<u8>>| {
        b.as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let stderr = match (text(&fin.stderr), log) {
        (Some(e), Some(l)) => Some(format!("{e}\n[orbital: the Slurm job's log]\n{l}")),
        (e, l) => e.or(l),
    };
    TaskOutcome {
        result: Err(error),
        stdout: text(&fin.stdout),
        stderr,
        exit_code: code,
        signal,
        ..TaskOutcome::new(Ok(Default::default()), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_without_an_outcome_become_errors_naming_the_job() {
        let job = JobHandle("1234_7 /w/d/b".into());
        let fin = |state: &str, status: i32| Finished {
            info: Some(JobInfo {
                state: state.into(),
                exit_status: Some(status),
                reason: "x".into(),
            }),
            outcome: None,
            log: Some(b"srun: error: boom\n".to_vec()),
            stdout: None,
            stderr: None,
        };
        let msg = |o: TaskOutcome| o.result.unwrap_err();
        let e = msg(outcome_of(&Handle::parse(&job), fin("FAILED", 3 << 8), &[]));
        assert!(
            e.message.contains("Slurm job 1234_7 (FAILED)") && e.message.contains("exit code 3"),
            "{e}"
        );
        assert!(e.message.contains("srun: error: boom"), "{e}");
        let e = msg(outcome_of(&Handle::parse(&job), fin("TIMEOUT", 0), &[]));
        assert_eq!(e.kind, TaskErrorKind::TimedOut);
        assert!(e.message.contains("TIMEOUT") && e.message.contains("1234_7"));
        let e = msg(outcome_of(
            &Handle::parse(&job),
            fin("FAILED", 137 << 8),
            &[],
        ));
        assert!(
            e.message.contains("signal 9 (SIGKILL)") && e.message.contains("1234_7"),
            "{e}"
        );
        for state in [
            "CANCELLED",
            "OUT_OF_MEMORY",
            "NODE_FAIL",
            "COMPLETED",
            "BOOT_FAIL",
        ] {
            let e = msg(outcome_of(&Handle::parse(&job), fin(state, 0), &[]));
            assert!(
                e.message.contains(state) && e.message.contains("1234_7"),
                "{e}"
            );
        }
    }
}

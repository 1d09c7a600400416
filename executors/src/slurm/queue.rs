//! Reading Slurm's queue: one `squeue` call for every job of the executor, and what its states
//! mean for a task.

use std::collections::HashMap;

use orbital_core::JobState;

/// The `squeue` output format: element id, state, raw exit status, reason, `|`-separated.
pub(crate) const SQUEUE_FORMAT: &str = "JobArrayID:|,State:|,exit_code:|,Reason:|";

/// One job (or array element) as `squeue` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobInfo {
    /// `COMPLETED`, `FAILED`, `PENDING`...
    pub state: String,
    /// The raw wait status (`exit code << 8 | signal`), when the job has ended.
    pub exit_status: Option<i32>,
    /// Why it is pending or how it ended (`None`, `NonZeroExitCode`, `ReqNodeNotAvail`...).
    pub reason: String,
}

impl JobInfo {
    /// The exit code and the signal in the raw status.
    pub fn exit(&self) -> (Option<i32>, Option<i32>) {
        match self.exit_status {
            None => (None, None),
            Some(s) if s & 0x7f != 0 => (None, Some(s & 0x7f)),
            Some(s) => (Some((s >> 8) & 0xff), None),
        }
    }
}

/// Parses `squeue -h -r -t all -O SQUEUE_FORMAT`: element id → info.
pub(crate) fn parse(out: &str) -> HashMap<String, JobInfo> {
    out.lines()
        .filter_map(|line| {
            let mut f = line.split('|').map(str::trim);
            let id = f.next().filter(|s| !s.is_empty())?.to_owned();
            let state = f.next()?.to_owned();
            let exit_status = f.next().and_then(|s| s.parse().ok());
            let reason = f.next().unwrap_or_default().to_owned();
            Some((
                id,
                JobInfo {
                    state,
                    exit_status,
                    reason,
                },
            ))
        })
        .collect()
}

/// What a Slurm state means for the dispatcher.
pub(crate) fn phase(state: &str) -> JobState {
    match state {
        "PENDING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED" | "RESV_DEL_HOLD" | "SUSPENDED"
        | "STOPPED" => JobState::Pending,
        // COMPLETING: the job's processes are ending; its files are complete once it is not.
        "RUNNING" | "COMPLETING" | "CONFIGURING" | "SIGNALING" | "STAGE_OUT" | "RESIZING" => {
            JobState::Running
        }
        _ => JobState::Done,
    }
}

/// Whether a `squeue` failure means the controller cannot be reached (for now), rather than
/// a wrong command.
pub(crate) fn controller_unreachable(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    [
        "unable to contact slurm controller",
        "socket timed out",
        "connection refused",
        "zero bytes were transmitted or received",
        "communication connection failure",
        "slurm_receive_msg",
    ]
    .iter()
    .any(|p| s.contains(p))
}

/// Whether a `squeue` failure only means that none of the jobs is known any more.
pub(crate) fn no_such_jobs(stderr: &str) -> bool {
    stderr.contains("Invalid job id specified")
}

/// Pending reasons that mean no node can run the job right now (it waits until one can).
pub(crate) fn blocked_reason(reason: &str) -> bool {
    [
        "ReqNodeNotAvail",
        "PartitionDown",
        "PartitionInactive",
        "NodeDown",
        "BadConstraints",
        "PartitionConfig",
        "InvalidQOS",
        "InvalidAccount",
    ]
    .iter()
    .any(|r| reason.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_lines_parse_with_their_exit_status() {
        let out =
            "404|CANCELLED|15|None|\n403_0|COMPLETED|0|None|\n403_1|FAILED|256|NonZeroExitCode|\n\
                   403_[5-9]|PENDING|N/A|Resources|\n";
        let jobs = parse(out);
        assert_eq!(jobs["403_1"].exit(), (Some(1), None));
        assert_eq!(jobs["404"].exit(), (None, Some(15)));
        assert_eq!(jobs["403_0"].exit(), (Some(0), None));
        assert_eq!(jobs["403_[5-9]"].exit(), (None, None));
        assert_eq!(phase(&jobs["403_1"].state), JobState::Done);
        assert_eq!(phase("COMPLETING"), JobState::Running);
        assert_eq!(phase("PENDING"), JobState::Pending);
        assert_eq!(phase("OUT_OF_MEMORY"), JobState::Done);
    }

    #[test]
    fn errors_are_told_apart() {
        assert!(controller_unreachable(
            "squeue: error: Unable to contact slurm controller (connect failure)"
        ));
        assert!(no_such_jobs(
            "slurm_load_jobs error: Invalid job id specified"
        ));
        assert!(blocked_reason("ReqNodeNotAvail, UnavailableNodes:vm"));
        assert!(!blocked_reason("Resources"));
    }
}

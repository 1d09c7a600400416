//! What a slurm executor keeps between calls: the prepared working directory and binary, the
//! last look at the queue, the jobs in flight, the outcomes read ahead and the cancels waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::OnceCell;

use super::queue::JobInfo;

/// What the executor keeps between calls: the prepared login node, the last look at the queue,
/// the jobs in flight and the outcomes read ahead.
#[derive(Default)]
pub(super) struct State {
    pub(super) workdir: OnceCell<String>,
    pub(super) binary: OnceCell<crate::ship::shipped::Shipped>,
    pub(super) queue: tokio::sync::Mutex<Snapshot>,
    /// Base job id → elements not yet collected.
    pub(super) active: Mutex<HashMap<String, usize>>,
    /// Element id → what it left, read when it ended.
    pub(super) finished: Mutex<HashMap<String, Finished>>,
    pub(super) cancels: Mutex<Vec<PendingCancel>>,
}

/// A cancel waiting for the next `scancel`: the element, and whom to tell how it went.
pub(super) type PendingCancel = (String, tokio::sync::oneshot::Sender<Result<(), String>>);

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

#[derive(Default)]
pub(super) struct Snapshot {
    pub(super) at: Option<Instant>,
    pub(super) jobs: HashMap<String, JobInfo>,
    pub(super) missing: HashMap<String, u32>,
    pub(super) unreachable_since: Option<Instant>,
    pub(super) warned_blocked: std::collections::HashSet<String>,
}

/// What an ended job left.
pub(super) struct Finished {
    pub(super) info: Option<JobInfo>,
    /// The runner's outcome (`out.N`).
    pub(super) outcome: Option<Vec<u8>>,
    /// Slurm's output of the element (`log.N`: srun, pre- and post-run commands).
    pub(super) log: Option<Vec<u8>>,
    /// What the electron printed, when the runner died before writing an outcome.
    pub(super) stdout: Option<Vec<u8>>,
    pub(super) stderr: Option<Vec<u8>>,
}

impl Finished {
    pub(super) fn from_files(
        info: Option<JobInfo>,
        files: &mut impl Iterator<Item = Option<Vec<u8>>>,
    ) -> Self {
        Finished {
            info,
            outcome: files.next().flatten(),
            log: files.next().flatten(),
            stdout: files.next().flatten(),
            stderr: files.next().flatten(),
        }
    }
}

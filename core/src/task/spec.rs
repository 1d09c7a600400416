//! A task as an executor sees it: what to run ([`TaskSpec`]) and what came of it ([`TaskOutcome`]).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::electron::ElectronDef;
use super::error::TaskError;
use super::workdir::Workdir;

/// Everything a runner needs to run one electron call, whatever the executor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskSpec {
    /// The dispatch the task belongs to.
    pub dispatch_id: String,
    /// The node within that dispatch.
    pub node_id: u32,
    /// The electron's stable, registered name.
    pub electron: String,
    /// The build identity the spec was made for (empty when the task stays in this process).
    pub build_id: String,
    /// The encoded arguments, one per parameter, in order.
    pub args: Vec<Bytes>,
    /// The attempt number, from 1.
    pub attempt: u32,
    /// The time limit the executor must enforce on its side, if any.
    pub time_limit: Option<Duration>,
    /// The name the executor is configured under (`[executors.NAME]`), for the task's context.
    pub executor: String,
    /// The task's working directory on its host.
    pub workdir: Workdir,
}

/// One task handed to an executor: its spec, and the electron it names in this process.
#[derive(Debug, Clone)]
pub struct Task {
    /// The serialisable spec.
    pub spec: TaskSpec,
    /// The electron, resolved from the registry of this program.
    pub electron: &'static ElectronDef,
}

/// What came of running one task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskOutcome {
    /// The encoded output, or why there is none.
    pub result: Result<Bytes, TaskError>,
    /// The task's captured standard output, when the executor captures it.
    pub stdout: Option<String>,
    /// The task's captured standard error, when the executor captures it.
    pub stderr: Option<String>,
    /// When the task started running.
    pub started: SystemTime,
    /// When it ended.
    pub ended: SystemTime,
    /// The exit code of the process that ran it, when it ran in one and exited.
    pub exit_code: Option<i32>,
    /// The signal that ended that process, when one did.
    pub signal: Option<i32>,
    /// The call's output, kept when the call succeeded and a step after it failed (a `to`
    /// transfer, a `call_after`): the node fails, and its result still holds the output.
    pub kept_output: Option<Bytes>,
}

impl TaskOutcome {
    /// An outcome with no captured output, ending now.
    pub fn new(result: Result<Bytes, TaskError>, started: SystemTime) -> Self {
        TaskOutcome {
            result,
            stdout: None,
            stderr: None,
            started,
            ended: SystemTime::now(),
            exit_code: None,
            signal: None,
            kept_output: None,
        }
    }
}

//! A task as an executor sees it: what to run ([`TaskSpec`]) and what came of it ([`TaskOutcome`]).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::registry::ElectronDef;

/// Why a task did not produce an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskErrorKind {
    /// The electron returned `Err`.
    Failed,
    /// The electron panicked.
    Panicked,
    /// The electron ran past its `time_limit`.
    TimedOut,
    /// The task was cancelled.
    Cancelled,
    /// An argument or the output could not be decoded or encoded.
    Codec,
    /// The executor could not run the task (connection, submission, missing electron...).
    Executor,
}

impl TaskErrorKind {
    /// Whether another attempt may succeed (`retries` applies).
    pub fn is_retryable(self) -> bool {
        !matches!(self, TaskErrorKind::Cancelled | TaskErrorKind::Codec)
    }
}

/// Why a task failed, with a message for people.
///
/// ```
/// let e = orbital_core::TaskError::failed("no such file");
/// assert_eq!(e.to_string(), "no such file");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct TaskError {
    /// What kind of failure this is.
    pub kind: TaskErrorKind,
    /// The message: the electron's error, the panic message, or the executor's explanation.
    pub message: String,
}

impl TaskError {
    /// A task error of the given kind.
    pub fn new(kind: TaskErrorKind, message: impl Into<String>) -> Self {
        TaskError {
            kind,
            message: message.into(),
        }
    }
    /// The electron returned `Err(message)`.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(TaskErrorKind::Failed, message)
    }
    /// The electron panicked.
    pub fn panicked(message: impl Into<String>) -> Self {
        Self::new(TaskErrorKind::Panicked, message)
    }
    /// The executor could not run the task.
    pub fn executor(message: impl Into<String>) -> Self {
        Self::new(TaskErrorKind::Executor, message)
    }
    /// Decoding or encoding failed.
    pub fn codec(message: impl Into<String>) -> Self {
        Self::new(TaskErrorKind::Codec, message)
    }
    /// A panic payload as a task error (`&str` and `String` payloads keep their text).
    pub fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "the electron panicked with a non-string payload".to_owned()
        };
        Self::panicked(format!("panicked: {message}"))
    }
}

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
        }
    }
}

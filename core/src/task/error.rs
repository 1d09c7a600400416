//! Why a task did not produce an output: the error every executor and runner reports.

use serde::{Deserialize, Serialize};

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

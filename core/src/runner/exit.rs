//! What the driver's side makes of a runner process that ended without an outcome.

use super::mode::{EXIT_BAD_SPEC, EXIT_STALE_BUILD, EXIT_UNKNOWN_ELECTRON};
use crate::task::{TaskError, TaskErrorKind};

/// The name of a signal, for error messages.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => "SIGKILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGPIPE => "SIGPIPE",
        _ => "a signal",
    }
}

/// Why a task process that wrote no outcome failed, from how it ended: killed by `signal`, or
/// exited with `code` (one of the runner's protocol codes, or another); `runner_said` is what
/// it printed on its own stderr, and `subject` names it (`the task process`, `the task on
/// gpu1`).
pub fn exit_error(
    code: Option<i32>,
    signal: Option<i32>,
    runner_said: &str,
    subject: &str,
) -> TaskError {
    if let Some(sig) = signal {
        let hint = match sig {
            libc::SIGKILL => " (the kernel's out-of-memory killer sends this too)",
            libc::SIGABRT => " (an abort: a failed allocation, or `std::process::abort`)",
            _ => "",
        };
        return TaskError::new(
            TaskErrorKind::Failed,
            format!(
                "{subject} was killed by signal {sig} ({}){hint}",
                signal_name(sig)
            ),
        );
    }
    let Some(code) = code else {
        return TaskError::executor(format!("{subject} ended without an exit status"));
    };
    let (what, kind) = match code {
        EXIT_BAD_SPEC => ("could not read its task spec", TaskErrorKind::Executor),
        EXIT_UNKNOWN_ELECTRON => ("does not hold the electron", TaskErrorKind::Executor),
        EXIT_STALE_BUILD => (
            "is another build than the driver (stale binary: the program was rebuilt while this \
             driver ran, or the executor names another build; run the dispatch again, or resume \
             it, with the new build)",
            TaskErrorKind::Executor,
        ),
        _ => ("exited without an outcome", TaskErrorKind::Failed),
    };
    let detail = if runner_said.is_empty() {
        String::new()
    } else {
        format!(": {runner_said}")
    };
    TaskError::new(kind, format!("{subject} {what} (exit code {code}){detail}"))
}

//! `call_before` and `call_after`: plain functions run in the task's process, before and after
//! the call. An error or a panic fails the node; a `call_before` value reaches the electron
//! through its context.

use std::panic::AssertUnwindSafe;

use super::context::TaskContext;
use crate::task::{CallDep, TaskError};

/// Which list a function is in, for messages.
#[derive(Debug, Clone, Copy)]
pub enum When {
    /// `call_before`.
    Before,
    /// `call_after`.
    After,
}

impl When {
    fn option(self) -> &'static str {
        match self {
            When::Before => "call_before",
            When::After => "call_after",
        }
    }
}

/// Calls `deps` in order with `ctx` installed, stopping at the first that fails. Blocks: call
/// it where blocking is allowed.
///
/// # Errors
/// The failed function's error or panic, naming it.
pub fn run(
    deps: &[CallDep],
    when: When,
    ctx: &TaskContext,
    electron: &str,
) -> Result<(), TaskError> {
    for dep in deps {
        let ran = ctx.sync_scope(|| std::panic::catch_unwind(AssertUnwindSafe(dep.call)));
        match ran {
            Ok(Ok(Some(value))) => ctx.push_value(dep.name, value),
            Ok(Ok(None)) => {}
            Ok(Err(message)) => {
                return Err(TaskError::failed(format!(
                    "{} function `{}` of `{electron}` failed: {message}",
                    when.option(),
                    dep.name
                )))
            }
            Err(panic) => {
                let p = TaskError::from_panic(panic);
                return Err(TaskError::panicked(format!(
                    "{} function `{}` of `{electron}` panicked: {}",
                    when.option(),
                    dep.name,
                    p.message.trim_start_matches("panicked: ")
                )));
            }
        }
    }
    Ok(())
}

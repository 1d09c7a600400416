//! One task with what runs around it, in the order Covalent runs them: the working directory,
//! `deps_bash`, the `from` transfers, `call_before`, the call, the `to` transfers (after a
//! successful call), `call_after` (always, like a teardown), and the directory's removal.
//! The `local` executor and the runner both run a task through here, so every executor gives
//! the same context and helpers.

use std::panic::AssertUnwindSafe;

use bytes::Bytes;
use futures::FutureExt;

use super::bash::{self, Output, Printed};
use super::calls::{self, When};
use super::context::TaskContext;
use super::files;
use crate::task::{Direction, ElectronDef, Invoke, TaskError, TaskSpec};

/// Where the task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In a process shared with other tasks (the `local` executor): the current directory is
    /// left alone, and commands' output is collected.
    Shared,
    /// In a task process of its own (the runner): the working directory is always made and is
    /// the current directory; output goes to the task's captures.
    Own,
}

/// How blocking work is started: on a pool thread (the `local` executor's) or inline.
pub type SpawnBlocking = fn(Box<dyn FnOnce() + Send>);

/// What came of a task.
#[derive(Debug)]
pub struct Ran {
    /// The output, or why there is none.
    pub result: Result<Bytes, TaskError>,
    /// The call's output, when the call succeeded and a step after it failed.
    pub kept_output: Option<Bytes>,
    /// What `deps_bash` printed, when collected ([`Place::Shared`]).
    pub printed: Printed,
}

async fn on_pool<R: Send + 'static>(
    spawn: SpawnBlocking,
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, TaskError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn(Box::new(move || {
        if tx.is_closed() {
            return; // cancelled or timed out before it started
        }
        let _ = tx.send(f());
    }));
    rx.await
        .map_err(|_| TaskError::executor("the blocking pool dropped the task"))
}

/// Runs `def` on `spec` with its helpers and context.
pub async fn run(
    spec: &TaskSpec,
    def: &'static ElectronDef,
    place: Place,
    spawn: SpawnBlocking,
) -> Ran {
    let dir = spec.workdir.dir(&spec.dispatch_id, spec.node_id);
    let ctx = TaskContext::new(spec, def, dir);
    let mut printed = Printed::default();
    let (result, kept_output) = steps(spec, def, place, spawn, &ctx, &mut printed).await;
    if ctx.workdir_made() && spec.workdir.removes() {
        let dir = ctx.workdir_path().to_path_buf();
        if place == Place::Own {
            let _ = std::env::set_current_dir(dir.parent().unwrap_or(&dir));
        }
        if let Err(e) = tokio::fs::remove_dir_all(&dir).await {
            tracing::warn!(dir = %dir.display(), error = %e, "could not remove a task's working directory");
        }
    }
    Ran {
        result,
        kept_output,
        printed,
    }
}

async fn steps(
    spec: &TaskSpec,
    def: &'static ElectronDef,
    place: Place,
    spawn: SpawnBlocking,
    ctx: &TaskContext,
    printed: &mut Printed,
) -> (Result<Bytes, TaskError>, Option<Bytes>) {
    let h = &def.helpers;
    let name = def.fn_name;
    if place == Place::Own || h.files.is_some() || !h.deps_bash.is_empty() {
        if let Err(e) = ctx.ensure_workdir() {
            return (
                Err(TaskError::executor(format!(
                    "{e}; set `workdir` (or `remote_workdir`) of [executors.{}] to a directory this host can write",
                    spec.executor
                ))),
                None,
            );
        }
        if place == Place::Own {
            if let Err(e) = std::env::set_current_dir(ctx.workdir_path()) {
                let msg = format!(
                    "cannot enter the task's working directory {}: {e}",
                    ctx.workdir_path().display()
                );
                return (Err(TaskError::executor(msg)), None);
            }
        }
    }
    // The transfers are built here, on the task's host (they may read its environment).
    let planned = match h.files {
        None => Vec::new(),
        Some(build) => match std::panic::catch_unwind(build) {
            Ok(list) => match files::plan(list, spec, name, ctx) {
                Ok(p) => p,
                Err(e) => return (Err(e), None),
            },
            Err(p) => {
                let p = TaskError::from_panic(p);
                return (
                    Err(TaskError::panicked(format!(
                        "building the `files` of `{name}` {}",
                        p.message
                    ))),
                    None,
                );
            }
        },
    };
    let output = match place {
        Place::Own => Output::Inherit,
        Place::Shared => Output::Collect,
    };
    if let Err(e) = bash::run(h.deps_bash, ctx.workdir_path(), name, output, printed).await {
        return (Err(e), None);
    }
    if let Err(e) = files::run(&planned, Direction::From, name).await {
        return (Err(e), None);
    }

    let called = call(spec, def, spawn, ctx).await;

    let mut kept = None;
    let mut result = match called {
        Ok(out) => match files::run(&planned, Direction::To, name).await {
            Ok(()) => Ok(out),
            Err(e) => {
                kept = Some(out);
                Err(e)
            }
        },
        Err(e) => Err(e),
    };
    if !h.call_after.is_empty() {
        let (c, deps) = (ctx.clone(), h.call_after);
        let after = on_pool(spawn, move || calls::run(deps, When::After, &c, name))
            .await
            .and_then(|r| r);
        if let Err(e) = after {
            result = match result {
                Ok(out) => {
                    kept = Some(out);
                    Err(e)
                }
                Err(mut first) => {
                    first.message.push_str(&format!("; then {}", e.message));
                    Err(first)
                }
            };
        }
    }
    (result, kept)
}

/// `call_before`, then the electron, with the context installed.
async fn call(
    spec: &TaskSpec,
    def: &'static ElectronDef,
    spawn: SpawnBlocking,
    ctx: &TaskContext,
) -> Result<Bytes, TaskError> {
    let before = def.helpers.call_before;
    let name = def.fn_name;
    let args = spec.args.clone();
    match def.invoke {
        Invoke::Blocking(f) => {
            let c = ctx.clone();
            on_pool(spawn, move || {
                calls::run(before, When::Before, &c, name)?;
                c.sync_scope(|| std::panic::catch_unwind(AssertUnwindSafe(|| f(args))))
                    .unwrap_or_else(|p| Err(TaskError::from_panic(p)))
            })
            .await
            .and_then(|r| r)
        }
        Invoke::Async(f) => {
            if !before.is_empty() {
                let c = ctx.clone();
                on_pool(spawn, move || calls::run(before, When::Before, &c, name)).await??;
            }
            match ctx.scope(AssertUnwindSafe(f(args)).catch_unwind()).await {
                Ok(r) => r,
                Err(p) => Err(TaskError::from_panic(p)),
            }
        }
    }
}

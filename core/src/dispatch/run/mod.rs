//! The dispatcher's state machine: one tokio task per dispatch owns its [`state`](state::Run)
//! and drives it to the end. Each file is one concern of it: starting, adding nodes, resuming,
//! the drive loop, launching, reuse of earlier results, outcomes and retries, sub-lattices, batches, cancels, recording.
//! It may use everything below `dispatch` (graph, task, executor, store) and the handle,
//! progress, result and shared state beside it; nothing outside `dispatch` sees it.

mod append;
mod batch;
mod cancel;
mod drive;
mod expand;
mod finish;
mod launch;
mod outcome;
mod replay;
mod reuse;
mod start;
mod state;

pub(crate) use start::{start, store_detached, Begin};

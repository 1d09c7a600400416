//! The dispatch: a built workflow run to its end. The [`Runtime`] holds what dispatches share
//! (configuration, store, executors); [`run`] is the state machine that drives one dispatch;
//! [`Dispatch`] is the handle a caller waits on; [`DispatchResult`] is what it produced.
//! It may use everything else in the crate; nothing else in the crate uses it.

pub mod detach;
mod detach_flag;
mod handle;
mod progress;
mod redispatch;
mod result;
mod run;
mod runtime;
mod shared;
mod wait;

pub use handle::Dispatch;
pub use progress::Progress;
pub use redispatch::Redispatch;
pub use result::{DispatchResult, NodeResult, Untyped};
pub use runtime::{get_result, resume, CancelOutcome, Runtime, RuntimeBuilder};
pub use wait::wait;

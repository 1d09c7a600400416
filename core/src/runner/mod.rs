//! The program in runner mode: the other end of the wire. The command line selects the mode
//! ([`Mode`]); a runner reads one [`TaskSpec`](crate::TaskSpec), finds its electron in the
//! [`Registry`](crate::Registry), runs it with its output captured, and writes the
//! [`TaskOutcome`](crate::TaskOutcome). It may use `task`, `graph` (the registry) and `error`;
//! executors use what is here to start runners and to read how one ended.

mod exit;
mod mode;
mod query;
mod run;

pub use exit::{exit_error, signal_name};
pub use mode::{
    Mode, RunnerArgs, DEFAULT_CAPTURE_LIMIT, DETACH_ARG, EXIT_BAD_SPEC, EXIT_INTERNAL,
    EXIT_STALE_BUILD, EXIT_UNKNOWN_ELECTRON, QUERY_ARG, REDISPATCH_ARG, RESUME_ARG, RUNNER_ARG,
};
pub use query::query;
pub use run::{lead_group, read_bounded, run_task};

//! The modes of the one binary, chosen from its command line.
//!
//! The program a user builds is also the task binary. Before any user code runs,
//! `#[orbital::main]` (or `orbital::init()`) looks at the command line:
//!
//! - `--orbital-runner [--capture-dir DIR] [--capture-limit BYTES] [--pid-file FILE]
//!   [--spec-file FILE [--spec-index N]] [--outcome-file FILE]`: **runner**. Reads one
//!   [`TaskSpec`](crate::TaskSpec) frame from stdin (or the `N`th frame of a spec file, as a Slurm job array
//!   element does), runs the electron it names, writes one [`TaskOutcome`](crate::TaskOutcome) frame to stdout (or
//!   atomically to the outcome file) and exits. While the electron runs, file descriptors 1 and
//!   2 point at capture files, so whatever it prints (`println!` included) ends up in the
//!   outcome and can never corrupt the frame, which goes to a duplicate of the original stdout.
//! - `--orbital-query`: prints the build identity and the registered electrons (JSON).
//! - `--orbital-resume ID`: resumes dispatch `ID` in this program (what `orbital resume` runs,
//!   and what a detached dispatch's driver is).
//! - `--orbital-redispatch ID [--no-reuse] [--detach]`: dispatches `ID`'s lattice again with its
//!   inputs, reusing unchanged work unless `--no-reuse` (what `orbital redispatch` runs).
//! - `--orbital-detach`: **driver**, but the program's first dispatch goes to a background
//!   driver of its own; the program prints its id and exits.
//! - anything else: **driver**, the user's own `main`.
//!
//! Exit codes of the runner: 0 when an outcome was written (whatever the electron did),
//! [`EXIT_BAD_SPEC`] for an unreadable spec, [`EXIT_UNKNOWN_ELECTRON`],
//! [`EXIT_STALE_BUILD`] for a build-identity mismatch, [`EXIT_INTERNAL`] otherwise. The message
//! is on stderr.

use std::path::PathBuf;

/// The hidden argument that makes the program a task runner.
pub const RUNNER_ARG: &str = "--orbital-runner";
/// The hidden argument that makes the program print its identity and electrons.
pub const QUERY_ARG: &str = "--orbital-query";
/// The hidden argument that makes the program resume a dispatch.
pub const RESUME_ARG: &str = "--orbital-resume";
/// The argument that makes the program redispatch a dispatch.
pub const REDISPATCH_ARG: &str = "--orbital-redispatch";
/// The argument that makes the program's first dispatch a detached one.
pub const DETACH_ARG: &str = "--orbital-detach";

/// The spec could not be read (truncated, corrupted, another protocol version).
pub const EXIT_BAD_SPEC: i32 = 65;
/// The spec names an electron this binary does not hold.
pub const EXIT_UNKNOWN_ELECTRON: i32 = 66;
/// The spec was made for another build of the program.
pub const EXIT_STALE_BUILD: i32 = 67;
/// The runner itself failed (could not capture output or write the outcome).
pub const EXIT_INTERNAL: i32 = 70;

/// The default most bytes of stdout (and of stderr) kept per task.
pub const DEFAULT_CAPTURE_LIMIT: u64 = 1 << 20;

/// What the command line asks the binary to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The user's own `main`.
    Driver,
    /// A task runner.
    Runner(RunnerArgs),
    /// Print the build identity and the registered electrons.
    Query,
    /// Resume a dispatch.
    Resume(String),
    /// Redispatch a dispatch.
    Redispatch {
        /// The earlier dispatch.
        id: String,
        /// Reuse its unchanged work (no `--no-reuse`).
        reuse: bool,
        /// Hand the new dispatch to a background driver (`--detach`).
        detach: bool,
    },
    /// The user's own `main`, whose first dispatch is detached.
    Detach,
}

impl Mode {
    /// The mode the process's command line selects.
    pub fn from_env() -> Mode {
        Mode::from_args(std::env::args().skip(1))
    }

    /// The mode these arguments (without the program name) select.
    ///
    /// ```
    /// use orbital_core::runner::Mode;
    /// assert_eq!(Mode::from_args(["--orbital-query".to_string()]), Mode::Query);
    /// assert_eq!(Mode::from_args(["run".to_string()]), Mode::Driver);
    /// assert_eq!(Mode::from_args(["--orbital-detach".to_string()]), Mode::Detach);
    /// let args = ["--orbital-redispatch", "d1", "--no-reuse"].map(String::from);
    /// assert_eq!(
    ///     Mode::from_args(args),
    ///     Mode::Redispatch { id: "d1".into(), reuse: false, detach: false }
    /// );
    /// ```
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Mode {
        let mut args = args.into_iter();
        match args.next().as_deref() {
            Some(RUNNER_ARG) => {
                let mut r = RunnerArgs::default();
                while let Some(a) = args.next() {
                    match a.as_str() {
                        "--capture-dir" => r.capture_dir = args.next().map(PathBuf::from),
                        "--pid-file" => r.pid_file = args.next().map(PathBuf::from),
                        "--spec-file" => r.spec_file = args.next().map(PathBuf::from),
                        "--outcome-file" => r.outcome_file = args.next().map(PathBuf::from),
                        "--spec-index" => {
                            r.spec_index = args.next().and_then(|v| v.parse().ok()).unwrap_or(0)
                        }
                        "--capture-limit" => {
                            r.capture_limit = args
                                .next()
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(DEFAULT_CAPTURE_LIMIT)
                        }
                        _ => {}
                    }
                }
                Mode::Runner(r)
            }
            Some(QUERY_ARG) => Mode::Query,
            Some(RESUME_ARG) => Mode::Resume(args.next().unwrap_or_default()),
            Some(REDISPATCH_ARG) => {
                let id = args.next().unwrap_or_default();
                let rest: Vec<String> = args.collect();
                Mode::Redispatch {
                    id,
                    reuse: !rest.iter().any(|a| a == "--no-reuse"),
                    detach: rest.iter().any(|a| a == "--detach"),
                }
            }
            Some(DETACH_ARG) => Mode::Detach,
            _ => Mode::Driver,
        }
    }
}

/// How a runner gets its spec and gives its outcome (the arguments after `--orbital-runner`).
///
/// ```
/// use orbital_core::runner::{Mode, RunnerArgs};
/// let args = ["--orbital-runner", "--spec-file", "specs", "--spec-index", "3"];
/// let Mode::Runner(r) = Mode::from_args(args.map(String::from)) else { unreachable!() };
/// assert_eq!(r.spec_index, 3);
/// assert!(r.outcome_file.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerArgs {
    /// Where to put the capture files (a temporary directory when `None`).
    pub capture_dir: Option<PathBuf>,
    /// The most bytes kept of each stream.
    pub capture_limit: u64,
    /// Where to write this process's id, after making it the leader of a new process group
    /// (so that a remote executor can kill the task and everything it started).
    pub pid_file: Option<PathBuf>,
    /// Read the spec from this file (a sequence of spec frames) instead of stdin.
    pub spec_file: Option<PathBuf>,
    /// Which frame of `spec_file` is this task's, from 0.
    pub spec_index: u32,
    /// Write the outcome to this file (to a temporary name, then renamed) instead of stdout.
    /// Under `srun` with several tasks, only task 0 (`SLURM_PROCID`) writes it.
    pub outcome_file: Option<PathBuf>,
}

impl Default for RunnerArgs {
    fn default() -> Self {
        RunnerArgs {
            capture_dir: None,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            pid_file: None,
            spec_file: None,
            spec_index: 0,
            outcome_file: None,
        }
    }
}

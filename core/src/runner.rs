//! The modes of the one binary, and the task runner.
//!
//! The program a user builds is also the task binary. Before any user code runs,
//! `#[orbital::main]` (or `orbital::init()`) looks at the command line:
//!
//! - `--orbital-runner [--capture-dir DIR] [--capture-limit BYTES] [--pid-file FILE]
//!   [--spec-file FILE [--spec-index N]] [--outcome-file FILE]`: **runner**. Reads one
//!   [`TaskSpec`] frame from stdin (or the `N`th frame of a spec file, as a Slurm job array
//!   element does), runs the electron it names, writes one [`TaskOutcome`] frame to stdout (or
//!   atomically to the outcome file) and exits. While the electron runs, file descriptors 1 and
//!   2 point at capture files, so whatever it prints (`println!` included) ends up in the
//!   outcome and can never corrupt the frame, which goes to a duplicate of the original stdout.
//! - `--orbital-query`: prints the build identity and the registered electrons (JSON).
//! - `--orbital-resume ID`: resumes dispatch `ID` in this program (what `orbital resume` runs).
//! - anything else: **driver**, the user's own `main`.
//!
//! Exit codes of the runner: 0 when an outcome was written (whatever the electron did),
//! [`EXIT_BAD_SPEC`] for an unreadable spec, [`EXIT_UNKNOWN_ELECTRON`],
//! [`EXIT_STALE_BUILD`] for a build-identity mismatch, [`EXIT_INTERNAL`] otherwise. The message
//! is on stderr.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::protocol;
use crate::registry::{Invoke, Registry};
use crate::task::{TaskError, TaskOutcome, TaskSpec};

/// The hidden argument that makes the program a task runner.
pub const RUNNER_ARG: &str = "--orbital-runner";
/// The hidden argument that makes the program print its identity and electrons.
pub const QUERY_ARG: &str = "--orbital-query";
/// The hidden argument that makes the program resume a dispatch.
pub const RESUME_ARG: &str = "--orbital-resume";

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

/// What `--orbital-query` prints: the build identity and the electrons with their signatures.
///
/// # Errors
/// When the registry has duplicate names.
pub fn query() -> Result<serde_json::Value, crate::Error> {
    let registry = Registry::get()?;
    let electrons: Vec<serde_json::Value> = registry
        .electrons()
        .iter()
        .map(|e| serde_json::json!({ "name": e.name, "signature": e.signature }))
        .collect();
    let lattices: Vec<serde_json::Value> = registry
        .lattices()
        .iter()
        .map(|l| serde_json::json!({ "name": l.name, "signature": l.signature }))
        .collect();
    Ok(serde_json::json!({
        "build_id": crate::identity::current().ok(),
        "protocol": protocol::VERSION,
        "program": std::env::current_exe().ok().map(|p| p.display().to_string()),
        "electrons": electrons,
        "lattices": lattices,
    }))
}

/// Makes this process the leader of a new session and process group, and writes its id to
/// `path`: a remote executor kills the group (`kill -KILL -PID`) on a time limit or cancel.
///
/// # Errors
/// When the file cannot be written.
pub fn lead_group(path: &Path) -> std::io::Result<()> {
    // SAFETY: setsid has no memory effects; it fails harmlessly if we already lead a group.
    unsafe {
        libc::setsid();
    }
    std::fs::write(path, std::process::id().to_string())
}

/// Reads this runner's spec: from stdin, or the `spec_index`th frame of `spec_file`.
fn read_own_spec(args: &RunnerArgs) -> Result<TaskSpec, String> {
    let Some(path) = &args.spec_file else {
        return protocol::read_spec(&mut std::io::stdin().lock()).map_err(|e| e.to_string());
    };
    let file = File::open(path)
        .map_err(|e| format!("cannot open the spec file {}: {e}", path.display()))?;
    let mut r = std::io::BufReader::new(file);
    for i in 0..=args.spec_index {
        let spec = protocol::read_spec(&mut r)
            .map_err(|e| format!("frame {i} of {}: {e}", path.display()))?;
        if i == args.spec_index {
            return Ok(spec);
        }
    }
    unreachable!("the loop returns at its last index")
}

/// Kills what the electron started and left running: the other members of the process group
/// this runner leads (see [`lead_group`]). A job step or a remote shell may not do it: Slurm's
/// `proctrack/linuxproc` loses track of a process once its parent exits.
fn kill_group_leftovers() {
    let me = std::process::id() as i32;
    // SAFETY: getpgid(0) has no preconditions.
    if unsafe { libc::getpgid(0) } != me {
        return; // not the group's leader: the group is someone else's
    }
    // Twice: a leftover may have forked while the first sweep ran.
    for _ in 0..2 {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            if pid == me {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // `pid (comm) state ppid pgrp ...`: comm may hold spaces, so split after its `)`.
            let pgrp = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(2))
                .and_then(|p| p.parse::<i32>().ok());
            if pgrp == Some(me) {
                // SAFETY: sends a signal to a process of this runner's own group.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// Runs one task: spec on stdin (or from a file), outcome on stdout (or to a file). Returns
/// the exit code.
pub fn run_task(args: &RunnerArgs) -> i32 {
    let spec = match read_own_spec(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("orbital runner: cannot read the task spec: {e}");
            return EXIT_BAD_SPEC;
        }
    };
    let registry = match Registry::get() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("orbital runner: {e}");
            return EXIT_INTERNAL;
        }
    };
    let Some(electron) = registry.electron(&spec.electron) else {
        eprintln!(
            "orbital runner: this binary ({}) holds no electron `{}`; it holds {} electrons (see `--orbital-query`)",
            std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
            spec.electron,
            registry.electrons().len()
        );
        return EXIT_UNKNOWN_ELECTRON;
    };
    if !spec.build_id.is_empty() {
        match crate::identity::current() {
            Ok(mine) if mine == spec.build_id => {}
            Ok(mine) => {
                eprintln!(
                    "orbital runner: stale build: this binary is build {mine}, the task was made for build {}",
                    spec.build_id
                );
                return EXIT_STALE_BUILD;
            }
            Err(e) => {
                eprintln!("orbital runner: cannot compute this binary's build identity: {e}");
                return EXIT_INTERNAL;
            }
        }
    }
    let ran = run_captured(&spec, electron.invoke, args);
    if args.pid_file.is_some() {
        kill_group_leftovers();
    }
    match ran {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("orbital runner: {e}");
            EXIT_INTERNAL
        }
    }
}

/// Redirects fd 1 and 2 to capture files, runs the electron, and writes the outcome to the
/// original stdout.
fn run_captured(spec: &TaskSpec, invoke: Invoke, args: &RunnerArgs) -> std::io::Result<()> {
    let limit = args.capture_limit;
    let (mut out_file, mut err_file) = match args.capture_dir.as_deref() {
        Some(d) => (
            File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(d.join("stdout"))?,
            File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(d.join("stderr"))?,
        ),
        None => (tempfile_in_tmp()?, tempfile_in_tmp()?),
    };
    std::io::stdout().flush()?;
    std::io::stderr().flush()?;
    // SAFETY: dup/dup2 on descriptors this process owns; the duplicate of stdout is owned by
    // the `File` made from it below and closed once, when that `File` drops. It is close-on-exec:
    // a process the electron starts must not inherit the outcome's pipe, or the executor, which
    // reads the outcome to its end, would wait for that process too.
    let saved_stdout = unsafe { libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3) };
    if saved_stdout < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut frame_out = unsafe { File::from_raw_fd(saved_stdout) };
    // SAFETY: see above; the capture files outlive the redirection (they are never closed
    // before the process exits).
    if unsafe { libc::dup2(out_file.as_raw_fd(), 1) } < 0
        || unsafe { libc::dup2(err_file.as_raw_fd(), 2) } < 0
    {
        return Err(std::io::Error::last_os_error());
    }

    let started = SystemTime::now();
    let inputs = spec.args.clone();
    let result = match invoke {
        Invoke::Blocking(f) => std::panic::catch_unwind(AssertUnwindSafe(|| f(inputs)))
            .unwrap_or_else(|p| Err(TaskError::from_panic(p))),
        Invoke::Async(f) => match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(f(inputs))))
                .unwrap_or_else(|p| Err(TaskError::from_panic(p))),
            Err(e) => Err(TaskError::executor(format!(
                "cannot start a tokio runtime in the runner: {e}"
            ))),
        },
    };
    let ended = SystemTime::now();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();

    let outcome = TaskOutcome {
        result,
        stdout: Some(read_bounded(&mut out_file, limit)?),
        stderr: Some(read_bounded(&mut err_file, limit)?),
        started,
        ended,
        exit_code: None,
        signal: None,
    };
    match &args.outcome_file {
        None => protocol::write_outcome(&mut frame_out, &outcome).map_err(std::io::Error::other),
        // `srun -n 4` starts four runners; the first one's outcome is the task's.
        Some(_) if std::env::var("SLURM_PROCID").is_ok_and(|p| p != "0") => Ok(()),
        Some(path) => write_outcome_file(path, &outcome),
    }
}

/// Writes the outcome to a temporary name beside `path`, then renames it: whoever polls for
/// the file never reads half of it.
fn write_outcome_file(path: &Path, outcome: &TaskOutcome) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".part-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut f = std::io::BufWriter::new(File::create(&tmp)?);
    protocol::write_outcome(&mut f, outcome).map_err(std::io::Error::other)?;
    f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn tempfile_in_tmp() -> std::io::Result<File> {
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "orbital-capture-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let f = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    Ok(f)
}

/// Reads up to `limit` bytes of a capture file, saying how much more there was.
pub fn read_bounded(file: &mut File, limit: u64) -> std::io::Result<String> {
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::with_capacity(len.min(limit) as usize);
    file.take(limit).read_to_end(&mut buf)?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if len > limit {
        text.push_str(&format!(
            "\n[orbital: output truncated: {} bytes kept, {} more not kept]\n",
            limit,
            len - limit
        ));
    }
    Ok(text)
}

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
    use crate::task::TaskErrorKind;
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

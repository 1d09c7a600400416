//! Running one task in this process: read the spec, capture stdout and stderr while the
//! electron runs, write the outcome, and kill what the electron left in its process group.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::mode::{
    RunnerArgs, EXIT_BAD_SPEC, EXIT_INTERNAL, EXIT_STALE_BUILD, EXIT_UNKNOWN_ELECTRON,
};
use crate::around::{self, Place, SpawnBlocking};
use crate::graph::registry::Registry;
use crate::task::protocol;
use crate::task::{ElectronDef, TaskError, TaskOutcome, TaskSpec};

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
        match crate::task::identity::current() {
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
    let ran = run_captured(&spec, electron, args);
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
fn run_captured(
    spec: &TaskSpec,
    electron: &'static ElectronDef,
    args: &RunnerArgs,
) -> std::io::Result<()> {
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
    // A task process runs one task: blocking work runs inline, on this thread.
    let inline: SpawnBlocking = |job| job();
    let ran = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(around::run(spec, electron, Place::Own, inline)),
        Err(e) => around::Ran {
            result: Err(TaskError::executor(format!(
                "cannot start a tokio runtime in the runner: {e}"
            ))),
            kept_output: None,
            printed: Default::default(),
        },
    };
    let ended = SystemTime::now();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();

    let outcome = TaskOutcome {
        result: ran.result,
        stdout: Some(read_bounded(&mut out_file, limit)?),
        stderr: Some(read_bounded(&mut err_file, limit)?),
        started,
        ended,
        exit_code: None,
        signal: None,
        kept_output: ran.kept_output,
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

//! The `process` executor: each task in a child process of the same binary.
//!
//! The child is this very program, started with the hidden runner argument (see
//! [`orbital_core::runner`]); it reads the task spec on stdin and writes the outcome on stdout,
//! and whatever the electron prints is captured per node. Each child leads its own process
//! group: a time limit or a cancel kills the whole group (the electron's own children too), and
//! so does the end of the task, so nothing it started outlives it. A task that panics, aborts,
//! is killed by a signal or runs out of memory fails only its own node, and the node's error
//! names the signal or exit code.
//!
//! ```toml
//! [executors.process]
//! max_concurrency = 8          # child processes at once (default: the number of CPUs)
//! capture_limit = 1048576      # bytes of stdout and of stderr kept per task
//! env = { RUST_LOG = "info" }  # added to the children's environment
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::SystemTime;

use orbital_core::runner::{self, DEFAULT_CAPTURE_LIMIT};
use orbital_core::{protocol, Executor, Task, TaskError, TaskOutcome, Workdir};
use serde::{Deserialize, Serialize};

/// Runs each task in a child process of the same binary. See the [module documentation](self).
///
/// ```
/// let exec = orbital_executors::ProcessExecutor { max_concurrency: Some(4), ..Default::default() };
/// # let _ = exec;
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessExecutor {
    /// The most child processes of one dispatch at once (`None`: the number of CPUs).
    #[serde(default)]
    pub max_concurrency: Option<usize>,
    /// The most bytes of stdout, and of stderr, kept per task (the rest is counted, not kept).
    #[serde(default = "default_capture_limit")]
    pub capture_limit: u64,
    /// Environment variables added to each child.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The program that runs the tasks (default: the running executable, which is what you
    /// want: the same build that dispatched them). It must be that same build: each task is
    /// stamped with the driver's build identity, and a runner of another build refuses it (the
    /// node fails saying the binary is stale).
    #[serde(default)]
    pub program: Option<PathBuf>,
    /// Where the tasks' working directories go (default `$TMPDIR/orbital-workdir`); each task
    /// process starts in its own.
    #[serde(default)]
    pub workdir: Option<String>,
    /// One directory per task, `WORKDIR/DISPATCH/node_N` (the default), or `WORKDIR` itself.
    #[serde(default = "yes")]
    pub create_unique_workdir: bool,
    /// Keep each task's own directory after it ends (default: removed).
    #[serde(default)]
    pub keep_workdir: bool,
}

fn yes() -> bool {
    true
}

fn default_capture_limit() -> u64 {
    DEFAULT_CAPTURE_LIMIT
}

impl Default for ProcessExecutor {
    fn default() -> Self {
        ProcessExecutor {
            max_concurrency: None,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            env: BTreeMap::new(),
            program: None,
            workdir: None,
            create_unique_workdir: true,
            keep_workdir: false,
        }
    }
}

/// Kills a child's process group when dropped (time limit, cancel, or the end of the task).
struct KillGroup(Option<i32>);

impl Drop for KillGroup {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            // SAFETY: killpg only sends a signal; the group was created for this task.
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
    }
}

impl ProcessExecutor {
    fn program(&self) -> Result<PathBuf, TaskError> {
        match &self.program {
            Some(p) => Ok(p.clone()),
            None => std::env::current_exe().map_err(|e| {
                TaskError::executor(format!("cannot find the running executable: {e}"))
            }),
        }
    }

    /// The identity the runner must have: the driver's own build (also when `program` is
    /// set), so that a runner of another build refuses the task instead of running code the
    /// driver did not dispatch.
    fn build_id(&self) -> Result<String, TaskError> {
        orbital_core::identity::current().map_err(|e| {
            TaskError::executor(format!("cannot compute the driver's build identity: {e}"))
        })
    }

    async fn run_child(&self, mut task: Task) -> Result<TaskOutcome, TaskError> {
        let started = SystemTime::now();
        let program = self.program()?;
        task.spec.build_id = self.build_id()?;
        let dir = tempfile::Builder::new()
            .prefix("orbital-task-")
            .tempdir()
            .map_err(|e| TaskError::executor(format!("cannot create a capture directory: {e}")))?;
        let mut spec = Vec::new();
        protocol::write_spec(&mut spec, &task.spec).map_err(|e| TaskError::codec(e.to_string()))?;

        let mut cmd = tokio::process::Command::new(&program);
        cmd.arg(runner::RUNNER_ARG)
            .arg("--capture-dir")
            .arg(dir.path())
            .arg("--capture-limit")
            .arg(self.capture_limit.to_string())
            .envs(&self.env)
            .env("ORBITAL_PROGRESS", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| TaskError::executor(format!("cannot start {}: {e}", program.display())))?;
        let _group = KillGroup(child.id().map(|p| p as i32));
        let (out, err) = crate::ship::runner_io::exchange(
            child.stdin.take(),
            child.stdout.take(),
            child.stderr.take(),
            &spec,
        )
        .await;
        let status = child
            .wait()
            .await
            .map_err(|e| TaskError::executor(format!("cannot wait for the task process: {e}")))?;
        use std::os::unix::process::ExitStatusExt;
        let runner_says = String::from_utf8_lossy(&err).trim().to_owned();
        if status.success() {
            let mut outcome = protocol::read_outcome(&mut out.as_slice()).map_err(|e| {
                TaskError::executor(format!("the task process's outcome could not be read: {e}"))
            })?;
            outcome.exit_code = Some(0);
            return Ok(outcome);
        }
        // No outcome: say why, and keep what the task printed before it died.
        let capture = |name: &str| {
            std::fs::File::open(dir.path().join(name))
                .and_then(|mut f| runner::read_bounded(&mut f, self.capture_limit))
                .ok()
        };
        let (code, signal) = (status.code(), status.signal());
        let error = runner::exit_error(code, signal, &runner_says, "the task process");
        Ok(TaskOutcome {
            result: Err(error),
            stdout: capture("stdout"),
            stderr: capture("stderr"),
            started,
            ended: SystemTime::now(),
            exit_code: code,
            signal,
            kept_output: None,
        })
    }
}

#[typetag::serde(name = "process")]
#[async_trait::async_trait]
impl Executor for ProcessExecutor {
    fn kind(&self) -> &'static str {
        "process"
    }

    fn task_workdir(&self) -> Workdir {
        Workdir {
            base: self.workdir.clone().unwrap_or_default(),
            unique: self.create_unique_workdir,
            keep: self.keep_workdir,
        }
    }

    fn max_concurrency(&self) -> Option<usize> {
        Some(self.max_concurrency.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        }))
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        let started = SystemTime::now();
        match self.run_child(task).await {
            Ok(outcome) => outcome,
            Err(e) => TaskOutcome::new(Err(e), started),
        }
    }
}

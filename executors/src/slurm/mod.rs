//! The `slurm` executor: electrons as Slurm jobs, the ready tasks of a dispatch packed into job
//! arrays.
//!
//! Covalent's Slurm plugin submits one `sbatch` per electron over a new SSH connection and polls
//! each job on its own. This executor takes the dispatcher's batches instead: the ready tasks of
//! one executor go out as **one job array** (one task per array index, at most `array_size` per
//! array), **one `squeue` call** reads the state of every job of the executor at each poll, and
//! the outcomes of the jobs that ended come back in one read. With `address` set, every command
//! and file goes through one multiplexed SSH connection to the login node (the SSH executor's);
//! without it, the driver is on the login node and runs the Slurm commands itself.
//!
//! The task binary is this very program: it is put in `<remote_workdir>/bin/<build id>` once
//! per build (the cluster's shared filesystem carries it to the compute nodes), and each array
//! element runs it in runner mode on its own spec:
//!
//! ```text
//! <remote_workdir>/<dispatch id>/<batch>/
//!     specs        the batch's task specs, one frame per array index
//!     job.sh       the job script (the #SBATCH preamble from `options`, then srun)
//!     out.N        element N's outcome (written by the runner, atomically)
//!     cap.N/       what element N's electron printed (stdout, stderr)
//!     log.N        element N's Slurm output (srun and the pre-/post-run commands)
//! ```
//!
//! Configuration (Covalent's keys, plus `array_size`):
//!
//! ```toml
//! [executors.slurm]
//! username = "user"
//! address = "login.cluster.org"            # unset: run sbatch on this machine
//! ssh_key_file = "/home/user/.ssh/id_rsa"
//! remote_workdir = "/scratch/user"
//! array_size = 1000                        # tasks per job array (the default)
//! poll_freq = 2                            # seconds between squeue calls (the default)
//! cleanup = true                           # remove the dispatch's job files at its end
//!
//! [executors.slurm.options]                # → #SBATCH --key=value, in this order
//! nodes = 1
//! ntasks = 4
//! cpus-per-task = 8
//! constraint = "gpu"
//! gpus = 4
//! qos = "regular"
//!
//! [executors.slurm.srun_options]           # → srun --key=value (one-letter keys: -k value)
//! cpu_bind = "cores"
//! gpus = 4
//! gpu-bind = "single:1"
//! ```
//!
//! The same executor as a value:
//!
//! ```
//! use orbital_executors::slurm::{SlurmExecutor, SlurmOptions};
//! let gpu = SlurmExecutor::new()
//!     .remote_workdir("/scratch/user/experiment1")
//!     .options(SlurmOptions::new().set("qos", "regular").set("nodes", 1))
//!     .srun_options(SlurmOptions::new().set("n", 4).set("cpu-bind", "cores"))
//!     .srun_append("nsys profile --stats=true")
//!     .prerun_commands(["module load package/1.2.3"]);
//! # let _ = gpu;
//! ```
//!
//! A job's Slurm state becomes the node's outcome: `COMPLETED` gives the electron's own result;
//! `FAILED` (with its exit code), `TIMEOUT`, `CANCELLED`, `OUT_OF_MEMORY` and `NODE_FAIL` give
//! errors that name the state and the job (`1234_7` for element 7 of array 1234). A cancel or
//! a time limit runs `scancel` on the job or the array element; a time limit is also given to
//! Slurm as `--time` (rounded up to Slurm's one-minute unit).

mod options;
mod queue;
mod script;
mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use orbital_core::runner::DEFAULT_CAPTURE_LIMIT;
use orbital_core::{
    protocol, runner, Batching, Executor, ExecutorContext, ExecutorError, JobHandle, JobState,
    Task, TaskError, TaskErrorKind, TaskOutcome,
};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

pub use options::{OptionValue, SlurmOptions};
use queue::JobInfo;
use transport::Transport;

use crate::ship::shell::quote;
use crate::ssh::SshExecutor;

/// How long `squeue` may fail because the controller is unreachable (restarting, say) before
/// polling reports an error.
const CONTROLLER_GRACE: Duration = Duration::from_secs(180);
/// How many polls in a row a job may be missing from `squeue` before it counts as ended.
const MISSING_POLLS: u32 = 2;
/// How long cancels are gathered before one `scancel` takes them all.
const CANCEL_GATHER: Duration = Duration::from_millis(25);

/// Runs tasks as Slurm jobs. See the [module documentation](self).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmExecutor {
    /// The user to log in to the login node as (with `address`).
    #[serde(default)]
    pub username: Option<String>,
    /// The login node. Unset: Slurm's commands run on this machine.
    #[serde(default)]
    pub address: Option<String>,
    /// The login node's SSH port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// The private key to log in with. `~` is expanded.
    #[serde(default)]
    pub ssh_key_file: Option<String>,
    /// The SSH certificate that goes with the key, when the site signs keys.
    #[serde(default)]
    pub cert_file: Option<String>,
    /// The known-hosts file to check the login node's key against (default: ssh's own).
    #[serde(default)]
    pub known_hosts: Option<String>,
    /// Refuse a login node whose key is unknown or has changed (the default).
    #[serde(default = "default_true")]
    pub strict_host_key_checking: bool,
    /// The directory for the binary and the job files, on the filesystem the compute nodes
    /// share. `~` is the home directory where the commands run.
    #[serde(default = "default_workdir")]
    pub remote_workdir: String,
    /// The directory holding `sbatch`, `squeue` and `scancel`, when they are not on the `PATH`.
    #[serde(default)]
    pub slurm_path: Option<String>,
    /// `#SBATCH` options, in order: `nodes = 1` gives `#SBATCH --nodes=1`.
    #[serde(default)]
    pub options: SlurmOptions,
    /// `srun` options, in order: `cpu_bind = "cores"` gives `--cpu_bind=cores`, `n = 4` gives
    /// `-n 4`.
    #[serde(default)]
    pub srun_options: SlurmOptions,
    /// A command the task runs under, inside `srun` (a profiler, say).
    #[serde(default)]
    pub srun_append: Option<String>,
    /// Shell lines of the job script before the task's `srun`.
    #[serde(default)]
    pub prerun_commands: Vec<String>,
    /// Shell lines of the job script after it.
    #[serde(default)]
    pub postrun_commands: Vec<String>,
    /// Seconds between two polls of the queue.
    #[serde(default = "default_poll_freq")]
    pub poll_freq: f64,
    /// Remove the dispatch's job files when it ends.
    #[serde(default = "default_true")]
    pub cleanup: bool,
    /// The most tasks one job array holds.
    #[serde(default = "default_array_size")]
    pub array_size: usize,
    /// The most tasks of one dispatch in Slurm at once (default: no limit of orbital's).
    #[serde(default)]
    pub max_concurrency: Option<usize>,
    /// The most bytes of stdout, and of stderr, kept per task.
    #[serde(default = "default_capture_limit")]
    pub capture_limit: u64,
    /// Covalent's local staging directory. Accepted so that a Covalent configuration reads as
    /// it is; orbital stages nothing locally (specs go straight to `remote_workdir`).
    #[serde(default)]
    pub cache_dir: Option<String>,
    /// Covalent's conda environment. orbital runs no Python: setting it is an error that says
    /// so (use `prerun_commands` for what the job needs loaded).
    #[serde(default)]
    pub conda_env: Option<String>,
    #[serde(skip)]
    state: Arc<State>,
}

fn default_port() -> u16 {
    22
}
fn default_true() -> bool {
    true
}
fn default_workdir() -> String {
    "~/orbital-workdir".to_owned()
}
fn default_poll_freq() -> f64 {
    2.0
}
fn default_array_size() -> usize {
    1000
}
fn default_capture_limit() -> u64 {
    DEFAULT_CAPTURE_LIMIT
}

/// What the executor keeps between calls: the prepared login node, the last look at the queue,
/// the jobs in flight and the outcomes read ahead.
#[derive(Default)]
struct State {
    workdir: OnceCell<String>,
    binary: OnceCell<String>,
    queue: tokio::sync::Mutex<Snapshot>,
    /// Base job id → elements not yet collected.
    active: Mutex<HashMap<String, usize>>,
    /// Element id → what it left, read when it ended.
    finished: Mutex<HashMap<String, Finished>>,
    cancels: Mutex<Vec<PendingCancel>>,
}

/// A cancel waiting for the next `scancel`: the element, and whom to tell how it went.
type PendingCancel = (String, tokio::sync::oneshot::Sender<Result<(), String>>);

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Snapshot {
    at: Option<Instant>,
    jobs: HashMap<String, JobInfo>,
    missing: HashMap<String, u32>,
    unreachable_since: Option<Instant>,
    warned_blocked: std::collections::HashSet<String>,
}

/// What an ended job left.
struct Finished {
    info: Option<JobInfo>,
    /// The runner's outcome (`out.N`).
    outcome: Option<Vec<u8>>,
    /// Slurm's output of the element (`log.N`: srun, pre- and post-run commands).
    log: Option<Vec<u8>>,
    /// What the electron printed, when the runner died before writing an outcome.
    stdout: Option<Vec<u8>>,
    stderr: Option<Vec<u8>>,
}

impl Finished {
    fn from_files(
        info: Option<JobInfo>,
        files: &mut impl Iterator<Item = Option<Vec<u8>>>,
    ) -> Self {
        Finished {
            info,
            outcome: files.next().flatten(),
            log: files.next().flatten(),
            stdout: files.next().flatten(),
            stderr: files.next().flatten(),
        }
    }
}

/// A submitted task: `1234_7 /dir` (array element 7) or `1234 /dir` (a single job).
struct Handle<'a> {
    element: &'a str,
    dir: &'a str,
}

impl<'a> Handle<'a> {
    fn parse(job: &'a JobHandle) -> Handle<'a> {
        let (element, dir) = job.0.split_once(' ').unwrap_or((job.0.as_str(), ""));
        Handle { element, dir }
    }
    fn base(&self) -> &'a str {
        self.element.split('_').next().unwrap_or(self.element)
    }
    fn index(&self) -> &'a str {
        self.element.split_once('_').map_or("0", |(_, i)| i)
    }
    fn file(&self, name: &str) -> String {
        format!("{}/{name}.{}", self.dir, self.index())
    }
}

impl Default for SlurmExecutor {
    fn default() -> Self {
        SlurmExecutor::new()
    }
}

impl SlurmExecutor {
    /// An executor with every setting at its default: Slurm's commands on this machine, files
    /// under `~/orbital-workdir`.
    pub fn new() -> Self {
        SlurmExecutor {
            username: None,
            address: None,
            port: default_port(),
            ssh_key_file: None,
            cert_file: None,
            known_hosts: None,
            strict_host_key_checking: true,
            remote_workdir: default_workdir(),
            slurm_path: None,
            options: SlurmOptions::new(),
            srun_options: SlurmOptions::new(),
            srun_append: None,
            prerun_commands: Vec::new(),
            postrun_commands: Vec::new(),
            poll_freq: default_poll_freq(),
            cleanup: true,
            array_size: default_array_size(),
            max_concurrency: None,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            cache_dir: None,
            conda_env: None,
            state: Arc::default(),
        }
    }

    /// Submits through the login node `address` over SSH.
    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// Logs in as `user`.
    pub fn username(mut self, user: impl Into<String>) -> Self {
        self.username = Some(user.into());
        self
    }

    /// Logs in with this private key.
    pub fn ssh_key_file(mut self, path: impl Into<String>) -> Self {
        self.ssh_key_file = Some(path.into());
        self
    }

    /// Keeps the binary and job files under `dir` (on the shared filesystem).
    pub fn remote_workdir(mut self, dir: impl Into<String>) -> Self {
        self.remote_workdir = dir.into();
        self
    }

    /// The `#SBATCH` options.
    pub fn options(mut self, options: SlurmOptions) -> Self {
        self.options = options;
        self
    }

    /// The `srun` options.
    pub fn srun_options(mut self, options: SlurmOptions) -> Self {
        self.srun_options = options;
        self
    }

    /// Runs the task under this command, inside `srun`.
    pub fn srun_append(mut self, command: impl Into<String>) -> Self {
        self.srun_append = Some(command.into());
        self
    }

    /// Shell lines before the task's `srun`.
    pub fn prerun_commands<S: Into<String>>(mut self, lines: impl IntoIterator<Item = S>) -> Self {
        self.prerun_commands = lines.into_iter().map(Into::into).collect();
        self
    }

    /// Shell lines after the task's `srun`.
    pub fn postrun_commands<S: Into<String>>(mut self, lines: impl IntoIterator<Item = S>) -> Self {
        self.postrun_commands = lines.into_iter().map(Into::into).collect();
        self
    }

    /// At most `n` tasks per job array.
    pub fn array_size(mut self, n: usize) -> Self {
        self.array_size = n;
        self
    }

    /// Polls the queue every `secs` seconds.
    pub fn poll_freq(mut self, secs: f64) -> Self {
        self.poll_freq = secs;
        self
    }

    /// The job script a batch of `tasks` tasks would get (for checking a configuration).
    ///
    /// ```
    /// use orbital_executors::slurm::{SlurmExecutor, SlurmOptions};
    /// let e = SlurmExecutor::new().options(SlurmOptions::new().set("nodes", 1));
    /// let script = e.job_script("/scratch/d/b", "/scratch/bin/abc", 3, None);
    /// assert!(script.starts_with("#!/bin/bash\n#SBATCH --nodes=1\n"));
    /// assert!(script.contains("#SBATCH --array=0-2\n"));
    /// ```
    pub fn job_script(
        &self,
        dir: &str,
        binary: &str,
        tasks: usize,
        time_limit: Option<Duration>,
    ) -> String {
        script::job_script(
            self,
            &script::JobPlan {
                dir,
                binary,
                tasks,
                time_limit,
                job_name: "orbital",
                capture_limit: self.capture_limit,
            },
        )
    }

    fn transport(&self) -> Transport {
        match &self.address {
            None => Transport::Local,
            Some(address) => {
                let mut ssh = SshExecutor::new(address.clone());
                ssh.username = self.username.clone();
                ssh.port = self.port;
                ssh.ssh_key_file = self.ssh_key_file.clone();
                ssh.cert_file = self.cert_file.clone();
                ssh.known_hosts = self.known_hosts.clone();
                ssh.strict_host_key_checking = self.strict_host_key_checking;
                ssh.remote_dir = self.remote_workdir.clone();
                Transport::Ssh(Box::new(ssh))
            }
        }
    }

    fn error(&self, message: impl Into<String>) -> ExecutorError {
        ExecutorError {
            executor: format!("slurm on {}", self.transport().place()),
            message: message.into(),
        }
    }

    /// `PATH=<slurm_path>:$PATH; ` when `slurm_path` is set.
    fn path_prefix(&self) -> String {
        match &self.slurm_path {
            Some(p) => format!("PATH={}:\"$PATH\"; ", quote(p.trim_end_matches('/'))),
            None => String::new(),
        }
    }

    fn check_config(&self) -> Result<(), String> {
        for (key, why) in script::RESERVED_OPTIONS {
            if self.options.get(key).is_some() {
                return Err(format!(
                    "`options.{key}` cannot be set: {why}; remove it from [executors.<name>.options]"
                ));
            }
        }
        if let Some(env) = &self.conda_env {
            return Err(format!(
                "`conda_env = \"{env}\"` is set, but orbital runs no Python (the task is this program): remove \
                 it, and put what the job needs loaded in `prerun_commands` (e.g. \"module load cuda\")"
            ));
        }
        if self.array_size == 0 {
            return Err(
                "`array_size` is 0: set it to 1 or more (1 submits one job per task)".into(),
            );
        }
        if !(self.poll_freq > 0.0 && self.poll_freq.is_finite()) {
            return Err(format!(
                "`poll_freq` is {}: set it to a number of seconds above 0",
                self.poll_freq
            ));
        }
        Ok(())
    }

    /// The working directory (expanded), checked writable, and the binary in it.
    async fn prepare(&self) -> Result<(String, String), String> {
        self.check_config()?;
        let t = self.transport();
        let workdir = self
            .state
            .workdir
            .get_or_try_init(|| async {
                let wd = t.expand(&self.remote_workdir).await?;
                let check = format!(
                    "{}mkdir -p {w} && test -w {w} || {{ echo 'remote_workdir not writable' >&2; exit 2; }}; \
                     for c in sbatch squeue scancel; do command -v $c >/dev/null || {{ echo \"$c\" >&2; exit 3; }}; done",
                    self.path_prefix(),
                    w = quote(&wd)
                );
                let o = t.sh(&check, None).await?;
                match o.code {
                    Some(0) => Ok(wd),
                    Some(3) => Err(format!(
                        "`{}` is not on the PATH of {}: set `slurm_path` to the directory holding Slurm's commands \
                         (e.g. slurm_path = \"/opt/slurm/bin\")",
                        o.stderr,
                        t.place()
                    )),
                    _ => Err(format!(
                        "remote_workdir {wd} cannot be created or written on {} ({}): set `remote_workdir` to a \
                         directory on the cluster's shared filesystem that you may write",
                        t.place(),
                        o.stderr
                    )),
                }
            })
            .await?
            .clone();
        let binary = self
            .state
            .binary
            .get_or_try_init(|| t.binary(&workdir))
            .await?
            .clone();
        Ok((workdir, binary))
    }

    async fn submit_batch(&self, tasks: Vec<Task>) -> Result<Vec<JobHandle>, String> {
        let (workdir, binary) = self.prepare().await?;
        let t = self.transport();
        let build = orbital_core::identity::current()
            .map_err(|e| format!("cannot compute this program's build identity: {e}"))?;
        let first = &tasks[0].spec;
        let nanos = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = format!(
            "{workdir}/{}/{}-{}-{nanos}",
            first.dispatch_id, first.node_id, first.attempt
        );
        let mut specs = Vec::new();
        for task in &tasks {
            let mut spec = task.spec.clone();
            spec.build_id = build.clone();
            protocol::write_spec(&mut specs, &spec)
                .map_err(|e| format!("cannot encode a task spec: {e}"))?;
        }
        let time_limit = tasks.iter().filter_map(|t| t.spec.time_limit).max();
        let job_name = if tasks.iter().all(|t| t.spec.electron == first.electron) {
            let short = first
                .electron
                .rsplit("::")
                .next()
                .unwrap_or(&first.electron);
            format!("orbital-{short}")
        } else {
            "orbital".to_owned()
        };
        let script = script::job_script(
            self,
            &script::JobPlan {
                dir: &dir,
                binary: &binary,
                tasks: tasks.len(),
                time_limit,
                job_name: &job_name,
                capture_limit: self.capture_limit,
            },
        );
        let d = quote(&dir);
        let put = t
            .sh(&format!("mkdir -p {d} && cat > {d}/specs"), Some(&specs))
            .await?;
        if !put.ok() {
            return Err(format!(
                "cannot write the job files in {dir}: {}; check `remote_workdir`",
                put.stderr
            ));
        }
        let submit = t
            .sh(
                &format!(
                    "{}cd {d} && cat > job.sh && sbatch --parsable job.sh",
                    self.path_prefix()
                ),
                Some(script.as_bytes()),
            )
            .await?;
        tracing::debug!(tasks = tasks.len(), %dir, "sbatch");
        if !submit.ok() {
            return Err(sbatch_refused(&submit.stderr));
        }
        let out = submit.stdout_text();
        let job_id = out
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim().split(';').next())
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| format!("sbatch printed no job id: {out:?} {}", submit.stderr))?
            .to_owned();
        tracing::info!(job = %job_id, tasks = tasks.len(), "submitted to Slurm");
        self.state
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job_id.clone(), tasks.len());
        Ok(if tasks.len() == 1 {
            vec![JobHandle(format!("{job_id} {dir}"))]
        } else {
            (0..tasks.len())
                .map(|i| JobHandle(format!("{job_id}_{i} {dir}")))
                .collect()
        })
    }

    async fn poll_jobs(&self, jobs: &[JobHandle]) -> Result<Vec<JobState>, String> {
        let handles: Vec<Handle<'_>> = jobs.iter().map(Handle::parse).collect();
        let mut guard = self.state.queue.lock().await;
        let snap = &mut *guard;
        let fresh = snap.at.is_some_and(|at| {
            at.elapsed() < Duration::from_secs_f64(self.poll_freq / 2.0)
                && handles.iter().all(|h| snap.jobs.contains_key(h.element))
        });
        if !fresh {
            self.refresh(snap, &handles).await?;
        }
        let mut states = Vec::with_capacity(handles.len());
        let mut ended = Vec::new();
        for h in &handles {
            let state = match snap.jobs.get(h.element) {
                Some(info) => {
                    let phase = queue::phase(&info.state);
                    if phase == JobState::Pending
                        && queue::blocked_reason(&info.reason)
                        && snap.warned_blocked.insert(h.element.to_owned())
                    {
                        tracing::warn!(
                            job = h.element,
                            reason = %info.reason,
                            "a Slurm job waits for a node that is not available (drained or down?)"
                        );
                    }
                    phase
                }
                None if snap.unreachable_since.is_some() => JobState::Pending,
                None => {
                    let n = snap.missing.entry(h.element.to_owned()).or_default();
                    *n += 1;
                    if *n >= MISSING_POLLS {
                        JobState::Done
                    } else {
                        JobState::Pending
                    }
                }
            };
            if state == JobState::Done {
                ended.push((h, snap.jobs.get(h.element).cloned()));
            }
            states.push(state);
        }
        drop(guard);
        let ended: Vec<_> = {
            let have = self
                .state
                .finished
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            ended
                .into_iter()
                .filter(|(h, _)| !have.contains_key(h.element))
                .collect()
        };
        if !ended.is_empty() {
            self.read_ahead(ended).await;
        }
        Ok(states)
    }

    /// One `squeue` for the given jobs and every other job of this executor in flight.
    async fn refresh(&self, snap: &mut Snapshot, handles: &[Handle<'_>]) -> Result<(), String> {
        let mut ids: Vec<String> = self
            .state
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        for h in handles {
            if !ids.iter().any(|i| i == h.base()) {
                ids.push(h.base().to_owned());
            }
        }
        let cmd = format!(
            "{}squeue -h -r -t all -j {} -O {}",
            self.path_prefix(),
            ids.join(","),
            quote(queue::SQUEUE_FORMAT)
        );
        let t = self.transport();
        let out = t.sh(&cmd, None).await;
        let parsed = match out {
            Ok(o) if o.ok() => Ok(queue::parse(&o.stdout_text())),
            Ok(o) if queue::no_such_jobs(&o.stderr) => Ok(HashMap::new()),
            Ok(o) if queue::controller_unreachable(&o.stderr) => Err((true, o.stderr)),
            Ok(o) => Err((false, format!("squeue failed: {}", o.stderr))),
            Err(e) => Err((true, e)),
        };
        match parsed {
            Ok(jobs) => {
                if snap.unreachable_since.take().is_some() {
                    tracing::info!("the Slurm controller answers again");
                }
                for h in handles {
                    if jobs.contains_key(h.element) {
                        snap.missing.remove(h.element);
                    }
                }
                snap.jobs = jobs;
                snap.at = Some(Instant::now());
                Ok(())
            }
            Err((true, said)) => {
                let since = *snap.unreachable_since.get_or_insert_with(Instant::now);
                if since.elapsed() > CONTROLLER_GRACE {
                    return Err(format!(
                        "the Slurm controller has not answered for {} s ({said}); is slurmctld running?",
                        since.elapsed().as_secs()
                    ));
                }
                tracing::warn!(error = %said, "the Slurm controller does not answer; still waiting for it");
                Ok(())
            }
            Err((false, said)) => Err(said),
        }
    }

    /// Reads what jobs that ended left (outcome, log, captures), all in one round trip.
    async fn read_ahead(&self, ended: Vec<(&Handle<'_>, Option<JobInfo>)>) {
        let files: Vec<(String, Option<u64>)> =
            ended.iter().flat_map(|(h, _)| self.files_of(h)).collect();
        let mut got = match self.transport().read_files(&files).await {
            Ok(g) => g.into_iter(),
            Err(e) => {
                tracing::warn!(error = %e, "reading the files of ended jobs failed; collect tries again");
                return;
            }
        };
        let mut finished = self
            .state
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for (h, info) in ended {
            let fin = Finished::from_files(info, &mut got);
            finished.insert(h.element.to_owned(), fin);
        }
    }

    /// The files an ended element left: its outcome (whole), its log and captures (their last
    /// `capture_limit` bytes).
    fn files_of(&self, h: &Handle<'_>) -> [(String, Option<u64>); 4] {
        let cap = format!("{}/cap.{}", h.dir, h.index());
        let limit = Some(self.capture_limit);
        [
            (h.file("out"), None),
            (h.file("log"), limit),
            (format!("{cap}/stdout"), limit),
            (format!("{cap}/stderr"), limit),
        ]
    }

    async fn collect_job(&self, job: &JobHandle) -> Result<TaskOutcome, String> {
        let h = Handle::parse(job);
        let taken = self
            .state
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(h.element);
        let fin = match taken {
            Some(f) => f,
            None => {
                let got = self.transport().read_files(&self.files_of(&h)).await?;
                let info = self.state.queue.lock().await.jobs.get(h.element).cloned();
                Finished::from_files(info, &mut got.into_iter())
            }
        };
        {
            let mut active = self.state.active.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = active.get_mut(h.base()) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    active.remove(h.base());
                }
            }
        }
        Ok(outcome_of(&h, fin))
    }

    /// Cancels a job or array element; cancels that come together share one `scancel`.
    async fn cancel_job(&self, job: &JobHandle) -> Result<(), String> {
        let h = Handle::parse(job);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let first = {
            let mut q = self.state.cancels.lock().unwrap_or_else(|p| p.into_inner());
            q.push((h.element.to_owned(), tx));
            q.len() == 1
        };
        if first {
            let (state, t, prefix) = (self.state.clone(), self.transport(), self.path_prefix());
            tokio::spawn(async move {
                tokio::time::sleep(CANCEL_GATHER).await;
                let batch =
                    std::mem::take(&mut *state.cancels.lock().unwrap_or_else(|p| p.into_inner()));
                let ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
                let result = match t
                    .sh(&format!("{prefix}scancel {}", ids.join(" ")), None)
                    .await
                {
                    Ok(o) if o.ok() => Ok(()),
                    Ok(o) => Err(format!("scancel {} failed: {}", ids.join(" "), o.stderr)),
                    Err(e) => Err(e),
                };
                tracing::debug!(jobs = ids.len(), ok = result.is_ok(), "scancel");
                for (_, tx) in batch {
                    let _ = tx.send(result.clone());
                }
            });
        }
        rx.await
            .unwrap_or_else(|_| Err("the cancel was dropped".to_owned()))
    }
}

/// sbatch's refusal, with what to change.
fn sbatch_refused(said: &str) -> String {
    let lower = said.to_ascii_lowercase();
    let hint = if lower.contains("invalid partition") {
        "check `options.partition` (`sinfo -s` lists the partitions)"
    } else if lower.contains("unrecognized option") || lower.contains("invalid option") {
        "an entry of `options` is not an sbatch option (see `man sbatch`)"
    } else if lower.contains("time limit") {
        "the time limit is over the partition's: lower the electron's `time_limit` or `options.time`"
    } else {
        "check `options` in the executor's configuration"
    };
    format!("sbatch refused the job: {}; {hint}", said.trim())
}

/// The node's outcome from what the job left: the runner's outcome when it wrote one,
/// otherwise an error that names the job's Slurm state and id.
fn outcome_of(h: &Handle<'_>, fin: Finished) -> TaskOutcome {
    let now = SystemTime::now();
    let log = fin
        .log
        .as_deref()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .filter(|l| !l.trim().is_empty());
    if let Some(bytes) = &fin.outcome {
        match protocol::read_outcome(&mut bytes.as_slice()) {
            Ok(mut o) => {
                o.exit_code = fin.info.as_ref().and_then(|i| i.exit().0).or(Some(0));
                return o;
            }
            Err(e) => {
                return TaskOutcome {
                    result: Err(TaskError::executor(format!(
                        "Slurm job {}: its outcome ({}) could not be read: {e}",
                        h.element,
                        h.file("out")
                    ))),
                    stderr: log,
                    ..TaskOutcome::new(Ok(Default::default()), now)
                };
            }
        }
    }
    let id = h.element;
    let tail = log
        .as_deref()
        .map(|l| {
            let l = l.trim();
            let start = l.len().saturating_sub(2000);
            let start = (start..l.len())
                .find(|&i| l.is_char_boundary(i))
                .unwrap_or(0);
            format!("; the end of its log ({}): {}", h.file("log"), &l[start..])
        })
        .unwrap_or_default();
    let (code, signal) = match fin.info.as_ref().map_or((None, None), JobInfo::exit) {
        // srun (and the script's `exit $rc`) report a task killed by signal N as 128 + N.
        (Some(c), None) if c > 128 && c < 128 + 65 => (None, Some(c - 128)),
        other => other,
    };
    let error = match fin.info.as_ref().map(|i| i.state.as_str()) {
        None => TaskError::executor(format!(
            "Slurm no longer knows job {id} (it ended more than MinJobAge ago, or the controller lost it) and \
             it left no outcome in {}{tail}",
            h.file("out")
        )),
        Some("TIMEOUT") => TaskError::new(
            TaskErrorKind::TimedOut,
            format!("Slurm job {id} ended TIMEOUT: it ran past its --time limit{tail}"),
        ),
        Some("CANCELLED") => TaskError::new(
            TaskErrorKind::Cancelled,
            format!("Slurm job {id} was CANCELLED (by scancel or an administrator){tail}"),
        ),
        Some("OUT_OF_MEMORY") => TaskError::failed(format!(
            "Slurm job {id} ended OUT_OF_MEMORY: ask for more memory with `options.mem` (e.g. mem = \"8G\"){tail}"
        )),
        Some("NODE_FAIL") => TaskError::executor(format!(
            "Slurm job {id} ended NODE_FAIL: its node failed (`retries` on the electron runs it again){tail}"
        )),
        Some("COMPLETED") => TaskError::executor(format!(
            "Slurm job {id} COMPLETED but its task wrote no outcome ({}): does `srun_append` or a pre-run \
             command stop the task command from running?{tail}",
            h.file("out")
        )),
        Some("FAILED") => {
            let mut e = runner::exit_error(code, signal, "", &format!("Slurm job {id} (FAILED)"));
            e.message.push_str(&tail);
            e
        }
        Some(other) => TaskError::executor(format!(
            "Slurm job {id} ended {other} ({}){tail}",
            fin.info.as_ref().map_or("", |i| i.reason.as_str())
        )),
    };
    let text = |b: &Option<Vec<u8>>| {
        b.as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let stderr = match (text(&fin.stderr), log) {
        (Some(e), Some(l)) => Some(format!("{e}\n[orbital: the Slurm job's log]\n{l}")),
        (e, l) => e.or(l),
    };
    TaskOutcome {
        result: Err(error),
        stdout: text(&fin.stdout),
        stderr,
        exit_code: code,
        signal,
        ..TaskOutcome::new(Ok(Default::default()), now)
    }
}

#[typetag::serde(name = "slurm")]
#[async_trait::async_trait]
impl Executor for SlurmExecutor {
    fn kind(&self) -> &'static str {
        "slurm"
    }

    fn max_concurrency(&self) -> Option<usize> {
        self.max_concurrency
    }

    fn batching(&self) -> Batching {
        Batching::Batch {
            max_batch: self.array_size.max(1),
            poll_interval: Duration::from_secs_f64(self.poll_freq.clamp(0.05, 3600.0)),
        }
    }

    /// Checks the configuration, the Slurm commands and the working directory, and puts the
    /// binary there, before the dispatch's first task.
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        self.prepare().await.map(drop).map_err(|e| self.error(e))
    }

    /// Removes the dispatch's job files when `cleanup` is on.
    async fn teardown(&self, ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        if !self.cleanup {
            return Ok(());
        }
        let Some(workdir) = self.state.workdir.get() else {
            return Ok(());
        };
        let dir = format!("{workdir}/{}", ctx.dispatch_id);
        match self
            .transport()
            .sh(&format!("rm -rf {}", quote(&dir)), None)
            .await
        {
            Ok(o) if o.ok() => Ok(()),
            Ok(o) => Err(self.error(format!("cannot remove {dir}: {}", o.stderr))),
            Err(e) => Err(self.error(e)),
        }
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        // The dispatcher sends this executor's tasks through `submit`; a lone call still works.
        let started = SystemTime::now();
        let limit = task.spec.time_limit;
        let jobs = match self.submit(vec![task]).await {
            Ok(j) => j,
            Err(e) => return TaskOutcome::new(Err(TaskError::executor(e.to_string())), started),
        };
        let every = Duration::from_secs_f64(self.poll_freq.clamp(0.05, 3600.0));
        loop {
            tokio::time::sleep(every).await;
            if let Some(l) = limit.filter(|l| started.elapsed().unwrap_or_default() > *l) {
                let _ = self.cancel(&jobs[0]).await;
                return TaskOutcome::new(
                    Err(TaskError::new(
                        TaskErrorKind::TimedOut,
                        format!("timed out after {}", humantime_secs(l)),
                    )),
                    started,
                );
            }
            match self.poll(&jobs).await {
                Ok(s) if s.first() == Some(&JobState::Done) => {
                    return self.collect(&jobs[0]).await.unwrap_or_else(|e| {
                        TaskOutcome::new(Err(TaskError::executor(e.to_string())), started)
                    })
                }
                Ok(_) => {}
                Err(e) => {
                    return TaskOutcome::new(Err(TaskError::executor(e.to_string())), started)
                }
            }
        }
    }

    async fn submit(&self, tasks: Vec<Task>) -> Result<Vec<JobHandle>, ExecutorError> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        self.submit_batch(tasks).await.map_err(|e| self.error(e))
    }

    async fn poll(&self, jobs: &[JobHandle]) -> Result<Vec<JobState>, ExecutorError> {
        self.poll_jobs(jobs).await.map_err(|e| self.error(e))
    }

    async fn collect(&self, job: &JobHandle) -> Result<TaskOutcome, ExecutorError> {
        self.collect_job(job).await.map_err(|e| self.error(e))
    }

    async fn cancel(&self, job: &JobHandle) -> Result<(), ExecutorError> {
        self.cancel_job(job).await.map_err(|e| self.error(e))
    }
}

fn humantime_secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_configuration_parses_in_order() {
        let text = r#"
username = "user"
address = "login.cluster.org"
ssh_key_file = "/home/user/.ssh/id_rsa"
remote_workdir = "/scratch/user"
cache_dir = "/tmp/covalent"

[options]
nodes = 1
ntasks = 4
cpus-per-task = 8
constraint = "gpu"
gpus = 4
qos = "regular"

[srun_options]
cpu_bind = "cores"
gpus = 4
gpu-bind = "single:1"
"#;
        let e: SlurmExecutor = toml::from_str(text).unwrap();
        let keys: Vec<&str> = e.options.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "nodes",
                "ntasks",
                "cpus-per-task",
                "constraint",
                "gpus",
                "qos"
            ]
        );
        assert_eq!(e.address.as_deref(), Some("login.cluster.org"));
    }

    #[test]
    fn conda_env_is_refused_with_what_to_do() {
        let e: SlurmExecutor = toml::from_str("conda_env = \"py311\"").unwrap();
        let err = e.check_config().unwrap_err();
        assert!(
            err.contains("conda_env") && err.contains("prerun_commands"),
            "{err}"
        );
    }

    #[test]
    fn reserved_options_are_refused_by_name() {
        let e = SlurmExecutor::new().options(SlurmOptions::new().set("array", "0-3"));
        let err = e.check_config().unwrap_err();
        assert!(err.contains("`options.array`"), "{err}");
    }

    #[test]
    fn handles_name_the_element_and_its_files() {
        let job = JobHandle("1234_7 /w/d/b".into());
        let h = Handle::parse(&job);
        assert_eq!(
            (h.base(), h.index(), h.file("out")),
            ("1234", "7", "/w/d/b/out.7".into())
        );
        let single = JobHandle("99 /w/x".into());
        let h = Handle::parse(&single);
        assert_eq!((h.base(), h.file("log")), ("99", "/w/x/log.0".into()));
    }

    #[test]
    fn states_without_an_outcome_become_errors_naming_the_job() {
        let job = JobHandle("1234_7 /w/d/b".into());
        let fin = |state: &str, status: i32| Finished {
            info: Some(JobInfo {
                state: state.into(),
                exit_status: Some(status),
                reason: "x".into(),
            }),
            outcome: None,
            log: Some(b"srun: error: boom\n".to_vec()),
            stdout: None,
            stderr: None,
        };
        let msg = |o: TaskOutcome| o.result.unwrap_err();
        let e = msg(outcome_of(&Handle::parse(&job), fin("FAILED", 3 << 8)));
        assert!(
            e.message.contains("Slurm job 1234_7 (FAILED)") && e.message.contains("exit code 3"),
            "{e}"
        );
        assert!(e.message.contains("srun: error: boom"), "{e}");
        let e = msg(outcome_of(&Handle::parse(&job), fin("TIMEOUT", 0)));
        assert_eq!(e.kind, TaskErrorKind::TimedOut);
        assert!(e.message.contains("TIMEOUT") && e.message.contains("1234_7"));
        let e = msg(outcome_of(&Handle::parse(&job), fin("FAILED", 137 << 8)));
        assert!(
            e.message.contains("signal 9 (SIGKILL)") && e.message.contains("1234_7"),
            "{e}"
        );
        for state in [
            "CANCELLED",
            "OUT_OF_MEMORY",
            "NODE_FAIL",
            "COMPLETED",
            "BOOT_FAIL",
        ] {
            let e = msg(outcome_of(&Handle::parse(&job), fin(state, 0)));
            assert!(
                e.message.contains(state) && e.message.contains("1234_7"),
                "{e}"
            );
        }
    }
}

//! The `ssh` executor: electrons on SSH hosts, over one multiplexed connection per host, with
//! the task binary shipped once.
//!
//! The program that dispatches is also the task binary: before the first task on a host, its
//! build is uploaded over SFTP to `<remote_dir>/bin/<build id>` (to a temporary name, made
//! executable, then renamed, so a partial upload is never run; skipped when already there),
//! after checking that the host's OS, architecture and C library can run it. Each task then
//! runs that binary in runner mode over the shared connection: the spec goes in on stdin, the
//! outcome comes back on stdout, and what the electron prints is captured per node. A time
//! limit or a cancel kills the task's whole process group on the host, not only the channel.
//!
//! ```toml
//! [executors.ssh]
//! hostname = "gpu1.example.org"
//! username = "alice"
//! ssh_key_file = "~/.ssh/id_ed25519"
//! remote_dir = "~/.cache/orbital"          # the default
//! port = 22                                # the default
//! known_hosts = "~/.ssh/known_hosts"       # default: ssh's own
//! strict_host_key_checking = true          # the default
//! max_concurrency = 16                     # tasks at once on this host (the default)
//! env = { RUST_LOG = "info" }
//! prerun_commands = ["module load cuda"]   # shell lines before each task
//! postrun_commands = []                    # and after it
//!
//! [executors.gpu2]                         # another host: another name, `type = "ssh"`
//! type = "ssh"
//! hostname = "gpu2.example.org"
//! ```
//!
//! The same executor is a value in Rust:
//!
//! ```
//! let gpu = orbital_executors::SshExecutor::new("gpu1.example.org").username("alice");
//! # let _ = gpu;
//! ```

mod connection;
mod ship;
mod task;

use std::collections::BTreeMap;
use std::time::SystemTime;

use orbital_core::runner::DEFAULT_CAPTURE_LIMIT;
use orbital_core::{Executor, ExecutorContext, ExecutorError, Task, TaskOutcome};
use serde::{Deserialize, Serialize};

pub use connection::{close_all, Host};

/// Runs tasks on an SSH host. See the [module documentation](self).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshExecutor {
    /// The host to connect to.
    pub hostname: String,
    /// The user to log in as (default: ssh's own choice).
    #[serde(default)]
    pub username: Option<String>,
    /// The SSH port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// The private key to log in with (default: ssh's own choice). `~` is expanded.
    #[serde(default)]
    pub ssh_key_file: Option<String>,
    /// The SSH certificate that goes with `ssh_key_file`, when the site signs keys. `~` is
    /// expanded.
    #[serde(default)]
    pub cert_file: Option<String>,
    /// Where the binary and task files live on the host. `~` is the remote home.
    #[serde(default = "default_remote_dir")]
    pub remote_dir: String,
    /// The known-hosts file to check the host key against (default: ssh's own). `~` is expanded.
    #[serde(default)]
    pub known_hosts: Option<String>,
    /// Refuse hosts whose key is unknown or has changed (the default). Off: accept and remember.
    #[serde(default = "default_true")]
    pub strict_host_key_checking: bool,
    /// The most tasks of one dispatch running on this host at once.
    #[serde(default)]
    pub max_concurrency: Option<usize>,
    /// Environment variables set for each task.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Shell lines run on the host before each task (their output goes to the task's stderr).
    #[serde(default)]
    pub prerun_commands: Vec<String>,
    /// Shell lines run on the host after each task.
    #[serde(default)]
    pub postrun_commands: Vec<String>,
    /// The most bytes of stdout, and of stderr, kept per task.
    #[serde(default = "default_capture_limit")]
    pub capture_limit: u64,
    /// How long to wait for the connection, in seconds.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
}

fn default_port() -> u16 {
    22
}
fn default_remote_dir() -> String {
    "~/.cache/orbital".to_owned()
}
fn default_true() -> bool {
    true
}
fn default_capture_limit() -> u64 {
    DEFAULT_CAPTURE_LIMIT
}
fn default_connect_timeout() -> u64 {
    15
}

/// Tasks on one host at once when `max_concurrency` is not set.
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;

impl SshExecutor {
    /// An executor for `hostname`, with every other setting at its default.
    pub fn new(hostname: impl Into<String>) -> Self {
        SshExecutor {
            hostname: hostname.into(),
            username: None,
            port: default_port(),
            ssh_key_file: None,
            cert_file: None,
            remote_dir: default_remote_dir(),
            known_hosts: None,
            strict_host_key_checking: true,
            max_concurrency: None,
            env: BTreeMap::new(),
            prerun_commands: Vec::new(),
            postrun_commands: Vec::new(),
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            connect_timeout_secs: default_connect_timeout(),
        }
    }

    /// Logs in as `user`.
    pub fn username(mut self, user: impl Into<String>) -> Self {
        self.username = Some(user.into());
        self
    }

    /// Connects to `port`.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Logs in with this private key.
    pub fn ssh_key_file(mut self, path: impl Into<String>) -> Self {
        self.ssh_key_file = Some(path.into());
        self
    }

    /// Keeps the binary and task files under `dir` on the host.
    pub fn remote_dir(mut self, dir: impl Into<String>) -> Self {
        self.remote_dir = dir.into();
        self
    }

    /// Checks the host key against this known-hosts file.
    pub fn known_hosts(mut self, path: impl Into<String>) -> Self {
        self.known_hosts = Some(path.into());
        self
    }

    /// `user@host:port`, as errors name the host.
    pub fn destination(&self) -> String {
        match &self.username {
            Some(u) => format!("{u}@{}:{}", self.hostname, self.port),
            None => format!("{}:{}", self.hostname, self.port),
        }
    }

    fn error(&self, message: impl Into<String>) -> ExecutorError {
        ExecutorError {
            executor: format!("ssh {}", self.destination()),
            message: message.into(),
        }
    }
}

#[typetag::serde(name = "ssh")]
#[async_trait::async_trait]
impl Executor for SshExecutor {
    fn kind(&self) -> &'static str {
        "ssh"
    }

    fn max_concurrency(&self) -> Option<usize> {
        Some(self.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY))
    }

    /// Connects (or reuses the connection) and ships the binary before the first task.
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        let host = Host::get(self).await.map_err(|e| self.error(e))?;
        host.binary(self).await.map_err(|e| self.error(e))?;
        Ok(())
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        let started = SystemTime::now();
        match task::run(self, task).await {
            Ok(outcome) => outcome,
            Err(e) => TaskOutcome::new(Err(e), started),
        }
    }
}

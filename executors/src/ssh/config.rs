//! The ssh executor's configuration: the host, how to log in, where its files go, and what
//! runs around each task, with their defaults.

use std::collections::BTreeMap;

use orbital_core::runner::DEFAULT_CAPTURE_LIMIT;
use orbital_core::ExecutorError;
use serde::{Deserialize, Serialize};

/// Runs tasks on an SSH host. See the [module documentation](super).
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

    /// An error of this executor, naming the host.
    pub(super) fn error(&self, message: impl Into<String>) -> ExecutorError {
        ExecutorError {
            executor: format!("ssh {}", self.destination()),
            message: message.into(),
        }
    }
}

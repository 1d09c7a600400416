//! The ssh executor's configuration: the host, how to log in, where its files go, and what
//! runs around each task, with their defaults.

use std::collections::BTreeMap;

use orbital_core::runner::DEFAULT_CAPTURE_LIMIT;

use crate::ship::choose::CrossBuild;
use crate::ship::program::{self, Settings};
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
    /// When the program is built again for the host instead of shipping this executable:
    /// `"auto"` (the default: when this executable cannot run there, by its own ELF machine and
    /// glibc needs against what the host says it is), `"always"`, or `"never"` (then an
    /// executable that cannot run there is an error naming both sides).
    #[serde(default)]
    pub cross_build: CrossBuild,
    /// The host's target, instead of asking the host (`uname`, and its C library): the build
    /// is for exactly this, e.g. `"x86_64-unknown-linux-gnu.2.28"` or
    /// `"aarch64-unknown-linux-musl"`.
    #[serde(default)]
    pub target: Option<String>,
    /// The Cargo profile of a build for the host.
    #[serde(default = "default_build_profile")]
    pub build_profile: String,
    /// The package's features of a build for the host (default: those this program was built
    /// with, as `#[orbital::main]` recorded them).
    #[serde(default)]
    pub build_features: Option<Vec<String>>,
    /// A program to ship as it is (a build for the host made by hand), instead of this one.
    /// It must hold the same electrons: build it from the same source. `~` is expanded.
    #[serde(default)]
    pub binary: Option<String>,
    /// Where builds for the host go (`<cache_dir>/build`, a Cargo target directory of its own).
    /// Default `~/.cache/orbital/ssh`. `~` is expanded.
    #[serde(default)]
    pub cache_dir: Option<String>,
    /// Where the tasks' working directories go on the host (Covalent's key; default
    /// `<remote_dir>/workdir`). Each task's process starts in its own.
    #[serde(default)]
    pub remote_workdir: Option<String>,
    /// One directory per task, `REMOTE_WORKDIR/DISPATCH/node_N` (the default), or
    /// `remote_workdir` itself for every task (Covalent's key; Covalent's default is `false`).
    #[serde(default = "default_true")]
    pub create_unique_workdir: bool,
    /// Keep each task's own directory after it ends (default: removed).
    #[serde(default)]
    pub keep_workdir: bool,
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
fn default_build_profile() -> String {
    program::DEFAULT_PROFILE.to_owned()
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
            cross_build: CrossBuild::Auto,
            target: None,
            build_profile: default_build_profile(),
            build_features: None,
            binary: None,
            cache_dir: None,
            remote_workdir: None,
            create_unique_workdir: true,
            keep_workdir: false,
        }
    }

    /// Ships this prebuilt program (a build for the host) instead of this one.
    pub fn binary(mut self, path: impl Into<String>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// Builds for this target instead of asking the host what it is
    /// (`"x86_64-unknown-linux-gnu.2.28"`).
    pub fn target(mut self, triple: impl Into<String>) -> Self {
        self.target = Some(triple.into());
        self
    }

    /// When to build the program again for the host (see [`CrossBuild`]).
    pub fn cross_build(mut self, when: CrossBuild) -> Self {
        self.cross_build = when;
        self
    }

    /// What the shared shipping path needs of this configuration.
    pub(crate) fn shipping(&self) -> Settings {
        Settings {
            cross_build: self.cross_build,
            target: self.target.clone(),
            build_profile: self.build_profile.clone(),
            build_features: self.build_features.clone(),
            binary: self.binary.clone(),
            cache_dir: self.cache_dir.as_deref().map_or_else(
                || program::default_cache_dir("ssh"),
                crate::ship::shell::expand_local,
            ),
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

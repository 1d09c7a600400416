//! The slurm executor's configuration: the login node and how to reach it, the working
//! directory, the `#SBATCH` and `srun` options and the commands around the task, with their
//! defaults and their checks; and the transport and error naming that follow from them.

use std::collections::BTreeMap;
use std::sync::Arc;

use orbital_core::runner::DEFAULT_CAPTURE_LIMIT;
use orbital_core::ExecutorError;
use serde::{Deserialize, Serialize};

use super::options::{SlurmOptions, RESERVED_OPTIONS};
use super::state::State;
use super::transport::Transport;
use crate::ship::choose::CrossBuild;
use crate::ship::program::{self, Settings};
use crate::ship::shell::{expand_local, quote};
use crate::ssh::SshExecutor;

/// Runs tasks as Slurm jobs. See the [module documentation](super).
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
    /// Run the task as a job step (`srun ...`, the default), or directly in the batch script
    /// (`false`: `srun_options` and `srun_append` are then unused). Covalent's key.
    #[serde(default = "default_true")]
    pub use_srun: bool,
    /// Environment variables the job script exports before everything else (Covalent's
    /// `variables`).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// A shell file the job script sources, when it exists, before `prerun_commands`
    /// (Covalent's key; `$HOME` and other variables are expanded on the node). Its status is
    /// not checked: a non-interactive `.bashrc` often returns early.
    #[serde(default)]
    pub bashrc_path: Option<String>,
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
    /// Where builds of this program for the cluster go (`<cache_dir>/build`, a Cargo target
    /// directory of its own), on this machine. Default `~/.cache/orbital/slurm`. (Covalent's
    /// key of the same name is its local staging directory; orbital stages nothing else there:
    /// specs go straight to `remote_workdir`.)
    #[serde(default)]
    pub cache_dir: Option<String>,
    /// When the program is built again for the cluster instead of shipping this executable:
    /// `"auto"` (the default: when this executable cannot run there), `"always"`, `"never"`.
    #[serde(default)]
    pub cross_build: CrossBuild,
    /// The cluster's target, instead of asking it: `"x86_64-unknown-linux-gnu.2.28"`,
    /// `"x86_64-unknown-linux-musl"`. The build is for exactly this.
    #[serde(default)]
    pub target: Option<String>,
    /// Where the cluster is asked what it is: `"login"` (the default: the login node, or this
    /// machine without `address`) or `"compute"` (a tiny job with `options`, for clusters
    /// whose compute nodes differ from their login node).
    #[serde(default)]
    pub probe: Probe,
    /// The Cargo profile of a build for the cluster.
    #[serde(default = "default_build_profile")]
    pub build_profile: String,
    /// The package's features of a build for the cluster (default: this build's own).
    #[serde(default)]
    pub build_features: Option<Vec<String>>,
    /// A program to ship as it is (a build for the cluster made by hand, from the same
    /// source), instead of this one. `~` is expanded.
    #[serde(default)]
    pub binary: Option<String>,
    /// Covalent's conda environment. orbital runs no Python: setting it is an error that says
    /// so (use `prerun_commands` for what the job needs loaded).
    #[serde(default)]
    pub conda_env: Option<String>,
    /// One directory per task, `<remote_workdir>/workdir/DISPATCH/node_N` (the default), or
    /// `<remote_workdir>/workdir` itself for every task (Covalent's key; Covalent's default is
    /// `false`). Each task's process starts in its directory.
    #[serde(default = "default_true")]
    pub create_unique_workdir: bool,
    /// Keep each task's own directory after it ends (default: removed).
    #[serde(default)]
    pub keep_workdir: bool,
    #[serde(skip)]
    pub(super) state: Arc<State>,
}

/// Where a Slurm executor asks the cluster what it is (`probe`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Probe {
    /// On the login node (or this machine, without `address`).
    #[default]
    Login,
    /// As a tiny job, on a compute node the job's `options` select.
    Compute,
}

fn default_build_profile() -> String {
    program::DEFAULT_PROFILE.to_owned()
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
            use_srun: true,
            variables: BTreeMap::new(),
            bashrc_path: None,
            prerun_commands: Vec::new(),
            postrun_commands: Vec::new(),
            poll_freq: default_poll_freq(),
            cleanup: true,
            array_size: default_array_size(),
            max_concurrency: None,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            cache_dir: None,
            cross_build: CrossBuild::Auto,
            target: None,
            probe: Probe::Login,
            build_profile: default_build_profile(),
            build_features: None,
            binary: None,
            conda_env: None,
            create_unique_workdir: true,
            keep_workdir: false,
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

    /// Where Slurm's commands run: this machine, or the login node over SSH (`address`).
    pub(super) fn transport(&self) -> Transport {
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
                let ship = self.shipping();
                ssh.cross_build = ship.cross_build;
                ssh.target = ship.target;
                ssh.build_profile = ship.build_profile;
                ssh.build_features = ship.build_features;
                ssh.binary = ship.binary;
                ssh.cache_dir = Some(ship.cache_dir.display().to_string());
                Transport::Ssh(Box::new(ssh))
            }
        }
    }

    /// What the shared shipping path needs of this configuration.
    pub(super) fn shipping(&self) -> Settings {
        Settings {
            cross_build: self.cross_build,
            target: self.target.clone(),
            build_profile: self.build_profile.clone(),
            build_features: self.build_features.clone(),
            binary: self.binary.clone(),
            cache_dir: self
                .cache_dir
                .as_deref()
                .map_or_else(|| program::default_cache_dir("slurm"), expand_local),
        }
    }

    /// Builds for this target instead of asking the cluster what it is
    /// (`"x86_64-unknown-linux-musl"`).
    pub fn target(mut self, triple: impl Into<String>) -> Self {
        self.target = Some(triple.into());
        self
    }

    /// An error of this executor, naming where its commands run.
    pub(super) fn error(&self, message: impl Into<String>) -> ExecutorError {
        ExecutorError {
            executor: format!("slurm on {}", self.transport().place()),
            message: message.into(),
        }
    }

    /// `PATH=<slurm_path>:$PATH; ` when `slurm_path` is set.
    pub(super) fn path_prefix(&self) -> String {
        match &self.slurm_path {
            Some(p) => format!("PATH={}:\"$PATH\"; ", quote(p.trim_end_matches('/'))),
            None => String::new(),
        }
    }

    /// Checks the settings; the error names the key to change.
    pub(super) fn check_config(&self) -> Result<(), String> {
        for (key, why) in RESERVED_OPTIONS {
            if self.options.get(key).is_some() {
                return Err(format!(
                    "`options.{key}` cannot be set: {why}; remove it from [executors.<name>.options]"
                ));
            }
        }
        if let Some(env) = self.conda_env.as_ref().filter(|e| !e.trim().is_empty()) {
            return Err(format!(
                "`conda_env = \"{env}\"` is set, but orbital runs no Python (the task is this program): remove \
                 it, and put what the job needs loaded in `prerun_commands` (e.g. \"module load cuda\")"
            ));
        }
        if let Some(bad) = self.variables.keys().find(|k| !is_shell_name(k)) {
            return Err(format!(
                "`variables.{bad}` is not a shell variable name: use letters, digits and `_`, not starting \
                 with a digit"
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
}

/// Whether `k` may be exported as a shell variable.
fn is_shell_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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
}

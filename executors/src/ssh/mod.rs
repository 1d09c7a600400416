//! The `ssh` executor: electrons on SSH hosts, over one multiplexed connection per host, with
//! the task binary shipped once. Its files may use `ship/` and orbital-core; the slurm executor
//! uses its connections through what this file re-exports.
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

mod binary;
mod compat;
mod config;
mod connection;
mod executor;
mod task;

pub use config::{SshExecutor, DEFAULT_MAX_CONCURRENCY};
pub use connection::{close_all, Host};

//! The `ssh` executor: electrons on SSH hosts, over one multiplexed connection per host, with
//! the task binary shipped once. Its files may use `ship/` and orbital-core; the slurm executor
//! uses its connections through what this file re-exports.
//!
//! The program that dispatches is also the task binary. Before the first task on a host, the
//! executor asks the host what it is (`uname -s`, `uname -m`, its C library), and reads what
//! this executable needs (its ELF machine and newest `GLIBC_2.x`). When it can run there, it
//! is shipped as it is; otherwise (a newer glibc than the host's, another architecture, a
//! driver on macOS) the same program is built for the host with `cargo zigbuild` (glibc 2.17,
//! or musl for a host without glibc) into `<cache_dir>/build`, and that build is shipped. The
//! build is uploaded over SFTP to `<remote_dir>/bin/<build id>` (to a temporary name, made
//! executable, then renamed, so a partial upload is never run; skipped when already there),
//! and each spec carries that build's identity. Each task then
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
//! cross_build = "auto"                     # build for the host when this executable cannot run there
//! # target = "x86_64-unknown-linux-gnu.2.28"   # the host's target, instead of asking it
//! build_profile = "release"                # the Cargo profile of that build (the default)
//! # build_features = ["ssh"]               # its features (default: this build's own)
//! # binary = "target/x86_64-unknown-linux-gnu/release/app"   # ship this build instead
//! # cache_dir = "~/.cache/orbital/ssh"     # builds go to <cache_dir>/build (the default)
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
mod config;
mod connection;
mod executor;
mod probe;
mod task;

pub use config::{SshExecutor, DEFAULT_MAX_CONCURRENCY};
pub use connection::{close_all, Host};

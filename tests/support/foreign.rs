//! The two "foreign hosts" that `harness/foreign` starts, as the SSH tests see them: Debian
//! root filesystems (chroots) on the driver, each with its own sshd on 127.0.0.1.
//!
//! - `old`: Debian 11 bullseye amd64, glibc 2.31 (older than the driver's), so a binary
//!   built on the driver does not run there;
//! - `arm`: Debian 12 bookworm arm64 under qemu-user, another architecture.
//!
//! Include it next to `sshd.rs` (it uses [`super::sshd::SshTarget`]):
//!
//! ```ignore
//! #[path = "support/sshd.rs"] mod sshd;
//! #[path = "support/foreign.rs"] mod foreign;
//! ```
//!
//! It uses only `std`. [`old_glibc`] and [`arm`] read the environment
//! `eval "$(./harness/foreign)"` exports; without it, a test under the harness
//! (`ORBITAL_HARNESS=1`) fails, and a plain `cargo test` skips loudly, so a test starts with
//! `let Some(host) = foreign::arm() else { return };`.
//!
//! Both hosts share one directory with the driver ([`ForeignHost::share`]), mounted at the
//! same path inside the roots: a file a task writes there is at that same path on the driver
//! (owned by the chroot's `orbital-ssh`, uid 1000). Anything else in a root is reachable from
//! the driver under [`ForeignHost::root`] (see [`ForeignHost::in_root`]).

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::sshd::SshTarget;

/// The environment variables `harness/foreign` prints for `eval`, common to both hosts.
pub const ENV_HOST: &str = "ORBITAL_TEST_FOREIGN_HOST";
pub const ENV_USER: &str = "ORBITAL_TEST_FOREIGN_USER";
pub const ENV_KEY: &str = "ORBITAL_TEST_FOREIGN_KEY";
pub const ENV_SHARE: &str = "ORBITAL_TEST_FOREIGN_SHARE";

/// Per host: `ORBITAL_TEST_FOREIGN_{OLD,ARM}_{PORT,KNOWN_HOSTS,ROOT}`.
pub const ENV_OLD_PORT: &str = "ORBITAL_TEST_FOREIGN_OLD_PORT";
pub const ENV_OLD_KNOWN_HOSTS: &str = "ORBITAL_TEST_FOREIGN_OLD_KNOWN_HOSTS";
pub const ENV_OLD_ROOT: &str = "ORBITAL_TEST_FOREIGN_OLD_ROOT";
pub const ENV_ARM_PORT: &str = "ORBITAL_TEST_FOREIGN_ARM_PORT";
pub const ENV_ARM_KNOWN_HOSTS: &str = "ORBITAL_TEST_FOREIGN_ARM_KNOWN_HOSTS";
pub const ENV_ARM_ROOT: &str = "ORBITAL_TEST_FOREIGN_ARM_ROOT";

/// Files of each sshd, as paths inside its root (what the chroot sees).
pub const CONFIG_IN_ROOT: &str = "/etc/ssh/orbital_sshd_config";
pub const PIDFILE_IN_ROOT: &str = "/run/orbital-sshd.pid";
pub const LOG_IN_ROOT: &str = "/var/log/orbital-sshd.log";

/// The test user's home inside each root (a `remote_dir` under it is writable).
pub const HOME: &str = "/home/orbital-ssh";

/// One foreign host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignHost {
    /// `"old"` or `"arm"`.
    pub name: &'static str,
    /// How to log in. `config` and `pidfile` are the driver-side paths of the files inside
    /// the root (so [`SshTarget::state_dir`] is the root's `etc/ssh`); the sshd's log is
    /// [`log`], not [`SshTarget::log`].
    pub ssh: SshTarget,
    /// The root filesystem, on the driver.
    pub root: PathBuf,
    /// The directory shared with the driver, at this same path inside the root.
    pub share: PathBuf,
}

fn under_harness() -> bool {
    std::env::var("ORBITAL_HARNESS").as_deref() == Ok("1")
}

/// `old`: Debian 11 bullseye amd64 (`uname -m` x86_64, glibc 2.31), from the environment.
/// `None` (after a loud SKIPPED line on stderr) without it, unless `ORBITAL_HARNESS=1`, where
/// it panics.
pub fn old_glibc() -> Option<ForeignHost> {
    host("old", ENV_OLD_PORT, ENV_OLD_KNOWN_HOSTS, ENV_OLD_ROOT)
}

/// `arm`: Debian 12 bookworm arm64 under qemu-user (`uname -m` aarch64, glibc 2.36), from the
/// environment. `None` (after a loud SKIPPED line on stderr) without it, unless
/// `ORBITAL_HARNESS=1`, where it panics.
pub fn arm() -> Option<ForeignHost> {
    host("arm", ENV_ARM_PORT, ENV_ARM_KNOWN_HOSTS, ENV_ARM_ROOT)
}

fn host(
    name: &'static str,
    env_port: &str,
    env_known_hosts: &str,
    env_root: &str,
) -> Option<ForeignHost> {
    let get = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
    let names = [
        ENV_HOST,
        ENV_USER,
        ENV_KEY,
        ENV_SHARE,
        env_port,
        env_known_hosts,
        env_root,
    ];
    let missing: Vec<&str> = names.iter().copied().filter(|n| get(n).is_none()).collect();
    if !missing.is_empty() {
        if under_harness() {
            panic!(
                "ORBITAL_HARNESS=1 but the foreign host `{name}`'s environment is missing ({}): \
                 ./harness/foreign failed to start it, or its output was not `eval`ed; run \
                 `./harness/foreign` and look at what it prints on stderr",
                missing.join(", ")
            );
        }
        // Straight to fd 2: libtest captures `eprintln!` of passing tests, so a skip said
        // with it would be silent.
        let test = std::thread::current()
            .name()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n=== SKIPPED{test}: this test needs the foreign host `{name}`; run \
             ./harness/run-tests (or eval \"$(./harness/foreign)\") === (missing: {})",
            missing.join(", ")
        );
        return None;
    }
    let var = |var: &str| get(var).unwrap();
    let port = var(env_port)
        .parse()
        .unwrap_or_else(|e| panic!("{env_port}={:?} is not a port: {e}", var(env_port)));
    let root = PathBuf::from(var(env_root));
    Some(ForeignHost {
        name,
        ssh: SshTarget {
            host: var(ENV_HOST),
            port,
            user: var(ENV_USER),
            key: var(ENV_KEY).into(),
            known_hosts: var(env_known_hosts).into(),
            config: in_root(&root, CONFIG_IN_ROOT),
            pidfile: in_root(&root, PIDFILE_IN_ROOT),
        },
        root,
        share: var(ENV_SHARE).into(),
    })
}

/// `path` (as the chroot sees it) as a path on the driver, under `root`.
fn in_root(root: &Path, path: impl AsRef<Path>) -> PathBuf {
    let path = path.as_ref();
    root.join(path.strip_prefix("/").unwrap_or(path))
}

/// The host's sshd log (`-E`), on the driver, for failure messages.
pub fn log(host: &ForeignHost) -> PathBuf {
    host.in_root(LOG_IN_ROOT)
}

impl ForeignHost {
    /// `path` inside the root (e.g. `/home/orbital-ssh/x`) as a path on the driver.
    pub fn in_root(&self, path: impl AsRef<Path>) -> PathBuf {
        in_root(&self.root, path)
    }

    /// The sshd's log, on the driver ([`log`]).
    pub fn log(&self) -> PathBuf {
        log(self)
    }

    /// The sshd's log so far (empty if unreadable).
    pub fn log_text(&self) -> String {
        fs::read_to_string(self.log()).unwrap_or_default()
    }

    /// What `uname -m` prints on the host.
    pub fn machine(&self) -> &'static str {
        match self.name {
            "arm" => "aarch64",
            _ => "x86_64",
        }
    }

    /// What `getconf GNU_LIBC_VERSION` prints on the host.
    pub fn glibc(&self) -> &'static str {
        match self.name {
            "arm" => "glibc 2.36",
            _ => "glibc 2.31",
        }
    }

    /// A path in the shared directory named after the host, this process and `name` (not
    /// created); the same path on the driver and on the host.
    pub fn share_path(&self, name: &str) -> PathBuf {
        self.share
            .join(format!("{}-{}-{name}", self.name, std::process::id()))
    }
}

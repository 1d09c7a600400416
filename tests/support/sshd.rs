//! The throwaway sshd that `harness/sshd` starts, as the SSH tests see it.
//!
//! Include it with `#[path = "support/sshd.rs"] mod sshd;`. It uses only `std` (no orbital
//! types), so it compiles on its own in any test target.
//!
//! - [`target`] reads the environment `eval "$(./harness/sshd)"` exports. Without it, a test
//!   under the harness (`ORBITAL_HARNESS=1`) fails, and a plain `cargo test` skips loudly.
//! - [`ssh_toml`] is an `[executors.NAME]` table for that sshd.
//! - [`start_extra_sshd`] starts a second sshd from the same configuration on another port,
//!   for tests that kill the server under a running dispatch.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The absolute path sshd must be started by (it re-executes itself).
pub const SSHD: &str = "/usr/sbin/sshd";

/// The environment variables `harness/sshd` prints for `eval`.
pub const ENV_HOST: &str = "ORBITAL_TEST_SSH_HOST";
pub const ENV_PORT: &str = "ORBITAL_TEST_SSH_PORT";
pub const ENV_USER: &str = "ORBITAL_TEST_SSH_USER";
pub const ENV_KEY: &str = "ORBITAL_TEST_SSH_KEY";
pub const ENV_KNOWN_HOSTS: &str = "ORBITAL_TEST_SSH_KNOWN_HOSTS";
pub const ENV_PIDFILE: &str = "ORBITAL_TEST_SSHD_PIDFILE";
pub const ENV_CONFIG: &str = "ORBITAL_TEST_SSHD_CONFIG";

/// The default `remote_dir` of [`ssh_toml`]: under the test user's home.
pub const REMOTE_DIR: &str = "/home/orbital-ssh/.cache/orbital-test";

/// One sshd to test against, and everything a client needs for strict host key checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The client's private key (ed25519, no passphrase).
    pub key: PathBuf,
    /// A known_hosts file with this sshd's host key for `[host]:port`.
    pub known_hosts: PathBuf,
    /// The sshd_config it runs with.
    pub config: PathBuf,
    /// Its pidfile.
    pub pidfile: PathBuf,
}

fn under_harness() -> bool {
    std::env::var("ORBITAL_HARNESS").as_deref() == Ok("1")
}

/// The sshd `harness/sshd` started, from the environment.
///
/// When the environment is missing: under the harness (`ORBITAL_HARNESS=1`) this panics (a
/// missing service is a failure there); otherwise it says LOUDLY on stderr that the test is
/// skipped and returns `None`, so a test starts with
/// `let Some(target) = sshd::target() else { return };`.
pub fn target() -> Option<SshTarget> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let names = [
        ENV_HOST,
        ENV_PORT,
        ENV_USER,
        ENV_KEY,
        ENV_KNOWN_HOSTS,
        ENV_PIDFILE,
        ENV_CONFIG,
    ];
    let missing: Vec<&str> = names.iter().copied().filter(|n| get(n).is_none()).collect();
    if !missing.is_empty() {
        if under_harness() {
            panic!(
                "ORBITAL_HARNESS=1 but the test sshd's environment is missing ({}): \
                 harness/sshd failed to start sshd, or its output was not `eval`ed; \
                 run `./harness/sshd` and look at what it prints on stderr",
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
            "\n=== SKIPPED{test}: the ssh tests need a real sshd; run ./harness/run-tests \
             (or eval \"$(./harness/sshd)\") === (missing: {})",
            missing.join(", ")
        );
        return None;
    }
    let var = |name: &str| get(name).unwrap();
    let port = var(ENV_PORT)
        .parse()
        .unwrap_or_else(|e| panic!("{ENV_PORT}={:?} is not a port: {e}", var(ENV_PORT)));
    Some(SshTarget {
        host: var(ENV_HOST),
        port,
        user: var(ENV_USER),
        key: var(ENV_KEY).into(),
        known_hosts: var(ENV_KNOWN_HOSTS).into(),
        config: var(ENV_CONFIG).into(),
        pidfile: var(ENV_PIDFILE).into(),
    })
}

impl SshTarget {
    /// The directory `harness/sshd` keeps its files in (that of the config).
    pub fn state_dir(&self) -> PathBuf {
        self.config
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The sshd's log (`-E`), for failure messages.
    pub fn log(&self) -> PathBuf {
        self.state_dir().join("sshd.log")
    }

    /// `ssh` with this target's key, port and known_hosts, strict host key checking, no
    /// user or system ssh configuration, and no prompts; append the remote command with
    /// `.arg(...)`.
    pub fn ssh_command(&self) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.arg("-F")
            .arg("/dev/null")
            .arg("-i")
            .arg(&self.key)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-o", "IdentitiesOnly=yes"])
            .args(["-o", "BatchMode=yes"])
            .args(["-o", "StrictHostKeyChecking=yes"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", self.known_hosts.display()))
            .args(["-o", "GlobalKnownHostsFile=/dev/null"])
            .args(["-o", "ConnectTimeout=5"])
            .arg(format!("{}@{}", self.user, self.host))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `remote` (a shell line) on the target over a fresh ssh connection.
    pub fn ssh(&self, remote: &str) -> Output {
        self.ssh_command()
            .arg(remote)
            .output()
            .unwrap_or_else(|e| panic!("cannot run ssh: {e}"))
    }
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An `[executors.NAME]` table (`type = "ssh"`) for `target`, with strict host key checking
/// and `remote_dir` = [`REMOTE_DIR`].
pub fn ssh_toml(target: &SshTarget, name: &str) -> String {
    ssh_toml_in(target, name, REMOTE_DIR)
}

/// [`ssh_toml`] with another `remote_dir` (a per-test directory keeps tests apart).
pub fn ssh_toml_in(target: &SshTarget, name: &str, remote_dir: &str) -> String {
    format!(
        "[executors.{name}]\n\
         type = \"ssh\"\n\
         hostname = {host}\n\
         port = {port}\n\
         username = {user}\n\
         ssh_key_file = {key}\n\
         known_hosts = {known_hosts}\n\
         strict_host_key_checking = true\n\
         remote_dir = {remote_dir}\n",
        name = toml_str(name),
        host = toml_str(&target.host),
        port = target.port,
        user = toml_str(&target.user),
        key = toml_str(&target.key.to_string_lossy()),
        known_hosts = toml_str(&target.known_hosts.to_string_lossy()),
        remote_dir = toml_str(remote_dir),
    )
}

/// A port on 127.0.0.1 that was free a moment ago (for [`start_extra_sshd`]).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free port on 127.0.0.1: {e}"))
}

/// A second sshd from the harness's configuration on its own port, a child of this process.
/// [`ExtraSshd::kill`] (and drop) kill it together with every connection it serves.
#[derive(Debug)]
pub struct ExtraSshd {
    child: Option<Child>,
    target: SshTarget,
    log: PathBuf,
}

/// Starts a second sshd from `base`'s configuration (same host key, users and
/// authorized_keys) listening on `port` (`0`: a free one), with its own pidfile, log and
/// known_hosts file, and waits until it answers an ssh login. For tests that kill sshd in
/// the middle of a dispatch: connect through [`ExtraSshd::target`], then [`ExtraSshd::kill`].
pub fn start_extra_sshd(base: &SshTarget, port: u16) -> ExtraSshd {
    let port = if port == 0 { free_port() } else { port };
    let dir = base.state_dir();
    let pidfile = dir.join(format!("extra-{port}.pid"));
    let log = dir.join(format!("extra-{port}.log"));
    let known_hosts = dir.join(format!("extra-{port}.known_hosts"));

    // Same host key, so the same key line, under `[host]:port`.
    let base_known = fs::read_to_string(&base.known_hosts)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", base.known_hosts.display()));
    let key = base_known
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            let (_host, kind, blob) = (f.next()?, f.next()?, f.next()?);
            Some(format!("{kind} {blob}"))
        })
        .unwrap_or_else(|| panic!("no host key in {}", base.known_hosts.display()));
    fs::write(&known_hosts, format!("[{}]:{} {}\n", base.host, port, key))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", known_hosts.display()));
    let _ = fs::remove_file(&log);

    // -D: no daemon, so this process owns it. `-p` replaces the config file's Port;
    // `-o Port=...` would ADD a port (sshd would try to bind the harness's port too, and
    // only "work" because that one is taken).
    let child = Command::new(SSHD)
        .arg("-D")
        .arg("-f")
        .arg(&base.config)
        .arg("-p")
        .arg(port.to_string())
        .arg("-o")
        .arg(format!("PidFile={}", pidfile.display()))
        .arg("-E")
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));

    let mut extra = ExtraSshd {
        child: Some(child),
        target: SshTarget {
            port,
            known_hosts,
            pidfile,
            ..base.clone()
        },
        log,
    };

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = extra
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            extra.child = None;
            panic!(
                "the extra sshd on port {port} exited at once ({status}); its log:\n{}",
                extra.log_text()
            );
        }
        let out = extra.target.ssh("true");
        if out.status.success() {
            return extra;
        }
        if Instant::now() > deadline {
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            extra.kill();
            panic!(
                "the extra sshd on port {port} does not answer an ssh login within 10 s; \
                 ssh said: {stderr}\nits log:\n{}",
                extra.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl ExtraSshd {
    /// Where to connect (its port, its known_hosts; key and user as the harness's).
    pub fn target(&self) -> &SshTarget {
        &self.target
    }

    pub fn port(&self) -> u16 {
        self.target.port
    }

    /// The listener's pid, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the listener still runs.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the sshd like a crash of the server: SIGKILL to the listener and to every
    /// process under it (the per-connection sshd processes and the commands they run), so
    /// open connections drop too, not only new ones. Idempotent.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let root = child.id();
        // Freeze the tree first so nothing forks or is re-parented while we collect it.
        let mut stopped: Vec<u32> = vec![root];
        signal("STOP", &[root]);
        loop {
            let found: Vec<u32> = descendants(root)
                .into_iter()
                .filter(|p| !stopped.contains(p))
                .collect();
            if found.is_empty() {
                break;
            }
            signal("STOP", &found);
            stopped.extend(found);
        }
        signal("KILL", &stopped);
        let _ = child.wait();
        let _ = fs::remove_file(&self.target.pidfile);
    }

    /// Kills only the listener (SIGKILL): new connections are refused, connections already
    /// open keep working until they close.
    pub fn kill_listener_only(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = fs::remove_file(&self.target.pidfile);
        }
    }

    /// Asserts that nothing accepts connections on its port any more.
    pub fn assert_port_closed(&self) {
        let addr = format!("{}:{}", self.target.host, self.target.port);
        let closed = match addr.parse() {
            Ok(sa) => TcpStream::connect_timeout(&sa, Duration::from_secs(2)).is_err(),
            Err(_) => TcpStream::connect(&addr).is_err(),
        };
        assert!(closed, "something still accepts connections on {addr}");
    }
}

impl Drop for ExtraSshd {
    fn drop(&mut self) {
        self.kill();
        // Keep the log and known_hosts of a failed test for a look; tidy up otherwise.
        if !std::thread::panicking() {
            let _ = fs::remove_file(&self.log);
            let _ = fs::remove_file(&self.target.known_hosts);
        }
    }
}

/// `kill -SIG pids...` (std has no kill(2) but for children).
fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Every process under `root`, from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...; comm may contain spaces and parentheses.
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(pid, ppid) in &parent_of {
            if ppid == p && !out.contains(&pid) {
                out.push(pid);
                frontier.push(pid);
            }
        }
    }
    out
}

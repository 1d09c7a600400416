//! Bad input and faults of the `ssh` executor (issue #4), against the throwaway sshd that
//! `harness/sshd` starts on 127.0.0.1: each case dispatches a lattice on a broken
//! `[executors.under_test]` (or breaks the host under it) and asserts that the dispatch ENDS,
//! that the nodes fail (never a hang, never a panic), and that the error names the host and the
//! cause.
//!
//! This test binary is also the task binary (the cases that reach the host ship it there), so
//! `main` calls `orbital::init()` first.
//!
//! Without the sshd's environment, a plain `cargo test` says loudly that it skipped these (every
//! trial is listed as ignored); under `ORBITAL_HARNESS=1` that is a failure.

#[path = "support/sshd.rs"]
mod sshd;

use std::future::Future;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use orbital::prelude::*;
use orbital::{DispatchResult, NodeResult};
use sshd::SshTarget;

/// Where the cases that reach the host keep the binary and task files (`~`: the remote home).
const REMOTE_DIR: &str = "~/.cache/orbital-faults";

/// Set in the child process that runs a case as another user: the case's directory.
const CHILD_ENV: &str = "ORBITAL_SSH_FAULTS_CHILD_DIR";

/// `nobody`: the user the unreadable-key case runs as when the tests run as root.
const NOBODY: u32 = 65534;

type Case = fn(&Fx) -> Result<(), Failed>;

const CASES: &[(&str, Case)] = &[
    ("wrong_port", wrong_port),
    ("wrong_key", wrong_key),
    ("missing_key_file", missing_key_file),
    ("key_file_is_a_directory", key_file_is_a_directory),
    ("unreadable_key_file", unreadable_key_file),
    ("key_file_readable_by_others", key_file_readable_by_others),
    ("unknown_host_key", unknown_host_key),
    ("changed_host_key", changed_host_key),
    ("remote_dir_not_writable", remote_dir_not_writable),
    (
        "sshd_killed_mid_dispatch_without_retries",
        sshd_killed_without_retries,
    ),
    (
        "sshd_killed_mid_dispatch_with_retries",
        sshd_killed_with_retries,
    ),
    (
        "sshd_restarted_mid_dispatch_retries_succeed",
        sshd_restarted_retries_succeed,
    ),
    ("remote_task_killed_by_signal", remote_task_killed_by_signal),
];

fn main() {
    // First: as a task runner (on the host), this runs the task and exits.
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    // Says loudly (once) what it skips, or panics under the harness.
    let target = sshd::target();
    let trials: Vec<Trial> = CASES
        .iter()
        .map(|&(name, case)| match &target {
            Some(t) => {
                let t = t.clone();
                Trial::test(name, move || case(&Fx::new(t, name)?))
            }
            None => Trial::test(name, || Ok(())).with_ignored_flag(true),
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if let (Some(t), None, false) = (&target, std::env::var_os(CHILD_ENV), args.list) {
        cleanup(t);
    }
    conclusion.exit();
}

/// Removes from the host the binaries of other builds (each rebuilt test binary ships a new
/// one) and the directories of the tasks that died with their sshd (nothing could reach the
/// host to remove them), and closes the connections (their ControlMasters would otherwise idle
/// on).
fn cleanup(target: &SshTarget) {
    if let Ok(build) = orbital_core::identity::current() {
        let _ = target.ssh(&format!(
            "find {REMOTE_DIR}/bin -mindepth 1 -maxdepth 1 ! -name {build} -exec rm -rf {{}} +; \
             rm -rf {REMOTE_DIR}/tasks/*; true"
        ));
    }
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        rt.block_on(orbital_executors::ssh::close_all());
    }
}

// ---------------------------------------------------------------------------------------------
// A case's fixture.

/// A case's sshd, directory (open to every user: the host's user writes into it too) and
/// tokio runtime.
struct Fx {
    target: SshTarget,
    name: &'static str,
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    tokio: Option<tokio::runtime::Runtime>,
}

impl Drop for Fx {
    fn drop(&mut self) {
        if let Some(rt) = self.tokio.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Fx {
    fn new(target: SshTarget, name: &'static str) -> Result<Fx, Failed> {
        let (dir, tmp) = match std::env::var_os(CHILD_ENV) {
            Some(d) => (PathBuf::from(d), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("orbital-ssh-faults-")
                    .tempdir()?;
                std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o777))?;
                (t.path().to_owned(), Some(t))
            }
        };
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        Ok(Fx {
            target,
            name,
            dir,
            _tmp: tmp,
            tokio: Some(tokio),
        })
    }

    fn dir_string(&self) -> String {
        self.dir.display().to_string()
    }

    /// A runtime whose `[executors.under_test]` is `under_test` (a whole `[executors.NAME]`
    /// table), with a store of its own and the given `[dispatcher]` retry delays.
    fn runtime(&self, under_test: &str, retry_delay: &str) -> Result<orbital::Runtime, Failed> {
        let text = format!(
            "{under_test}\n[dispatcher]\nretry_delay = \"{retry_delay}\"\nretry_delay_max = \"{retry_delay}\"\n"
        );
        let _guard = self.tokio().enter();
        Ok(orbital::Runtime::builder()
            .store_path(self.dir.join(format!("store-{}.db", unique())))
            .config(orbital::Config::parse(&text, Path::new("ssh_faults.toml"))?)
            .build()?)
    }

    /// `[executors.under_test]` for `target` in the shared `remote_dir`, then `extra` lines.
    fn toml(&self, target: &SshTarget, extra: &str) -> String {
        format!(
            "{}{extra}",
            sshd::ssh_toml_in(target, "under_test", REMOTE_DIR)
        )
    }

    fn tokio(&self) -> &tokio::runtime::Runtime {
        self.tokio.as_ref().expect("lives as long as the fixture")
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.tokio().block_on(f)
    }

    /// Dispatches `wf` and waits for its end, with a hang guard far above what it needs.
    fn run<T: orbital::Data>(
        &self,
        rt: &orbital::Runtime,
        wf: orbital::Workflow<T>,
    ) -> Result<DispatchResult<T>, Failed> {
        self.block_on(async {
            let d = rt.dispatch(wf).await?;
            Ok(within(120, "the dispatch", d.wait()).await??)
        })
    }

    /// Dispatches the one-node lattice on `under_test` and returns its node's error, after
    /// checking that the node failed and that the dispatch ended as failed.
    fn one_node_error(&self, under_test: &str) -> Result<String, Failed> {
        let rt = self.runtime(under_test, "10ms")?;
        let result = self.run(&rt, adding::build(1, 2))?;
        assert_eq!(result.status(), DispatchStatus::Failed);
        let n = node(&result, "add");
        assert_eq!(n.status(), NodeStatus::Failed);
        let e = error_of(n).to_owned();
        let stored = rt.get_result(result.id())?;
        assert_eq!(error_of(node(&stored, "add")), e, "the store has the error");
        Ok(e)
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// An error instead of a hang when `fut` takes longer than `secs` (never a timing assertion).
async fn within<F: Future>(secs: u64, what: &str, fut: F) -> Result<F::Output, Failed> {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .map_err(|_| format!("{what} did not finish within {secs}s (hang guard)").into())
}

#[track_caller]
fn node<'a, T>(result: &'a DispatchResult<T>, name: &str) -> &'a NodeResult {
    let mut found = result.nodes().iter().filter(|n| n.name() == name);
    let n = found
        .next()
        .unwrap_or_else(|| panic!("the dispatch has no node `{name}`"));
    assert!(found.next().is_none(), "more than one node `{name}`");
    n
}

#[track_caller]
fn error_of(n: &NodeResult) -> &str {
    n.error()
        .unwrap_or_else(|| panic!("node `{}` ({}) has no error", n.name(), n.status()))
}

/// Asserts that `error` contains each of `says`.
#[track_caller]
fn says(error: &str, says: &[&str]) {
    for s in says {
        assert!(error.contains(s), "the error says `{s}`; it is:\n  {error}");
    }
}

/// `host:port`, as the errors name the host.
fn host_port(t: &SshTarget) -> String {
    format!("{}@{}:{}", t.user, t.host, t.port)
}

/// A fresh ed25519 key pair at `path` (and `path.pub`); returns the public key line.
fn keygen(path: &Path) -> Result<String, Failed> {
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "orbital-ssh-faults",
            "-f",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(std::fs::read_to_string(path.with_extension("pub"))?
        .trim()
        .to_owned())
}

/// Appends `line` to the file `path` (the host's user writes these: the case reads them).
fn append_line(path: &Path, line: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

/// How many lines the file has (0 when it does not exist).
fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

// ---------------------------------------------------------------------------------------------
// Electrons and lattices (all on `under_test`).

#[electron]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[lattice(executor = "under_test")]
fn adding(a: u64, b: u64) -> u64 {
    add(a, b)
}

/// Notes that attempt started (a line in `nap-{i}.started`), sleeps `secs`, notes its end.
fn nap_body(dir: &str, i: u64, secs: u64) -> u64 {
    let dir = Path::new(dir);
    append_line(
        &dir.join(format!("nap-{i}.started")),
        &std::process::id().to_string(),
    );
    std::thread::sleep(Duration::from_secs(secs));
    append_line(&dir.join(format!("nap-{i}.done")), "done");
    i
}

#[electron]
fn nap(dir: String, i: u64, secs: u64) -> u64 {
    nap_body(&dir, i, secs)
}

#[electron(retries = 2)]
fn nap_retried(dir: String, i: u64, secs: u64) -> u64 {
    nap_body(&dir, i, secs)
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice(executor = "under_test")]
fn napping(dir: String, n: u64, secs: u64) -> u64 {
    let naps: Vec<Node<u64>> = (0..n).map(|i| nap(dir.clone(), i, secs)).collect();
    total(naps)
}

#[lattice(executor = "under_test")]
fn napping_retried(dir: String, n: u64, secs: u64) -> u64 {
    let naps: Vec<Node<u64>> = (0..n).map(|i| nap_retried(dir.clone(), i, secs)).collect();
    total(naps)
}

#[electron]
fn kills_itself() -> u64 {
    // SAFETY: sends a signal to this very process, which is the point.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    std::thread::sleep(Duration::from_secs(60));
    1
}

#[lattice(executor = "under_test")]
fn killing() -> u64 {
    let _bystander = add(2, 2);
    kills_itself()
}

// ---------------------------------------------------------------------------------------------
// Connecting.

fn wrong_port(fx: &Fx) -> Result<(), Failed> {
    // A port nothing listens on.
    let t = SshTarget {
        port: sshd::free_port(),
        ..fx.target.clone()
    };
    let e = fx.one_node_error(&fx.toml(&t, ""))?;
    says(
        &e,
        &[
            &host_port(&t),
            "Connection refused",
            &format!("nothing accepts SSH connections on {}:{}", t.host, t.port),
        ],
    );
    Ok(())
}

fn wrong_key(fx: &Fx) -> Result<(), Failed> {
    // A key the host's authorized_keys does not hold.
    let key = fx.dir.join("stranger_ed25519");
    keygen(&key)?;
    let t = SshTarget {
        key,
        ..fx.target.clone()
    };
    let e = fx.one_node_error(&fx.toml(&t, ""))?;
    says(
        &e,
        &[
            &host_port(&t),
            "Permission denied",
            "the host refused the login",
        ],
    );
    Ok(())
}

fn missing_key_file(fx: &Fx) -> Result<(), Failed> {
    let key = fx.dir.join("no-such-key");
    let t = SshTarget {
        key: key.clone(),
        ..fx.target.clone()
    };
    let e = fx.one_node_error(&fx.toml(&t, ""))?;
    says(
        &e,
        &[
            &host_port(&t),
            &format!("ssh_key_file {} does not exist", key.display()),
        ],
    );
    Ok(())
}

/// A directory where the key should be: it opens, but it cannot be read as a key.
fn key_file_is_a_directory(fx: &Fx) -> Result<(), Failed> {
    let key = fx.dir.join("a-directory");
    std::fs::create_dir(&key)?;
    let t = SshTarget {
        key: key.clone(),
        ..fx.target.clone()
    };
    let e = fx.one_node_error(&fx.toml(&t, ""))?;
    says(
        &e,
        &[
            &host_port(&t),
            &format!("ssh_key_file {} cannot be read", key.display()),
            "it is a directory",
        ],
    );
    Ok(())
}

/// A key file other users may read: ssh ignores it (and then says only that the login was
/// refused); the error says why and what to do.
fn key_file_readable_by_others(fx: &Fx) -> Result<(), Failed> {
    let key = fx.dir.join("open_ed25519");
    std::fs::copy(&fx.target.key, &key)?;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))?;
    let t = SshTarget {
        key: key.clone(),
        ..fx.target.clone()
    };
    let e = fx.one_node_error(&fx.toml(&t, ""))?;
    says(
        &e,
        &[
            &host_port(&t),
            "UNPROTECTED PRIVATE KEY FILE",
            &format!("ssh ignores ssh_key_file {}", key.display()),
            "`chmod 600` it",
        ],
    );
    Ok(())
}

/// The harness's own (valid) key, copied with mode 000: only the permission stands in the way.
/// Root reads any file whatever its mode, so under root the case runs again in a child process
/// of this test binary as `nobody`, where the permission bites; the parent asserts that child
/// passed.
fn unreadable_key_file(fx: &Fx) -> Result<(), Failed> {
    let key = fx.dir.join("unreadable_ed25519");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root && std::env::var_os(CHILD_ENV).is_none() {
        std::fs::copy(&fx.target.key, &key)?;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o000))?;
        return run_as_nobody(fx);
    }
    if !root && std::env::var_os(CHILD_ENV).is_none() {
        // Not root: the mode alone makes it unreadable.
        std::fs::copy(&fx.target.key, &key)?;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o000))?;
    }
    assert!(
        std::fs::File::open(&key).is_err(),
        "{} is readable by this user",
        key.display()
    );
    let t = SshTarget {
        key: key.clone(),
        ..fx.target.clone()
    };
    let e = fx.one_node_error(&fx.toml(&t, ""))?;
    says(
        &e,
        &[
            &host_port(&t),
            &format!("ssh_key_file {} cannot be read", key.display()),
            "Permission denied",
        ],
    );
    Ok(())
}

/// Runs this very case again in a child process as `nobody` (in the same directory).
fn run_as_nobody(fx: &Fx) -> Result<(), Failed> {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args([fx.name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &fx.dir)
        // Nothing of root's: the child's caches and configuration go to the case's directory.
        .env("HOME", &fx.dir)
        .env("ORBITAL_CACHE_DIR", fx.dir.join("cache"))
        .env("ORBITAL_CONFIG_DIR", fx.dir.join("config"))
        .env("ORBITAL_DATA_DIR", fx.dir.join("data"))
        .current_dir(&fx.dir)
        .uid(NOBODY)
        .gid(NOBODY)
        .stdin(Stdio::null());
    let out = cmd.output()?;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the case as `nobody` failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    Ok(())
}

fn unknown_host_key(fx: &Fx) -> Result<(), Failed> {
    let known_hosts = fx.dir.join("known_hosts_empty");
    std::fs::write(&known_hosts, "")?;
    let t = SshTarget {
        known_hosts,
        ..fx.target.clone()
    };
    let e = fx.one_node_error(&fx.toml(&t, ""))?;
    says(
        &e,
        &[
            &host_port(&t),
            "Host key verification failed",
            "is not in the known-hosts file",
        ],
    );
    Ok(())
}

fn changed_host_key(fx: &Fx) -> Result<(), Failed> {
    // The host's entry, with another ed25519 key.
    let other = keygen(&fx.dir.join("other_host_ed25519"))?;
    let blob = other
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let known_hosts = fx.dir.join("known_hosts_changed");
    std::fs::write(
        &known_hosts,
        format!("[{}]:{} {blob}\n", fx.target.host, fx.target.port),
    )?;
    let t = SshTarget {
        known_hosts,
        ..fx.target.clone()
    };
    let e = fx.one_node_error(&fx.toml(&t, ""))?;
    says(
        &e,
        &[
            &host_port(&t),
            "REMOTE HOST IDENTIFICATION HAS CHANGED",
            "has CHANGED since it was recorded",
        ],
    );
    Ok(())
}

fn remote_dir_not_writable(fx: &Fx) -> Result<(), Failed> {
    // A directory the host's user cannot create, and one on a file system nobody writes.
    for dir in ["/root/orbital-faults", "/proc/orbital-faults"] {
        let under_test = sshd::ssh_toml_in(&fx.target, "under_test", dir);
        let e = fx.one_node_error(&under_test)?;
        says(
            &e,
            &[
                &host_port(&fx.target),
                &format!("remote_dir {dir} is not writable"),
            ],
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The host going away under a dispatch.

/// How many naps run at once, and how long each would sleep.
const NAPS: u64 = 4;
const NAP_SECS: u64 = 10;

/// Dispatches `wf` on the extra sshd, kills that sshd (with every connection and process under
/// it) once all naps run, then `after_kill`; returns the result and the killed sshd's target.
fn kill_under_dispatch(
    fx: &Fx,
    retry_delay: &str,
    wf: orbital::Workflow<u64>,
    after_kill: impl FnOnce(&sshd::ExtraSshd) -> Option<sshd::ExtraSshd>,
) -> Result<(DispatchResult<u64>, SshTarget), Failed> {
    let mut extra = sshd::start_extra_sshd(&fx.target, 0);
    let t = extra.target().clone();
    let rt = fx.runtime(&fx.toml(&t, ""), retry_delay)?;
    let mut restarted = None;
    let result = fx.block_on(async {
        let d = rt.dispatch(wf).await?;
        within(120, "all naps starting", async {
            while (0..NAPS).any(|i| lines(&fx.dir.join(format!("nap-{i}.started"))) == 0) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await?;
        extra.kill();
        extra.assert_port_closed();
        restarted = after_kill(&extra);
        Ok::<_, Failed>(within(120, "the dispatch after sshd died", d.wait()).await??)
    })?;
    drop(restarted);
    Ok((result, t))
}

fn sshd_killed_without_retries(fx: &Fx) -> Result<(), Failed> {
    let wf = napping::build(fx.dir_string(), NAPS, NAP_SECS);
    let (result, t) = kill_under_dispatch(fx, "10ms", wf, |_| None)?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    for n in result.nodes_named("nap") {
        assert_eq!(n.status(), NodeStatus::Failed, "{:?}", n.error());
        assert_eq!(n.attempts(), 1);
        says(error_of(n), &[&host_port(&t), "the connection failed"]);
    }
    assert_eq!(node(&result, "total").status(), NodeStatus::UpstreamFailed);
    for i in 0..NAPS {
        let done = fx.dir.join(format!("nap-{i}.done"));
        assert!(!done.exists(), "nap {i} ran on after its sshd died");
    }
    Ok(())
}

fn sshd_killed_with_retries(fx: &Fx) -> Result<(), Failed> {
    let wf = napping_retried::build(fx.dir_string(), NAPS, NAP_SECS);
    let (result, t) = kill_under_dispatch(fx, "10ms", wf, |_| None)?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    for n in result.nodes_named("nap_retried") {
        assert_eq!(n.status(), NodeStatus::Failed, "{:?}", n.error());
        assert_eq!(n.attempts(), 3, "retries = 2: three attempts");
        // The last attempt found nothing listening any more.
        says(error_of(n), &[&host_port(&t), "Connection refused"]);
    }
    for i in 0..NAPS {
        let started = fx.dir.join(format!("nap-{i}.started"));
        assert_eq!(
            lines(&started),
            1,
            "only the first attempt reached the host"
        );
    }
    Ok(())
}

/// The sshd comes back on the same port right after the kill: the retries reconnect and the
/// naps complete.
fn sshd_restarted_retries_succeed(fx: &Fx) -> Result<(), Failed> {
    let base = fx.target.clone();
    let wf = napping_retried::build(fx.dir_string(), NAPS, 1);
    let (result, _) = kill_under_dispatch(fx, "1s", wf, |killed| {
        Some(sshd::start_extra_sshd(&base, killed.port()))
    })?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result
            .nodes()
            .iter()
            .map(|n| (n.name(), n.attempts(), n.error()))
            .collect::<Vec<_>>()
    );
    assert_eq!(result.output()?, (0..NAPS).sum::<u64>());
    for n in result.nodes_named("nap_retried") {
        assert!(
            (2..=3).contains(&n.attempts()),
            "the nap was retried after the sshd died: {} attempts",
            n.attempts()
        );
        assert_eq!(n.error(), None);
    }
    for i in 0..NAPS {
        let started = fx.dir.join(format!("nap-{i}.started"));
        assert!(lines(&started) >= 2, "nap {i} started again");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The task itself.

fn remote_task_killed_by_signal(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(&fx.target, ""), "10ms")?;
    let result = fx.run(&rt, killing::build())?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let k = node(&result, "kills_itself");
    assert_eq!(k.status(), NodeStatus::Failed);
    says(
        error_of(k),
        &[
            &format!("the task on {}", host_port(&fx.target)),
            "killed by signal 9 (SIGKILL)",
        ],
    );
    assert_eq!(node(&result, "add").output_as::<u64>()?, 4);
    Ok(())
}

//! One multiplexed connection per host, shared by every task of every dispatch in the process,
//! opened again when it drops.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssh::{ControlPersist, KnownHosts, Session, SessionBuilder};
use tokio::sync::OnceCell;

use super::config::SshExecutor;
use crate::ship::shell::{chain, expand_local};

/// How long (seconds) an idle ControlMaster lives on.
const MASTER_IDLE: std::num::NonZeroUsize = match std::num::NonZeroUsize::new(60) {
    Some(n) => n,
    None => unreachable!(),
};

/// A host: its connection, and what was prepared on it (the binary, per remote directory).
pub struct Host {
    destination: String,
    session: tokio::sync::Mutex<Option<(Arc<Session>, std::time::Instant)>>,
    pub(super) binaries: Mutex<HashMap<String, Arc<OnceCell<crate::ship::shipped::Shipped>>>>,
    pub(super) home: OnceCell<String>,
    /// What the host said it is (the probe's answer).
    pub(super) target: OnceCell<crate::ship::target::Target>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("destination", &self.destination)
            .finish_non_exhaustive()
    }
}

fn hosts() -> &'static Mutex<HashMap<String, Arc<Host>>> {
    static HOSTS: std::sync::OnceLock<Mutex<HashMap<String, Arc<Host>>>> =
        std::sync::OnceLock::new();
    HOSTS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// What makes two configurations the same connection.
fn key(cfg: &SshExecutor) -> String {
    format!(
        "{}|{:?}|{:?}|{:?}|{}",
        cfg.destination(),
        cfg.ssh_key_file,
        cfg.cert_file,
        cfg.known_hosts,
        cfg.strict_host_key_checking
    )
}

/// What to do about a connection error, from what ssh said.
fn hint(cfg: &SshExecutor, said: &str) -> String {
    let lower = said.to_ascii_lowercase();
    if lower.contains("remote host identification has changed")
        || lower.contains("host key for") && lower.contains("has changed")
    {
        format!(
            "the host key of {} has CHANGED since it was recorded in the known-hosts file: someone may be \
             intercepting the connection, or the host was reinstalled; check with its administrator, then \
             replace its line in {}",
            cfg.hostname,
            cfg.known_hosts.as_deref().unwrap_or("~/.ssh/known_hosts")
        )
    } else if lower.contains("host key verification failed")
        || lower.contains("no ") && lower.contains("host key is known")
    {
        format!(
            "the host key of {} is not in the known-hosts file ({}) and strict_host_key_checking is on: add it \
             (`ssh-keyscan -p {} {} >> FILE`, after checking its fingerprint)",
            cfg.hostname,
            cfg.known_hosts.as_deref().unwrap_or("~/.ssh/known_hosts"),
            cfg.port,
            cfg.hostname
        )
    } else if lower.contains("connection refused") {
        format!(
            "nothing accepts SSH connections on {}:{}: check `hostname` and `port`",
            cfg.hostname, cfg.port
        )
    } else if lower.contains("unprotected private key file") {
        // ssh ignores such a key, then reports the login as refused.
        format!(
            "ssh ignores ssh_key_file {} because other users may read it: `chmod 600` it",
            cfg.ssh_key_file.as_deref().unwrap_or("(ssh's default key)")
        )
    } else if lower.contains("permission denied") {
        "the host refused the login: check `username` and `ssh_key_file` (is the public key in the user's authorized_keys?)"
            .to_owned()
    } else if lower.contains("timed out") || lower.contains("timeout") {
        format!(
            "no answer from {}:{} within {} s: check the host, the port and the network",
            cfg.hostname, cfg.port, cfg.connect_timeout_secs
        )
    } else if lower.contains("could not resolve") || lower.contains("name or service not known") {
        format!(
            "the host name {} does not resolve: check `hostname`",
            cfg.hostname
        )
    } else {
        "see ssh's message above".to_owned()
    }
}

/// A short directory for control sockets (Unix socket paths are limited to 108 bytes).
fn control_dir() -> Result<PathBuf, String> {
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    let dir = PathBuf::from(format!("/tmp/orb-ssh-{uid}"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the control directory {}: {e}", dir.display()))?;
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    Ok(dir)
}

fn check_readable(what: &str, path: &Path) -> Result<(), String> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("{what} {shown} does not exist"))
        }
        Err(e) => return Err(format!("{what} {shown} cannot be read: {e}")),
        // A directory opens fine; ssh then skips it and the login fails for "no key".
        Ok(m) if m.is_dir() => {
            return Err(format!(
                "{what} {shown} cannot be read: it is a directory, not a file"
            ))
        }
        Ok(_) => {}
    }
    std::fs::File::open(path)
        .map(drop)
        .map_err(|e| format!("{what} {shown} cannot be read: {e}"))
}

/// An ssh configuration file that adds the certificate and then reads the user's own
/// (`openssh` has no option for `-o CertificateFile`, but takes `-F`).
fn cert_config(cert: &Path) -> Result<PathBuf, String> {
    let text = format!(
        "CertificateFile \"{}\"\nInclude ~/.ssh/config\n",
        cert.display()
    );
    let name = format!("cert-{}.conf", fnv_name(&text));
    let path = control_dir()?.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// A short, stable name for a text (FNV-1a).
fn fnv_name(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

async fn connect(cfg: &SshExecutor) -> Result<Session, String> {
    let mut b = SessionBuilder::default();
    if let Some(u) = &cfg.username {
        b.user(u.clone());
    }
    b.port(cfg.port);
    if let Some(k) = &cfg.ssh_key_file {
        let p = expand_local(k);
        // ssh says nothing useful about a key file it cannot read: check it first.
        check_readable("ssh_key_file", &p)?;
        b.keyfile(p);
    }
    if let Some(c) = &cfg.cert_file {
        let p = expand_local(c);
        check_readable("cert_file", &p)?;
        b.config_file(cert_config(&p)?);
    }
    if let Some(kh) = &cfg.known_hosts {
        let p = expand_local(kh);
        if cfg.strict_host_key_checking {
            check_readable("known_hosts", &p)?;
        }
        b.user_known_hosts_file(p);
    }
    b.known_hosts_check(if cfg.strict_host_key_checking {
        KnownHosts::Strict
    } else {
        KnownHosts::Add
    });
    b.connect_timeout(Duration::from_secs(cfg.connect_timeout_secs.max(1)));
    b.server_alive_interval(Duration::from_secs(10));
    b.control_directory(control_dir()?);
    // The master outlives nothing for long: a process that ends without closing it (killed, or
    // a test) leaves it behind for at most this long.
    b.control_persist(ControlPersist::IdleFor(MASTER_IDLE));
    b.connect_mux(&cfg.hostname).await.map_err(|e| {
        let said = chain(&e);
        format!("cannot connect: {said}; {}", hint(cfg, &said))
    })
}

impl Host {
    /// The host of this configuration, connected.
    pub(crate) async fn get(cfg: &SshExecutor) -> Result<Arc<Host>, String> {
        let host = {
            let mut map = hosts().lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key(cfg))
                .or_insert_with(|| {
                    Arc::new(Host {
                        destination: cfg.destination(),
                        session: tokio::sync::Mutex::new(None),
                        binaries: Mutex::new(HashMap::new()),
                        home: OnceCell::new(),
                        target: OnceCell::new(),
                    })
                })
                .clone()
        };
        host.session(cfg).await?;
        Ok(host)
    }

    /// The live connection, opened (again) if there is none.
    pub(crate) async fn session(&self, cfg: &SshExecutor) -> Result<Arc<Session>, String> {
        let mut slot = self.session.lock().await;
        if let Some((s, last)) = slot.as_mut() {
            // A master idle for a while may have exited (see `MASTER_IDLE`): check it then.
            let fresh = last.elapsed() < Duration::from_secs(30);
            if fresh || Host::alive(s).await {
                *last = std::time::Instant::now();
                return Ok(s.clone());
            }
            tracing::debug!(host = %self.destination, "the idle SSH connection had closed");
        }
        tracing::debug!(host = %self.destination, "opening the SSH connection");
        let s = Arc::new(connect(cfg).await?);
        *slot = Some((s.clone(), std::time::Instant::now()));
        Ok(s)
    }

    /// Forgets a connection that failed, so that the next task opens a new one.
    pub(crate) async fn drop_session(&self, dead: &Arc<Session>) {
        let mut slot = self.session.lock().await;
        if slot.as_ref().is_some_and(|(s, _)| Arc::ptr_eq(s, dead)) {
            tracing::warn!(host = %self.destination, "the SSH connection dropped; the next task reopens it");
            *slot = None;
        }
    }

    /// Whether the connection still works.
    pub(crate) async fn alive(session: &Session) -> bool {
        session.check().await.is_ok()
    }

    /// Runs a short shell command and returns its stdout, or an error with its stderr.
    pub(super) async fn sh(&self, cfg: &SshExecutor, script: &str) -> Result<String, String> {
        let session = self.session(cfg).await?;
        let out = session.command("sh").arg("-c").arg(script).output().await;
        match out {
            Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).into_owned()),
            Ok(o) => Err(format!(
                "`{script}` failed (exit {}): {}",
                o.status.code().map_or("?".into(), |c| c.to_string()),
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => {
                if !Host::alive(&session).await {
                    self.drop_session(&session).await;
                }
                Err(format!("the connection failed: {}", chain(&e)))
            }
        }
    }
}

/// Closes every host's connection (its ControlMaster exits). `#[orbital::main]` calls this when
/// `main` returns; a later task opens the connection again.
pub async fn close_all() {
    let all: Vec<Arc<Host>> = hosts()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .cloned()
        .collect();
    for host in all {
        let taken = host.session.lock().await.take();
        if let Some((s, _)) = taken {
            match Arc::try_unwrap(s) {
                Ok(session) => {
                    let _ = session.close().await;
                }
                Err(shared) => drop(shared), // a task still holds it; its master idles out
            }
        }
    }
}

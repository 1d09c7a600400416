//! The ssh strategies: `rsync -a` over `ssh` (Covalent's `Rsync`: `user`, `host`,
//! `private_key_path`), and `sftp` in batch mode. Both use the host's own `ssh` client, so its
//! `~/.ssh/config` and agent apply; `BatchMode=yes` makes a missing key an error, not a prompt.

use std::path::Path;
use std::process::Stdio;

use super::location::SshEnd;
use crate::task::Direction;

/// The `ssh` options for `end`.
fn ssh_options(end: &SshEnd) -> Vec<String> {
    let mut o = vec![
        "-o".to_owned(),
        "BatchMode=yes".to_owned(),
        "-o".to_owned(),
        "ConnectTimeout=10".to_owned(),
    ];
    if let Some(key) = &end.key {
        o.extend([
            "-i".into(),
            expand_home(key),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
        ]);
    }
    if let Some(kh) = &end.known_hosts {
        o.extend([
            "-o".into(),
            format!("UserKnownHostsFile={}", expand_home(kh)),
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
        ]);
    }
    o
}

fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest).display().to_string(),
        _ => p.to_owned(),
    }
}

/// A word for `ssh`'s command line inside rsync's `-e`.
fn sh_word(w: &str) -> String {
    if w.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
    {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

async fn run(mut cmd: tokio::process::Command, what: &str) -> Result<(), String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let out = cmd.output().await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("`{what}` is not installed on this host (install its package, e.g. `apt-get install {what}`)")
        } else {
            format!("cannot start `{what}`: {e}")
        }
    })?;
    if out.status.success() {
        return Ok(());
    }
    let err = super::super::bash::tail(&String::from_utf8_lossy(&out.stderr), 5);
    Err(format!(
        "`{what}` exited with {}{}",
        out.status
            .code()
            .map_or("a signal".to_owned(), |c| format!("status {c}")),
        if err.is_empty() {
            String::new()
        } else {
            format!(": {err}")
        }
    ))
}

/// `rsync -a` between `local` and `end`, in `direction`.
///
/// # Errors
/// Why rsync failed (its stderr's end), or that it is not installed.
pub async fn rsync(end: &SshEnd, local: &Path, direction: Direction) -> Result<(), String> {
    let mut ssh = vec!["ssh".to_owned()];
    if let Some(p) = end.port {
        ssh.extend(["-p".into(), p.to_string()]);
    }
    ssh.extend(ssh_options(end));
    let e = ssh.iter().map(|w| sh_word(w)).collect::<Vec<_>>().join(" ");
    let remote = format!("{}:{}", end.login(), end.path);
    let local = local.display().to_string();
    let mut cmd = tokio::process::Command::new("rsync");
    cmd.arg("-a").arg("-e").arg(e);
    match direction {
        Direction::From => cmd.arg(&remote).arg(&local),
        Direction::To => cmd.arg(&local).arg(&remote),
    };
    run(cmd, "rsync").await
}

/// `get` or `put` through `sftp -b -`.
///
/// # Errors
/// Why sftp failed (its stderr's end), or that it is not installed.
pub async fn sftp(end: &SshEnd, local: &Path, direction: Direction) -> Result<(), String> {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let batch = match direction {
        Direction::From => format!(
            "get -r {} {}\n",
            quote(&end.path),
            quote(&local.display().to_string())
        ),
        Direction::To => format!(
            "put -r {} {}\n",
            quote(&local.display().to_string()),
            quote(&end.path)
        ),
    };
    let dir = tempfile_batch(&batch).map_err(|e| format!("cannot write sftp's batch file: {e}"))?;
    let mut cmd = tokio::process::Command::new("sftp");
    cmd.arg("-q").arg("-b").arg(dir.path());
    if let Some(p) = end.port {
        cmd.arg("-P").arg(p.to_string());
    }
    cmd.args(ssh_options(end)).arg(end.login());
    run(cmd, "sftp").await
}

/// A batch file for sftp, removed when dropped.
struct Batch(std::path::PathBuf);

impl Batch {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn tempfile_batch(text: &str) -> std::io::Result<Batch> {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("orbital-sftp-{}-{n}", std::process::id()));
    std::fs::write(&p, text)?;
    Ok(Batch(p))
}

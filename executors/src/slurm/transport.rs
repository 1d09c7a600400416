//! Where Slurm commands run and job files live: this machine (a driver on the login node), or
//! the login node over the SSH executor's shared connection when `address` is set.

use std::sync::Arc;

use openssh::Stdio;
use tokio::io::AsyncWriteExt;

use crate::ship::cross::BuildFor;
use crate::ship::install;
use crate::ship::program::{self, needs_probe, target_of, Settings};
use crate::ship::shell::{chain, expand_local, quote};
use crate::ship::shipped::Shipped;
use crate::ship::target::Target;
use crate::ssh::{Host, SshExecutor};

/// What a shell command gave.
#[derive(Debug)]
pub(crate) struct Output {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// The login node, as reached from here.
#[derive(Debug, Clone)]
pub(crate) enum Transport {
    /// Commands run here, files are local paths.
    Local,
    /// Commands and files go through an SSH connection.
    Ssh(Box<SshExecutor>),
}

impl Transport {
    /// Where commands run, for messages (`this machine`, `alice@login:22`).
    pub fn place(&self) -> String {
        match self {
            Transport::Local => "this machine".to_owned(),
            Transport::Ssh(cfg) => cfg.destination(),
        }
    }

    async fn host(cfg: &SshExecutor) -> Result<Arc<Host>, String> {
        Host::get(cfg).await
    }

    /// Runs `script` with `sh -c`, `stdin` on its standard input. An `Err` means the command
    /// could not be run at all (the connection failed); a failing command is an `Ok` with its
    /// exit code.
    pub async fn sh(&self, script: &str, stdin: Option<&[u8]>) -> Result<Output, String> {
        match self {
            Transport::Local => {
                let mut cmd = tokio::process::Command::new("sh");
                cmd.arg("-c")
                    .arg(script)
                    .stdin(if stdin.is_some() {
                        std::process::Stdio::piped()
                    } else {
                        std::process::Stdio::null()
                    })
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .kill_on_drop(true);
                let mut child = cmd.spawn().map_err(|e| format!("cannot run sh: {e}"))?;
                if let (Some(data), Some(mut w)) = (stdin, child.stdin.take()) {
                    // A command that exits without reading its input is not an error here.
                    let _ = w.write_all(data).await;
                    drop(w);
                }
                let o = child
                    .wait_with_output()
                    .await
                    .map_err(|e| format!("sh failed: {e}"))?;
                Ok(Output {
                    code: o.status.code(),
                    stdout: o.stdout,
                    stderr: String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                })
            }
            Transport::Ssh(cfg) => {
                let host = Self::host(cfg).await?;
                let session = host.session(cfg).await?;
                let run = async {
                    let mut child = openssh::Session::to_command(session.clone(), "sh")
                        .arg("-c")
                        .arg(script)
                        .stdin(if stdin.is_some() {
                            Stdio::piped()
                        } else {
                            Stdio::null()
                        })
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .await
                        .map_err(|e| chain(&e))?;
                    if let (Some(data), Some(mut w)) = (stdin, child.stdin().take()) {
                        let _ = w.write_all(data).await;
                        let _ = w.shutdown().await;
                        drop(w);
                    }
                    child.wait_with_output().await.map_err(|e| chain(&e))
                };
                match run.await {
                    Ok(o) => Ok(Output {
                        code: o.status.code(),
                        stdout: o.stdout,
                        stderr: String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                    }),
                    Err(said) => {
                        if !Host::alive(&session).await {
                            host.drop_session(&session).await;
                        }
                        Err(format!(
                            "the SSH connection to {} failed: {said}",
                            cfg.destination()
                        ))
                    }
                }
            }
        }
    }

    /// `dir` with a leading `~` expanded where the files live.
    pub async fn expand(&self, dir: &str) -> Result<String, String> {
        let dir = dir.trim_end_matches('/');
        match self {
            Transport::Local => Ok(expand_local(dir).display().to_string()),
            Transport::Ssh(cfg) => {
                let mut cfg = (**cfg).clone();
                cfg.remote_dir = dir.to_owned();
                Self::host(&cfg).await?.remote_dir(&cfg).await
            }
        }
    }

    /// The program for the cluster under `workdir/bin/<build id>`, put there first if it is
    /// not: for `given` (a compute node's answer), or else for what the login node says.
    pub async fn binary(
        &self,
        workdir: &str,
        settings: &Settings,
        given: Option<Target>,
    ) -> Result<Shipped, String> {
        match self {
            Transport::Local => {
                let t0 = std::time::Instant::now();
                let target = match given {
                    Some(t) => t,
                    None if needs_probe(settings) => {
                        let said = self.sh(crate::ship::probe::SCRIPT, None).await?;
                        crate::ship::probe::parse(&said.stdout_text()).map_err(|e| e.to_string())?
                    }
                    None => target_of(settings, None)?,
                };
                let probe = t0.elapsed();
                let (workdir, settings) = (workdir.to_owned(), settings.clone());
                let mut shipped =
                    tokio::task::spawn_blocking(move || local_binary(&workdir, &settings, target))
                        .await
                        .map_err(|e| format!("installing the program failed: {e}"))??;
                shipped.probe = probe;
                Ok(shipped)
            }
            Transport::Ssh(cfg) => {
                let mut cfg = (**cfg).clone();
                cfg.remote_dir = workdir.to_owned();
                Self::host(&cfg).await?.binary_for(&cfg, given).await
            }
        }
    }

    /// The contents of many files in one round trip (`None` for a file that is not there),
    /// each cut to its last `n` bytes when its limit is `Some(n)`, or read whole.
    pub async fn read_files(
        &self,
        files: &[(String, Option<u64>)],
    ) -> Result<Vec<Option<Vec<u8>>>, String> {
        let paths = files;
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        if let Transport::Local = self {
            let files = files.to_vec();
            return tokio::task::spawn_blocking(move || {
                files
                    .iter()
                    .map(|(p, tail)| read_local(p, *tail))
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| format!("reading job files failed: {e}"));
        }
        // One command prints, for each file, its length and its bytes (or -1).
        let mut script = String::from("r() { if [ -f \"$2\" ]; then printf '%s\\n' \"$(eval \"$1\" | wc -c)\"; eval \"$1\"; else printf -- '-1\\n'; fi; }\n");
        for (p, tail) in paths {
            let q = quote(p);
            let cut = match tail {
                Some(n) => format!("tail -c {n} {q}"),
                None => format!("cat {q}"),
            };
            script.push_str(&format!("r {} {q}\n", quote(&cut)));
        }
        let out = self.sh(&script, None).await?;
        if !out.ok() {
            return Err(format!("reading job files failed: {}", out.stderr));
        }
        parse_files(&out.stdout, paths.len())
    }
}

fn read_local(path: &str, tail: Option<u64>) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    if let Some(n) = tail {
        let len = f.metadata().ok()?.len();
        if len > n {
            f.seek(SeekFrom::Start(len - n)).ok()?;
        }
    }
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// Splits `LEN\nBYTES...` records (`-1\n` for a missing file).
fn parse_files(mut data: &[u8], n: usize) -> Result<Vec<Option<Vec<u8>>>, String> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let nl = data
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("reading job files: the listing ended early")?;
        let len: i64 = std::str::from_utf8(&data[..nl])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or("reading job files: a length was not a number")?;
        data = &data[nl + 1..];
        if len < 0 {
            out.push(None);
            continue;
        }
        let len = len as usize;
        if data.len() < len {
            return Err("reading job files: a file was cut short".to_owned());
        }
        out.push(Some(data[..len].to_vec()));
        data = &data[len..];
    }
    Ok(out)
}

/// How builds for a Slurm cluster are named in messages.
const FOR_CLUSTER: BuildFor<'static> = BuildFor {
    place: "the Slurm cluster",
    setting: "`binary`",
};

/// Chooses the program for `target` (the shared shipping path) and copies it to
/// `workdir/bin/<build id>` on this machine (to a temporary name, then renamed).
fn local_binary(workdir: &str, settings: &Settings, target: Target) -> Result<Shipped, String> {
    let program = program::resolve(settings, target, FOR_CLUSTER)?;
    let bin_dir = std::path::Path::new(workdir).join("bin");
    std::fs::create_dir_all(&bin_dir).map_err(|e| {
        format!(
            "remote_workdir {workdir} is not writable ({e}): set `remote_workdir` to a directory on the \
             cluster's shared filesystem that you may write"
        )
    })?;
    let path = bin_dir.join(&program.build_id);
    let mut shipped = Shipped::of(
        path.display().to_string(),
        &program,
        std::time::Duration::ZERO,
    );
    if path.is_file() {
        return Ok(shipped);
    }
    let t0 = std::time::Instant::now();
    install::install_local(&program.path, &bin_dir, &program.build_id)?;
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    shipped.upload = Some((size, t0.elapsed()));
    tracing::info!(target = %path.display(), from = %program.path.display(), "installed the task program in remote_workdir");
    Ok(shipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_listings_split_into_files() {
        let data = b"3\nabc-1\n0\n2\nxy";
        let files = parse_files(data, 4).unwrap();
        assert_eq!(
            files,
            vec![
                Some(b"abc".to_vec()),
                None,
                Some(vec![]),
                Some(b"xy".to_vec())
            ]
        );
        assert!(parse_files(b"5\nab", 1).is_err());
    }

    #[tokio::test]
    async fn local_reads_and_commands() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, b"hello world").unwrap();
        let t = Transport::Local;
        let got = t
            .read_files(&[
                (a.display().to_string(), Some(5)),
                (dir.path().join("none").display().to_string(), None),
            ])
            .await
            .unwrap();
        assert_eq!(got, vec![Some(b"world".to_vec()), None]);
        let o = t
            .sh("cat; echo err >&2; exit 3", Some(b"in"))
            .await
            .unwrap();
        assert_eq!(
            (o.code, o.stdout_text().as_str(), o.stderr.as_str()),
            (Some(3), "in", "err")
        );
    }
}

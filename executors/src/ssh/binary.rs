//! The program on a host: chosen by the shared shipping path (`ship/program.rs`: this
//! executable, `binary`, or a build for the host), then shipped over SFTP once per build,
//! under its content-hash name (`ship/install.rs`), to a temporary name first, then made
//! executable and renamed.

use std::sync::Arc;
use std::time::Instant;

use openssh_sftp_client::{Sftp, SftpOptions};
use tokio::io::AsyncReadExt;
use tokio::sync::OnceCell;

use super::config::SshExecutor;
use super::connection::Host;
use crate::ship::cross::BuildFor;
use crate::ship::install;
use crate::ship::program;
use crate::ship::shell::{chain, quote};
use crate::ship::shipped::Shipped;
use crate::ship::target::Target;

/// How builds for an SSH host are named in messages.
const FOR_HOST: BuildFor<'static> = BuildFor {
    place: "the SSH host",
    setting: "`binary`",
};

impl Host {
    /// The remote home directory.
    async fn home(&self, cfg: &SshExecutor) -> Result<String, String> {
        self.home
            .get_or_try_init(|| async {
                let home = self.sh(cfg, "printf %s \"$HOME\"").await?;
                if home.is_empty() {
                    return Err(
                        "the remote account has no $HOME; set `remote_dir` to an absolute path"
                            .to_owned(),
                    );
                }
                Ok(home)
            })
            .await
            .cloned()
    }

    /// `remote_dir` with `~` expanded on the host.
    pub(crate) async fn remote_dir(&self, cfg: &SshExecutor) -> Result<String, String> {
        let rd = cfg.remote_dir.trim_end_matches('/');
        Ok(match rd.strip_prefix('~') {
            Some(rest) => format!("{}{rest}", self.home(cfg).await?),
            None => rd.to_owned(),
        })
    }

    /// The program on the host for `cfg` (its path there and build identity), shipped there
    /// first if needed: once per remote directory and shipping settings in this process.
    pub(crate) async fn binary(&self, cfg: &SshExecutor) -> Result<Shipped, String> {
        self.binary_for(cfg, None).await
    }

    /// [`Host::binary`] for `given` (what a Slurm compute node said it is) instead of what
    /// this host says.
    pub(crate) async fn binary_for(
        &self,
        cfg: &SshExecutor,
        given: Option<Target>,
    ) -> Result<Shipped, String> {
        let key = format!("{}|{:?}|{given:?}", cfg.remote_dir, cfg.shipping());
        let cell = {
            let mut map = self.binaries.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key)
                .or_insert_with(|| Arc::new(OnceCell::new()))
                .clone()
        };
        cell.get_or_try_init(|| self.ship(cfg, given))
            .await
            .cloned()
    }

    async fn ship(&self, cfg: &SshExecutor, given: Option<Target>) -> Result<Shipped, String> {
        let (target, probe) = match given {
            Some(t) => (t, std::time::Duration::ZERO),
            None => self.target(cfg).await?,
        };
        let settings = cfg.shipping();
        let program =
            tokio::task::spawn_blocking(move || program::resolve(&settings, target, FOR_HOST))
                .await
                .map_err(|e| format!("choosing the program to ship failed: {e}"))??;
        let rd = self.remote_dir(cfg).await?;
        let (bin_dir, tasks_dir) = (format!("{rd}/bin"), format!("{rd}/tasks"));
        self.sh(
            cfg,
            &format!(
                "mkdir -p {b} {t} && test -w {b} && test -w {t}",
                b = quote(&bin_dir),
                t = quote(&tasks_dir)
            ),
        )
        .await
        .map_err(|e| format!("remote_dir {rd} is not writable on the host: {e}; set `remote_dir` to a directory the user may write"))?;
        let build = program.build_id.clone();
        let path = format!("{bin_dir}/{build}");
        let mut shipped = Shipped::of(path.clone(), &program, probe);
        if self
            .sh(cfg, &install::installed_command(&path))
            .await
            .is_ok()
        {
            tracing::debug!(%path, "the program is already on the host");
            return Ok(shipped);
        }
        let size = std::fs::metadata(&program.path).map_or(0, |m| m.len());
        let t0 = Instant::now();
        let tmp = format!(
            "{bin_dir}/{}",
            install::part_name(&build, t0.elapsed().as_nanos())
        );
        self.upload(cfg, &program.path, &tmp)
            .await
            .map_err(|e| format!("uploading the program to {tmp} failed: {e}"))?;
        // Executable, then renamed into place: a partial upload is never run.
        self.sh(cfg, &install::install_command(&tmp, &path))
            .await
            .map_err(|e| format!("cannot install the program at {path}: {e}"))?;
        shipped.upload = Some((size, t0.elapsed()));
        tracing::info!(
            %path,
            from = %program.path.display(),
            target = %program.target,
            mb = size as f64 / 1e6,
            secs = t0.elapsed().as_secs_f64(),
            "shipped the task program"
        );
        Ok(shipped)
    }

    async fn upload(
        &self,
        cfg: &SshExecutor,
        exe: &std::path::Path,
        remote: &str,
    ) -> Result<(), String> {
        let session = self.session(cfg).await?;
        let sftp = Sftp::from_clonable_session(session, SftpOptions::default())
            .await
            .map_err(|e| format!("cannot open SFTP: {}", chain(&e)))?;
        let result = async {
            let mut local = tokio::fs::File::open(exe)
                .await
                .map_err(|e| format!("cannot read {}: {e}", exe.display()))?;
            let mut file = sftp.create(remote).await.map_err(|e| chain(&e))?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = local
                    .read(&mut buf)
                    .await
                    .map_err(|e| format!("cannot read {}: {e}", exe.display()))?;
                if n == 0 {
                    break;
                }
                file.write_all(&buf[..n]).await.map_err(|e| chain(&e))?;
            }
            file.close().await.map_err(|e| chain(&e))?;
            Ok::<(), String>(())
        }
        .await;
        let _ = sftp.close().await;
        if result.is_err() {
            let _ = self.sh(cfg, &format!("rm -f {}", quote(remote))).await;
        }
        result
    }
}

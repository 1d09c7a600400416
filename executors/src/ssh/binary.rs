//! This build's binary on a host: shipped over SFTP once per build, under its content-hash name
//! (`ship/install.rs`), to a temporary name first, then made executable and renamed.

use std::sync::Arc;
use std::time::Instant;

use openssh_sftp_client::{Sftp, SftpOptions};
use tokio::io::AsyncReadExt;
use tokio::sync::OnceCell;

use super::config::SshExecutor;
use super::connection::Host;
use crate::ship::install;
use crate::ship::shell::{chain, quote};

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

    /// The path of this build's binary on the host, shipped there first if needed.
    pub(crate) async fn binary(&self, cfg: &SshExecutor) -> Result<String, String> {
        let cell = {
            let mut map = self.binaries.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(cfg.remote_dir.clone())
                .or_insert_with(|| Arc::new(OnceCell::new()))
                .clone()
        };
        cell.get_or_try_init(|| self.ship(cfg)).await.cloned()
    }

    async fn ship(&self, cfg: &SshExecutor) -> Result<String, String> {
        self.check_compatible(cfg).await?;
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
        let build = install::build_name()?;
        let target = format!("{bin_dir}/{build}");
        if self
            .sh(cfg, &install::installed_command(&target))
            .await
            .is_ok()
        {
            tracing::debug!(%target, "the binary is already on the host");
            return Ok(target);
        }
        let exe = install::this_executable()?;
        let size = std::fs::metadata(&exe).map(|m| m.len()).unwrap_or(0);
        let t0 = Instant::now();
        let tmp = format!(
            "{bin_dir}/{}",
            install::part_name(&build, t0.elapsed().as_nanos())
        );
        self.upload(cfg, &exe, &tmp)
            .await
            .map_err(|e| format!("uploading the binary to {tmp} failed: {e}"))?;
        // Executable, then renamed into place: a partial upload is never run.
        self.sh(cfg, &install::install_command(&tmp, &target))
            .await
            .map_err(|e| format!("cannot install the binary at {target}: {e}"))?;
        tracing::info!(
            %target,
            mb = size as f64 / 1e6,
            secs = t0.elapsed().as_secs_f64(),
            "shipped the task binary"
        );
        Ok(target)
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

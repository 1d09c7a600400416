//! A task's file transfers, on its host: `from` ones before the call, `to` ones after a
//! successful call. The strategy follows the remote location (`location.rs`); each lives in
//! its own file.

mod http;
mod local;
pub mod location;
mod s3;
mod ssh;

use std::path::{Path, PathBuf};

use super::context::TaskContext;
use crate::task::{Direction, TaskError, TaskFile, TaskSpec, Transfer};
use location::Location;

/// A transfer ready to run: its remote end and its local path on this host.
#[derive(Debug)]
pub struct Planned {
    /// As the electron wrote it.
    pub transfer: Transfer,
    /// The remote location, filled in.
    pub remote: String,
    /// Where it is.
    pub location: Location,
    /// The absolute local path.
    pub local: PathBuf,
}

/// Fills in and reads every transfer, and records each one's file in the context.
///
/// # Errors
/// The first transfer that is malformed, named.
pub fn plan(
    transfers: Vec<Transfer>,
    spec: &TaskSpec,
    electron: &str,
    ctx: &TaskContext,
) -> Result<Vec<Planned>, TaskError> {
    let workdir = ctx.workdir_path();
    let mut out = Vec::with_capacity(transfers.len());
    for t in transfers {
        let bad =
            |why: String| TaskError::failed(format!("file transfer {t:?} of `{electron}`: {why}"));
        let remote = location::fill(&t.remote, spec, electron).map_err(bad)?;
        let local = location::fill(&t.local, spec, electron).map_err(bad)?;
        let location = location::parse(&remote, &t).map_err(bad)?;
        let local = absolute(workdir, Path::new(&local));
        ctx.push_file(TaskFile {
            direction: t.direction,
            remote: remote.clone(),
            path: local.clone(),
        });
        out.push(Planned {
            transfer: t,
            remote,
            location,
            local,
        });
    }
    Ok(out)
}

fn absolute(workdir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        workdir.join(p)
    }
}

/// Runs the planned transfers of `direction`, in order, stopping at the first that fails.
///
/// # Errors
/// The failed transfer: its strategy, its URL and the cause.
pub async fn run(
    planned: &[Planned],
    direction: Direction,
    electron: &str,
) -> Result<(), TaskError> {
    for p in planned.iter().filter(|p| p.transfer.direction == direction) {
        let done = match &p.location {
            Location::Local(path) => {
                let (src, dst) = match direction {
                    Direction::From => (path.clone(), p.local.clone()),
                    Direction::To => (p.local.clone(), path.clone()),
                };
                tokio::task::spawn_blocking(move || local::copy(&src, &dst))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()))
            }
            Location::Rsync(end) => {
                make_parent(&p.local, direction).await;
                ssh::rsync(end, &p.local, direction).await
            }
            Location::Sftp(end) => {
                make_parent(&p.local, direction).await;
                ssh::sftp(end, &p.local, direction).await
            }
            Location::S3 { bucket, key } => s3::transfer(bucket, key, &p.local, direction).await,
            Location::Http(url) => http::transfer(url, &p.local, direction).await,
        };
        if let Err(cause) = done {
            let (what, from, to) = match direction {
                Direction::From => ("from", p.remote.clone(), p.local.display().to_string()),
                Direction::To => ("to", p.local.display().to_string(), p.remote.clone()),
            };
            return Err(TaskError::failed(format!(
                "file transfer `{what}` of `{electron}` failed ({} {from} -> {to}): {cause}",
                p.location.strategy()
            )));
        }
    }
    Ok(())
}

async fn make_parent(local: &Path, direction: Direction) {
    if direction == Direction::From {
        if let Some(parent) = local.parent() {
            let _ = tokio::fs::create_dir_all(parent).await;
        }
    }
}

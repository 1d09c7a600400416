//! Preparing the working directory before the first task: the configuration checked, the
//! directory made and checked writable, Slurm's commands found, and this build's binary in it.

use super::config::SlurmExecutor;
use crate::ship::shell::quote;
use crate::ship::shipped::Shipped;

impl SlurmExecutor {
    /// The working directory (expanded), checked writable, and the program in it (this
    /// executable, `binary`, or a build for the cluster: the shared shipping path).
    pub(super) async fn prepare(&self) -> Result<(String, Shipped), String> {
        self.check_config()?;
        let t = self.transport();
        let workdir = self
            .state
            .workdir
            .get_or_try_init(|| async {
                let wd = t.expand(&self.remote_workdir).await?;
                let check = format!(
                    "{}mkdir -p {w} && test -w {w} || {{ echo 'remote_workdir not writable' >&2; exit 2; }}; \
                     for c in sbatch squeue scancel; do command -v $c >/dev/null || {{ echo \"$c\" >&2; exit 3; }}; done",
                    self.path_prefix(),
                    w = quote(&wd)
                );
                let o = t.sh(&check, None).await?;
                match o.code {
                    Some(0) => Ok(wd),
                    Some(3) => Err(format!(
                        "`{}` is not on the PATH of {}: set `slurm_path` to the directory holding Slurm's commands \
                         (e.g. slurm_path = \"/opt/slurm/bin\")",
                        o.stderr,
                        t.place()
                    )),
                    _ => Err(format!(
                        "remote_workdir {wd} cannot be created or written on {} ({}): set `remote_workdir` to a \
                         directory on the cluster's shared filesystem that you may write",
                        t.place(),
                        o.stderr
                    )),
                }
            })
            .await?
            .clone();
        let shipped = self
            .state
            .binary
            .get_or_try_init(|| async {
                let (given, probe) = self.compute_target(&workdir).await?;
                let mut shipped = t.binary(&workdir, &self.shipping(), given).await?;
                shipped.probe += probe;
                Ok::<_, String>(shipped)
            })
            .await?
            .clone();
        Ok((workdir, shipped))
    }
}

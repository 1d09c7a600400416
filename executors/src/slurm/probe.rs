//! What the cluster is, for the shipping path: the shared probe (`ship/probe.rs`) on the login
//! node (or this machine), or, with `probe = "compute"`, as a tiny job (`sbatch --wait`, the
//! executor's `options`) whose output on `remote_workdir` is read back.

use std::time::{Duration, Instant};

use super::config::{Probe, SlurmExecutor};
use super::script::{preamble, shell_word};
use crate::ship::probe;
use crate::ship::program::needs_probe;
use crate::ship::shell::quote;
use crate::ship::target::Target;

/// The time limit of the probe job.
const PROBE_LIMIT: Duration = Duration::from_secs(120);

impl SlurmExecutor {
    /// The target asked of a compute node (`probe = "compute"` and no `target`), or `None`
    /// when the login node is asked (by the transport, as it ships), and how long it took.
    pub(super) async fn compute_target(
        &self,
        workdir: &str,
    ) -> Result<(Option<Target>, Duration), String> {
        if self.probe != Probe::Compute || !needs_probe(&self.shipping()) {
            return Ok((None, Duration::ZERO));
        }
        let t0 = Instant::now();
        let t = self.transport();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let out = format!("{workdir}/probe-{}-{nanos}.out", std::process::id());
        let mut job = preamble(&self.options, Some(PROBE_LIMIT));
        job.push_str(&format!(
            "#SBATCH --job-name=orbital-probe\n#SBATCH --output={}\n{}\n",
            shell_word(&out),
            probe::SCRIPT
        ));
        let run = t
            .sh(
                &format!(
                    "{}cd {} && sbatch --wait --parsable; rc=$?; cat {o} 2>/dev/null; rm -f {o}; exit $rc",
                    self.path_prefix(),
                    quote(workdir),
                    o = quote(&out)
                ),
                Some(job.as_bytes()),
            )
            .await?;
        let said = run.stdout_text();
        if !run.ok() {
            return Err(format!(
                "the probe job (`probe = \"compute\"`) failed on {}: {} {}; check `options` (partition, account), or \
                 set `target` to the compute nodes' target (e.g. \"x86_64-unknown-linux-gnu.2.28\")",
                t.place(),
                run.stderr,
                said.trim()
            ));
        }
        // sbatch --parsable printed the job id first; the probe's three lines follow.
        let lines: Vec<&str> = said.lines().collect();
        let answer = lines.get(1..).map(|l| l.join("\n")).unwrap_or_default();
        let target = probe::parse(&answer).map_err(|e| format!("a compute node: {e}"))?;
        tracing::info!(target = %target, secs = t0.elapsed().as_secs_f64(), "probed a compute node");
        Ok((Some(target), t0.elapsed()))
    }
}

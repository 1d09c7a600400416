//! Submitting a batch: its specs and job script written to a directory of its own, one
//! `sbatch` for the whole job array, and a handle per task.

use std::time::{Duration, SystemTime};

use orbital_core::{protocol, JobHandle, Task};

use super::config::SlurmExecutor;
use super::script;
use crate::ship::shell::quote;

impl SlurmExecutor {
    /// The job script a batch of `tasks` tasks would get (for checking a configuration).
    ///
    /// ```
    /// use orbital_executors::slurm::{SlurmExecutor, SlurmOptions};
    /// let e = SlurmExecutor::new().options(SlurmOptions::new().set("nodes", 1));
    /// let script = e.job_script("/scratch/d/b", "/scratch/bin/abc", 3, None);
    /// assert!(script.starts_with("#!/bin/bash\n#SBATCH --nodes=1\n"));
    /// assert!(script.contains("#SBATCH --array=0-2\n"));
    /// ```
    pub fn job_script(
        &self,
        dir: &str,
        binary: &str,
        tasks: usize,
        time_limit: Option<Duration>,
    ) -> String {
        script::job_script(
            self,
            &script::JobPlan {
                dir,
                binary,
                tasks,
                time_limit,
                job_name: "orbital",
                capture_limit: self.capture_limit,
            },
        )
    }

    /// Submits `tasks` (at least one) as one job, or as one job array of them.
    pub(super) async fn submit_batch(&self, tasks: Vec<Task>) -> Result<Vec<JobHandle>, String> {
        let (workdir, shipped) = self.prepare().await?;
        let t = self.transport();
        // The shipped program's identity: a runner of any other build refuses the spec.
        let (binary, build) = (shipped.path, shipped.build_id);
        let first = &tasks[0].spec;
        let nanos = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = format!(
            "{workdir}/{}/{}-{}-{nanos}",
            first.dispatch_id, first.node_id, first.attempt
        );
        let mut specs = Vec::new();
        for task in &tasks {
            let mut spec = task.spec.clone();
            spec.build_id = build.clone();
            protocol::write_spec(&mut specs, &spec)
                .map_err(|e| format!("cannot encode a task spec: {e}"))?;
        }
        let time_limit = tasks.iter().filter_map(|t| t.spec.time_limit).max();
        let job_name = if tasks.iter().all(|t| t.spec.electron == first.electron) {
            let short = first
                .electron
                .rsplit("::")
                .next()
                .unwrap_or(&first.electron);
            format!("orbital-{short}")
        } else {
            "orbital".to_owned()
        };
        let script = script::job_script(
            self,
            &script::JobPlan {
                dir: &dir,
                binary: &binary,
                tasks: tasks.len(),
                time_limit,
                job_name: &job_name,
                capture_limit: self.capture_limit,
            },
        );
        let d = quote(&dir);
        let put = t
            .sh(&format!("mkdir -p {d} && cat > {d}/specs"), Some(&specs))
            .await?;
        if !put.ok() {
            return Err(format!(
                "cannot write the job files in {dir}: {}; check `remote_workdir`",
                put.stderr
            ));
        }
        let submit = t
            .sh(
                &format!(
                    "{}cd {d} && cat > job.sh && sbatch --parsable job.sh",
                    self.path_prefix()
                ),
                Some(script.as_bytes()),
            )
            .await?;
        tracing::debug!(tasks = tasks.len(), %dir, "sbatch");
        if !submit.ok() {
            return Err(sbatch_refused(&submit.stderr));
        }
        let out = submit.stdout_text();
        let job_id = out
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim().split(';').next())
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| format!("sbatch printed no job id: {out:?} {}", submit.stderr))?
            .to_owned();
        tracing::info!(job = %job_id, tasks = tasks.len(), "submitted to Slurm");
        self.state
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job_id.clone(), tasks.len());
        Ok(if tasks.len() == 1 {
            vec![JobHandle(format!("{job_id} {dir}"))]
        } else {
            (0..tasks.len())
                .map(|i| JobHandle(format!("{job_id}_{i} {dir}")))
                .collect()
        })
    }
}

/// sbatch's refusal, with what to change.
fn sbatch_refused(said: &str) -> String {
    let lower = said.to_ascii_lowercase();
    let hint = if lower.contains("invalid partition") {
        "check `options.partition` (`sinfo -s` lists the partitions)"
    } else if lower.contains("unrecognized option") || lower.contains("invalid option") {
        "an entry of `options` is not an sbatch option (see `man sbatch`)"
    } else if lower.contains("time limit") {
        "the time limit is over the partition's: lower the electron's `time_limit` or `options.time`"
    } else {
        "check `options` in the executor's configuration"
    };
    format!("sbatch refused the job: {}; {hint}", said.trim())
}

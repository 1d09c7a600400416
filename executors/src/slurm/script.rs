//! The job script: the `#SBATCH` preamble from `options`, the `srun` line from `srun_options`
//! and `srun_append`, the user's pre- and post-run commands, and the runner as the job step.
//!
//! The layout follows Covalent's Slurm plugin line for line (the preamble, then the pre-run
//! commands, then `srun ... \`, the appended command and the task command, then the post-run
//! commands), so that a Covalent user's `options` give the script they know.

use std::fmt::Write as _;
use std::time::Duration;

use super::config::SlurmExecutor;
use super::options::{OptionValue, SlurmOptions};

/// What one submission runs: one task, or a job array of them.
#[derive(Debug, Clone)]
pub(crate) struct JobPlan<'a> {
    /// The batch directory on the cluster's shared filesystem.
    pub dir: &'a str,
    /// The task binary's path on the cluster.
    pub binary: &'a str,
    /// How many tasks: 1 is a plain job, more is a job array `0-(n-1)`.
    pub tasks: usize,
    /// The longest time limit of the batch's tasks, if any has one.
    pub time_limit: Option<Duration>,
    /// The job's name.
    pub job_name: &'a str,
    /// The most bytes of stdout and of stderr kept per task.
    pub capture_limit: u64,
}

/// `--time` in Slurm's `[days-]hours:minutes:seconds`, rounded up to whole minutes (Slurm's
/// smallest unit), at least one minute.
pub(crate) fn slurm_time(limit: Duration) -> String {
    let minutes = limit.as_secs().div_ceil(60).max(1);
    let (d, h, m) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:00")
    } else {
        format!("{h:02}:{m:02}:00")
    }
}

/// One `#SBATCH` directive, as Covalent writes it: `-k value` for one-letter keys,
/// `--key=value` otherwise, the bare flag for `true` or an empty string.
fn directive(key: &str, value: &OptionValue) -> Option<String> {
    flag(key, value, false)
}

fn flag(key: &str, value: &OptionValue, quote_for_shell: bool) -> Option<String> {
    let v = match value {
        OptionValue::Bool(false) => return None,
        OptionValue::Bool(true) => String::new(),
        other => other.to_string(),
    };
    let v = if quote_for_shell && !v.is_empty() {
        shell_word(&v)
    } else {
        v
    };
    Some(match (key.chars().count() == 1, v.is_empty()) {
        (true, true) => format!("-{key}"),
        (true, false) => format!("-{key} {v}"),
        (false, true) => format!("--{key}"),
        (false, false) => format!("--{key}={v}"),
    })
}

/// `s` as one shell word: as it is when that is safe, quoted otherwise.
pub(crate) fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | ':' | ',' | '=' | '+' | '@' | '%')
        });
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The `#!/bin/bash` line and the `#SBATCH` lines of `options`, in their order, with the
/// time limit (when the batch has one) in place of the user's `time`.
pub(crate) fn preamble(options: &SlurmOptions, time_limit: Option<Duration>) -> String {
    let mut s = String::from("#!/bin/bash\n");
    let mut time_written = false;
    for (key, value) in options.iter() {
        let line = if key == "time" || key == "t" {
            match time_limit {
                Some(limit) => {
                    time_written = true;
                    directive(key, &OptionValue::String(slurm_time(limit)))
                }
                None => directive(key, value),
            }
        } else {
            directive(key, value)
        };
        if let Some(line) = line {
            let _ = writeln!(s, "#SBATCH {line}");
        }
    }
    if let (Some(limit), false) = (time_limit, time_written) {
        let _ = writeln!(s, "#SBATCH --time={}", slurm_time(limit));
    }
    s
}

/// The `srun` line: `srun` and the `srun_options` flags, in their order.
pub(crate) fn srun_line(srun_options: &SlurmOptions) -> String {
    let mut s = String::from("srun");
    for (key, value) in srun_options.iter() {
        if let Some(f) = flag(key, value, true) {
            s.push(' ');
            s.push_str(&f);
        }
    }
    s
}

/// The command of the job step: this build in runner mode, on its element of the batch.
pub(crate) fn task_command(plan: &JobPlan<'_>) -> String {
    let d = shell_word(plan.dir);
    format!(
        "{bin} {arg} --spec-file {d}/specs --spec-index \"$I\" --outcome-file {d}/out.\"$I\" \
         --capture-dir {d}/cap.\"$I\" --capture-limit {limit} --pid-file {d}/cap.\"$I\"/pid",
        bin = shell_word(plan.binary),
        arg = orbital_core::runner::RUNNER_ARG,
        limit = plan.capture_limit,
    )
}

/// `s` in double quotes, so that the shell expands its variables (`$HOME/.bashrc`) and
/// nothing else.
fn expandable(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The whole job script.
pub(crate) fn job_script(cfg: &SlurmExecutor, plan: &JobPlan<'_>) -> String {
    let mut s = preamble(&cfg.options, plan.time_limit);
    let d = plan.dir;
    let _ = writeln!(s, "#SBATCH --job-name={}", plan.job_name);
    if plan.tasks > 1 {
        let _ = writeln!(s, "#SBATCH --array=0-{}", plan.tasks - 1);
        let _ = writeln!(s, "#SBATCH --output={d}/log.%a");
    } else {
        let _ = writeln!(s, "#SBATCH --output={d}/log.0");
    }
    let _ = writeln!(
        s,
        "\n# orbital: this element's task (its spec, outcome and captured output)\n\
         I=${{SLURM_ARRAY_TASK_ID:-0}}\nmkdir -p {}/cap.\"$I\" || exit 90\n",
        shell_word(d)
    );
    for (k, v) in &cfg.variables {
        let _ = writeln!(s, "export {k}={}", shell_word(v));
    }
    if let Some(rc) = cfg.bashrc_path.as_deref().filter(|p| !p.trim().is_empty()) {
        let rc = expandable(rc);
        let _ = writeln!(s, "if [ -f {rc} ]; then . {rc}; fi");
    }
    if !cfg.variables.is_empty() || cfg.bashrc_path.is_some() {
        s.push('\n');
    }
    s.push_str(&crate::ship::shell::prerun(&cfg.prerun_commands));
    if !cfg.prerun_commands.is_empty() {
        s.push('\n');
    }
    if cfg.use_srun {
        let _ = writeln!(s, "{} \\", srun_line(&cfg.srun_options));
        if let Some(append) = cfg.srun_append.as_deref().filter(|a| !a.trim().is_empty()) {
            let _ = writeln!(s, "{append} \\");
        }
    }
    let _ = writeln!(s, "{}", task_command(plan));
    s.push_str("rc=$?\n");
    if !cfg.postrun_commands.is_empty() {
        s.push('\n');
        for line in cfg.postrun_commands.iter() {
            let _ = writeln!(s, "{line}");
        }
    }
    s.push_str("exit $rc\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(toml_text: &str) -> SlurmExecutor {
        toml::from_str(toml_text).expect("a Slurm executor configuration")
    }

    fn plan(tasks: usize) -> JobPlan<'static> {
        JobPlan {
            dir: "/scratch/user/experiment1/d1/b1",
            binary: "/scratch/user/experiment1/bin/abc123",
            tasks,
            time_limit: None,
            job_name: "orbital",
            capture_limit: 1024,
        }
    }

    /// The seed's example configuration (`[executors.slurm]` with its `options` and
    /// `srun_options` stanzas) gives exactly the seed's preamble and srun line.
    #[test]
    fn the_seed_example_configuration_gives_the_seed_preamble_and_srun_line() {
        let cfg = exec(
            r#"
username = "user"
address = "login.cluster.org"
ssh_key_file = "/home/user/.ssh/id_rsa"
remote_workdir = "/scratch/user"
cache_dir = "/tmp/covalent"

[options]
nodes = 1
ntasks = 4
cpus-per-task = 8
constraint = "gpu"
gpus = 4
qos = "regular"

[srun_options]
cpu_bind = "cores"
gpus = 4
gpu-bind = "single:1"
"#,
        );
        let seed_preamble = "#!/bin/bash
#SBATCH --nodes=1
#SBATCH --ntasks=4
#SBATCH --cpus-per-task=8
#SBATCH --constraint=gpu
#SBATCH --gpus=4
#SBATCH --qos=regular
";
        let seed_srun = "srun --cpu_bind=cores --gpus=4 --gpu-bind=single:1";
        assert_eq!(preamble(&cfg.options, None), seed_preamble);
        assert_eq!(srun_line(&cfg.srun_options), seed_srun);
        // In the whole script: the preamble first, the srun line as the job step.
        let p = plan(1);
        let script = job_script(&cfg, &p);
        assert!(script.starts_with(seed_preamble), "{script}");
        let step = format!("\n{seed_srun} \\\n{}\n", task_command(&p));
        assert!(script.contains(&step), "{script}");
    }

    /// The seed's example executor value (pre-run and post-run commands, one-letter srun
    /// options, `srun_append`): its submit script, line for line, with orbital's task command
    /// where Covalent runs `python .../workflow_script.py`.
    #[test]
    fn the_seed_example_executor_gives_the_seed_script() {
        let cfg = exec(
            r#"
remote_workdir = "/scratch/user/experiment1"
prerun_commands = [
    "module load package/1.2.3",
    "srun --ntasks-per-node 1 dcgmi profile --pause",
]
srun_append = "nsys profile --stats=true -t cuda --gpu-metrics-device=all"
postrun_commands = [
    "srun --ntasks-per-node 1 dcgmi profile --resume",
]

[options]
qos = "regular"
time = "01:30:00"
nodes = 1
constraint = "gpu"

[srun_options]
n = 4
c = 8
cpu-bind = "cores"
G = 4
gpu-bind = "single:1"
"#,
        );
        let p = plan(1);
        let script = job_script(&cfg, &p);
        // The seed's pre-run lines, in order, each wrapped so that a failing one fails the
        // task (naming the line) instead of being ignored.
        let prerun = crate::ship::shell::prerun(&cfg.prerun_commands);
        assert!(
            prerun.contains("{ module load package/1.2.3\n}"),
            "{prerun}"
        );
        assert!(
            prerun.contains("{ srun --ntasks-per-node 1 dcgmi profile --pause\n}"),
            "{prerun}"
        );
        let seed = format!(
            "{prerun}
srun -n 4 -c 8 --cpu-bind=cores -G 4 --gpu-bind=single:1 \\
nsys profile --stats=true -t cuda --gpu-metrics-device=all \\
{}
rc=$?

srun --ntasks-per-node 1 dcgmi profile --resume
exit $rc
",
            task_command(&p)
        );
        assert!(script.ends_with(&seed), "{script}\n---\n{seed}");
        assert!(
            script.starts_with(
                "#!/bin/bash
#SBATCH --qos=regular
#SBATCH --time=01:30:00
#SBATCH --nodes=1
#SBATCH --constraint=gpu
"
            ),
            "{script}"
        );
    }

    #[test]
    fn arrays_name_their_elements_and_a_single_task_is_a_plain_job() {
        let cfg = SlurmExecutor::new();
        let one = job_script(&cfg, &plan(1));
        assert!(!one.contains("--array"), "{one}");
        assert!(one.contains("#SBATCH --output=/scratch/user/experiment1/d1/b1/log.0\n"));
        let many = job_script(&cfg, &plan(200));
        assert!(many.contains("#SBATCH --array=0-199\n"), "{many}");
        assert!(many.contains("#SBATCH --output=/scratch/user/experiment1/d1/b1/log.%a\n"));
        assert!(many.contains("--spec-index \"$I\""));
    }

    #[test]
    fn time_limits_round_up_to_minutes_and_replace_the_configured_time() {
        assert_eq!(slurm_time(Duration::from_secs(1)), "00:01:00");
        assert_eq!(slurm_time(Duration::from_secs(61)), "00:02:00");
        assert_eq!(slurm_time(Duration::from_secs(90 * 60)), "01:30:00");
        assert_eq!(
            slurm_time(Duration::from_secs(2 * 86400 + 3600)),
            "2-01:00:00"
        );
        let o = exec("[options]\ntime = \"10:00:00\"\nqos = \"low\"").options;
        assert_eq!(
            preamble(&o, Some(Duration::from_secs(30))),
            "#!/bin/bash\n#SBATCH --time=00:01:00\n#SBATCH --qos=low\n"
        );
        let o = exec("[options]\nqos = \"low\"").options;
        assert_eq!(
            preamble(&o, Some(Duration::from_secs(30))),
            "#!/bin/bash\n#SBATCH --qos=low\n#SBATCH --time=00:01:00\n"
        );
    }

    #[test]
    fn flags_and_quoting() {
        let o = exec(
            "[options]\nexclusive = true\nrequeue = false\nJ = \"x\"\ncomment = \"two words\"",
        )
        .options;
        assert_eq!(
            preamble(&o, None),
            "#!/bin/bash\n#SBATCH --exclusive\n#SBATCH -J x\n#SBATCH --comment=two words\n"
        );
        assert_eq!(srun_line(&o), "srun --exclusive -J x --comment='two words'");
    }

    /// Covalent's `variables`, `bashrc_path` and `use_srun`: exported, sourced when present,
    /// and the task run without `srun`.
    #[test]
    fn variables_bashrc_and_use_srun() {
        let cfg = exec(
            "use_srun = false\nbashrc_path = \"$HOME/.bashrc\"\nsrun_append = \"nsys profile\"\n\
             [variables]\nOMP_NUM_THREADS = \"4\"\nGREETING = \"two words\"",
        );
        assert!(cfg.check_config().is_ok());
        let p = plan(1);
        let script = job_script(&cfg, &p);
        assert!(
            script.contains("export GREETING='two words'\nexport OMP_NUM_THREADS=4\n"),
            "{script}"
        );
        assert!(
            script.contains("if [ -f \"$HOME/.bashrc\" ]; then . \"$HOME/.bashrc\"; fi\n"),
            "{script}"
        );
        assert!(!script.contains("srun"), "{script}");
        assert!(!script.contains("nsys"), "{script}");
        assert!(
            script.contains(&format!("\n{}\n", task_command(&p))),
            "{script}"
        );
        let bad = exec("[variables]\n\"1X\" = \"v\"");
        assert!(bad.check_config().unwrap_err().contains("`variables.1X`"));
    }
}

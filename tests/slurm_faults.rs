//! Bad input and faults of the `slurm` executor (issue #5), against the single-node Slurm that
//! `harness/slurm` starts: each case dispatches a lattice on a bad `[executors.under_test]` (or
//! breaks Slurm under it) and asserts that the dispatch ENDS (never a hang, never a panic), with
//! the outcome the case promises and errors that name the Slurm state, the job and the fix.
//!
//! Two cases disturb the whole cluster (slurmctld restarted, the node drained): they take the
//! cluster for themselves (a write lock), the others share it (read locks).
//!
//! This test binary is also the task binary (each array element runs it with
//! `--orbital-runner`), so `main` calls `orbital::init()` first.
//!
//! Without the Slurm's environment, a plain `cargo test` says loudly that it skipped these;
//! under `ORBITAL_HARNESS=1` that is a failure.

#[path = "support/slurm.rs"]
mod slurm;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::RwLock;
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use orbital::prelude::*;
use orbital::{DispatchResult, NodeResult};
use slurm::SlurmTarget;

type Case = fn(&Fx) -> Result<(), Failed>;

/// Cases and whether they need the cluster to themselves.
const CASES: &[(&str, Case, bool)] = &[
    ("sbatch_rejects_an_option", sbatch_rejects_an_option, false),
    ("partition_does_not_exist", partition_does_not_exist, false),
    ("remote_workdir_not_writable", workdir_not_writable, false),
    (
        "job_cancelled_from_outside",
        job_cancelled_from_outside,
        false,
    ),
    (
        "electron_time_limit_cancels_the_job",
        electron_time_limit,
        false,
    ),
    (
        "slurm_time_limit_ends_the_job_as_timeout",
        slurm_timeout,
        false,
    ),
    (
        "slurmctld_restarted_mid_dispatch",
        slurmctld_restarted,
        true,
    ),
    ("node_drained_mid_run", node_drained_mid_run, true),
];

/// Shared by the cases that only submit; taken whole by the ones that break the cluster.
static CLUSTER: RwLock<()> = RwLock::new(());

fn main() {
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let target = slurm::target();
    let trials: Vec<Trial> = CASES
        .iter()
        .map(|&(name, case, exclusive)| match &target {
            Some(t) => {
                let t = t.clone();
                Trial::test(name, move || {
                    let fx = Fx::new(t, name)?;
                    if exclusive {
                        let _all = CLUSTER.write().unwrap_or_else(|p| p.into_inner());
                        case(&fx)
                    } else {
                        let _shared = CLUSTER.read().unwrap_or_else(|p| p.into_inner());
                        case(&fx)
                    }
                })
            }
            None => Trial::test(name, || Ok(())).with_ignored_flag(true),
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

// ---------------------------------------------------------------------------------------------
// The electrons (each case its own, so that its job can be found by name).

/// Writes `<dir>/<tag>.started`, then sleeps `secs` seconds, then returns `secs`.
fn sleep_marked(dir: &str, tag: &str, secs: u64) -> u64 {
    std::fs::write(Path::new(dir).join(format!("{tag}.started")), b"1").expect("marker");
    std::thread::sleep(Duration::from_secs(secs));
    secs
}

#[electron]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[lattice(executor = "under_test")]
fn adding(a: u64, b: u64) -> u64 {
    add(a, b)
}

#[electron]
fn outside_cancel_victim(dir: String) -> u64 {
    sleep_marked(&dir, "victim", 300)
}

#[lattice(executor = "under_test")]
fn cancelled_from_outside(dir: String) -> u64 {
    let x = outside_cancel_victim(dir);
    add(x, 1)
}

#[electron(time_limit = "2s")]
fn overstays_two_seconds(dir: String) -> u64 {
    sleep_marked(&dir, "overstays", 300)
}

#[lattice(executor = "under_test")]
fn over_its_time_limit(dir: String) -> u64 {
    overstays_two_seconds(dir)
}

#[electron]
fn outlives_slurm_time(dir: String) -> u64 {
    sleep_marked(&dir, "outlives", 600)
}

#[lattice(executor = "under_test")]
fn over_slurm_time(dir: String) -> u64 {
    outlives_slurm_time(dir)
}

#[electron]
fn spans_a_restart(dir: String) -> u64 {
    sleep_marked(&dir, "restart", 8)
}

#[lattice(executor = "under_test")]
fn across_a_restart(dir: String) -> u64 {
    let a = spans_a_restart(dir);
    add(a, 1)
}

#[electron]
fn runs_while_draining(dir: String) -> u64 {
    sleep_marked(&dir, "drain", 6)
}

#[lattice(executor = "under_test")]
fn across_a_drain(dir: String) -> u64 {
    let a = runs_while_draining(dir);
    add(a, 10)
}

// ---------------------------------------------------------------------------------------------
// The cases.

fn sbatch_rejects_an_option(fx: &Fx) -> Result<(), Failed> {
    let e = fx.one_node_error("[executors.under_test.options]\nno-such-option = \"x\"\n")?;
    says(
        &e,
        &["sbatch refused the job", "no-such-option", "`options`"],
    );
    // sbatch's own words, as it printed them.
    assert!(
        e.contains("unrecognized option") || e.contains("invalid option"),
        "{e}"
    );
    Ok(())
}

fn partition_does_not_exist(fx: &Fx) -> Result<(), Failed> {
    let e =
        fx.one_node_error("[executors.under_test.options]\npartition = \"no-such-partition\"\n")?;
    says(
        &e,
        &[
            "sbatch refused the job",
            "invalid partition",
            "`options.partition`",
            "sinfo",
        ],
    );
    Ok(())
}

fn workdir_not_writable(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime_with_workdir("/proc/orbital-cannot-write-here", "")?;
    let result = fx.run(&rt, adding::build(1, 2))?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let e = error_of(node(&result, "add"));
    says(
        e,
        &[
            "remote_workdir",
            "/proc/orbital-cannot-write-here",
            "set `remote_workdir`",
        ],
    );
    Ok(())
}

fn job_cancelled_from_outside(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime("")?;
    let dir = fx.dir_string();
    let (result, job) = fx.block_on(async {
        let d = rt.dispatch(cancelled_from_outside::build(dir)).await?;
        appears(&fx.dir.join("victim.started"), 120).await?;
        let job = fx.job_named("orbital-outside_cancel_victim")?;
        let out = fx.target.run("scancel", &[&job]);
        assert!(out.status.success(), "scancel {job}: {out:?}");
        let r = within(120, "the dispatch after scancel", d.wait()).await??;
        Ok::<_, Failed>((r, job))
    })?;
    assert_ne!(result.status(), DispatchStatus::Completed);
    let v = node(&result, "outside_cancel_victim");
    says(error_of(v), &["CANCELLED", &job]);
    assert_eq!(v.status(), NodeStatus::Cancelled, "{}", error_of(v));
    assert_ne!(node(&result, "add").status(), NodeStatus::Completed);
    Ok(())
}

fn electron_time_limit(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime("")?;
    let result = fx.run(&rt, over_its_time_limit::build(fx.dir_string()))?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let n = node(&result, "overstays_two_seconds");
    says(error_of(n), &["exceeded its time limit of 2s"]);
    // The job was cancelled, not left to sleep on in the queue.
    let job = fx.job_named("orbital-overstays_two_seconds")?;
    let state = fx.block_on(fx.final_state(&job))?;
    assert_eq!(state, "CANCELLED", "job {job}");
    Ok(())
}

fn slurm_timeout(fx: &Fx) -> Result<(), Failed> {
    // Slurm's own limit (one minute, its smallest), no time limit on the electron: Slurm ends
    // the job (its controller checks limits about every 30 s) and the node says TIMEOUT.
    let rt = fx.runtime("[executors.under_test.options]\ntime = \"1\"\n")?;
    let result = fx.run(&rt, over_slurm_time::build(fx.dir_string()))?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let n = node(&result, "outlives_slurm_time");
    let job = fx.job_named("orbital-outlives_slurm_time")?;
    says(error_of(n), &["TIMEOUT", &job, "--time"]);
    Ok(())
}

fn slurmctld_restarted(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime("")?;
    let dir = fx.dir_string();
    let result = fx.block_on(async {
        let d = rt.dispatch(across_a_restart::build(dir)).await?;
        appears(&fx.dir.join("restart.started"), 120).await?;
        fx.harness("restart-ctld")?;
        Ok::<_, Failed>(within(180, "the dispatch across a slurmctld restart", d.wait()).await??)
    })?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(result.output()?, 9);
    Ok(())
}

fn node_drained_mid_run(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime("")?;
    let dir = fx.dir_string();
    let node_name = fx.target.node.clone();
    let result = fx.block_on(async {
        let d = rt.dispatch(across_a_drain::build(dir)).await?;
        appears(&fx.dir.join("drain.started"), 120).await?;
        let out = fx.target.run(
            "scontrol",
            &[
                "update",
                &format!("nodename={node_name}"),
                "state=drain",
                "reason=orbital-test",
            ],
        );
        assert!(out.status.success(), "drain: {out:?}");
        // The running job finishes on the draining node; the next one waits for a node.
        let waiting = within(120, "a job pending for the drained node", async {
            loop {
                let out = fx
                    .target
                    .run("squeue", &["-h", "-t", "PENDING", "-O", "Name:|,Reason:|"]);
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                if let Some(line) = text.lines().find(|l| l.starts_with("orbital-add|")) {
                    return line.to_owned();
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await;
        // Whatever happened, the node comes back for the other tests.
        let resumed = fx.harness("resume-node");
        let waiting = waiting?;
        resumed?;
        assert!(
            waiting.contains("ReqNodeNotAvail") || waiting.contains("Resources"),
            "{waiting}"
        );
        Ok::<_, Failed>(within(180, "the dispatch after the node came back", d.wait()).await??)
    })?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(result.output()?, 16);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A case's fixture.

/// A case's Slurm, directory (under the shared workdir, open to every user) and tokio runtime.
struct Fx {
    target: SlurmTarget,
    dir: PathBuf,
    tokio: Option<tokio::runtime::Runtime>,
}

impl Drop for Fx {
    fn drop(&mut self) {
        if let Some(rt) = self.tokio.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Fx {
    fn new(target: SlurmTarget, name: &str) -> Result<Fx, Failed> {
        let dir = target.fresh_dir(&format!("faults-{name}"));
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        Ok(Fx {
            target,
            dir,
            tokio: Some(tokio),
        })
    }

    fn dir_string(&self) -> String {
        self.dir.display().to_string()
    }

    /// A runtime whose `under_test` submits to the test Slurm from this machine, with its job
    /// files in the case's directory; `extra` is appended (sub-tables of `under_test`).
    fn runtime(&self, extra: &str) -> Result<orbital::Runtime, Failed> {
        self.runtime_with_workdir(&self.dir.join("work").display().to_string(), extra)
    }

    fn runtime_with_workdir(&self, workdir: &str, extra: &str) -> Result<orbital::Runtime, Failed> {
        let text = format!(
            "[executors.under_test]\ntype = \"slurm\"\nremote_workdir = \"{workdir}\"\npoll_freq = 0.25\n{extra}"
        );
        let _guard = self.tokio().enter();
        Ok(orbital::Runtime::builder()
            .store_path(self.dir.join("store.db"))
            .config(orbital::Config::parse(
                &text,
                Path::new("slurm_faults.toml"),
            )?)
            .build()?)
    }

    fn tokio(&self) -> &tokio::runtime::Runtime {
        self.tokio.as_ref().expect("lives as long as the fixture")
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.tokio().block_on(f)
    }

    /// Dispatches `wf` and waits for its end, with a hang guard far above what it needs.
    fn run<T: orbital::Data>(
        &self,
        rt: &orbital::Runtime,
        wf: orbital::Workflow<T>,
    ) -> Result<DispatchResult<T>, Failed> {
        self.block_on(async {
            let d = rt.dispatch(wf).await?;
            Ok(within(240, "the dispatch", d.wait()).await??)
        })
    }

    /// Dispatches the one-node lattice on `under_test` (with `extra` configuration) and returns
    /// its node's error, after checking that the node failed and the dispatch ended failed.
    fn one_node_error(&self, extra: &str) -> Result<String, Failed> {
        let rt = self.runtime(extra)?;
        let result = self.run(&rt, adding::build(1, 2))?;
        assert_eq!(result.status(), DispatchStatus::Failed);
        let n = node(&result, "add");
        assert_eq!(n.status(), NodeStatus::Failed);
        let e = error_of(n).to_owned();
        let stored = rt.get_result(result.id())?;
        assert_eq!(error_of(node(&stored, "add")), e, "the store has the error");
        Ok(e)
    }

    /// The id of the newest job named `name` whose files are in this case's directory.
    fn job_named(&self, name: &str) -> Result<String, Failed> {
        let out = self.target.run(
            "squeue",
            &["-h", "-t", "all", "-n", name, "-O", "JobArrayID:|,StdOut:|"],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mine = self.dir_string();
        text.lines()
            .filter(|l| l.contains(&mine))
            .filter_map(|l| l.split('|').next())
            .max_by_key(|id| id.split('_').next().and_then(|n| n.parse::<u64>().ok()))
            .map(str::to_owned)
            .ok_or_else(|| {
                format!("no job `{name}` with files in {mine}: squeue said {text:?}").into()
            })
    }

    /// The job's state once it is final (not pending, running or completing).
    async fn final_state(&self, job: &str) -> Result<String, Failed> {
        within(120, "the job's final state", async {
            loop {
                let out = self
                    .target
                    .run("squeue", &["-h", "-t", "all", "-j", job, "-O", "State"]);
                let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                if !state.is_empty()
                    && !matches!(
                        state.as_str(),
                        "PENDING" | "RUNNING" | "COMPLETING" | "CONFIGURING"
                    )
                {
                    return state;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await
    }

    /// Runs `harness/slurm COMMAND` (restart-ctld, resume-node).
    fn harness(&self, command: &str) -> Result<(), Failed> {
        let script = SlurmTarget::harness_script();
        let out = Command::new(&script).arg(command).output()?;
        if !out.status.success() {
            return Err(format!(
                "{} {command} failed ({}): {}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(())
    }
}

/// An error instead of a hang when `fut` takes longer than `secs` (never a timing assertion).
async fn within<F: Future>(secs: u64, what: &str, fut: F) -> Result<F::Output, Failed> {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .map_err(|_| format!("{what} did not finish within {secs}s (hang guard)").into())
}

/// Waits until `path` exists.
async fn appears(path: &Path, secs: u64) -> Result<(), Failed> {
    within(secs, &format!("{} to appear", path.display()), async {
        while !path.exists() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

#[track_caller]
fn node<'a, T>(result: &'a DispatchResult<T>, name: &str) -> &'a NodeResult {
    let mut found = result.nodes().iter().filter(|n| n.name() == name);
    let n = found
        .next()
        .unwrap_or_else(|| panic!("the dispatch has no node `{name}`"));
    assert!(found.next().is_none(), "more than one node `{name}`");
    n
}

#[track_caller]
fn error_of(n: &NodeResult) -> &str {
    n.error()
        .unwrap_or_else(|| panic!("node `{}` ({}) has no error", n.name(), n.status()))
}

/// Asserts that `error` contains each of `says`.
#[track_caller]
fn says(error: &str, says: &[&str]) {
    for s in says {
        assert!(error.contains(s), "the error says `{s}`; it is:\n  {error}");
    }
}

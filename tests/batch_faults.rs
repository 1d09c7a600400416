//! Bad input and faults of the `awsbatch` executor (issue #15), against moto and the job plane
//! that `harness/aws` starts: each case dispatches on a bad `[executors.under_test]` (or has
//! the plane break a job) and asserts that the dispatch ends with an error that names the
//! resource and the fix, or that it recovers the way Batch would.
//!
//! This test binary is the program the jobs run, so `main` calls `orbital::init()` first.

#[path = "support/aws.rs"]
mod aws;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws::BatchTarget;
use libtest_mimic::{Failed, Trial};
use orbital::executors::AwsBatchExecutor;
use orbital::prelude::*;
use orbital::{DispatchResult, NodeResult};

type Case = fn(&Fx) -> Result<(), Failed>;

const CASES: &[(&str, Case)] = &[
    ("queue_does_not_exist", queue_missing),
    ("role_does_not_exist", role_missing),
    ("bucket_does_not_exist", bucket_missing),
    ("wrong_credentials_are_named", wrong_credentials),
    ("out_of_memory_names_memory", out_of_memory),
    ("attempt_duration_is_a_timeout", attempt_duration),
    ("a_lost_host_is_retried_by_batch", host_lost),
    ("expired_urls_are_resubmitted_not_retried", expired_urls),
    ("a_job_terminated_from_outside", terminated_outside),
    ("a_task_error_is_not_retried_by_batch", task_error),
    (
        "a_value_in_code_takes_the_rest_from_the_table",
        value_in_code,
    ),
    ("one_definition_and_one_upload_per_build", once_per_build),
];

fn main() {
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let target = aws::batch_target();
    let trials: Vec<Trial> = CASES
        .iter()
        .map(|&(name, case)| match &target {
            Some(t) => {
                let t = t.clone();
                Trial::test(name, move || case(&Fx::new(t, name)?))
            }
            None => Trial::test(name, || Ok(())).with_ignored_flag(true),
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
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
fn sleeps(secs: u64) -> u64 {
    std::thread::sleep(Duration::from_secs(secs));
    secs
}

#[lattice(executor = "under_test")]
fn sleeping(secs: u64) -> u64 {
    sleeps(secs)
}

#[electron]
fn hog(mib: usize) -> usize {
    let mut v: Vec<u8> = vec![0; mib << 20];
    for i in (0..v.len()).step_by(4096) {
        v[i] = 1;
    }
    std::thread::sleep(Duration::from_secs(5));
    v.iter().step_by(4096).map(|b| *b as usize).sum()
}

/// Sleeps (its own electron, so that its jobs are told apart from the other cases').
#[electron]
fn naps(secs: u64) -> u64 {
    std::thread::sleep(Duration::from_secs(secs));
    secs
}

#[lattice(executor = "under_test")]
fn napping(secs: u64) -> u64 {
    naps(secs)
}

/// Adds, in a job whose URLs expire before it starts.
#[electron]
fn adds_late(a: u64, b: u64) -> u64 {
    a + b
}

#[lattice(executor = "under_test")]
fn adding_late(a: u64, b: u64) -> u64 {
    adds_late(a, b)
}

/// Doubles, in two dispatches of one build.
#[electron]
fn doubles(x: u64) -> u64 {
    2 * x
}

#[lattice(executor = "under_test")]
fn doubling(x: u64) -> u64 {
    doubles(x)
}

/// Waits to be terminated.
#[electron]
fn awaits(secs: u64) -> u64 {
    std::thread::sleep(Duration::from_secs(secs));
    secs
}

#[lattice(executor = "under_test")]
fn awaiting(secs: u64) -> u64 {
    awaits(secs)
}

#[lattice(executor = "under_test")]
fn hogging(mib: usize) -> usize {
    hog(mib)
}

#[electron]
fn refuses(x: u64) -> Result<u64, String> {
    Err(format!("{x} is not accepted"))
}

#[lattice(executor = "under_test")]
fn refusing(x: u64) -> u64 {
    refuses(x)
}

#[electron(executor = AwsBatchExecutor::new().vcpu(2.0).memory_gb(0.5))]
fn coded(x: u64) -> u64 {
    x * 2
}

#[lattice]
fn coding(x: u64) -> u64 {
    coded(x)
}

// ---------------------------------------------------------------------------------------------

fn queue_missing(fx: &Fx) -> Result<(), Failed> {
    let text = fx.toml("").replace(
        &format!("batch_queue = \"{}\"", fx.target.queue),
        "batch_queue = \"no-such-queue\"",
    );
    let e = fx.one_node_error(&text)?;
    says(
        &e,
        &[
            "batch_queue `no-such-queue` does not exist",
            &fx.target.queue,
            "set `batch_queue`",
        ],
    );
    Ok(())
}

fn role_missing(fx: &Fx) -> Result<(), Failed> {
    let e = fx.one_node_error(&fx.toml("batch_job_role_name = \"no-such-role\"\n"))?;
    says(
        &e,
        &[
            "batch_job_role_name `no-such-role`",
            "no such role",
            "ecs-tasks.amazonaws.com",
        ],
    );
    // The role that exists is found, and the job runs as it.
    let ok = fx.run(
        &fx.runtime(&fx.toml(&format!(
            "batch_job_role_name = \"{}\"\n",
            fx.target.job_role
        )))?,
        adding::build(1, 2),
    )?;
    assert_eq!(ok.output()?, 3);
    Ok(())
}

fn bucket_missing(fx: &Fx) -> Result<(), Failed> {
    let text = fx.toml("").replace(
        &format!("s3_bucket_name = \"{}\"", fx.target.aws.bucket),
        "s3_bucket_name = \"no-such-bucket-orbital\"",
    );
    let e = fx.one_node_error(&text)?;
    says(
        &e,
        &[
            "s3_bucket_name `no-such-bucket-orbital`",
            "aws s3 mb s3://no-such-bucket-orbital",
        ],
    );
    Ok(())
}

fn wrong_credentials(fx: &Fx) -> Result<(), Failed> {
    // The authenticating moto knows no access key: the profile's is refused.
    let text = fx.toml("").replace(
        &format!("endpoint_url = \"{}\"", fx.target.endpoint),
        &format!("endpoint_url = \"{}\"", fx.target.aws.auth_endpoint),
    );
    let e = fx.one_node_error(&text)?;
    says(
        &e,
        &[
            "AWS refused the credentials",
            &format!("profile `{}`", fx.target.aws.profile),
        ],
    );
    assert!(!e.contains("testing"), "the error shows a secret: {e}");
    Ok(())
}

fn out_of_memory(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml("").replace("memory = 1.0", "memory = 0.125"))?;
    let result = fx.run(&rt, hogging::build(600))?;
    let n = node(&result, "hog");
    assert_eq!(n.status(), NodeStatus::Failed);
    says(
        error_of(n),
        &[
            "ran out of memory",
            "OutOfMemoryError",
            "`memory = 0.125` GB (128 MiB)",
            "raise `memory`",
        ],
    );
    // Batch's rules end a job that ran out of memory: one attempt.
    assert_eq!(fx.attempts_of_last_job("orbital-hog")?, 1);
    Ok(())
}

fn attempt_duration(fx: &Fx) -> Result<(), Failed> {
    // Batch's shortest attempt is 60 s: the job sleeps longer than that.
    let rt = fx.runtime(&fx.toml("time_limit = 60\n"))?;
    let t0 = Instant::now();
    let result = fx.run(&rt, sleeping::build(150))?;
    let n = node(&result, "sleeps");
    assert_eq!(n.status(), NodeStatus::Failed);
    says(
        error_of(n),
        &[
            "ran past its attemptDurationSeconds",
            "`time_limit = 60`",
            "Job attempt duration exceeded timeout",
        ],
    );
    assert!(
        t0.elapsed() < Duration::from_secs(140),
        "the job was not stopped at its timeout"
    );
    assert_eq!(
        fx.attempts_of_last_job("orbital-sleeps")?,
        1,
        "a timed-out job is not retried"
    );
    Ok(())
}

fn host_lost(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(""))?;
    let t = fx.target.clone();
    // Once the job runs, its host goes away (the plane kills it as a lost instance).
    let loser = std::thread::spawn(move || -> Result<(), String> {
        let id = t.boto3(&running_job("orbital-naps", &t.queue))?;
        t.hook("POST", &format!("lose-host?job={}", id.trim()))
            .map(drop)
    });
    let result = fx.run(&rt, napping::build(3))?;
    loser
        .join()
        .map_err(|_| "the host-losing thread panicked")??;
    assert_eq!(
        result.output()?,
        3,
        "the job completes on its second attempt"
    );
    assert_eq!(
        fx.attempts_of_last_job("orbital-naps")?,
        2,
        "Batch retried the lost host"
    );
    assert_eq!(
        node(&result, "naps").attempts(),
        1,
        "not counted against `retries`"
    );
    Ok(())
}

fn expired_urls(fx: &Fx) -> Result<(), Failed> {
    fx.target.hook("POST", "hold?count=1&seconds=4")?;
    let rt = fx.runtime(&fx.toml("presign_ttl = 2\n"))?;
    let result = fx.run(&rt, adding_late::build(20, 22));
    fx.target.hook("POST", "clear")?;
    let result = result?;
    assert_eq!(result.output()?, 42);
    let n = node(&result, "adds_late");
    assert_eq!(n.attempts(), 1, "a resubmission is not a retry");
    // Two submissions: the first refused its expired URLs (exit 91), the second ran.
    let jobs = fx.jobs_named("orbital-adds_late")?;
    let codes: Vec<String> = jobs
        .iter()
        .map(|j| format!("{} {}", j["status"], j["attempts"][0]["exitCode"]))
        .collect();
    assert_eq!(jobs.len(), 2, "{codes:?}");
    assert!(codes.iter().any(|c| c.ends_with(" 91")), "{codes:?}");
    Ok(())
}

fn terminated_outside(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(""))?;
    let t = fx.target.clone();
    let killer = std::thread::spawn(move || {
        t.boto3(&format!(
            "{}batch.terminate_job(jobId=ID, reason='stopped by an operator')\n",
            running_job("orbital-awaits", &t.queue).replace("print(ids[0])", "ID = ids[0]")
        ))
    });
    let result = fx.run(&rt, awaiting::build(60))?;
    killer
        .join()
        .map_err(|_| "the terminating thread panicked")??;
    let n = node(&result, "awaits");
    assert_eq!(n.status(), NodeStatus::Failed);
    says(error_of(n), &["Batch said: stopped by an operator"]);
    Ok(())
}

fn task_error(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(""))?;
    let result = fx.run(&rt, refusing::build(7))?;
    let n = node(&result, "refuses");
    assert_eq!(n.status(), NodeStatus::Failed);
    says(error_of(n), &["7 is not accepted"]);
    assert_eq!(
        fx.attempts_of_last_job("orbital-refuses")?,
        1,
        "Batch does not retry a task's own error"
    );
    Ok(())
}

fn value_in_code(fx: &Fx) -> Result<(), Failed> {
    // `[executors.awsbatch]` gives the queue, bucket and endpoint; the code gives vcpu and memory.
    let rt = fx.runtime(&fx.target.toml("awsbatch", ""))?;
    let result = fx.run(&rt, coding::build(21))?;
    assert_eq!(result.output()?, 42);
    let job = fx.last_job("orbital-coded")?;
    assert_eq!(
        job["vcpus"], 2.0,
        "the job's vCPUs come from the code: {job}"
    );
    assert_eq!(
        job["memory"], 512,
        "the job's MiB come from the code: {job}"
    );
    Ok(())
}

fn once_per_build(fx: &Fx) -> Result<(), Failed> {
    let text = fx.toml("");
    assert_eq!(
        fx.run(&fx.runtime(&text)?, doubling::build(1))?.output()?,
        2
    );
    let program = || {
        fx.target.boto3(
            "r = s3.list_objects_v2(Bucket=sys.argv[1] if len(sys.argv) > 1 else BUCKET, Prefix='orbital/bin/')\n\
             print(sorted((o['Key'], str(o['LastModified'])) for o in r.get('Contents', [])))\n"
                .replace("BUCKET", &format!("{:?}", fx.target.aws.bucket))
                .as_str(),
        )
    };
    let before = program()?;
    // A second dispatch of the same build, in a new runtime: no upload and no registration.
    assert_eq!(
        fx.run(&fx.runtime(&text)?, doubling::build(2))?.output()?,
        4
    );
    assert_eq!(program()?, before, "the program was uploaded again");
    let jobs = fx.jobs_named("orbital-doubles")?;
    assert_eq!(jobs.len(), 2);
    assert_eq!(
        jobs[0]["definition"], jobs[1]["definition"],
        "a second job definition"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------

struct Fx {
    target: BatchTarget,
    dir: PathBuf,
    /// When the case began (ms since the epoch): the plane's jobs before it are another run's.
    since_ms: i64,
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
    fn new(target: BatchTarget, name: &str) -> Result<Fx, Failed> {
        let dir = std::env::temp_dir().join(format!(
            "orbital-batch-faults-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Fx {
            target,
            dir,
            since_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_millis() as i64,
            tokio: Some(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?,
            ),
        })
    }

    /// `[executors.under_test]` on the plane, then `extra`.
    fn toml(&self, extra: &str) -> String {
        self.target.toml("under_test", extra)
    }

    fn runtime(&self, text: &str) -> Result<orbital::Runtime, Failed> {
        let _guard = self.tokio().enter();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        Ok(orbital::Runtime::builder()
            .store_path(self.dir.join(format!("store-{nanos}.db")))
            .config(orbital::Config::parse(
                text,
                Path::new("batch_faults.toml"),
            )?)
            .build()?)
    }

    fn tokio(&self) -> &tokio::runtime::Runtime {
        self.tokio.as_ref().expect("lives as long as the fixture")
    }

    fn run<T: orbital::Data>(
        &self,
        rt: &orbital::Runtime,
        wf: orbital::Workflow<T>,
    ) -> Result<DispatchResult<T>, Failed> {
        self.tokio().block_on(async {
            let d = rt.dispatch(wf).await?;
            match tokio::time::timeout(Duration::from_secs(300), d.wait()).await {
                Ok(r) => Ok(r?),
                Err(_) => Err("the dispatch did not end within 300 s (hang guard)".into()),
            }
        })
    }

    fn one_node_error(&self, text: &str) -> Result<String, Failed> {
        let rt = self.runtime(text)?;
        let result = self.run(&rt, adding::build(1, 2))?;
        assert_eq!(result.status(), DispatchStatus::Failed);
        let n = node(&result, "add");
        assert_eq!(n.status(), NodeStatus::Failed);
        Ok(error_of(n).to_owned())
    }

    /// The plane's records of the jobs named `name`, oldest first.
    fn jobs_named(&self, name: &str) -> Result<Vec<serde_json::Value>, Failed> {
        let jobs: serde_json::Value = serde_json::from_str(&self.target.hook("GET", "jobs")?)?;
        let mut list: Vec<serde_json::Value> = jobs["jobs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|j| {
                j["jobName"] == name && j["createdAt"].as_i64().unwrap_or(0) >= self.since_ms
            })
            .collect();
        list.sort_by_key(|j| j["createdAt"].as_i64().unwrap_or(0));
        Ok(list)
    }

    /// The plane's record of the job named `name` submitted last.
    fn last_job(&self, name: &str) -> Result<serde_json::Value, Failed> {
        let jobs: serde_json::Value = serde_json::from_str(&self.target.hook("GET", "jobs")?)?;
        let list = jobs["jobs"].as_array().cloned().unwrap_or_default();
        list.into_iter()
            .filter(|j| {
                j["jobName"] == name && j["createdAt"].as_i64().unwrap_or(0) >= self.since_ms
            })
            .max_by_key(|j| j["createdAt"].as_i64().unwrap_or(0))
            .ok_or_else(|| "the plane has no job".into())
    }

    /// The attempts of the job named `name` submitted last.
    fn attempts_of_last_job(&self, name: &str) -> Result<usize, Failed> {
        let job = self.last_job(name)?;
        Ok(job["attempts"].as_array().map_or(0, Vec::len))
    }
}

/// A boto3 script that waits (up to 30 s) for a RUNNING job named `name` and prints its id.
fn running_job(name: &str, queue: &str) -> String {
    format!(
        "import time\nids = []\nfor _ in range(300):\n    ids = [j['jobId'] for j in batch.list_jobs(jobQueue={queue:?}, \
         jobStatus='RUNNING')['jobSummaryList'] if j['jobName'] == {name:?}]\n    if ids:\n        break\n    \
         time.sleep(0.1)\nif not ids:\n    sys.exit('no RUNNING job named {name}')\nprint(ids[0])\n"
    )
}

#[track_caller]
fn node<'a, T>(result: &'a DispatchResult<T>, name: &str) -> &'a NodeResult {
    result
        .nodes()
        .iter()
        .find(|n| n.name() == name)
        .unwrap_or_else(|| panic!("the dispatch has no node `{name}`"))
}

#[track_caller]
fn error_of(n: &NodeResult) -> &str {
    n.error()
        .unwrap_or_else(|| panic!("node `{}` ({}) has no error", n.name(), n.status()))
}

#[track_caller]
fn says(error: &str, says: &[&str]) {
    for s in says {
        assert!(error.contains(s), "the error says `{s}`; it is:\n  {error}");
    }
}

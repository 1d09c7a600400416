//! AWS Batch executor figures against moto and the job plane that `harness/aws` starts, each
//! side measured in the same run:
//!
//! - the AWS calls of one dispatch of 200 trivial electrons (`SubmitJob`, `DescribeJobs` per
//!   poll, `RegisterJobDefinition`, S3), counted by the plane;
//! - that dispatch end to end, against a raw boto3 `SubmitJob` of the same array (the same job
//!   definition, program, specs and manifest: each child really runs its task) polled with
//!   `DescribeJobs` at the same interval, alternating sides over 3 rounds (or the number given: `-- 1`).
//!
//! `eval "$(./harness/aws)" && cargo run --release --features awsbatch --example batch_bench`

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use orbital::prelude::*;

const N: u64 = 200;
const POLL: f64 = 0.5;

/// A trivial task.
#[electron]
fn inc(x: u64) -> u64 {
    x + 1
}

/// `n` independent increments on Batch, gathered locally.
#[lattice(executor = "bench")]
fn fan(n: u64) -> Vec<u64> {
    let nodes: Vec<Node<u64>> = (0..n).map(inc).collect();
    collect(nodes)
}

/// Gathers outputs (locally).
#[electron(executor = "local")]
fn collect(xs: Vec<u64>) -> Vec<u64> {
    xs
}

fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => {
            eprintln!("batch_bench: {name} is not set: run `eval \"$(./harness/aws)\"` in this shell first");
            std::process::exit(2);
        }
    }
}

/// Runs a boto3 script (clients `batch`, `s3` on the plane); its stdout.
fn boto3(script: &str) -> String {
    let prelude = format!(
        "import boto3, json, sys, time\nkw = dict(endpoint_url={:?}, region_name={:?}, aws_access_key_id='testing', \
         aws_secret_access_key='testing')\nbatch = boto3.client('batch', **kw)\n",
        env("ORBITAL_TEST_BATCH_ENDPOINT"),
        env("ORBITAL_TEST_AWS_REGION")
    );
    let out = Command::new(format!("{}/bin/python", env("ORBITAL_TEST_AWS_VENV")))
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .output()
        .expect("the venv's python runs");
    assert!(
        out.status.success(),
        "boto3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn plane(method: &str, path: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args([
            "-sSf",
            "-X",
            method,
            &format!("{}/_plane/{path}", env("ORBITAL_TEST_BATCH_ENDPOINT")),
        ])
        .output()
        .expect("curl runs");
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// The id of the newest array job named `name`.
fn newest(name: &str) -> String {
    let jobs = plane("GET", "jobs");
    jobs["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| j["jobName"] == name && j["arrayProperties"]["index"].is_null())
        .max_by_key(|j| j["createdAt"].as_i64().unwrap_or(0))
        .and_then(|j| j["jobId"].as_str().map(str::to_owned))
        .expect("the plane has the job")
}

/// The raw side: the same array submitted again with boto3 (the job's definition and
/// environment), polled with DescribeJobs every POLL s until it ends; seconds.
fn raw(like: &str) -> f64 {
    let script = r#"
j = batch.describe_jobs(jobs=[LIKE])['jobs'][0]
env = j['container']['environment']
t0 = time.time()
r = batch.submit_job(jobName='raw-boto3', jobQueue=j['jobQueue'], jobDefinition=j['jobDefinition'],
    arrayProperties={'size': N}, containerOverrides={'environment': env,
    'resourceRequirements': j['container']['resourceRequirements']})
while True:
    time.sleep(POLL)
    s = batch.describe_jobs(jobs=[r['jobId']])['jobs'][0]['status']
    if s in ('SUCCEEDED', 'FAILED'):
        break
assert s == 'SUCCEEDED', s
print(time.time() - t0)
"#
    .replace("LIKE", &format!("{like:?}"))
    .replace("POLL", &POLL.to_string())
    .replace("N}", &format!("{N}}}"));
    boto3(&script).trim().parse().expect("seconds")
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let config_text = format!(
        "[executors.bench]\ntype = \"awsbatch\"\nendpoint_url = \"{}\"\nregion = \"{}\"\nprofile = \"{}\"\n\
         credentials = \"{}\"\nbatch_queue = \"{}\"\ns3_bucket_name = \"{}\"\nvcpu = 0.25\nmemory = 0.25\n\
         poll_freq = {POLL}\n",
        env("ORBITAL_TEST_BATCH_ENDPOINT"),
        env("ORBITAL_TEST_AWS_REGION"),
        env("ORBITAL_TEST_AWS_PROFILE"),
        env("ORBITAL_TEST_AWS_CREDENTIALS_FILE"),
        env("ORBITAL_TEST_BATCH_QUEUE"),
        env("ORBITAL_TEST_AWS_BUCKET"),
    );
    let config = orbital::Config::parse(&config_text, Path::new("batch_bench.toml"))?;
    let rt = orbital::Runtime::builder().config(config).build()?;
    // Warm-up: setup (program upload, job definition) and a first array.
    let t0 = Instant::now();
    let r = rt.dispatch(fan::build(N)).await?.wait().await?;
    assert_eq!(r.output()?.len() as u64, N);
    println!(
        "batch_bench: first dispatch of {N} electrons (setup, upload, definition): {:.2} s",
        t0.elapsed().as_secs_f64()
    );

    plane("POST", "reset-stats");
    let t0 = Instant::now();
    let r = rt.dispatch(fan::build(N)).await?.wait().await?;
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(r.output()?, (1..=N).collect::<Vec<_>>());
    let stats = plane("GET", "stats");
    let count = |svc: &str, op: &str| stats["requests"][svc][op].as_u64().unwrap_or(0);
    let describes = count("batch", "DescribeJobs");
    println!(
        "AWS calls, one warm dispatch of {N} electrons ({secs:.2} s, poll_freq {POLL} s): SubmitJob {} \
         (goal ceil({N}/1000) = 1), DescribeJobs {describes} (2 per poll: {N} ids / 100; ~{} polls), \
         RegisterJobDefinition {}, DescribeJobDefinitions {}, S3 PutObject {} (specs, manifest; the children's \
         outcome PUTs are presigned), S3 GetObject {} (the children's downloads and the driver's outcome reads), \
         S3 HeadObject {}, CloudWatch GetLogEvents {}",
        count("batch", "SubmitJob"),
        describes.div_ceil(2),
        count("batch", "RegisterJobDefinition"),
        count("batch", "DescribeJobDefinitions"),
        count("s3", "PutObject"),
        count("s3", "GetObject"),
        count("s3", "HeadObject"),
        count("logs", "GetLogEvents"),
    );
    let like = newest("orbital-inc");
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let t0 = Instant::now();
        let r = rt.dispatch(fan::build(N)).await?.wait().await?;
        assert_eq!(r.output()?.len() as u64, N);
        ours.push(t0.elapsed().as_secs_f64());
        let like = like.clone();
        theirs.push(
            tokio::task::spawn_blocking(move || raw(&like))
                .await
                .expect("the raw side ran"),
        );
        println!(
            "round {round}: orbital {:.2} s, raw boto3 {:.2} s",
            ours[round], theirs[round]
        );
    }
    let (o, t) = (median(&mut ours), median(&mut theirs));
    println!(
        "end to end, {N} electrons as one array job (median of {rounds}): orbital {o:.2} s, raw boto3 submission of the \
         same array {t:.2} s: orbital's cost {:+.2} s ({:.1} ms per electron)",
        o - t,
        (o - t) * 1000.0 / N as f64
    );
    Ok(())
}

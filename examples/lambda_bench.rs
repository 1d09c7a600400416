//! AWS Lambda executor figures, each side measured in the same run, against the emulators that
//! `harness/aws` starts (moto, cargo-lambda's emulator and the glue endpoint):
//!
//! - the first dispatch's deploy (package: strip and zip; upload: the create call; settle),
//!   then a second deploy of the same build (`unchanged`, no create or update call);
//! - the per-task time of 200 sequential trivial electrons (one dispatch, a chain), against
//!   200 raw SDK `Invoke`s of the same deployed function with the same event bytes the
//!   executor sends (each really runs the task there; its outcome is decoded and checked),
//!   alternating sides over 3 rounds;
//! - 200 independent trivial electrons with `max_concurrency = 16`, in tasks per second.
//!
//! `eval "$(./harness/aws)" && cargo run --release --features awslambda --example lambda_bench`

use std::path::Path;
use std::time::{Duration, Instant};

use orbital_executors::awslambda::__sdk::{aws_config, aws_sdk_lambda, base64};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use orbital::executors::AwsLambdaExecutor;
use orbital::prelude::*;
use orbital_core::{codec, protocol, TaskSpec};

const FUNCTION: &str = "orbital-lambda-bench";
const N: u64 = 200;
const ROUNDS: usize = 3;

/// A trivial task.
#[electron]
fn inc(x: u64) -> u64 {
    x + 1
}

/// `n` increments in a row on the lattice's executor.
#[lattice(executor = "bench")]
fn chain(n: u64) -> u64 {
    let mut node = inc(0);
    for _ in 1..n {
        node = inc(node);
    }
    node
}

/// `n` independent increments on the lattice's executor.
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

struct Target {
    endpoint: String,
    region: String,
    role: String,
    bucket: String,
    profile: String,
    credentials_file: String,
}

fn target() -> Option<Target> {
    let get = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    Some(Target {
        endpoint: get("ORBITAL_TEST_AWS_ENDPOINT")?,
        region: get("ORBITAL_TEST_AWS_REGION")?,
        role: get("ORBITAL_TEST_AWS_ROLE")?,
        bucket: get("ORBITAL_TEST_AWS_BUCKET")?,
        profile: get("ORBITAL_TEST_AWS_PROFILE")?,
        credentials_file: get("ORBITAL_TEST_AWS_CREDENTIALS_FILE")?,
    })
}

/// The executor's settings (the keys of `[executors.bench]` but `type`).
fn settings(t: &Target, cache_dir: &Path) -> String {
    format!(
        "function_name = \"{FUNCTION}\"\nendpoint_url = \"{}\"\nregion = \"{}\"\nprofile = \"{}\"\n\
         credentials_file = \"{}\"\nexecution_role = \"{}\"\ns3_bucket_name = \"{}\"\ntimeout = 120\n\
         poll_freq = 0.2\nmax_concurrency = 16\ncache_dir = \"{}\"\n",
        t.endpoint,
        t.region,
        t.profile,
        t.credentials_file,
        t.role,
        t.bucket,
        cache_dir.display()
    )
}

/// A Lambda client configured as the executor configures its own.
async fn raw_client(t: &Target) -> aws_sdk_lambda::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(t.region.clone()))
        .endpoint_url(&t.endpoint)
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "testing", "testing", None, None, "bench",
        ))
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(8)
                .with_initial_backoff(Duration::from_millis(50)),
        )
        .load()
        .await;
    let lambda_conf = aws_sdk_lambda::config::Builder::from(&conf)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(150))
                .build(),
        )
        .build();
    aws_sdk_lambda::Client::from_conf(lambda_conf)
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The event the executor sends for `inc(x)` as node `node_id` of `dispatch_id` (the same
/// fields, in the same order, as its `Event`: inline spec frame, spill and cancel objects).
fn event_for(
    t: &Target,
    build_id: &str,
    dispatch_id: &str,
    node_id: u32,
    x: u64,
) -> orbital::Result<Vec<u8>> {
    let registry = orbital_core::registry::Registry::get().expect("a registry without duplicates");
    let electron = registry
        .electrons()
        .into_iter()
        .find(|e| e.fn_name == "inc")
        .expect("`inc` is registered");
    let spec = TaskSpec {
        dispatch_id: dispatch_id.to_owned(),
        node_id,
        electron: electron.name.to_owned(),
        build_id: build_id.to_owned(),
        args: vec![codec::encode(&x).expect("encode")],
        attempt: 1,
        time_limit: None,
        executor: "awslambda".into(),
        workdir: orbital::fs::Workdir::at("/tmp/orbital-workdir"),
    };
    let mut frame = Vec::new();
    protocol::write_spec(&mut frame, &spec).expect("spec frame");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let prefix = format!("orbital/{dispatch_id}/{node_id}-1-{nanos}");
    let event = serde_json::json!({
        "orbital": 1,
        "spec": { "inline": b64(&frame) },
        "spill": { "bucket": t.bucket, "key": prefix },
        "path_style": true,
        "capture_limit": orbital_core::runner::DEFAULT_CAPTURE_LIMIT,
        "cancel": { "bucket": t.bucket, "key": format!("{prefix}/cancel") },
    });
    Ok(serde_json::to_vec(&event).expect("event JSON"))
}

/// One raw synchronous invoke of `body`; checks that the task ran and returned `x + 1`.
async fn raw_invoke(client: &aws_sdk_lambda::Client, body: &[u8], x: u64) {
    let out = client
        .invoke()
        .function_name(FUNCTION)
        .invocation_type(InvocationType::RequestResponse)
        .payload(Blob::new(body.to_vec()))
        .send()
        .await
        .expect("raw invoke");
    assert!(
        out.function_error().is_none(),
        "the function failed: {:?}",
        out.payload()
    );
    let payload = out.payload().map(|b| b.as_ref()).unwrap_or_default();
    let resp: serde_json::Value = serde_json::from_slice(payload).expect("a JSON response");
    let text = resp["outcome"]["inline"]
        .as_str()
        .expect("an inline outcome");
    use base64::Engine;
    let frame = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64 outcome");
    let outcome = protocol::read_outcome(&mut frame.as_slice()).expect("an outcome frame");
    let bytes = outcome.result.expect("the task succeeded");
    let y: u64 = codec::decode(&bytes).expect("a u64");
    assert_eq!(y, x + 1, "the function ran inc");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let Some(t) = target() else {
        eprintln!(
            "lambda_bench needs the AWS emulators: run it as\n  eval \"$(./harness/aws)\" && cargo run --release \
             --features awslambda --example lambda_bench"
        );
        std::process::exit(2);
    };
    let cache = tempfile::tempdir().expect("a temp dir");
    let client = raw_client(&t).await;

    // (3) The first dispatch's deploy, from nothing: no function, an empty package cache.
    match client
        .delete_function()
        .function_name(FUNCTION)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => panic!("deleting {FUNCTION}: {e:?}"),
    }
    let text = settings(&t, &cache.path().join("first"));
    let first: AwsLambdaExecutor = toml::from_str(&text).expect("executor settings");
    let t0 = Instant::now();
    let d1 = first
        .deploy()
        .await
        .unwrap_or_else(|e| panic!("first deploy: {e}"));
    let first_total = t0.elapsed();
    let again: AwsLambdaExecutor = toml::from_str(&text).expect("executor settings");
    let t0 = Instant::now();
    let d2 = again
        .deploy()
        .await
        .unwrap_or_else(|e| panic!("second deploy: {e}"));
    let second_total = t0.elapsed();
    assert_eq!(d1.action, "created");
    assert_eq!(d2.action, "unchanged");

    // The runtime: `bench` is the same function (its own cache: it packages once, then finds
    // the function unchanged).
    let config_text = format!(
        "[executors.bench]\ntype = \"awslambda\"\n{}",
        settings(&t, &cache.path().join("runtime"))
    );
    let config = orbital::Config::parse(&config_text, Path::new("lambda_bench.toml"))?;
    let rt = orbital::Runtime::builder().config(config).build()?;

    // Warm both sides (the runtime's deploy check, the emulator's instances).
    let warm = rt.dispatch(chain::build(2)).await?;
    let dispatch_id = warm.id().to_string();
    assert_eq!(warm.wait().await?.output()?, 2);
    let body = event_for(&t, &d1.build_id, &dispatch_id, 1, 0)?;
    for _ in 0..5 {
        raw_invoke(&client, &body, 0).await;
    }

    // (1) Sequential: a chain of N in one dispatch against N raw invokes, alternating.
    let mut raw_ms = Vec::new();
    let mut task_ms = Vec::new();
    for round in 1..=ROUNDS {
        let t0 = Instant::now();
        for _ in 0..N {
            raw_invoke(&client, &body, 0).await;
        }
        let raw = ms(t0.elapsed()) / N as f64;
        let t0 = Instant::now();
        let r = rt.dispatch(chain::build(N)).await?.wait().await?;
        assert_eq!(r.output()?, N);
        let task = ms(t0.elapsed()) / N as f64;
        eprintln!(
            "round {round}: raw invoke {raw:.2} ms, executor {task:.2} ms per task (x{:.2})",
            task / raw
        );
        raw_ms.push(raw);
        task_ms.push(task);
    }

    // (2) Fan-out: N independent electrons, 16 at once.
    let mut per_s = Vec::new();
    for run in 1..=3 {
        let t0 = Instant::now();
        let r = rt.dispatch(fan::build(N)).await?.wait().await?;
        assert_eq!(r.output()?.len(), N as usize);
        let wall = t0.elapsed();
        let rate = N as f64 / wall.as_secs_f64();
        eprintln!(
            "fan-out run {run}: {N} tasks in {:.0} ms, {rate:.1} tasks/s",
            ms(wall)
        );
        per_s.push(rate);
    }
    rt.shutdown().await?;

    let raw = median(raw_ms);
    let task = median(task_ms);
    let rate = median(per_s);
    println!("== AWS Lambda executor (through the emulators) ==");
    println!(
        "first deploy: action={} package={:.0} ms upload={:.0} ms settle={:.0} ms total={:.0} ms \
         zip={} B bootstrap={} B",
        d1.action,
        ms(d1.package_time),
        ms(d1.upload_time),
        ms(d1.settle_time),
        ms(first_total),
        d1.zip_bytes,
        d1.unzipped_bytes
    );
    println!(
        "second deploy: action={} package={:.0} ms total={:.0} ms",
        d2.action,
        ms(d2.package_time),
        ms(second_total)
    );
    println!(
        "sequential ({N} tasks, median of {ROUNDS} rounds): raw invoke {raw:.2} ms/task, executor \
         {task:.2} ms/task, ratio {:.2} (goal <= 1.20: {})",
        task / raw,
        if task / raw <= 1.2 { "met" } else { "NOT met" }
    );
    println!("fan-out ({N} tasks, max_concurrency 16, median of 3): {rate:.1} tasks/s");
    Ok(())
}

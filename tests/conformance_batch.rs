//! The executor conformance suite (`tests/conformance/mod.rs`) run on the `awsbatch` executor,
//! against moto (Batch's control plane, S3, IAM, STS, CloudWatch Logs) and the job plane in
//! front of it that `harness/aws` starts, which runs each job's command (the executor's
//! bootstrap) as a real process with Batch's environment.
//!
//! This test binary is the program the jobs fetch from S3 and run in runner mode, so `main`
//! calls `orbital::init()` first.

#[path = "support/aws.rs"]
mod aws;
mod conformance;

use std::path::Path;
use std::sync::OnceLock;

use conformance::{set_under_test, Ctx, Expect};
use libtest_mimic::Failed;

/// What `awsbatch` promises: each task runs in a runner of the same binary in its job; a
/// terminated job is stopped with everything in it. A job's environment is Batch's, not the
/// driver's (the HTTP and S3 transfer cases run on the other executors).
const BATCH: Expect = Expect {
    // Every child downloads the program (tens of MB for a debug test binary) through the
    // plane: the figures for large arrays are in BENCHMARKS.md, with a release build.
    many_tasks: 40,
    passes_env: false,
    ..Expect::PROCESS
};

static TARGET: OnceLock<aws::BatchTarget> = OnceLock::new();

fn main() {
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let target = aws::batch_target();
    let config_toml = match &target {
        Some(t) => t.toml(conformance::UNDER_TEST, "capture_limit = 262144\n"),
        None => "[executors.under_test]\ntype = \"awsbatch\"\n".into(),
    };
    let suite = conformance::Suite {
        config_toml,
        expect: BATCH,
        stale: stale_in_bucket,
    };
    let mut trials = conformance::trials(suite);
    match target {
        Some(t) => {
            let _ = TARGET.set(t);
        }
        None => {
            trials = trials
                .into_iter()
                .map(|t| t.with_ignored_flag(true))
                .collect();
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Makes the executor ship another build while it believes it ships this one: a fresh bucket
/// holds, under this build's key (`orbital/bin/<id of this binary, stripped>-x86_64`), the
/// stripped `stale` (this binary, stripped, with bytes appended). The executor finds the key there and
/// uploads nothing; the specs carry this build's identity, and the jobs' runner refuses them.
fn stale_in_bucket(ctx: &Ctx, stale: &Path) -> Result<orbital::Runtime, Failed> {
    let t = TARGET.get().ok_or("no Batch target")?;
    let strip = |from: &Path, to: &Path| -> Result<(), Failed> {
        let st = std::process::Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(to)
            .arg(from)
            .status()?;
        if st.success() {
            Ok(())
        } else {
            Err(format!("strip {} failed: {st}", from.display()).into())
        }
    };
    let me = ctx.dir().join("me-stripped");
    strip(&std::env::current_exe()?, &me)?;
    let key = orbital_core::identity::of_bytes(&std::fs::read(&me)?);
    let stale_stripped = ctx.dir().join("stale-stripped");
    strip(stale, &stale_stripped)?;
    // `strip` drops the bytes `stale` has past its sections: append them again.
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&stale_stripped)?
        .write_all(b"\norbital conformance: another build, stripped\n")?;
    let bucket = format!("orbital-stale-{}", std::process::id());
    t.boto3(&format!(
        "s3.create_bucket(Bucket={bucket:?})\ns3.upload_file({:?}, {bucket:?}, 'orbital/bin/{key}-x86_64')\n",
        stale_stripped.display().to_string()
    ))?;
    ctx.runtime_with(|c| {
        set_under_test(c, "s3_bucket_name", toml::Value::String(bucket.clone()));
        set_under_test(
            c,
            "cache_dir",
            toml::Value::String(ctx.dir().join("cache").display().to_string()),
        );
    })
}

//! The executor conformance suite (`tests/conformance/mod.rs`) run on the `awslambda` executor,
//! against the emulators that `harness/aws` starts: moto (S3, IAM, the Lambda control plane)
//! and cargo-lambda's emulator (Invoke and Runtime APIs), behind the glue endpoint that runs a
//! deployed `bootstrap` for real.
//!
//! This test binary is the function's `bootstrap`: the executor deploys it (stripped, zipped)
//! and the emulator runs it in Lambda mode, so `main` calls `orbital::init()` first.

#[path = "support/aws.rs"]
mod aws;
mod conformance;

use std::path::Path;

use conformance::{set_under_test, Ctx, Expect};
use libtest_mimic::Failed;

/// What `awslambda` promises: each task runs in a runner process of the same binary inside the
/// function (output captured, process group killed at the time limit and at the task's end).
const LAMBDA: Expect = Expect {
    many_tasks: 200,
    // The function's environment is its own: the HTTP and S3 transfer cases run on the
    // other executors (the transfers run in the same runner code there).
    passes_env: false,
    ..Expect::PROCESS
};

fn main() {
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let target = aws::target();
    let config_toml = match &target {
        Some(t) => t.toml(
            conformance::UNDER_TEST,
            "capture_limit = 262144\nmax_concurrency = 16\n",
        ),
        None => "[executors.under_test]\ntype = \"awslambda\"\n".into(),
    };
    let suite = conformance::Suite {
        config_toml,
        expect: LAMBDA,
        stale: stale_in_package_cache,
    };
    let mut trials = conformance::trials(suite);
    if target.is_none() {
        trials = trials
            .into_iter()
            .map(|t| t.with_ignored_flag(true))
            .collect();
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Makes the executor deploy another build while it believes it deploys this one: a fresh
/// `cache_dir` holds, under this build's key, the package of `stale` (this binary with bytes
/// appended), and a fresh `function_name` gets it. The spec carries this build's identity; the
/// function runs the other build and refuses it.
fn stale_in_package_cache(ctx: &Ctx, stale: &Path) -> Result<orbital::Runtime, Failed> {
    let cache = ctx.dir().join("stale-cache");
    std::fs::create_dir_all(&cache)?;
    let key = orbital_core::identity::current()?;
    // Stripped, as the executor packages a build (whole, a debug build is over Lambda's limit).
    let stripped = ctx.dir().join("stale-stripped");
    let status = std::process::Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&stripped)
        .arg(stale)
        .status()?;
    if !status.success() {
        return Err(format!("strip {} failed: {status}", stale.display()).into());
    }
    let bytes = std::fs::read(&stripped)?;
    let zip = orbital_executors::awslambda::zip_bootstrap_for_tests(&bytes)?;
    std::fs::write(cache.join(format!("package-{key}-x86_64.zip")), zip)?;
    // The package's build identity is what the spec carries: say it is this build's.
    std::fs::write(
        cache.join(format!("package-{key}-x86_64.meta")),
        format!("{key}\n{}\n", bytes.len()),
    )?;
    let name = format!("orbital-stale-{}", std::process::id());
    ctx.runtime_with(|c| {
        set_under_test(
            c,
            "cache_dir",
            toml::Value::String(cache.display().to_string()),
        );
        set_under_test(c, "function_name", toml::Value::String(name.clone()));
    })
}

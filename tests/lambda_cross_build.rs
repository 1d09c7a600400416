//! The `awslambda` executor builds the program again for Lambda (issue #6): with
//! `cross_build = "always"`, this test program is built with `cargo zigbuild` for glibc 2.17,
//! as it would be when the running executable could not run on `provided.al2023` (built on
//! macOS, for another architecture, against a newer glibc), and the function runs that build.
//!
//! A test binary of its own: the build takes both cores for minutes, and cargo runs test
//! binaries one after another, so it does not slow the other Lambda tests. Its target
//! directory stays under `target/tmp`, so that a second run rebuilds only what changed.
//!
//! This test binary is the function's `bootstrap` (the cross build of it, here), so `main`
//! calls `orbital::init()` first.

#[path = "support/aws.rs"]
mod aws;

use std::path::Path;
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use orbital::executors::awslambda::CrossBuild;
use orbital::executors::AwsLambdaExecutor;
use orbital::prelude::*;

/// `dev` without debug information (the workspace's `[profile.lambda-test]`): the quickest
/// build a function can run.
const PROFILE: &str = "lambda-test";

fn main() {
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let trial = match aws::target() {
        Some(t) => Trial::test("program_cross_built_for_lambda_with_zigbuild", move || {
            cross_built(&t)
        }),
        None => Trial::test("program_cross_built_for_lambda_with_zigbuild", || Ok(()))
            .with_ignored_flag(true),
    };
    libtest_mimic::run(&args, vec![trial]).exit();
}

#[electron]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[lattice(executor = "under_test")]
fn adding(a: u64, b: u64) -> u64 {
    add(a, b)
}

fn cross_built(target: &aws::AwsTarget) -> Result<(), Failed> {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let function = format!("orbital-cross-build-{}", std::process::id());
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cross-build");
    let extra = format!(
        "function_name = \"{function}\"\ncross_build = \"always\"\nbuild_profile = \"{PROFILE}\"\n\
         build_features = [\"awslambda\"]\ncache_dir = \"{}\"\n",
        cache.display()
    );
    let text = target.toml("under_test", &extra);

    // The deploy: built with zigbuild into cache_dir, glibc 2.17, not the running executable.
    let mut x = AwsLambdaExecutor::new();
    x.function_name = Some(function.clone());
    x.endpoint_url = Some(target.endpoint.clone());
    x.region = Some(target.region.clone());
    x.profile = Some(target.profile.clone());
    x.credentials_file = Some(target.credentials_file.display().to_string());
    x.execution_role = Some(target.role.clone());
    x.cache_dir = Some(cache.display().to_string());
    x.cross_build = CrossBuild::Always;
    x.build_profile = PROFILE.to_owned();
    x.build_features = Some(vec!["awslambda".to_owned()]);
    let d = tokio.block_on(x.deploy())?;
    eprintln!(
        "cross build {:.1} s, package {:.1} s, upload {:.2} s, {} MB unzipped, {} MB zip: {}",
        d.build_time.as_secs_f64(),
        d.package_time.as_secs_f64(),
        d.upload_time.as_secs_f64(),
        d.unzipped_bytes / 1_000_000,
        d.zip_bytes / 1_000_000,
        d.binary.display()
    );
    assert_eq!(d.action, "created");
    assert_ne!(
        d.binary,
        std::env::current_exe()?,
        "the running executable was deployed"
    );
    assert!(
        d.binary.starts_with(cache.join("build")),
        "{} is not the cross build's",
        d.binary.display()
    );
    let glibc = newest_glibc(&std::fs::read(&d.binary)?);
    assert!(
        glibc.is_some_and(|v| v <= (2, 17)),
        "the cross build needs glibc {glibc:?}, not at most 2.17"
    );

    // A dispatch on the same settings: cargo finds nothing to rebuild, the function is
    // unchanged, and the workflow runs on that build.
    let rt = {
        let _guard = tokio.enter();
        orbital::Runtime::builder()
            .store_path(cache.join(format!("store-{}.db", std::process::id())))
            .config(orbital::Config::parse(
                &text,
                Path::new("lambda_cross_build.toml"),
            )?)
            .build()?
    };
    let result = tokio.block_on(async {
        let d = rt.dispatch(adding::build(20, 22)).await?;
        match tokio::time::timeout(Duration::from_secs(600), d.wait()).await {
            Ok(r) => Ok::<_, Failed>(r?),
            Err(_) => Err("the dispatch did not end within 600 s (hang guard)".into()),
        }
    })?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(result.output()?, 42);
    tokio.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}

/// The newest `GLIBC_2.N` version an ELF file names.
fn newest_glibc(bytes: &[u8]) -> Option<(u32, u32)> {
    let needle = b"GLIBC_2.";
    bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .filter_map(|(i, _)| {
            let digits: String = bytes[i + needle.len()..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .map(|b| *b as char)
                .collect();
            digits.parse().ok().map(|m| (2, m))
        })
        .max()
}

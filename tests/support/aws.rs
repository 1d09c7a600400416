//! The AWS emulators that `harness/aws` starts (moto, cargo-lambda's emulator, and the glue
//! endpoint in front of both), as the Lambda tests see them.
//!
//! Include it with `#[path = "support/aws.rs"] mod aws;`. Only `std`.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// The emulators, from the environment `eval "$(./harness/aws)"` exports.
#[derive(Debug, Clone)]
pub struct AwsTarget {
    pub endpoint: String,
    pub region: String,
    pub role: String,
    pub bucket: String,
    pub profile: String,
    pub credentials_file: PathBuf,
    /// A moto that checks credentials, and knows none (every key is refused there).
    pub auth_endpoint: String,
}

/// The emulators, or `None` (said loudly) without them; a panic under the harness.
pub fn target() -> Option<AwsTarget> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let names = [
        "ORBITAL_TEST_AWS",
        "ORBITAL_TEST_AWS_ENDPOINT",
        "ORBITAL_TEST_AWS_REGION",
        "ORBITAL_TEST_AWS_ROLE",
        "ORBITAL_TEST_AWS_BUCKET",
        "ORBITAL_TEST_AWS_PROFILE",
        "ORBITAL_TEST_AWS_CREDENTIALS_FILE",
        "ORBITAL_TEST_AWS_AUTH_ENDPOINT",
    ];
    let missing: Vec<&str> = names.iter().copied().filter(|n| get(n).is_none()).collect();
    if !missing.is_empty() {
        if std::env::var("ORBITAL_HARNESS").as_deref() == Ok("1") {
            panic!(
                "ORBITAL_HARNESS=1 but the AWS emulators' environment is missing ({}): run `./harness/aws` and \
                 read what it prints",
                missing.join(", ")
            );
        }
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n=== SKIPPED: the Lambda tests need the AWS emulators; run ./harness/run-tests \
             (or eval \"$(./harness/aws)\") === (missing: {})",
            missing.join(", ")
        );
        return None;
    }
    let v = |n: &str| get(n).unwrap();
    Some(AwsTarget {
        endpoint: v("ORBITAL_TEST_AWS_ENDPOINT"),
        region: v("ORBITAL_TEST_AWS_REGION"),
        role: v("ORBITAL_TEST_AWS_ROLE"),
        bucket: v("ORBITAL_TEST_AWS_BUCKET"),
        profile: v("ORBITAL_TEST_AWS_PROFILE"),
        credentials_file: v("ORBITAL_TEST_AWS_CREDENTIALS_FILE").into(),
        auth_endpoint: v("ORBITAL_TEST_AWS_AUTH_ENDPOINT"),
    })
}

impl AwsTarget {
    /// An `[executors.NAME]` table of type `awslambda` for the emulators; `extra` lines follow.
    pub fn toml(&self, name: &str, extra: &str) -> String {
        format!(
            "[executors.{name}]\ntype = \"awslambda\"\nendpoint_url = \"{}\"\nregion = \"{}\"\nprofile = \"{}\"\n\
             credentials_file = \"{}\"\nexecution_role = \"{}\"\ns3_bucket_name = \"{}\"\ntimeout = 120\n\
             poll_freq = 0.2\n{extra}",
            self.endpoint,
            self.region,
            self.profile,
            self.credentials_file.display(),
            self.role,
            self.bucket
        )
    }
}

/// The Batch job plane in front of moto (`harness/aws` starts it), as the Batch tests see it.
#[derive(Debug, Clone)]
pub struct BatchTarget {
    pub aws: AwsTarget,
    /// The plane: Batch's job operations, and everything else passed to moto.
    pub endpoint: String,
    pub queue: String,
    pub job_role: String,
    pub job_role_arn: String,
    /// The venv with boto3 (for tests that plant objects).
    pub venv: PathBuf,
}

/// The plane, or `None` (said loudly) without it; a panic under the harness.
pub fn batch_target() -> Option<BatchTarget> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let names = [
        "ORBITAL_TEST_BATCH_ENDPOINT",
        "ORBITAL_TEST_BATCH_QUEUE",
        "ORBITAL_TEST_BATCH_JOB_ROLE",
        "ORBITAL_TEST_BATCH_JOB_ROLE_ARN",
        "ORBITAL_TEST_AWS_VENV",
    ];
    let missing: Vec<&str> = names.iter().copied().filter(|n| get(n).is_none()).collect();
    let aws = target();
    if !missing.is_empty() || aws.is_none() {
        if std::env::var("ORBITAL_HARNESS").as_deref() == Ok("1") {
            panic!(
                "ORBITAL_HARNESS=1 but the Batch job plane's environment is missing ({}): run `./harness/aws` and \
                 read what it prints",
                missing.join(", ")
            );
        }
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n=== SKIPPED: the Batch tests need moto and the job plane; run ./harness/run-tests \
             (or eval \"$(./harness/aws)\") === (missing: {})",
            missing.join(", ")
        );
        return None;
    }
    let v = |n: &str| get(n).unwrap();
    Some(BatchTarget {
        aws: aws?,
        endpoint: v("ORBITAL_TEST_BATCH_ENDPOINT"),
        queue: v("ORBITAL_TEST_BATCH_QUEUE"),
        job_role: v("ORBITAL_TEST_BATCH_JOB_ROLE"),
        job_role_arn: v("ORBITAL_TEST_BATCH_JOB_ROLE_ARN"),
        venv: v("ORBITAL_TEST_AWS_VENV").into(),
    })
}

impl BatchTarget {
    /// An `[executors.NAME]` table of type `awsbatch` for the plane; `extra` lines follow.
    pub fn toml(&self, name: &str, extra: &str) -> String {
        format!(
            "[executors.{name}]\ntype = \"awsbatch\"\nendpoint_url = \"{}\"\nregion = \"{}\"\nprofile = \"{}\"\n\
             credentials = \"{}\"\nbatch_queue = \"{}\"\ns3_bucket_name = \"{}\"\npoll_freq = 0.2\n\
             vcpu = 1\nmemory = 1.0\n{extra}",
            self.endpoint,
            self.aws.region,
            self.aws.profile,
            self.aws.credentials_file.display(),
            self.queue,
            self.aws.bucket
        )
    }

    /// Runs `script` with the venv's python, boto3 pointed at the plane (`s3`, `batch`, `logs`
    /// are clients); its stdout.
    pub fn boto3(&self, script: &str) -> Result<String, String> {
        let prelude = format!(
            "import boto3, json, sys\nkw = dict(endpoint_url={:?}, region_name={:?}, aws_access_key_id='testing', \
             aws_secret_access_key='testing')\ns3 = boto3.client('s3', **kw)\nbatch = boto3.client('batch', **kw)\n\
             logs = boto3.client('logs', **kw)\n",
            self.endpoint, self.aws.region
        );
        let out = std::process::Command::new(self.venv.join("bin/python"))
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .output()
            .map_err(|e| format!("cannot run the venv's python: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "boto3 script failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The plane's test hook `path` (`stats`, `lose-host?count=1`...), POSTed or GETted.
    pub fn hook(&self, method: &str, path: &str) -> Result<String, String> {
        let out = std::process::Command::new("curl")
            .args([
                "-sSf",
                "-X",
                method,
                &format!("{}/_plane/{path}", self.endpoint),
            ])
            .output()
            .map_err(|e| format!("cannot run curl: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "the plane's hook {path}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

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

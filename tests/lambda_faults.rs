//! Bad input and faults of the `awslambda` executor (issue #6), against the emulators that
//! `harness/aws` starts: each case dispatches on a bad `[executors.under_test]` (or breaks the
//! function under it) and asserts that the dispatch ENDS with errors that name the resource
//! and the fix, or that it recovers.
//!
//! This test binary is the function's `bootstrap`, so `main` calls `orbital::init()` first.

#[path = "support/aws.rs"]
mod aws;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use aws::AwsTarget;
use libtest_mimic::{Failed, Trial};
use orbital::prelude::*;
use orbital::{DispatchResult, NodeResult};

type Case = fn(&Fx) -> Result<(), Failed>;

const CASES: &[(&str, Case)] = &[
    ("missing_credentials_profile", missing_profile),
    ("wrong_credentials_are_named", wrong_credentials),
    ("bucket_does_not_exist", bucket_missing),
    ("role_does_not_exist", role_missing),
    ("function_timeout_is_a_function_error", function_timeout),
    ("throttling_is_retried", throttled_then_succeeds),
    (
        "throttling_that_lasts_fails_with_the_fix",
        throttled_too_long,
    ),
    (
        "payload_over_the_inline_limit_goes_through_s3",
        large_payload,
    ),
    ("binary_too_large_for_lambda", binary_too_large),
    (
        "unchanged_binary_makes_no_create_or_update",
        unchanged_no_calls,
    ),
    (
        "function_deleted_between_dispatches_is_recreated",
        deleted_recreated,
    ),
    (
        "a_function_orbital_did_not_create_is_never_overwritten",
        foreign_function_kept,
    ),
    (
        "memory_size_and_timeout_changes_are_applied",
        settings_applied,
    ),
    ("covalent_credentials_and_lambda_role_name", covalent_keys),
];

fn main() {
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let target = aws::target();
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
fn reverse(bytes: Vec<u8>) -> Vec<u8> {
    bytes.into_iter().rev().collect()
}

#[lattice(executor = "under_test")]
fn reversing(bytes: Vec<u8>) -> Vec<u8> {
    reverse(bytes)
}

// ---------------------------------------------------------------------------------------------

fn missing_profile(fx: &Fx) -> Result<(), Failed> {
    let text = fx.toml("").replace(
        &format!("profile = \"{}\"", fx.target.profile),
        "profile = \"no-such-profile\"",
    );
    let e = fx.one_node_error(&text)?;
    says(
        &e,
        &["no usable AWS credentials", "no-such-profile", "`profile`"],
    );
    Ok(())
}

fn wrong_credentials(fx: &Fx) -> Result<(), Failed> {
    // The authenticating moto knows no access key: the test profile's is refused, as AWS
    // refuses a key it does not know.
    let text = fx.toml("").replace(
        &format!("endpoint_url = \"{}\"", fx.target.endpoint),
        &format!("endpoint_url = \"{}\"", fx.target.auth_endpoint),
    );
    let e = fx.one_node_error(&text)?;
    says(
        &e,
        &[
            "AWS refused the credentials",
            &format!("profile `{}`", fx.target.profile),
            "InvalidClientTokenId",
            &format!("aws configure --profile {}", fx.target.profile),
        ],
    );
    // The key's end only, never the secret (`testing` here).
    assert!(!e.contains("testing"), "the error shows a secret: {e}");
    Ok(())
}

fn bucket_missing(fx: &Fx) -> Result<(), Failed> {
    let text = fx.toml("").replace(
        &format!("s3_bucket_name = \"{}\"", fx.target.bucket),
        "s3_bucket_name = \"orbital-no-such-bucket\"",
    );
    let e = fx.one_node_error(&text)?;
    says(
        &e,
        &["s3_bucket_name `orbital-no-such-bucket`", "aws s3 mb"],
    );
    Ok(())
}

fn role_missing(fx: &Fx) -> Result<(), Failed> {
    let role = "arn:aws:iam::123456789012:role/orbital-no-such-role";
    let text = fx.toml("").replace(&fx.target.role, role);
    let e = fx.one_node_error(&text)?;
    says(&e, &["cannot create the function", "execution_role", role]);
    Ok(())
}

fn function_timeout(fx: &Fx) -> Result<(), Failed> {
    // The function's own timeout (2 s) ends the invocation: Lambda's function error comes back.
    let text = fx.toml("").replace("timeout = 120", "timeout = 2");
    let rt = fx.runtime(&text)?;
    let result = fx.run(&rt, sleeping::build(20))?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let e = error_of(node(&result, "sleeps"));
    says(e, &["failed (Unhandled)", "Timedout", &fx.function]);
    Ok(())
}

fn throttled_then_succeeds(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(""))?;
    // Deploy first, so that the throttle hits the invokes.
    let first = fx.run(&rt, adding::build(1, 1))?;
    assert_eq!(
        first.status(),
        DispatchStatus::Completed,
        "{:?}",
        first.error()
    );
    fx.glue_post(&format!("/_glue/throttle?count=3&function={}", fx.function))?;
    let result = fx.run(&rt, adding::build(2, 3))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(result.output()?, 5);
    let stats = fx.glue_get("/_glue/stats")?;
    assert!(stats.contains("injected_429"), "{stats}");
    Ok(())
}

fn throttled_too_long(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(""))?;
    let first = fx.run(&rt, adding::build(1, 1))?;
    assert_eq!(
        first.status(),
        DispatchStatus::Completed,
        "{:?}",
        first.error()
    );
    fx.glue_post(&format!(
        "/_glue/throttle?count=100&function={}",
        fx.function
    ))?;
    let result = fx.run(&rt, adding::build(2, 3))?;
    fx.glue_post("/_glue/clear-faults")?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let e = error_of(node(&result, "add"));
    says(e, &["TooManyRequestsException", "max_concurrency"]);
    Ok(())
}

fn large_payload(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(""))?;
    let bytes: Vec<u8> = (0..7_000_000u32).map(|i| (i % 251) as u8).collect();
    let result = fx.run(&rt, reversing::build(bytes.clone()))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    let out = result.output()?;
    assert_eq!(out.len(), bytes.len());
    assert!(out.iter().rev().eq(bytes.iter()));
    Ok(())
}

fn binary_too_large(fx: &Fx) -> Result<(), Failed> {
    // An x86-64 ELF header, then 260 MB of zeros (sparse): `strip` refuses it, and it is over
    // Lambda's 250 MB.
    let big = fx.dir.join("too-large");
    let mut header = vec![0u8; 64];
    header[..4].copy_from_slice(b"\x7fELF");
    header[4] = 2;
    header[5] = 1;
    header[18] = 62;
    std::fs::write(&big, &header)?;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&big)?
        .set_len(260 * 1000 * 1000)?;
    let text = fx.toml(&format!(
        "binary = \"{}\"\ncache_dir = \"{}\"\n",
        big.display(),
        fx.dir.join("cache").display()
    ));
    let e = fx.one_node_error(&text)?;
    says(&e, &["over Lambda's 250 MB limit", "--release", "strip"]);
    Ok(())
}

fn unchanged_no_calls(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(""))?;
    let first = fx.run(&rt, adding::build(1, 2))?;
    assert_eq!(
        first.status(),
        DispatchStatus::Completed,
        "{:?}",
        first.error()
    );
    let before = fx.writes()?;
    let second = fx.run(&rt, adding::build(3, 4))?;
    assert_eq!(second.output()?, 7);
    // A new runtime (a new driver process would do the same): still no create or update.
    let rt2 = fx.runtime(&fx.toml(""))?;
    let third = fx.run(&rt2, adding::build(5, 6))?;
    assert_eq!(third.output()?, 11);
    assert_eq!(
        fx.writes()?,
        before,
        "no create or update after the first dispatch"
    );
    Ok(())
}

fn deleted_recreated(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml(""))?;
    let first = fx.run(&rt, adding::build(1, 2))?;
    assert_eq!(
        first.status(),
        DispatchStatus::Completed,
        "{:?}",
        first.error()
    );
    fx.boto(&format!(
        "c.delete_function(FunctionName='{}')",
        fx.function
    ))?;
    let second = fx.run(&rt, adding::build(3, 4))?;
    assert_eq!(
        second.status(),
        DispatchStatus::Completed,
        "{:?}",
        second.error()
    );
    assert_eq!(second.output()?, 7);
    Ok(())
}

fn foreign_function_kept(fx: &Fx) -> Result<(), Failed> {
    // A function made outside orbital (a Python one, as Covalent's users have), under the name
    // the configuration gives.
    fx.boto(&format!(
        "import io, zipfile\nb = io.BytesIO()\nz = zipfile.ZipFile(b, 'w')\n\
         z.writestr('app.py', 'def handler(e, c):\\n    return 1\\n')\nz.close()\n\
         c.create_function(FunctionName='{}', Runtime='python3.12', Role='{}', Handler='app.handler', \
         Code={{'ZipFile': b.getvalue()}})",
        fx.function, fx.target.role
    ))?;
    let sha = |fx: &Fx| {
        fx.boto_out(&format!(
            "print(c.get_function(FunctionName='{}')['Configuration']['CodeSha256'])",
            fx.function
        ))
    };
    let before = sha(fx)?;
    let e = fx.one_node_error(&fx.toml(""))?;
    says(
        &e,
        &[
            &fx.function,
            "orbital did not create it",
            "python3.12",
            "`function_name`",
        ],
    );
    assert_eq!(sha(fx)?, before, "the function's code was changed");
    Ok(())
}

fn settings_applied(fx: &Fx) -> Result<(), Failed> {
    let rt = fx.runtime(&fx.toml("memory_size = 512\n"))?;
    let first = fx.run(&rt, adding::build(1, 2))?;
    assert_eq!(first.output()?, 3);
    let settings = |fx: &Fx| {
        fx.boto_out(&format!(
            "f = c.get_function_configuration(FunctionName='{}')\nprint(f['MemorySize'], f['Timeout'])",
            fx.function
        ))
    };
    assert_eq!(settings(fx)?, "512 120");
    // The same build with other settings: the function is reconfigured, its code untouched.
    let text = fx
        .toml("memory_size = 1024\n")
        .replace("timeout = 120", "timeout = 100");
    let rt2 = fx.runtime(&text)?;
    let second = fx.run(&rt2, adding::build(3, 4))?;
    assert_eq!(second.output()?, 7);
    assert_eq!(settings(fx)?, "1024 100");
    Ok(())
}

fn covalent_keys(fx: &Fx) -> Result<(), Failed> {
    // The seeds' form: `credentials` for the file, `lambda_role_name` for the role.
    let role_name = fx
        .target
        .role
        .rsplit('/')
        .next()
        .ok_or("the test role is not an ARN")?
        .to_owned();
    let text = fx
        .toml("")
        .replace("credentials_file =", "credentials =")
        .replace(
            &format!("execution_role = \"{}\"", fx.target.role),
            &format!("lambda_role_name = \"{role_name}\""),
        );
    assert!(!text.contains("execution_role") && !text.contains("credentials_file"));
    let rt = fx.runtime(&text)?;
    let result = fx.run(&rt, adding::build(20, 22))?;
    assert_eq!(result.output()?, 42, "{:?}", result.error());
    let role = fx.boto_out(&format!(
        "print(c.get_function_configuration(FunctionName='{}')['Role'])",
        fx.function
    ))?;
    assert_eq!(
        role, fx.target.role,
        "the role name resolved to another ARN"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------

struct Fx {
    target: AwsTarget,
    dir: PathBuf,
    function: String,
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
    fn new(target: AwsTarget, name: &str) -> Result<Fx, Failed> {
        let dir = std::env::temp_dir().join(format!(
            "orbital-lambda-faults-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        let short: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(24)
            .collect();
        let function = format!("orbital-faults-{short}-{}", std::process::id());
        Ok(Fx {
            target,
            dir,
            function,
            tokio: Some(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?,
            ),
        })
    }

    /// `[executors.under_test]` on this case's own function, then `extra`.
    fn toml(&self, extra: &str) -> String {
        self.target.toml(
            "under_test",
            &format!("function_name = \"{}\"\n{extra}", self.function),
        )
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
                Path::new("lambda_faults.toml"),
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
            match tokio::time::timeout(Duration::from_secs(240), d.wait()).await {
                Ok(r) => Ok(r?),
                Err(_) => Err("the dispatch did not end within 240 s (hang guard)".into()),
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

    fn glue_get(&self, path: &str) -> Result<String, Failed> {
        let out = Command::new("curl")
            .args(["-sf", &format!("{}{path}", self.target.endpoint)])
            .output()?;
        if !out.status.success() {
            return Err(format!("GET {path} failed: {out:?}").into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn glue_post(&self, path: &str) -> Result<(), Failed> {
        let out = Command::new("curl")
            .args([
                "-sf",
                "-X",
                "POST",
                &format!("{}{path}", self.target.endpoint),
            ])
            .output()?;
        if !out.status.success() {
            return Err(format!("POST {path} failed: {out:?}").into());
        }
        Ok(())
    }

    /// CreateFunction, UpdateFunctionCode and UpdateFunctionConfiguration calls on this case's
    /// function, as the glue counted them.
    fn writes(&self) -> Result<u64, Failed> {
        let stats: serde_json::Value = serde_json::from_str(&self.glue_get("/_glue/stats")?)?;
        let reqs = &stats["functions"][&self.function]["requests"];
        Ok([
            "CreateFunction",
            "UpdateFunctionCode",
            "UpdateFunctionConfiguration",
        ]
        .iter()
        .map(|k| reqs[*k].as_u64().unwrap_or(0))
        .sum())
    }

    /// Runs `code` with `c`, a boto3 Lambda client on the emulators.
    fn boto(&self, code: &str) -> Result<(), Failed> {
        self.boto_out(code).map(drop)
    }

    /// [`Self::boto`], and what `code` printed, trimmed.
    fn boto_out(&self, code: &str) -> Result<String, Failed> {
        let venv = std::env::var("ORBITAL_TEST_AWS_VENV")?;
        let script = format!(
            "import boto3\nc = boto3.client('lambda', endpoint_url='{}', region_name='{}', \
             aws_access_key_id='testing', aws_secret_access_key='testing')\n{code}\n",
            self.target.endpoint, self.target.region
        );
        let out = Command::new(format!("{venv}/bin/python"))
            .arg("-c")
            .arg(script)
            .output()?;
        if !out.status.success() {
            return Err(format!("boto3: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
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

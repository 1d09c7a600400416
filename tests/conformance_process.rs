//! The executor conformance suite (`tests/conformance/mod.rs`) run on the `process` executor,
//! and the faults only a task binary has: the runner started directly with bad input
//! (`runner_*`), and a runner whose outcome is garbage.
//!
//! This test binary is also the task binary: `main` calls `orbital::init()` first, so when the
//! process executor starts it with `--orbital-runner`, it runs the task and exits.

mod conformance;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use conformance::{error_of, node, run, set_under_test, Ctx};
use libtest_mimic::Failed;
use orbital::prelude::*;
use orbital_core::{identity, protocol, runner};

const CONFIG: &str = "[executors.under_test]
type = \"process\"
max_concurrency = 8
capture_limit = 262144
";

fn main() {
    // First: as a task runner, this runs the task and exits.
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    let suite = Arc::new(conformance::Suite {
        config_toml: CONFIG.into(),
        expect: conformance::Expect::PROCESS,
        stale: conformance::stale_via_program,
    });
    let mut trials = conformance::trials((*suite).clone());
    for (name, case) in [
        (
            "runner_truncated_spec",
            runner_truncated_spec as fn(&Ctx) -> Result<(), Failed>,
        ),
        ("runner_corrupted_spec", runner_corrupted_spec),
        ("runner_unknown_electron", runner_unknown_electron),
        ("runner_wrong_build", runner_wrong_build),
        ("runner_valid_spec", runner_valid_spec),
        ("runner_query", runner_query),
        ("corrupted_outcome", corrupted_outcome),
    ] {
        trials.push(conformance::trial(&suite, name, case));
    }
    trials.push(conformance::trial(
        &suite,
        "around_rsync_and_sftp_files",
        conformance::around_remote::rsync_case,
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// Runs this binary with `args`, `stdin` on its standard input (with a hang guard).
fn this_binary(args: &[&str], stdin: Vec<u8>) -> Result<Output, Failed> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut input = child.stdin.take().expect("piped");
    std::thread::spawn(move || {
        // A runner that refuses the spec early may close its end: that is fine.
        let _ = input.write_all(&stdin);
    });
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => Ok(out?),
        Err(_) => {
            // SAFETY: only sends a signal to the child started above.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            Err("the runner did not end within 60s (hang guard)".into())
        }
    }
}

/// The registered name of the suite's electron `fn_name`.
fn electron_name(fn_name: &str) -> Result<String, Failed> {
    let suffix = format!("conformance::{fn_name}");
    orbital::Registry::get()?
        .electrons()
        .iter()
        .find(|e| e.name.ends_with(&suffix))
        .map(|e| e.name.to_owned())
        .ok_or_else(|| format!("no electron `{suffix}` in this binary").into())
}

/// A spec for `add(a, b)` made for build `build_id`.
fn add_spec(build_id: String, a: u64, b: u64) -> Result<Vec<u8>, Failed> {
    let spec = orbital::TaskSpec {
        dispatch_id: "conformance".into(),
        node_id: 0,
        electron: electron_name("add")?,
        build_id,
        args: vec![orbital::codec::encode(&a)?, orbital::codec::encode(&b)?],
        attempt: 1,
        time_limit: None,
        executor: "process".into(),
        workdir: orbital::fs::Workdir::default(),
    };
    let mut wire = Vec::new();
    protocol::write_spec(&mut wire, &spec)?;
    Ok(wire)
}

#[track_caller]
fn assert_exit(out: &Output, code: i32, says: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    for s in says {
        assert!(
            stderr.contains(s),
            "the runner's stderr says `{s}`: {stderr}"
        );
    }
    assert!(out.stdout.is_empty(), "no outcome is written");
}

fn runner_truncated_spec(_: &Ctx) -> Result<(), Failed> {
    let wire = add_spec(identity::current()?, 1, 2)?;
    for cut in [0, 7, wire.len() / 2, wire.len() - 1] {
        let out = this_binary(&[runner::RUNNER_ARG], wire[..cut].to_vec())?;
        assert_exit(
            &out,
            runner::EXIT_BAD_SPEC,
            &["cannot read the task spec", "truncated"],
        );
    }
    Ok(())
}

fn runner_corrupted_spec(_: &Ctx) -> Result<(), Failed> {
    let mut wire = add_spec(identity::current()?, 1, 2)?;
    let last = wire.len() - 1;
    wire[last] ^= 0x55;
    let out = this_binary(&[runner::RUNNER_ARG], wire)?;
    assert_exit(
        &out,
        runner::EXIT_BAD_SPEC,
        &["cannot read the task spec", "corrupted"],
    );
    let out = this_binary(
        &[runner::RUNNER_ARG],
        b"{\"electron\": \"add\"} and more bytes".to_vec(),
    )?;
    assert_exit(
        &out,
        runner::EXIT_BAD_SPEC,
        &["not an orbital task message"],
    );
    Ok(())
}

fn runner_unknown_electron(_: &Ctx) -> Result<(), Failed> {
    let spec = orbital::TaskSpec {
        dispatch_id: "conformance".into(),
        node_id: 3,
        electron: "nowhere::no_such_electron".into(),
        build_id: identity::current()?,
        args: vec![],
        attempt: 1,
        time_limit: None,
        executor: "process".into(),
        workdir: orbital::fs::Workdir::default(),
    };
    let mut wire = Vec::new();
    protocol::write_spec(&mut wire, &spec)?;
    let out = this_binary(&[runner::RUNNER_ARG], wire)?;
    assert_exit(
        &out,
        runner::EXIT_UNKNOWN_ELECTRON,
        &["no electron `nowhere::no_such_electron`", "--orbital-query"],
    );
    Ok(())
}

fn runner_wrong_build(_: &Ctx) -> Result<(), Failed> {
    let other = "0123456789abcdef0123456789abcdef".to_owned();
    let out = this_binary(&[runner::RUNNER_ARG], add_spec(other.clone(), 1, 2)?)?;
    assert_exit(
        &out,
        runner::EXIT_STALE_BUILD,
        &["stale build", &identity::current()?, &other],
    );
    Ok(())
}

fn runner_valid_spec(_: &Ctx) -> Result<(), Failed> {
    let out = this_binary(
        &[runner::RUNNER_ARG],
        add_spec(identity::current()?, 40, 2)?,
    )?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outcome = protocol::read_outcome(&mut out.stdout.as_slice())?;
    let bytes = outcome.result?;
    assert_eq!(orbital::codec::decode::<u64>(&bytes)?, 42);
    assert_eq!(outcome.stdout.as_deref(), Some(""));
    Ok(())
}

fn runner_query(_: &Ctx) -> Result<(), Failed> {
    let out = this_binary(&[runner::QUERY_ARG], Vec::new())?;
    assert_eq!(out.status.code(), Some(0));
    let q: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(q["build_id"], serde_json::json!(identity::current()?));
    assert_eq!(q["protocol"], serde_json::json!(protocol::VERSION));
    let electrons = q["electrons"].as_array().expect("a list of electrons");
    let add = electron_name("add")?;
    let e = electrons
        .iter()
        .find(|e| e["name"] == serde_json::json!(add))
        .unwrap_or_else(|| panic!("`{add}` is listed: {q}"));
    assert_eq!(e["signature"], "fn add(a: u64, b: u64) -> u64");
    let lattices = q["lattices"].as_array().expect("a list of lattices");
    assert!(lattices.iter().any(|l| l["name"]
        .as_str()
        .is_some_and(|n| n.ends_with("conformance::identify"))));
    Ok(())
}

/// `program` is a script that takes the spec and answers garbage (or nothing) with exit code 0.
fn corrupted_outcome(ctx: &Ctx) -> Result<(), Failed> {
    for (name, answer, says) in [
        (
            "garbage",
            "printf 'this is not an orbital outcome frame'",
            "not an orbital task message",
        ),
        ("nothing", "true", "truncated"),
    ] {
        let script = ctx.dir().join(format!("{name}-runner.sh"));
        std::fs::write(
            &script,
            format!("#!/bin/sh\ncat > /dev/null\n{answer}\nexit 0\n"),
        )?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        let program = toml::Value::String(script.display().to_string());
        let rt = ctx.runtime_with(|c| set_under_test(c, "program", program))?;
        let result = ctx.block_on(run(&rt, conformance::identify::build(), 120))?;
        assert_eq!(result.status(), DispatchStatus::Failed);
        for n in ["whoami", "add"] {
            let n = node(&result, n);
            assert_eq!(n.status(), NodeStatus::Failed);
            let e = error_of(n);
            assert!(e.contains("outcome could not be read"), "{e}");
            assert!(e.contains(says), "{e}");
        }
        let kept = node(&result, "reference_value");
        assert_eq!(kept.status(), NodeStatus::Completed);
        assert_eq!(kept.output_as::<u64>()?, 1001);
    }
    Ok(())
}

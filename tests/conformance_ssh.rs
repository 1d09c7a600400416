//! The executor conformance suite (`tests/conformance/mod.rs`) run on the `ssh` executor,
//! against the throwaway sshd that `harness/sshd` starts on 127.0.0.1 (its own host key and
//! user, strict host key checking on).
//!
//! This test binary is also the task binary: the executor ships it to the host once (under
//! `remote_dir/bin/<build id>`) and starts it there with `--orbital-runner`, so `main` calls
//! `orbital::init()` first. The host is this machine and its user `orbital-ssh`: the suite's
//! electrons write their files into the trial's directory (open to every user) and the cases
//! see the remote processes in `/proc`.
//!
//! Without the sshd's environment, a plain `cargo test` says loudly that it skipped the suite
//! (every trial is listed as ignored); under `ORBITAL_HARNESS=1` that is a failure.

mod conformance;
#[path = "support/sshd.rs"]
mod sshd;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};

use conformance::{set_under_test, Ctx, Expect};
use libtest_mimic::Failed;

/// Where the suite's tasks live on the host (`~` is the remote user's home).
const REMOTE_DIR: &str = "~/.cache/orbital-conformance";

/// What `ssh` promises: the same as `process` (each task is a process of the same binary in
/// its own process group, on the host; a time limit or a cancel kills that group).
const SSH: Expect = Expect {
    many_tasks: 200,
    ..Expect::PROCESS
};

/// The sshd under test (set once `main` found it).
static TARGET: OnceLock<sshd::SshTarget> = OnceLock::new();

/// The fresh `remote_dir`s the stale-binary hook made, removed at the end.
static STALE_DIRS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn main() {
    // First: as a task runner (on the host), this runs the task and exits.
    orbital::init().expect("the registry is sound");
    let args = libtest_mimic::Arguments::from_args();
    // Says loudly (once) what it skips, or panics under the harness.
    let target = sshd::target();
    let config_toml = match &target {
        Some(t) => format!(
            "{}max_concurrency = 16\ncapture_limit = 262144\n",
            sshd::ssh_toml_in(t, conformance::UNDER_TEST, REMOTE_DIR)
        ),
        None => "[executors.under_test]\ntype = \"ssh\"\nhostname = \"skipped\"\n".into(),
    };
    let suite = conformance::Suite {
        config_toml,
        expect: SSH,
        stale: stale_via_upload,
    };
    let suite = std::sync::Arc::new(suite);
    let mut trials = conformance::trials((*suite).clone());
    trials.push(conformance::trial(
        &suite,
        "around_prerun_commands_fail_the_task",
        conformance::around_remote::prerun_case,
    ));
    let Some(target) = target else {
        trials = trials
            .into_iter()
            .map(|t| t.with_ignored_flag(true))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    };
    let _ = TARGET.set(target.clone());
    let list = args.list;
    let conclusion = libtest_mimic::run(&args, trials);
    if !list {
        cleanup(&target);
    }
    conclusion.exit();
}

/// Puts a stale build (`stale`: this binary with bytes appended) on the host where the
/// executor looks for THIS build, `<fresh remote_dir>/bin/<this build id>`, uploaded with the
/// `ssh` command; the runtime's `under_test` uses that `remote_dir`. The executor finds a
/// binary there, skips its own upload and runs it, and the runner in it refuses the spec made
/// for another build.
fn stale_via_upload(ctx: &Ctx, stale: &Path) -> Result<orbital::Runtime, Failed> {
    let target = TARGET.get().ok_or("no sshd target")?;
    let build = orbital_core::identity::current()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let remote_dir = format!(
        "/home/{}/.cache/orbital-conformance-stale/{}-{nanos}",
        target.user,
        std::process::id()
    );
    STALE_DIRS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(remote_dir.clone());
    let bin = format!("{remote_dir}/bin");
    let script = format!(
        "mkdir -p '{bin}' && cat > '{bin}/.{build}.part' && chmod 755 '{bin}/.{build}.part' \
         && mv -f '{bin}/.{build}.part' '{bin}/{build}'"
    );
    let out = target
        .ssh_command()
        .arg(&script)
        .stdin(std::fs::File::open(stale)?)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "uploading the stale binary with ssh failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    ctx.runtime_with(|c| set_under_test(c, "remote_dir", toml::Value::String(remote_dir)))
}

/// Removes what the run left on the host: the stale builds, and the suite's binaries of other
/// builds (each run of a rebuilt test binary ships a new one).
fn cleanup(target: &sshd::SshTarget) {
    let mut script = String::new();
    for d in STALE_DIRS.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        script.push_str(&format!("rm -rf '{d}'; "));
    }
    if let Ok(build) = orbital_core::identity::current() {
        script.push_str(&format!(
            "find {REMOTE_DIR}/bin -mindepth 1 -maxdepth 1 ! -name {build} -exec rm -rf {{}} +; "
        ));
    }
    script.push_str("rmdir ~/.cache/orbital-conformance-stale 2>/dev/null; true");
    let out = target.ssh(&script);
    if !out.status.success() {
        let _ = writeln!(
            std::io::stderr(),
            "conformance_ssh: cleaning up on the host failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    close_connections();
}

/// Closes the executor's connections (their ControlMasters would otherwise idle on).
fn close_connections() {
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        rt.block_on(orbital_executors::ssh::close_all());
    }
}

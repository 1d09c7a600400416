//! Around a task, on every executor: the task's context, `deps_bash`, `call_before` and
//! `call_after`, and local file transfers (`around_remote.rs` has the transfers to other
//! places: HTTP from a server this test starts, S3 through moto, rsync through the harness's
//! sshd, and `prerun_commands`).
//!
//! The transfers' settings come from the task host's environment (the `files` option is built
//! there): [`export_env`] sets it in this process before any trial runs, and the cases pass it
//! on to executors whose tasks do not inherit it (`env` of ssh and process).

use std::path::{Path, PathBuf};

use libtest_mimic::Failed;
use orbital::prelude::*;

use super::{error_of, node, run, set_under_test, Case, Ctx};

/// The variables the tasks read (HTTP server, S3 bucket, rsync login).
const ENV: &[&str] = &[
    "ORBITAL_AROUND_HTTP",
    "ORBITAL_AROUND_BUCKET",
    "ORBITAL_AROUND_RSYNC",
    "ORBITAL_AROUND_RSYNC_KEY",
    "ORBITAL_AROUND_RSYNC_KNOWN_HOSTS",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
];

/// Where the cases' files are shared between this process and the tasks (open to every user).
pub(super) const SHARED: &str = "/tmp/orbital-around";

/// Starts the HTTP server and sets what the tasks read. Call it before any thread starts.
pub fn export_env() {
    let (base, files) = super::http_server::start().expect("the test HTTP server starts");
    files
        .lock()
        .unwrap()
        .insert("/data/in.txt".into(), b"over http".to_vec());
    std::env::set_var("ORBITAL_AROUND_HTTP", base);
    if let (Ok(endpoint), Ok(region), Ok(bucket)) = (
        std::env::var("ORBITAL_TEST_AWS_ENDPOINT"),
        std::env::var("ORBITAL_TEST_AWS_REGION"),
        std::env::var("ORBITAL_TEST_AWS_BUCKET"),
    ) {
        std::env::set_var("AWS_ENDPOINT_URL", endpoint);
        std::env::set_var("AWS_REGION", region);
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("ORBITAL_AROUND_BUCKET", bucket);
    }
    if let (Ok(host), Ok(port), Ok(user), Ok(key), Ok(kh)) = (
        std::env::var("ORBITAL_TEST_SSH_HOST"),
        std::env::var("ORBITAL_TEST_SSH_PORT"),
        std::env::var("ORBITAL_TEST_SSH_USER"),
        std::env::var("ORBITAL_TEST_SSH_KEY"),
        std::env::var("ORBITAL_TEST_SSH_KNOWN_HOSTS"),
    ) {
        std::env::set_var("ORBITAL_AROUND_RSYNC", format!("{user}@{host}:{port}"));
        std::env::set_var("ORBITAL_AROUND_RSYNC_KEY", key);
        std::env::set_var("ORBITAL_AROUND_RSYNC_KNOWN_HOSTS", kh);
    }
    let _ = std::fs::create_dir_all(SHARED);
    let _ = std::process::Command::new("chmod")
        .args(["1777", SHARED])
        .status();
}

pub(super) fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// A runtime whose `under_test` tasks see [`ENV`] (set as `env` where the executor has it).
pub(super) fn runtime(ctx: &Ctx) -> Result<orbital::Runtime, Failed> {
    let kind = ctx.under_test_type();
    ctx.runtime_with(|c| {
        if kind == "ssh" || kind == "process" {
            let mut t = toml::Table::new();
            for name in ENV {
                if let Ok(v) = std::env::var(name) {
                    t.insert((*name).into(), toml::Value::String(v));
                }
            }
            set_under_test(c, "env", toml::Value::Table(t));
        }
    })
}

/// The cases, in order.
pub const CASES: &[(&str, Case)] = &[
    ("around_context_on_this_executor", context_case),
    ("around_deps_bash", deps_bash_case),
    ("around_call_before_and_after", calls_case),
    (
        "around_local_files_and_a_failed_to_keeps_the_output",
        local_files_case,
    ),
];

// ---------------------------------------------------------------------------------------------
// The context.

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    dispatch: String,
    node: u32,
    name: String,
    electron: String,
    attempt: u32,
    executor: String,
    workdir: String,
    cwd: String,
    workdir_existed: bool,
}

/// Fails its first attempt; reports its context on the second.
#[electron(retries = 2)]
pub fn report_context(marker: String) -> Result<Seen, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    let seen = Seen {
        dispatch: c.dispatch_id().to_owned(),
        node: c.node_id(),
        name: c.name().to_owned(),
        electron: c.electron().to_owned(),
        attempt: c.attempt(),
        executor: c.executor().to_owned(),
        workdir: c.workdir().display().to_string(),
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        workdir_existed: c.workdir().is_dir(),
    };
    if c.attempt() < 2 {
        return Err(format!(
            "{marker}: attempt {} fails on purpose",
            c.attempt()
        ));
    }
    Ok(seen)
}

#[lattice(executor = "under_test")]
pub fn contexts(marker: String) -> Seen {
    report_context(marker)
}

fn context_case(ctx: &Ctx) -> Result<(), Failed> {
    assert!(
        orbital::context().is_err(),
        "no context outside an electron"
    );
    let msg = orbital::context().unwrap_err().to_string();
    assert!(msg.contains("outside a running electron"), "{msg}");
    let rt = runtime(ctx)?;
    let result = ctx.block_on(run(&rt, contexts::build("m".into()), 300))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    let seen = result.output()?;
    let n = node(&result, "report_context");
    assert_eq!(seen.dispatch, result.id().to_string());
    assert_eq!(seen.node, n.id().0);
    assert_eq!(seen.name, "report_context");
    assert!(
        seen.electron.ends_with("::report_context"),
        "{}",
        seen.electron
    );
    assert_eq!(seen.attempt, 2, "the attempt rises across retries");
    assert_eq!(n.attempts(), 2);
    assert_eq!(seen.executor, super::UNDER_TEST);
    assert!(
        seen.workdir_existed,
        "the working directory exists during the call"
    );
    assert!(
        seen.workdir
            .ends_with(&format!("{}/node_{}", seen.dispatch, seen.node)),
        "a unique directory per task: {}",
        seen.workdir
    );
    if ctx.under_test_type() != "local" {
        assert_eq!(
            seen.cwd, seen.workdir,
            "a task process starts in its working directory"
        );
    }
    if ctx.under_test_type() != "awslambda" {
        assert!(
            !Path::new(&seen.workdir).exists(),
            "the task's directory is removed after it: {}",
            seen.workdir
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// deps_bash.

#[electron(deps_bash = ["echo dep-said-this", "echo made-by-deps > made.txt"])]
pub fn after_deps() -> Result<String, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    std::fs::read_to_string(c.path("made.txt")).map_err(|e| e.to_string())
}

#[electron(deps_bash = ["true", "echo the-dep-broke >&2; exit 7"])]
pub fn broken_deps(marker: String) -> u32 {
    std::fs::write(&marker, "ran").expect("write the marker");
    1
}

#[lattice(executor = "under_test")]
pub fn deps_ok() -> String {
    after_deps()
}

#[lattice(executor = "under_test")]
pub fn deps_broken(marker: String) -> u32 {
    broken_deps(marker)
}

fn deps_bash_case(ctx: &Ctx) -> Result<(), Failed> {
    let rt = runtime(ctx)?;
    let ok = ctx.block_on(run(&rt, deps_ok::build(), 300))?;
    assert_eq!(ok.status(), DispatchStatus::Completed, "{:?}", ok.error());
    assert_eq!(
        ok.output()?.trim(),
        "made-by-deps",
        "deps_bash runs in the task's directory"
    );
    let out = node(&ok, "after_deps").stdout().unwrap_or_default();
    assert!(
        out.contains("dep-said-this"),
        "deps_bash output is captured: {out:?}"
    );

    let marker = PathBuf::from(ctx.subdir("deps")?).join("ran");
    let bad = ctx.block_on(run(
        &rt,
        deps_broken::build(marker.display().to_string()),
        300,
    ))?;
    assert_eq!(bad.status(), DispatchStatus::Failed);
    let e = error_of(node(&bad, "broken_deps"));
    for part in [
        "deps_bash command 2",
        "exit status 7",
        "echo the-dep-broke >&2; exit 7",
        "the-dep-broke",
    ] {
        assert!(e.contains(part), "the error names {part:?}: {e}");
    }
    assert!(
        !marker.exists(),
        "the call did not run after a failed deps_bash"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// call_before and call_after.

fn log_line(what: &str) -> Result<(), String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    let path = Path::new(SHARED).join(format!("calls-{}", c.dispatch_id()));
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(f, "{what}").map_err(|e| e.to_string())
}

pub fn open_db() -> Result<String, String> {
    log_line("before")?;
    Ok("db-handle".to_owned())
}

pub fn close_db() -> Result<(), String> {
    log_line("after")
}

pub fn refuse_setup() -> Result<(), String> {
    log_line("refused")?;
    Err("no database today".into())
}

#[electron(call_before = [open_db], call_after = [close_db])]
pub fn with_db() -> Result<String, String> {
    log_line("call")?;
    let c = orbital::context().map_err(|e| e.to_string())?;
    let db = c.value::<String>().ok_or("no value from call_before")?;
    let same = c
        .value_of::<String>("open_db")
        .ok_or("no value of open_db")?;
    Ok(format!("{db}/{same}"))
}

#[electron(call_before = [refuse_setup], call_after = [close_db])]
pub fn guarded() -> Result<u32, String> {
    log_line("call")?;
    Ok(1)
}

#[lattice(executor = "under_test")]
pub fn calls_ok() -> String {
    with_db()
}

#[lattice(executor = "under_test")]
pub fn calls_refused() -> u32 {
    guarded()
}

fn calls_log(id: &str) -> Vec<String> {
    std::fs::read_to_string(Path::new(SHARED).join(format!("calls-{id}")))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn calls_case(ctx: &Ctx) -> Result<(), Failed> {
    let rt = runtime(ctx)?;
    let ok = ctx.block_on(run(&rt, calls_ok::build(), 300))?;
    assert_eq!(ok.status(), DispatchStatus::Completed, "{:?}", ok.error());
    assert_eq!(
        ok.output()?,
        "db-handle/db-handle",
        "call_before's value reaches the electron"
    );
    assert_eq!(calls_log(ok.id()), ["before", "call", "after"]);

    let bad = ctx.block_on(run(&rt, calls_refused::build(), 300))?;
    assert_eq!(bad.status(), DispatchStatus::Failed);
    let e = error_of(node(&bad, "guarded"));
    assert!(
        e.contains("call_before function `refuse_setup` of `guarded` failed: no database today"),
        "{e}"
    );
    assert_eq!(
        calls_log(bad.id()),
        ["refused", "after"],
        "a failed call_before stops the call; call_after still runs"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Local files, and a `to` transfer that fails after a successful call.

#[electron(files = [to("made.txt", "/tmp/orbital-around/{dispatch}/in.txt")])]
pub fn make_input() -> Result<u32, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    std::fs::write(c.path("made.txt"), "local words").map_err(|e| e.to_string())?;
    Ok(1)
}

#[electron(files = [
    from("/tmp/orbital-around/{dispatch}/in.txt", "data/in.txt"),
    to("data/out.txt", "/tmp/orbital-around/{dispatch}/out/{node}.txt"),
])]
pub fn shout(_after: u32) -> Result<String, String> {
    let c = orbital::context().map_err(|e| e.to_string())?;
    let files = c.files();
    let input = files
        .iter()
        .find(|f| f.direction == orbital::fs::Direction::From)
        .ok_or("no input")?;
    let text = std::fs::read_to_string(&input.path).map_err(|e| e.to_string())?;
    let out = text.to_uppercase();
    std::fs::write(c.path("data/out.txt"), &out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Its `to` transfer fails: it never writes the file it promises.
#[electron(files = [to("never-written.txt", "/tmp/orbital-around/{dispatch}/lost.txt")])]
pub fn forgets_output() -> u32 {
    42
}

#[lattice(executor = "under_test")]
pub fn local_files() -> String {
    shout(make_input())
}

#[lattice(executor = "under_test")]
pub fn lost_output() -> u32 {
    forgets_output()
}

fn local_files_case(ctx: &Ctx) -> Result<(), Failed> {
    let rt = runtime(ctx)?;
    let r = ctx.block_on(run(&rt, local_files::build(), 300))?;
    assert_eq!(r.status(), DispatchStatus::Completed, "{:?}", r.error());
    assert_eq!(r.output()?, "LOCAL WORDS");
    let id = r.id().to_string();
    let node_id = node(&r, "shout").id().0;
    let sent = std::fs::read_to_string(format!("{SHARED}/{id}/out/{node_id}.txt"))?;
    assert_eq!(sent, "LOCAL WORDS", "the `to` transfer sent the file");

    let lost = ctx.block_on(run(&rt, lost_output::build(), 300))?;
    assert_eq!(lost.status(), DispatchStatus::Failed);
    let n = node(&lost, "forgets_output");
    assert_eq!(n.status(), NodeStatus::Failed);
    let e = error_of(n);
    assert!(
        e.contains("file transfer `to` of `forgets_output` failed (local copy")
            && e.contains("never-written.txt"),
        "{e}"
    );
    assert_eq!(
        n.output_as::<u32>()?,
        42,
        "the call's output is kept in the failed node"
    );
    let stored = rt.get_result(lost.id())?;
    assert_eq!(
        node(&stored, "forgets_output").output_as::<u32>()?,
        42,
        "and in the store"
    );
    Ok(())
}

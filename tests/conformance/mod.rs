//! The executor conformance suite: one set of cases that every executor is run through.
//!
//! Every lattice here is `#[lattice(executor = "under_test")]` and its electrons name no
//! executor, so they run on whatever `[executors.under_test]` the test target configures. A
//! target (one per executor: `tests/conformance_local.rs`, `tests/conformance_process.rs`, and
//! later ssh, slurm, awslambda) is a few lines:
//!
//! ```ignore
//! mod conformance;
//!
//! fn main() {
//!     // First: when an executor starts this test binary as a task runner, this runs the task
//!     // and exits.
//!     orbital::init().expect("the registry is sound");
//!     let args = libtest_mimic::Arguments::from_args();
//!     let suite = conformance::Suite {
//!         config_toml: "[executors.under_test]\ntype = \"process\"\n".into(),
//!         expect: conformance::Expect::PROCESS,
//!     };
//!     libtest_mimic::run(&args, conformance::trials(suite)).exit();
//! }
//! ```
//!
//! [`Expect`] declares what the executor promises. A case that needs a promise the executor
//! does not make is still run, and asserts the executor's documented behaviour instead (for
//! `local`: nothing is captured and printed text reaches the driver's own stdout; a blocking
//! electron over its time limit fails its node while its thread runs on; a crash ends the whole
//! program). Nothing is skipped silently. Cases whose documented behaviour is to take the
//! driver down (a crash in `local`) or to print into the driver's own stdout run in a child
//! process of this test binary (the same trial, filtered by its exact name), and the parent
//! asserts how that child ended and what it printed.
//!
//! Configuration keys the suite relies on: it reads `capture_limit` from
//! `[executors.under_test]` (when the executor declares `captures_output`; default 1 MiB), and
//! sets `program` there to a stale copy of the test binary (when it declares
//! `checks_build_identity`). It adds `[executors.reference]` (local) for bystander nodes, and
//! quick retry delays.
//!
//! The suite assumes the executor runs its tasks on this machine (every service the test
//! harness starts is on localhost): electrons report their process ids and progress through
//! files in the trial's temporary directory, and the cases check `/proc` for what was killed.
//! Tasks may run as another user (ssh: the test sshd's user), so the trial's directories are
//! open to every user (mode 0777).
//!
//! No case asserts a duration: every wait has a generous hang guard, far above what the work
//! needs, that fails the case instead of hanging it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libtest_mimic::{Failed, Trial};
use orbital::prelude::*;
use orbital::{DispatchResult, NodeResult};
use serde::{Deserialize, Serialize};

pub mod around;
pub mod around_remote;
mod http_server;

/// The executor name every lattice of the suite runs on.
pub const UNDER_TEST: &str = "under_test";

/// An executor the suite adds to every configuration (`type = "local"`), for bystander nodes
/// that must keep their results when `under_test` itself is broken (a stale binary).
pub const REFERENCE: &str = "reference";

/// Set in a child test process that runs one trial's in-process half: the trial's directory.
const CHILD_ENV: &str = "ORBITAL_CONFORMANCE_CHILD_DIR";

/// What an executor promises. A case that needs a promise not made asserts the documented
/// behaviour instead.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// What an electron prints (`println!`, `eprintln!`, anything on fd 1 and 2) is kept per
    /// node in `node.stdout()` / `node.stderr()`, bounded by the executor's `capture_limit`
    /// (bytes; default 1 MiB), with a note saying how much more there was. Otherwise both are
    /// `None` and the text goes to the driver's own stdout and stderr.
    pub captures_output: bool,
    /// A task over its time limit is killed with everything it started (its process is gone
    /// afterwards). Otherwise its node fails as timed out while the work runs on.
    pub kills_on_time_limit: bool,
    /// A cancelled task is killed with everything it started (its processes and their children
    /// are gone afterwards). Otherwise its node is cancelled while the work runs on.
    pub kills_on_cancel: bool,
    /// When a task ends, whatever it started and left running is killed (its node does not
    /// wait for it). Otherwise what it left runs on.
    pub cleans_up_on_end: bool,
    /// The executor stamps the driver's build identity into each spec and its runner refuses
    /// another build: with `program` set to a different binary, nodes fail saying the binary
    /// is stale. Otherwise tasks must run inside the driver's own process (so they cannot be
    /// another build).
    pub checks_build_identity: bool,
    /// An abort, a fatal signal or running out of memory fails only the task's own node, and
    /// the node's error names the signal. Otherwise the crash ends the whole program.
    pub isolates_crashes: bool,
    /// How many tasks of one dispatch the many-tasks case runs (all must complete).
    pub many_tasks: usize,
    /// The tasks see this process's environment (inherited, or through `env`), where the
    /// HTTP and S3 transfer cases put their settings. Otherwise those cases are left out.
    pub passes_env: bool,
}

impl Expect {
    /// What `local` promises: tasks are tokio tasks or threads of the driver.
    pub const LOCAL: Expect = Expect {
        captures_output: false,
        kills_on_time_limit: false,
        kills_on_cancel: false,
        cleans_up_on_end: false,
        checks_build_identity: false,
        isolates_crashes: false,
        many_tasks: 10_000,
        passes_env: true,
    };

    /// What `process` promises: each task is a child process of the same binary, in its own
    /// process group.
    pub const PROCESS: Expect = Expect {
        captures_output: true,
        kills_on_time_limit: true,
        kills_on_cancel: true,
        cleans_up_on_end: true,
        checks_build_identity: true,
        isolates_crashes: true,
        many_tasks: 200,
        passes_env: true,
    };
}

/// An executor to run through the suite.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The configuration (as in `orbital.toml`): must have `[executors.under_test]`. The suite
    /// adds `[executors.reference]` (local) and quick retry delays when they are missing.
    pub config_toml: String,
    /// What the executor promises.
    pub expect: Expect,
    /// How to make the executor run a stale build (a copy of this binary with bytes appended,
    /// at the given path): returns a runtime whose `under_test` runs that copy. Used when
    /// `expect.checks_build_identity`; [`stale_via_program`] for executors with a `program` key.
    pub stale: fn(&Ctx, &Path) -> Result<orbital::Runtime, Failed>,
}

/// Makes `under_test` run a stale build through its `program` key (the process executor).
pub fn stale_via_program(ctx: &Ctx, stale: &Path) -> Result<orbital::Runtime, Failed> {
    let program = stale.display().to_string();
    ctx.runtime_with(|c| set_under_test(c, "program", toml::Value::String(program)))
}

/// A case: runs in a trial's context, fails by returning an error or panicking.
pub type Case = fn(&Ctx) -> Result<(), Failed>;

/// The shared cases, in the order they are listed.
const CASES: &[(&str, Case)] = &[
    ("outputs_of_several_types", outputs_of_several_types),
    (
        "an_err_fails_its_node_and_only_its_dependants",
        an_err_fails_its_node,
    ),
    (
        "a_panic_fails_its_node_with_its_message",
        a_panic_fails_its_node,
    ),
    ("crash_abort", crash_abort),
    ("crash_sigkill", crash_sigkill),
    ("crash_out_of_memory", crash_out_of_memory),
    ("capture_stdout_and_stderr", capture_stdout_and_stderr),
    ("capture_is_bounded", capture_is_bounded),
    ("retries_count_attempts", retries_count_attempts),
    ("time_limit", time_limit),
    ("cancel_while_tasks_run", cancel_while_tasks_run),
    (
        "leftover_processes_at_the_end",
        leftover_processes_at_the_end,
    ),
    ("large_arguments_and_outputs", large_arguments_and_outputs),
    ("many_concurrent_tasks", many_concurrent_tasks),
    ("stale_binary", stale_binary),
];

/// The shared case named `name`, for targets that run a chosen few under another setup.
pub fn case(name: &str) -> Option<Case> {
    CASES.iter().find(|(n, _)| *n == name).map(|&(_, c)| c)
}

/// The suite's trials for this executor (run them with `libtest_mimic::run`).
pub fn trials(suite: Suite) -> Vec<Trial> {
    around::export_env();
    let network: &[(&str, Case)] = if suite.expect.passes_env {
        around_remote::NETWORK_CASES
    } else {
        &[]
    };
    let suite = Arc::new(suite);
    CASES
        .iter()
        .chain(around::CASES)
        .chain(network)
        .map(|&(name, case)| trial(&suite, name, case))
        .collect()
}

/// One trial of a case, run with its own temporary directory, store and tokio runtime. Target
/// files use it for cases of their own.
pub fn trial(suite: &Arc<Suite>, name: &str, case: Case) -> Trial {
    let suite = suite.clone();
    let full = name.to_owned();
    Trial::test(name, move || {
        let ctx = Ctx::new(&suite, full)?;
        case(&ctx)
    })
}

// ---------------------------------------------------------------------------------------------
// The context of one trial.

/// A trial's directory, configuration and tokio runtime.
pub struct Ctx {
    /// What the executor promises.
    pub expect: Expect,
    /// How to make the executor run a stale build (see [`Suite::stale`]).
    pub stale: fn(&Ctx, &Path) -> Result<orbital::Runtime, Failed>,
    /// The trial's name (to run it again in a child process).
    pub name: String,
    /// Whether this is the child process running the in-process half of the trial.
    pub in_child: bool,
    config: toml::Table,
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    tokio: Option<tokio::runtime::Runtime>,
    stores: AtomicUsize,
}

impl Drop for Ctx {
    fn drop(&mut self) {
        if let Some(rt) = self.tokio.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Ctx {
    fn new(suite: &Suite, name: String) -> Result<Ctx, Failed> {
        let mut config: toml::Table = suite
            .config_toml
            .parse()
            .map_err(|e| format!("the suite's configuration does not parse: {e}"))?;
        {
            let executors = table(&mut config, "executors");
            if !executors.contains_key(UNDER_TEST) {
                return Err("the suite's configuration has no [executors.under_test]".into());
            }
            let reference = table(executors, REFERENCE);
            reference
                .entry("type")
                .or_insert_with(|| toml::Value::String("local".into()));
        }
        let dispatcher = table(&mut config, "dispatcher");
        for (key, value) in [("retry_delay", "10ms"), ("retry_delay_max", "50ms")] {
            dispatcher
                .entry(key)
                .or_insert_with(|| toml::Value::String(value.into()));
        }
        let (dir, tmp, in_child) = match std::env::var_os(CHILD_ENV) {
            Some(d) => (PathBuf::from(d), None, true),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("orbital-conformance-")
                    .tempdir()?;
                share(t.path())?;
                (t.path().to_owned(), Some(t), false)
            }
        };
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        Ok(Ctx {
            expect: suite.expect,
            stale: suite.stale,
            name,
            in_child,
            config,
            dir,
            _tmp: tmp,
            tokio: Some(tokio),
            stores: AtomicUsize::new(0),
        })
    }

    /// The `type` of `[executors.under_test]` (`local`, `ssh`...).
    pub fn under_test_type(&self) -> String {
        self.config
            .get("executors")
            .and_then(|e| e.get(UNDER_TEST))
            .and_then(|u| u.get("type"))
            .and_then(toml::Value::as_str)
            .unwrap_or(UNDER_TEST)
            .to_owned()
    }

    /// The trial's temporary directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new directory inside the trial's, as a `String` for an electron argument.
    pub fn subdir(&self, name: &str) -> Result<String, Failed> {
        let d = self.dir.join(name);
        std::fs::create_dir_all(&d)?;
        share(&d)?;
        Ok(d.display().to_string())
    }

    /// The executor's `capture_limit` (the runner's default when not configured).
    pub fn capture_limit(&self) -> u64 {
        self.config
            .get("executors")
            .and_then(|e| e.get(UNDER_TEST))
            .and_then(|u| u.get("capture_limit"))
            .and_then(toml::Value::as_integer)
            .map_or(orbital_core::runner::DEFAULT_CAPTURE_LIMIT, |v| v as u64)
    }

    /// A runtime on the suite's configuration, with a store of its own in the trial directory.
    pub fn runtime(&self) -> Result<orbital::Runtime, Failed> {
        self.runtime_with(|_| {})
    }

    /// A runtime on the suite's configuration changed by `edit` (given the whole table).
    pub fn runtime_with(
        &self,
        edit: impl FnOnce(&mut toml::Table),
    ) -> Result<orbital::Runtime, Failed> {
        let mut config = self.config.clone();
        edit(&mut config);
        let text = toml::to_string(&config)?;
        let n = self.stores.fetch_add(1, Ordering::SeqCst);
        let _guard = self.tokio().enter();
        Ok(orbital::Runtime::builder()
            .store_path(self.dir.join(format!("store-{n}.db")))
            .config(orbital::Config::parse(
                &text,
                Path::new("conformance.toml"),
            )?)
            .build()?)
    }

    fn tokio(&self) -> &tokio::runtime::Runtime {
        self.tokio
            .as_ref()
            .expect("the runtime lives as long as the context")
    }

    /// Runs a future on the trial's tokio runtime.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.tokio().block_on(f)
    }

    /// Runs this very trial again in a child process of the test binary (its in-process half,
    /// see [`Ctx::in_child`]) and returns how it ended and what it printed.
    pub fn run_in_child(&self, guard_secs: u64) -> Result<Output, Failed> {
        let exe = std::env::current_exe()?;
        let child = Command::new(exe)
            .args([
                self.name.as_str(),
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        match rx.recv_timeout(Duration::from_secs(guard_secs)) {
            Ok(out) => Ok(out?),
            Err(_) => {
                // SAFETY: only sends a signal to the child this trial started.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                Err(
                    format!("the child test process did not end within {guard_secs}s (hang guard)")
                        .into(),
                )
            }
        }
    }
}

/// Opens a directory the trial shares with its tasks to every user: a task may run as another
/// user of this machine (ssh: the test sshd's own user), and still writes its files there.
fn share(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
}

fn table<'a>(t: &'a mut toml::Table, key: &str) -> &'a mut toml::Table {
    let v = t
        .entry(key)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !v.is_table() {
        *v = toml::Value::Table(toml::Table::new());
    }
    v.as_table_mut().expect("made a table above")
}

/// Sets `[executors.under_test] key = value`.
pub fn set_under_test(config: &mut toml::Table, key: &str, value: toml::Value) {
    table(table(config, "executors"), UNDER_TEST).insert(key.to_owned(), value);
}

/// A guard against hangs: an error (instead of a hang) when `fut` takes longer than `secs`.
/// Never a timing assertion: the limits are far above what the work needs.
pub async fn within<F: Future>(secs: u64, what: &str, fut: F) -> Result<F::Output, Failed> {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .map_err(|_| format!("{what} did not finish within {secs}s (hang guard)").into())
}

/// Dispatches `wf` on `rt` and waits for its end (with a hang guard).
pub async fn run<T: orbital::Data>(
    rt: &orbital::Runtime,
    wf: orbital::Workflow<T>,
    guard_secs: u64,
) -> Result<DispatchResult<T>, Failed> {
    let dispatch = rt.dispatch(wf).await?;
    Ok(within(guard_secs, "the dispatch", dispatch.wait()).await??)
}

/// The only node of this name.
#[track_caller]
pub fn node<'a, T>(result: &'a DispatchResult<T>, name: &str) -> &'a NodeResult {
    let mut found = result.nodes().iter().filter(|n| n.name() == name);
    let n = found
        .next()
        .unwrap_or_else(|| panic!("the dispatch has no node `{name}`"));
    assert!(found.next().is_none(), "more than one node `{name}`");
    n
}

/// The node's error, or a panic saying it has none.
#[track_caller]
pub fn error_of(n: &NodeResult) -> &str {
    n.error()
        .unwrap_or_else(|| panic!("node `{}` ({}) has no error", n.name(), n.status()))
}

/// Whether process `pid` is running. A zombie (ended, waiting for its parent or init to reap
/// it) is not running: it holds no memory and runs no code.
pub fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            !matches!(state, Some('Z' | 'X') | None)
        }
    }
}

/// Waits until process `pid` is no longer running (with a hang guard).
pub async fn gone(pid: u32, what: &str) -> Result<(), Failed> {
    within(30, &format!("the end of {what} (pid {pid})"), async {
        while process_running(pid) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Waits until `path` exists (with a hang guard).
pub async fn appears(path: &Path, secs: u64) -> Result<(), Failed> {
    within(secs, &format!("{}", path.display()), async {
        while !path.exists() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

/// The number in a file written by an electron.
pub fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn write_atomic(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// What a long electron does: writes `{tag}.pid`, then counts ticks in `{tag}.ticks` until
/// `stop` appears in `dir` (at most 600 s), then writes `{tag}.done`.
fn hold(dir: &Path, tag: &str) {
    write_atomic(
        &dir.join(format!("{tag}.pid")),
        &std::process::id().to_string(),
    );
    let stop = dir.join("stop");
    let ticks = dir.join(format!("{tag}.ticks"));
    let start = Instant::now();
    let mut n = 0u64;
    while !stop.exists() && start.elapsed() < Duration::from_secs(600) {
        n += 1;
        write_atomic(&ticks, &n.to_string());
        std::thread::sleep(Duration::from_millis(20));
    }
    write_atomic(&dir.join(format!("{tag}.done")), "done");
}

// ---------------------------------------------------------------------------------------------
// Electrons and lattices.

/// A struct crosses the boundary with its nested types intact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// A name.
    pub sensor: String,
    /// Some values.
    pub values: Vec<f64>,
    /// A map.
    pub tags: BTreeMap<String, i32>,
    /// An option.
    pub note: Option<String>,
    /// A flag.
    pub ok: bool,
}

/// The reading `reading(sensor, n)` makes.
pub fn expected_reading(sensor: &str, n: u32) -> Reading {
    Reading {
        sensor: sensor.to_owned(),
        values: (1..=n).map(|i| f64::from(i) * 0.5).collect(),
        tags: (1..=n).map(|i| (format!("t{i}"), i as i32 * -3)).collect(),
        note: (!n.is_multiple_of(2)).then(|| format!("odd: {n}")),
        ok: true,
    }
}

#[electron]
pub fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[electron]
pub fn double(x: u64) -> u64 {
    x * 2
}

#[electron]
pub fn greet(name: String) -> String {
    format!("hello, {name} ✓")
}

#[electron]
pub fn reading(sensor: String, n: u32) -> Reading {
    expected_reading(&sensor, n)
}

#[electron]
pub fn mean(r: Reading) -> f64 {
    r.values.iter().sum::<f64>() / r.values.len() as f64
}

#[electron]
pub fn negate_all(xs: Vec<i64>) -> Vec<i64> {
    xs.into_iter().map(|x| -x).collect()
}

#[electron]
pub fn maybe_half(x: u64) -> Option<u64> {
    x.is_multiple_of(2).then_some(x / 2)
}

#[electron]
pub async fn pair_later(x: i64) -> (i64, String) {
    tokio::task::yield_now().await;
    (x * 2, format!("<{x}>"))
}

#[electron]
pub fn describe(
    sum: u64,
    hello: String,
    mean: f64,
    neg: Vec<i64>,
    halves: Vec<Option<u64>>,
    pair: (i64, String),
) -> String {
    format!("{sum} {hello} {mean} {neg:?} {halves:?} {pair:?}")
}

#[lattice(executor = "under_test")]
pub fn outputs(name: String) -> String {
    let sum = add(40, 2);
    let hello = greet(name);
    let r = reading(String::from("probe-7"), 5);
    let m = mean(r);
    let neg = negate_all(vec![1i64, -2, 3]);
    let halves = vec![maybe_half(sum), maybe_half(7)];
    let pair = pair_later(-21);
    describe(sum, hello, m, neg, halves, pair)
}

#[electron]
pub fn refuses(why: String) -> Result<u64, String> {
    Err(format!("refused: {why}"))
}

#[lattice(executor = "under_test")]
pub fn refusing(why: String) -> u64 {
    let r = refuses(why);
    let d = double(r);
    let _bystander = add(1, 2);
    double(d)
}

#[electron]
pub fn panics(why: String) -> u64 {
    panic!("conformance panic: {why}")
}

#[lattice(executor = "under_test")]
pub fn panicking(why: String) -> u64 {
    let p = panics(why);
    let _bystander = add(2, 3);
    double(p)
}

/// Crashes the process it runs in: `abort`, `sigkill`, or `oom` (an address-space limit of
/// 1 GiB, then a 4 GiB allocation: the failed allocation aborts).
#[electron]
pub fn crashes(how: String) -> u64 {
    match how.as_str() {
        "abort" => std::process::abort(),
        "sigkill" => {
            // SAFETY: sends a signal to this very process, which is the point.
            unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            std::thread::sleep(Duration::from_secs(60));
            1
        }
        "oom" => {
            let limit = 1u64 << 30;
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: plain system calls on a local struct.
            unsafe {
                libc::getrlimit(libc::RLIMIT_AS, &mut lim);
                lim.rlim_cur = limit.min(lim.rlim_max);
                libc::setrlimit(libc::RLIMIT_AS, &lim);
            }
            let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(4usize << 30));
            std::hint::black_box(&v);
            v.capacity() as u64
        }
        other => panic!("unknown crash `{other}`"),
    }
}

#[lattice(executor = "under_test")]
pub fn crashing(how: String) -> u64 {
    let c = crashes(how);
    let _bystander = add(4, 5);
    double(c)
}

#[electron]
pub fn chatty(tag: String) -> String {
    println!("to stdout: {tag}");
    eprintln!("to stderr: {tag}");
    tag
}

#[lattice(executor = "under_test")]
pub fn chatting(tag: String) -> String {
    chatty(tag)
}

/// The line a flood repeats (64 bytes).
pub const FLOOD_LINE: &[u8; 64] =
    b"flood flood flood flood flood flood flood flood flood flood 012\n";

#[electron]
pub fn floods(bytes: u64) -> u64 {
    let chunk = FLOOD_LINE.repeat(1024);
    let mut out = std::io::stdout().lock();
    let mut left = bytes as usize;
    while left > 0 {
        let n = left.min(chunk.len());
        out.write_all(&chunk[..n]).expect("stdout takes the flood");
        left -= n;
    }
    out.flush().expect("stdout flushes");
    bytes
}

#[lattice(executor = "under_test")]
pub fn flooding(bytes: u64) -> u64 {
    let _bystander = add(6, 7);
    floods(bytes)
}

/// Fails its first two attempts. The attempts are counted in a file (tasks may be separate
/// processes).
#[electron(retries = 3)]
pub fn flaky(counter: String) -> Result<u64, String> {
    let path = Path::new(&counter);
    let n = read_number(path).unwrap_or(0) + 1;
    std::fs::write(path, n.to_string()).map_err(|e| format!("cannot count: {e}"))?;
    if n < 3 {
        Err(format!("attempt {n} failed"))
    } else {
        Ok(n)
    }
}

#[lattice(executor = "under_test")]
pub fn retrying(counter: String) -> u64 {
    double(flaky(counter))
}

#[electron(time_limit = "1s")]
pub fn overstays(dir: String) -> u64 {
    hold(Path::new(&dir), "overstays");
    0
}

#[lattice(executor = "under_test")]
pub fn over_time(dir: String) -> u64 {
    let _bystander = add(1, 1);
    double(overstays(dir))
}

/// Starts a grandchild (`sleep 600`), writes `hold-{i}.child`, then holds (see [`hold`]); when
/// released, it ends the grandchild.
#[electron]
pub fn holds_with_child(dir: String, i: u64) -> u64 {
    let dir = Path::new(&dir);
    let mut child = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .expect("sleep starts");
    write_atomic(
        &dir.join(format!("hold-{i}.child")),
        &child.id().to_string(),
    );
    hold(dir, &format!("hold-{i}"));
    let _ = child.kill();
    let _ = child.wait();
    i
}

#[lattice(executor = "under_test")]
pub fn holding(dir: String) -> u64 {
    let _bystander = add(3, 4);
    let a = holds_with_child(dir.clone(), 1);
    let b = holds_with_child(dir, 2);
    add(a, b)
}

/// Starts `sleep 600`, writes its pid to `leftover.child`, and returns without waiting for it.
#[electron]
pub fn leaves_a_child(dir: String) -> u64 {
    let child = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .expect("sleep starts");
    write_atomic(
        &Path::new(&dir).join("leftover.child"),
        &child.id().to_string(),
    );
    std::mem::forget(child);
    17
}

#[lattice(executor = "under_test")]
pub fn leaving(dir: String) -> u64 {
    double(leaves_a_child(dir))
}

/// `len` bytes that are not a simple pattern (so a misplaced byte shows).
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).rotate_right(13) as u8) ^ seed)
        .collect()
}

#[electron]
pub fn transform(data: Vec<u8>) -> Vec<u8> {
    data.into_iter().rev().map(|b| b.wrapping_add(1)).collect()
}

#[electron]
pub fn byte_sum(data: Vec<u8>) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

#[lattice(executor = "under_test")]
pub fn large(len: u64, seed: u8) -> u64 {
    let t = transform(pattern(len as usize, seed));
    let _bystander = add(5, 6);
    byte_sum(t)
}

#[electron]
pub fn square(x: u64) -> u64 {
    x * x
}

#[electron]
pub fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice(executor = "under_test")]
pub fn many(n: u64) -> u64 {
    let squares: Vec<Node<u64>> = (0..n).map(square).collect();
    total(squares)
}

#[electron]
pub fn whoami() -> u64 {
    u64::from(std::process::id())
}

/// A bystander on the `reference` executor: keeps its result whatever `under_test` does.
#[electron(executor = "reference")]
pub fn reference_value(x: u64) -> u64 {
    x + 1000
}

#[lattice(executor = "under_test")]
pub fn identify() -> u64 {
    let _kept = reference_value(1);
    let _also = add(1, 2);
    whoami()
}

// ---------------------------------------------------------------------------------------------
// The cases.

fn outputs_of_several_types(ctx: &Ctx) -> Result<(), Failed> {
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(&rt, outputs::build("Ada".into()), 120))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(node(&result, "add").output_as::<u64>()?, 42);
    assert_eq!(
        node(&result, "greet").output_as::<String>()?,
        "hello, Ada ✓"
    );
    assert_eq!(
        node(&result, "reading").output_as::<Reading>()?,
        expected_reading("probe-7", 5)
    );
    assert_eq!(node(&result, "mean").output_as::<f64>()?, 1.5);
    assert_eq!(
        node(&result, "negate_all").output_as::<Vec<i64>>()?,
        [-1, 2, -3]
    );
    let halves: Vec<Option<u64>> = result
        .nodes_named("maybe_half")
        .map(|n| n.output_as())
        .collect::<Result<_, _>>()?;
    assert_eq!(halves, [Some(21), None]);
    assert_eq!(
        node(&result, "pair_later").output_as::<(i64, String)>()?,
        (-42, "<-21>".to_owned())
    );
    let expected = r#"42 hello, Ada ✓ 1.5 [-1, 2, -3] [Some(21), None] (-42, "<-21>")"#;
    assert_eq!(result.output()?, expected);
    for n in result.nodes() {
        assert_eq!(n.attempts(), 1, "node `{}`", n.name());
        assert!(n.error().is_none(), "node `{}`: {:?}", n.name(), n.error());
    }
    // The store has the same.
    let stored = rt.get_result(result.id())?;
    assert_eq!(stored.status(), DispatchStatus::Completed);
    assert_eq!(
        node(&stored, "reading").output_as::<Reading>()?,
        expected_reading("probe-7", 5)
    );
    Ok(())
}

fn an_err_fails_its_node(ctx: &Ctx) -> Result<(), Failed> {
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(&rt, refusing::build("no way".into()), 120))?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let r = node(&result, "refuses");
    assert_eq!(r.status(), NodeStatus::Failed);
    assert!(error_of(r).contains("refused: no way"), "{}", error_of(r));
    assert_eq!(r.attempts(), 1);
    let doubles: Vec<&NodeResult> = result.nodes_named("double").collect();
    assert_eq!(doubles.len(), 2);
    for d in &doubles {
        assert_eq!(d.status(), NodeStatus::UpstreamFailed);
        assert_eq!(d.attempts(), 0, "it did not run");
    }
    assert!(
        error_of(doubles[0]).contains("`refuses`"),
        "{}",
        error_of(doubles[0])
    );
    let bystander = node(&result, "add");
    assert_eq!(bystander.status(), NodeStatus::Completed);
    assert_eq!(bystander.output_as::<u64>()?, 3);
    let err = result.output().unwrap_err().to_string();
    assert!(err.contains("refused: no way"), "{err}");
    Ok(())
}

fn a_panic_fails_its_node(ctx: &Ctx) -> Result<(), Failed> {
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(&rt, panicking::build("on purpose".into()), 120))?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let p = node(&result, "panics");
    assert_eq!(p.status(), NodeStatus::Failed);
    assert!(
        error_of(p).contains("conformance panic: on purpose"),
        "{}",
        error_of(p)
    );
    assert_eq!(node(&result, "double").status(), NodeStatus::UpstreamFailed);
    assert_eq!(node(&result, "add").output_as::<u64>()?, 5);
    if ctx.expect.captures_output {
        // The panic message printed by the default hook is in the node's stderr.
        let stderr = p.stderr().unwrap_or_default();
        assert!(stderr.contains("conformance panic: on purpose"), "{stderr}");
    }
    Ok(())
}

fn crash_abort(ctx: &Ctx) -> Result<(), Failed> {
    crash(ctx, "abort", libc::SIGABRT, "SIGABRT")
}

fn crash_sigkill(ctx: &Ctx) -> Result<(), Failed> {
    crash(ctx, "sigkill", libc::SIGKILL, "SIGKILL")
}

fn crash_out_of_memory(ctx: &Ctx) -> Result<(), Failed> {
    crash(ctx, "oom", libc::SIGABRT, "SIGABRT")
}

fn crash(ctx: &Ctx, how: &str, signal: i32, signal_name: &str) -> Result<(), Failed> {
    use std::os::unix::process::ExitStatusExt;
    if ctx.expect.isolates_crashes {
        let rt = ctx.runtime()?;
        let result = ctx.block_on(run(&rt, crashing::build(how.into()), 120))?;
        assert_eq!(result.status(), DispatchStatus::Failed);
        let c = node(&result, "crashes");
        assert_eq!(c.status(), NodeStatus::Failed);
        assert!(error_of(c).contains(signal_name), "{}", error_of(c));
        assert_eq!(node(&result, "double").status(), NodeStatus::UpstreamFailed);
        let bystander = node(&result, "add");
        assert_eq!(bystander.status(), NodeStatus::Completed);
        assert_eq!(bystander.output_as::<u64>()?, 9);
        if how == "oom" && ctx.expect.captures_output {
            let stderr = c.stderr().unwrap_or_default();
            assert!(
                stderr.contains("memory allocation of 4294967296 bytes failed"),
                "the stderr of the task that ran out of memory: {stderr}"
            );
        }
        let stored = rt.get_result(result.id())?;
        assert_eq!(node(&stored, "add").output_as::<u64>()?, 9);
        assert!(error_of(node(&stored, "crashes")).contains(signal_name));
        Ok(())
    } else if ctx.in_child {
        // The documented behaviour: the crash ends the whole program, this child included.
        let rt = ctx.runtime()?;
        let result = ctx.block_on(run(&rt, crashing::build(how.into()), 120));
        Err(format!(
            "the crash did not end the program: {:?}",
            result.map(|r| r.status())
        )
        .into())
    } else {
        let out = ctx.run_in_child(120)?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            stdout.contains(&format!("test {}", ctx.name)),
            "the child ran the trial: {stdout}"
        );
        if how == "oom" {
            assert!(
                stderr.contains("memory allocation of 4294967296 bytes failed"),
                "{stderr}"
            );
        }
        assert_eq!(
            out.status.signal(),
            Some(signal),
            "a crash in a task of an executor that does not isolate crashes ends the driver \
             with {signal_name}; the child test process ended with {:?}; stderr:\n{}",
            out.status,
            stderr
        );
        Ok(())
    }
}

fn capture_stdout_and_stderr(ctx: &Ctx) -> Result<(), Failed> {
    let tag = format!("chatter-{}", std::process::id());
    if !ctx.expect.captures_output && !ctx.in_child {
        // The text goes to the driver's own stdout and stderr: see it there.
        let out = ctx.run_in_child(120)?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            out.status.success(),
            "the child failed:\n{stdout}\n{stderr}"
        );
        let child_tag = "chatter-child";
        assert!(
            stdout.contains(&format!("to stdout: {child_tag}")),
            "{stdout}"
        );
        assert!(
            stderr.contains(&format!("to stderr: {child_tag}")),
            "{stderr}"
        );
        return Ok(());
    }
    let tag = if ctx.in_child {
        "chatter-child".to_owned()
    } else {
        tag
    };
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(&rt, chatting::build(tag.clone()), 120))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    let c = node(&result, "chatty");
    assert_eq!(c.output_as::<String>()?, tag);
    if ctx.expect.captures_output {
        let out = c.stdout().expect("the captured stdout");
        let err = c.stderr().expect("the captured stderr");
        assert!(out.contains(&format!("to stdout: {tag}")), "stdout: {out}");
        assert!(err.contains(&format!("to stderr: {tag}")), "stderr: {err}");
        assert!(
            !out.contains("to stderr"),
            "the streams are kept apart: {out}"
        );
        assert!(
            !err.contains("to stdout"),
            "the streams are kept apart: {err}"
        );
        let stored = rt.get_result(result.id())?;
        let s = node(&stored, "chatty");
        assert_eq!(s.stdout(), Some(out));
        assert_eq!(s.stderr(), Some(err));
    } else {
        assert_eq!(c.stdout(), None);
        assert_eq!(c.stderr(), None);
    }
    Ok(())
}

/// 100 MB to stdout.
const FLOOD: u64 = 100 << 20;

fn capture_is_bounded(ctx: &Ctx) -> Result<(), Failed> {
    if !ctx.expect.captures_output && !ctx.in_child {
        // All of it goes to the driver's own stdout.
        let out = ctx.run_in_child(120)?;
        assert!(
            out.status.success(),
            "the child failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let floods = out.stdout.len() as u64;
        assert!(floods >= FLOOD, "the driver's stdout got {floods} bytes");
        assert!(out.stdout.windows(64).any(|w| w == FLOOD_LINE));
        return Ok(());
    }
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(&rt, flooding::build(FLOOD), 120))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    let f = node(&result, "floods");
    assert_eq!(f.status(), NodeStatus::Completed);
    assert_eq!(f.output_as::<u64>()?, FLOOD);
    assert_eq!(node(&result, "add").output_as::<u64>()?, 13);
    if ctx.expect.captures_output {
        let limit = ctx.capture_limit();
        let out = f.stdout().expect("the captured stdout");
        let note = format!(
            "[orbital: output truncated: {limit} bytes kept, {} more not kept]",
            FLOOD - limit
        );
        assert!(
            out.trim_end().ends_with(&note),
            "the capture ends with the truncation note: ...{}",
            &out[out.len().saturating_sub(200)..]
        );
        let len = out.len() as u64;
        assert!(
            (limit..limit + 200).contains(&len),
            "the capture is about capture_limit ({limit}) long: {len}"
        );
        assert!(out.as_bytes().starts_with(FLOOD_LINE));
        let stored = rt.get_result(result.id())?;
        assert_eq!(node(&stored, "floods").stdout(), Some(out));
    } else {
        assert_eq!(f.stdout(), None);
    }
    Ok(())
}

fn retries_count_attempts(ctx: &Ctx) -> Result<(), Failed> {
    let counter = ctx.dir().join("attempts");
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(
        &rt,
        retrying::build(counter.display().to_string()),
        120,
    ))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(result.output()?, 6);
    let f = node(&result, "flaky");
    assert_eq!(f.attempts(), 3);
    assert_eq!(f.output_as::<u64>()?, 3);
    assert_eq!(f.error(), None, "a completed node keeps no error");
    assert_eq!(read_number(&counter), Some(3), "three attempts ran");
    assert_eq!(node(&result, "double").attempts(), 1);
    let stored = rt.get_result(result.id())?;
    assert_eq!(node(&stored, "flaky").attempts(), 3);
    Ok(())
}

fn time_limit(ctx: &Ctx) -> Result<(), Failed> {
    let dir = ctx.subdir("time-limit")?;
    let dir_path = PathBuf::from(&dir);
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(&rt, over_time::build(dir.clone()), 60))?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let o = node(&result, "overstays");
    assert_eq!(o.status(), NodeStatus::Failed);
    assert!(
        error_of(o).contains("exceeded its time limit of 1s"),
        "{}",
        error_of(o)
    );
    assert_eq!(node(&result, "double").status(), NodeStatus::UpstreamFailed);
    assert_eq!(node(&result, "add").output_as::<u64>()?, 2);
    let pid_file = dir_path.join("overstays.pid");
    let pid = read_number(&pid_file).ok_or_else(|| {
        format!(
            "the electron never started within its 1s time limit (no {})",
            pid_file.display()
        )
    })? as u32;
    let done = dir_path.join("overstays.done");
    if ctx.expect.kills_on_time_limit {
        assert_ne!(
            pid,
            std::process::id(),
            "the task ran in a process of its own"
        );
        ctx.block_on(gone(pid, "the task process over its time limit"))?;
        assert!(!done.exists(), "the task was killed, it did not finish");
    } else {
        // The documented behaviour: the node failed, the work runs on in the driver.
        assert_eq!(pid, std::process::id(), "the task ran in the driver");
        let ticks = dir_path.join("overstays.ticks");
        let before = read_number(&ticks).unwrap_or(0);
        ctx.block_on(within(30, "the electron's next tick", async {
            while read_number(&ticks).unwrap_or(0) <= before {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }))?;
        assert!(!done.exists());
        std::fs::write(dir_path.join("stop"), b"stop")?;
        ctx.block_on(appears(&done, 30))?;
    }
    Ok(())
}

fn cancel_while_tasks_run(ctx: &Ctx) -> Result<(), Failed> {
    let dir = ctx.subdir("cancel")?;
    let d = PathBuf::from(&dir);
    let rt = ctx.runtime()?;
    let result = ctx.block_on(async {
        let dispatch = rt.dispatch(holding::build(dir.clone())).await?;
        for i in [1, 2] {
            appears(&d.join(format!("hold-{i}.pid")), 60).await?;
        }
        let mut progress = dispatch.watch();
        within(60, "the bystander", progress.wait_for(|p| p.completed >= 1)).await??;
        dispatch.cancel();
        Ok::<_, Failed>(within(60, "the cancelled dispatch", dispatch.wait()).await??)
    })?;
    assert_eq!(result.status(), DispatchStatus::Cancelled);
    let holders: Vec<&NodeResult> = result.nodes_named("holds_with_child").collect();
    assert_eq!(holders.len(), 2);
    for h in &holders {
        assert_eq!(h.status(), NodeStatus::Cancelled);
        assert_eq!(h.error(), Some("the dispatch was cancelled"));
    }
    let adds: Vec<&NodeResult> = result.nodes_named("add").collect();
    assert_eq!(
        adds[0].status(),
        NodeStatus::Completed,
        "the bystander keeps its result"
    );
    assert_eq!(adds[0].output_as::<u64>()?, 7);
    assert_eq!(adds[1].status(), NodeStatus::Cancelled);
    assert_eq!(adds[1].attempts(), 0);
    let stored = rt.get_result(result.id())?;
    assert_eq!(stored.status(), DispatchStatus::Cancelled);
    assert_eq!(
        stored
            .nodes_named("add")
            .next()
            .unwrap()
            .output_as::<u64>()?,
        7
    );

    let pids: Vec<(u32, u32)> = [1, 2]
        .iter()
        .map(|i| {
            let task = read_number(&d.join(format!("hold-{i}.pid"))).unwrap_or(0) as u32;
            let child = read_number(&d.join(format!("hold-{i}.child"))).unwrap_or(0) as u32;
            (task, child)
        })
        .collect();
    for &(task, child) in &pids {
        assert!(
            task > 0 && child > 0,
            "the electrons wrote their pids: {pids:?}"
        );
    }
    if ctx.expect.kills_on_cancel {
        for &(task, child) in &pids {
            assert_ne!(
                task,
                std::process::id(),
                "the task ran in a process of its own"
            );
            ctx.block_on(gone(task, "the cancelled task process"))?;
            ctx.block_on(gone(child, "the `sleep` the cancelled task started"))?;
        }
        for i in [1, 2] {
            assert!(!d.join(format!("hold-{i}.done")).exists());
        }
    } else {
        // The documented behaviour: the nodes are cancelled, the work runs on in the driver.
        for &(task, child) in &pids {
            assert_eq!(task, std::process::id(), "the task ran in the driver");
            assert!(process_running(child), "what the task started runs on");
        }
        std::fs::write(d.join("stop"), b"stop")?;
        for (i, &(_, child)) in pids.iter().enumerate() {
            ctx.block_on(appears(&d.join(format!("hold-{}.done", i + 1)), 30))?;
            ctx.block_on(gone(child, "the `sleep` the released task ended"))?;
        }
    }
    Ok(())
}

fn leftover_processes_at_the_end(ctx: &Ctx) -> Result<(), Failed> {
    let dir = ctx.subdir("leftover")?;
    let rt = ctx.runtime()?;
    // The task ends at once; what it left behind would run for 600 s.
    let result = ctx.block_on(run(&rt, leaving::build(dir.clone()), 60))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(result.output()?, 34);
    let child =
        read_number(&Path::new(&dir).join("leftover.child")).ok_or("no leftover.child")? as u32;
    if ctx.expect.cleans_up_on_end {
        ctx.block_on(gone(child, "the `sleep` a finished task left behind"))?;
    } else {
        // The documented behaviour: it runs on (here, as a child of the driver).
        assert!(process_running(child), "what the task left behind runs on");
        // SAFETY: only sends a signal to the `sleep` this trial's electron started.
        unsafe { libc::kill(child as i32, libc::SIGKILL) };
        let mut status = 0;
        // SAFETY: reaps that child of this process.
        unsafe { libc::waitpid(child as i32, &mut status, 0) };
    }
    Ok(())
}

/// 50 MB in, 50 MB out.
const LARGE: usize = 50 << 20;

fn large_arguments_and_outputs(ctx: &Ctx) -> Result<(), Failed> {
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(&rt, large::build(LARGE as u64, 0x5a), 300))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    let expected: Vec<u8> = pattern(LARGE, 0x5a)
        .into_iter()
        .rev()
        .map(|b| b.wrapping_add(1))
        .collect();
    let out = node(&result, "transform").output_as::<Vec<u8>>()?;
    assert_eq!(out.len(), LARGE);
    if let Some(i) = (0..LARGE).find(|&i| out[i] != expected[i]) {
        return Err(format!("byte {i} of the output is {}, not {}", out[i], expected[i]).into());
    }
    let sum: u64 = expected.iter().map(|&b| u64::from(b)).sum();
    assert_eq!(result.output()?, sum);
    assert_eq!(node(&result, "add").output_as::<u64>()?, 11);
    Ok(())
}

fn many_concurrent_tasks(ctx: &Ctx) -> Result<(), Failed> {
    let n = ctx.expect.many_tasks as u64;
    let rt = ctx.runtime()?;
    let result = ctx.block_on(run(&rt, many::build(n), 300))?;
    assert_eq!(
        result.status(),
        DispatchStatus::Completed,
        "{:?}",
        result.error()
    );
    assert_eq!(result.output()?, (0..n).map(|x| x * x).sum::<u64>());
    let squares: Vec<&NodeResult> = result.nodes_named("square").collect();
    assert_eq!(squares.len() as u64, n);
    for (i, s) in squares.iter().enumerate() {
        assert_eq!(s.status(), NodeStatus::Completed);
        assert_eq!(s.output_as::<u64>()?, (i * i) as u64, "node {}", s.id().0);
    }
    Ok(())
}

fn stale_binary(ctx: &Ctx) -> Result<(), Failed> {
    if !ctx.expect.checks_build_identity {
        // The documented behaviour: tasks run inside the driver, which cannot be another build.
        let rt = ctx.runtime()?;
        let result = ctx.block_on(run(&rt, identify::build(), 120))?;
        assert_eq!(
            result.status(),
            DispatchStatus::Completed,
            "{:?}",
            result.error()
        );
        assert_eq!(result.output()?, u64::from(std::process::id()));
        return Ok(());
    }
    // A copy of this binary with a few bytes appended: the same electrons, another build.
    let stale = ctx.dir().join("stale-binary");
    std::fs::copy(std::env::current_exe()?, &stale)?;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&stale)?
        .write_all(b"\norbital conformance: another build\n")?;
    let rt = (ctx.stale)(ctx, &stale)?;
    let result = ctx.block_on(run(&rt, identify::build(), 120))?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    for name in ["whoami", "add"] {
        let n = node(&result, name);
        assert_eq!(n.status(), NodeStatus::Failed, "node `{name}`");
        let e = error_of(n);
        assert!(e.contains("stale binary"), "{e}");
        assert!(e.contains("another build"), "{e}");
        assert!(
            e.contains("run the dispatch again"),
            "the error says what to do: {e}"
        );
    }
    let kept = node(&result, "reference_value");
    assert_eq!(
        kept.status(),
        NodeStatus::Completed,
        "other executors' nodes keep their results"
    );
    assert_eq!(kept.output_as::<u64>()?, 1001);
    Ok(())
}

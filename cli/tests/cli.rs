//! The `orbital` binary against real dispatches in a temporary store: every command, with and
//! without `--json`, and a cancel sent from another process to a dispatch running here.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use orbital::prelude::*;
use serde_json::Value;

// The workflows.

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[electron]
fn excitement(a: String) -> String {
    format!("{a}!")
}

#[lattice]
fn simple_workflow(a: String, b: String) -> String {
    let phrase = join_words(a, b);
    excitement(phrase)
}

const REFUSAL: &str =
    "will not shout this phrase: the neighbours are asleep and the walls are thin, so keep it down";

#[electron]
fn refuse(a: String) -> Result<String, String> {
    Err(format!("{REFUSAL} ({a})"))
}

#[lattice]
fn failing_workflow(a: String, b: String) -> String {
    let phrase = join_words(a, b);
    let refused = refuse(phrase);
    excitement(refused)
}

#[electron]
fn count_words(text: String) -> u64 {
    text.split_whitespace().count() as u64
}

#[electron]
fn square(x: u64) -> u64 {
    x * x
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice]
fn squares_below(n: u64) -> u64 {
    let squares: Vec<Node<u64>> = (0..n).map(square).collect();
    total(squares)
}

#[lattice]
fn squares_of_word_count(text: String) -> u64 {
    let n = count_words(text);
    squares_below(n)
}

#[electron]
async fn sleep_a_minute(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_secs(60)).await;
    x
}

#[lattice]
fn slow_workflow(x: u64) -> u64 {
    sleep_a_minute(x)
}

// Helpers.

/// A hang guard, never a timing assertion: the limit is far above what the work needs.
async fn within<F: std::future::Future>(secs: u64, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {secs}s (hang guard)"),
    }
}

struct Store {
    dir: tempfile::TempDir,
    rt: orbital::Runtime,
}

impl Store {
    fn new() -> Store {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        let rt = orbital::Runtime::builder()
            .store_path(dir.path().join("o.db"))
            .config(orbital::Config::default())
            .build()
            .unwrap();
        Store { dir, rt }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("o.db")
    }

    /// `orbital --db <store> args...`, away from the user's own configuration and store.
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = orbital_cmd(self.dir.path());
        cmd.arg("--db").arg(self.db()).args(args);
        cmd.output().expect("the orbital binary runs")
    }

    /// Runs a command that must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "orbital {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command with `--json`; its parsed stdout.
    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let text = self.ok(&a);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("orbital {a:?}: not JSON ({e}):\n{text}"))
    }

    /// Runs a command that must fail with exit code 1; its stderr.
    fn err(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "orbital {args:?} should fail:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

/// The orbital binary, with a scrubbed environment: no store or data dir from the caller, and
/// an empty configuration dir under `dir`.
fn orbital_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_orbital"));
    cmd.env_remove("ORBITAL_DB")
        .env_remove("ORBITAL_DATA_DIR")
        .env("ORBITAL_CONFIG_DIR", dir.join("config"))
        .stdin(Stdio::null());
    cmd
}

fn node<'a>(dispatch: &'a Value, name: &str) -> &'a Value {
    dispatch["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no node {name} in {dispatch}"))
}

/// Three ended dispatches: completed, failed, and one with a sub-lattice; oldest first.
async fn three_dispatches(s: &Store) -> (String, String, String) {
    let ok =
        s.rt.dispatch(simple_workflow::build("Hello".into(), "World".into()))
            .await
            .unwrap();
    let ok_id = ok.id().to_owned();
    assert_eq!(ok.wait().await.unwrap().status(), DispatchStatus::Completed);

    let failed =
        s.rt.dispatch(failing_workflow::build("Hello".into(), "World".into()))
            .await
            .unwrap();
    let failed_id = failed.id().to_owned();
    assert_eq!(
        failed.wait().await.unwrap().status(),
        DispatchStatus::Failed
    );

    let sub =
        s.rt.dispatch(squares_of_word_count::build("one two three".into()))
            .await
            .unwrap();
    let sub_id = sub.id().to_owned();
    let result = sub.wait().await.unwrap();
    assert_eq!(result.output().unwrap(), 5);
    s.rt.store().flush().await.unwrap();
    (ok_id, failed_id, sub_id)
}

// The tests.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_shows_recent_dispatches_newest_first_with_node_counts() {
    let s = Store::new();
    let (ok, failed, sub) = three_dispatches(&s).await;

    let doc = s.json(&["list"]);
    assert_eq!(doc["store"], s.db().display().to_string());
    let list = doc["dispatches"].as_array().unwrap();
    let ids: Vec<&str> = list.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [&sub, &failed, &ok], "newest first");

    let counts = |i: usize| &list[i]["counts"];
    assert_eq!(list[2]["lattice"], "cli::simple_workflow");
    assert_eq!(list[2]["status"], "COMPLETED");
    assert_eq!(counts(2)["completed"], 2);
    assert_eq!(counts(2)["total"], 2);
    assert_eq!(list[1]["status"], "FAILED");
    assert_eq!(counts(1)["completed"], 1, "join_words");
    assert_eq!(counts(1)["failed"], 1, "refuse");
    assert_eq!(counts(1)["upstream_failed"], 1, "excitement");
    assert_eq!(counts(1)["total"], 3);
    // count_words, the sub-lattice node, and what it built: 3 squares and their total.
    assert_eq!(list[0]["status"], "COMPLETED");
    assert_eq!(counts(0)["completed"], 6);
    assert_eq!(counts(0)["total"], 6);
    for d in list {
        assert_eq!(
            counts_sum(&d["counts"]),
            d["counts"]["total"].as_u64().unwrap()
        );
        assert!(d["created"].as_str().unwrap().ends_with('Z'), "{d}");
        assert!(
            d["ended"].is_string() && d["duration_ms"].is_number(),
            "{d}"
        );
    }

    let limited = s.json(&["list", "--limit", "1"]);
    assert_eq!(limited["dispatches"].as_array().unwrap().len(), 1);
    assert_eq!(limited["dispatches"][0]["id"], sub.as_str());

    let text = s.ok(&["list"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID "), "a header: {text}");
    for h in [
        "LATTICE",
        "STATUS",
        "DONE",
        "FAILED",
        "RUNNING",
        "TOTAL",
        "CREATED (UTC)",
        "DURATION",
    ] {
        assert!(lines[0].contains(h), "{h} in {text}");
    }
    assert!(
        lines[1].starts_with(&sub) && lines[3].starts_with(&ok),
        "{text}"
    );
    let failed_row: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        &failed_row[..7],
        [
            failed.as_str(),
            "cli::failing_workflow",
            "FAILED",
            "1",
            "2",
            "0",
            "3"
        ]
    );
}

fn counts_sum(c: &Value) -> u64 {
    [
        "new",
        "running",
        "completed",
        "failed",
        "upstream_failed",
        "cancelled",
    ]
    .iter()
    .map(|k| c[k].as_u64().unwrap())
    .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_output_logs_and_graph_read_real_dispatches() {
    let s = Store::new();
    let (ok, failed, sub) = three_dispatches(&s).await;

    // show --json: the dispatch and every node, errors in full.
    let d = s.json(&["show", &failed]);
    assert_eq!(d["id"], failed.as_str());
    assert_eq!(d["lattice"], "cli::failing_workflow");
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["inputs"], serde_json::json!({"a": "Hello", "b": "World"}));
    assert!(d["error"].as_str().unwrap().contains(REFUSAL), "{d}");
    assert!(
        d["program"].as_str().unwrap().contains("cli-"),
        "the test binary: {d}"
    );
    let refuse = node(&d, "refuse");
    assert_eq!(refuse["status"], "FAILED");
    assert_eq!(refuse["executor"], "local");
    assert_eq!(refuse["attempts"], 1);
    assert_eq!(refuse["error"], format!("{REFUSAL} (Hello, World)"));
    assert_eq!(
        refuse["deps"],
        serde_json::json!([{"from": 0, "param": "a"}])
    );
    assert_eq!(node(&d, "excitement")["status"], "UPSTREAM_FAILED");
    assert_eq!(node(&d, "join_words")["output"], "Hello, World");

    // show: readable, the error shortened in the table.
    let text = s.ok(&["show", &failed]);
    assert!(text.contains("status") && text.contains("FAILED"), "{text}");
    assert!(
        text.contains(r#"{"a":"Hello","b":"World"}"#),
        "inputs: {text}"
    );
    let header = text
        .lines()
        .find(|l| l.starts_with("NODE"))
        .unwrap_or_else(|| panic!("{text}"));
    for h in [
        "NAME",
        "STATUS",
        "EXECUTOR",
        "ATTEMPTS",
        "STARTED (UTC)",
        "DURATION",
        "ERROR",
    ] {
        assert!(header.contains(h), "{h}: {header}");
    }
    let row = text.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(
        row.contains("refuse") && row.contains("FAILED") && row.contains('…'),
        "{row}"
    );
    assert!(
        !row.contains("walls are thin, so keep it down"),
        "shortened: {row}"
    );

    // The sub-lattice's nodes name their parent.
    let d = s.json(&["show", &sub]);
    let sub_node = node(&d, "squares_below");
    assert_eq!(sub_node["kind"], "sublattice");
    assert_eq!(node(&d, "total")["parent"], sub_node["id"]);
    assert!(s
        .ok(&["show", &sub])
        .lines()
        .any(|l| l.starts_with("NODE") && l.contains("PARENT")));

    // output: the dispatch's, or a node's (by name or id), as JSON.
    assert_eq!(s.ok(&["output", &ok]).trim(), "\"Hello, World!\"");
    assert_eq!(s.ok(&["output", &sub]).trim(), "5");
    assert_eq!(
        s.ok(&["output", &ok, "join_words"]).trim(),
        "\"Hello, World\""
    );
    assert_eq!(s.ok(&["output", &ok, "0"]).trim(), "\"Hello, World\"");
    let doc = s.json(&["output", &sub, "count_words"]);
    assert_eq!(
        doc,
        serde_json::json!({"id": sub, "node": 0, "status": "COMPLETED", "output": 3})
    );
    let e = s.err(&["output", &failed]);
    assert!(
        e.contains(&format!("dispatch {failed} ended FAILED without an output"))
            && e.contains(REFUSAL),
        "{e}"
    );
    let e = s.err(&["output", &failed, "excitement"]);
    assert!(e.contains("has no output: it ended UPSTREAM_FAILED"), "{e}");
    let e = s.err(&["output", &sub, "square"]);
    assert!(
        e.contains("3 nodes named `square`") && e.contains("give the node id"),
        "{e}"
    );
    let e = s.err(&["output", &ok, "nope"]);
    assert!(
        e.contains("no node named `nope`") && e.contains("excitement, join_words"),
        "{e}"
    );
    let e = s.err(&["output", &ok, "7"]);
    assert!(e.contains(&format!("dispatch {ok} has no node 7")), "{e}");

    // logs: the local executor captures nothing, and says so.
    let text = s.ok(&["logs", &ok]);
    assert!(
        text.contains("==> node 0 join_words (COMPLETED, executor local) <=="),
        "{text}"
    );
    assert!(text.contains("==> node 1 excitement"), "{text}");
    assert!(
        text.contains("nothing captured: the local executor"),
        "{text}"
    );
    let text = s.ok(&["logs", &ok, "excitement"]);
    assert!(!text.contains("join_words"), "one node only: {text}");
    let doc = s.json(&["logs", &sub]);
    let nodes = doc["nodes"].as_array().unwrap();
    assert_eq!(
        nodes.len(),
        5,
        "electrons only, not the sub-lattice node: {doc}"
    );
    assert!(nodes
        .iter()
        .all(|n| n["stdout"].is_null() && n["stderr"].is_null()));

    // graph: Mermaid by default, DOT on request, with statuses and the sub-lattice's box.
    let m = s.ok(&["graph", &failed]);
    assert!(m.starts_with("flowchart TD\n"), "{m}");
    assert!(m.contains(r#"n1("refuse<br/>[local]<br/>FAILED")"#), "{m}");
    assert!(
        m.contains("n2(\"excitement<br/>[local]<br/>UPSTREAM_FAILED\")"),
        "{m}"
    );
    assert!(
        m.contains("n0 -->|a| n1") && m.contains("n1 -->|a| n2"),
        "{m}"
    );
    let dot = s.ok(&["graph", &sub, "--format", "dot"]);
    assert!(
        dot.starts_with("digraph \"cli::squares_of_word_count\" {"),
        "{dot}"
    );
    assert!(
        dot.contains("subgraph cluster_n1 {"),
        "the sub-lattice's box: {dot}"
    );
    assert!(dot.contains("n0 -> n1 [label=\"n\"];"), "{dot}");
    assert!(dot.contains("COMPLETED"), "{dot}");
    assert_eq!(dot.matches('{').count(), dot.matches('}').count(), "{dot}");
    let g = s.json(&["graph", &sub, "--format", "mermaid"]);
    assert_eq!(g["format"], "mermaid");
    assert!(g["text"].as_str().unwrap().contains("subgraph s1"), "{g}");
    assert_eq!(g["nodes"].as_array().unwrap().len(), 6);
    // total takes the three squares.
    let into_total = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["param"] == "xs")
        .count();
    assert_eq!(into_total, 3, "{g}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_id_is_an_error_naming_the_id_and_the_store() {
    let s = Store::new();
    three_dispatches(&s).await;
    let db = s.db().display().to_string();
    for cmd in ["show", "logs", "output", "graph", "cancel", "resume"] {
        let e = s.err(&[cmd, "no-such-dispatch"]);
        assert!(
            e.contains("no dispatch `no-such-dispatch`") && e.contains(&db),
            "{cmd}: {e}"
        );
        assert!(
            e.contains("orbital list"),
            "{cmd} says how to find ids: {e}"
        );
    }
    // A store that does not exist is not created by looking at it.
    let missing = s.dir.path().join("missing.db");
    let out = orbital_cmd(s.dir.path())
        .args(["show", "x", "--db"])
        .arg(&missing)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        e.contains("does not exist") && e.contains("missing.db"),
        "{e}"
    );
    let out = orbital_cmd(s.dir.path())
        .args(["list", "--db"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no dispatches"));
    assert!(!missing.exists(), "listing does not create a store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_is_found_like_the_library_finds_it() {
    let s = Store::new();
    // ORBITAL_DATA_DIR/orbital.db, no --db.
    let data = s.dir.path().join("data");
    let rt = orbital::Runtime::builder()
        .store_path(data.join("orbital.db"))
        .config(orbital::Config::default())
        .build()
        .unwrap();
    let ok = rt
        .dispatch(simple_workflow::build("Hello".into(), "World".into()))
        .await
        .unwrap();
    let ok = ok.wait().await.unwrap().id().to_owned();
    let out = orbital_cmd(s.dir.path())
        .env("ORBITAL_DATA_DIR", &data)
        .args(["show", &ok, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["output"], "Hello, World!");
    // ORBITAL_DB wins over ORBITAL_DATA_DIR.
    let out = orbital_cmd(s.dir.path())
        .env("ORBITAL_DATA_DIR", s.dir.path().join("elsewhere"))
        .env("ORBITAL_DB", s.db())
        .args(["config", "--json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["store"]["path"], s.db().display().to_string());
    assert_eq!(doc["store"]["source"], "ORBITAL_DB");
    assert_eq!(doc["store"]["exists"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_shows_the_file_the_store_and_the_executors() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).unwrap();

    // No file: defaults, and where the file would be.
    let out = orbital_cmd(dir.path()).arg("config").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains(&format!(
            "none: {} does not exist",
            config_dir.join("orbital.toml").display()
        )),
        "{text}"
    );
    assert!(
        text.contains("local") && text.contains("(defaults)"),
        "{text}"
    );

    let db = dir.path().join("from-config.db");
    std::fs::write(
        config_dir.join("orbital.toml"),
        format!(
            "[store]\npath = \"{}\"\n[dispatcher]\nretry_delay = \"250ms\"\n[executors.fast]\ntype = \"local\"\nmax_concurrency = 4\n",
            db.display()
        ),
    )
    .unwrap();
    let out = orbital_cmd(dir.path())
        .args(["config", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["config_file"],
        config_dir.join("orbital.toml").display().to_string()
    );
    assert_eq!(doc["config_file_exists"], true);
    assert_eq!(doc["store"]["path"], db.display().to_string());
    assert_eq!(
        doc["store"]["source"],
        "[store] path in the configuration file"
    );
    assert_eq!(doc["store"]["exists"], false);
    assert_eq!(doc["dispatcher"]["retry_delay_ms"], 250);
    let names: Vec<&str> = doc["executors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["local", "fast"]);
    assert_eq!(doc["executors"][1]["type"], "local");
    assert_eq!(doc["executors"][1]["settings"]["max_concurrency"], 4);
    let text = String::from_utf8(
        orbital_cmd(dir.path())
            .arg("config")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        text.contains("fast") && text.contains("max_concurrency = 4"),
        "{text}"
    );

    // A broken file is an error naming the file, line and key.
    std::fs::write(config_dir.join("orbital.toml"), "[store]\npath = 3\n").unwrap();
    let out = orbital_cmd(dir.path()).arg("list").output().unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        e.contains("orbital.toml:2:") && e.contains("store.path"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_from_another_process_cancels_a_running_dispatch() {
    let s = Store::new();
    let dispatch = s.rt.dispatch(slow_workflow::build(7)).await.unwrap();
    let id = dispatch.id().to_owned();
    // The CLI finds the dispatch (and its driver) once the store has it.
    s.rt.store().flush().await.unwrap();
    let mut progress = dispatch.watch();
    within(
        30,
        "the slow electron to start",
        progress.wait_for(|p| p.running == 1),
    )
    .await
    .unwrap();
    let db = s.db();
    let dir = s.dir.path().to_owned();
    let cancel_id = id.clone();
    let out = within(
        60,
        "orbital cancel",
        tokio::task::spawn_blocking(move || {
            orbital_cmd(&dir)
                .args(["cancel", &cancel_id, "--json", "--db"])
                .arg(db)
                .output()
                .unwrap()
        }),
    )
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["outcome"], "requested", "{doc}");
    // The driver (this process) is alive; `driver_alive` is only given for an unfinished
    // dispatch, and under load the cancel may already have ended it (then it must be CANCELLED).
    let shown = s.json(&["show", &id]);
    if shown["status"] == "CANCELLED" {
        assert!(shown["driver_alive"].is_null(), "{shown}");
    } else {
        assert_eq!(shown["driver_alive"], true, "{shown}");
    }
    assert_eq!(doc["driver_pid"], std::process::id());

    let result = within(30, "the cancelled dispatch", dispatch.wait())
        .await
        .unwrap();
    assert_eq!(result.status(), DispatchStatus::Cancelled);
    assert_eq!(result.nodes()[0].status(), NodeStatus::Cancelled);
    let d = s.json(&["show", &id]);
    assert_eq!(d["status"], "CANCELLED");
    // Cancelling again changes nothing, and says so.
    let text = s.ok(&["cancel", &id]);
    assert!(text.contains("had already ended (CANCELLED)"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_finished_dispatches_and_keeps_running_ones() {
    let s = Store::new();
    let (ok, failed, sub) = three_dispatches(&s).await;
    let running = s.rt.dispatch(slow_workflow::build(1)).await.unwrap();
    s.rt.store().flush().await.unwrap();

    // No terminal and no --yes: refused, nothing deleted.
    let e = s.err(&["purge"]);
    assert!(
        e.contains("refusing to purge") && e.contains("--yes"),
        "{e}"
    );
    assert_eq!(s.json(&["list"])["dispatches"].as_array().unwrap().len(), 4);

    // Nothing ended a day ago.
    let doc = s.json(&["purge", "--older-than", "1d", "--yes"]);
    assert_eq!(doc["purged"], 0);

    let doc = s.json(&["purge", "--yes"]);
    assert_eq!(doc, serde_json::json!({"purged": 3, "which": "finished"}));
    let left = s.json(&["list"]);
    let left = left["dispatches"].as_array().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], running.id());
    assert!(
        matches!(left[0]["status"].as_str(), Some("NEW" | "RUNNING")),
        "{left:?}"
    );
    for gone in [&ok, &failed, &sub] {
        assert!(s.err(&["show", gone]).contains("no dispatch"));
    }
    let text = s.ok(&["purge", "--yes"]);
    assert!(text.starts_with("nothing to purge"), "{text}");

    running.cancel();
    let result = within(30, "the cancelled dispatch", running.wait())
        .await
        .unwrap();
    assert_eq!(result.status(), DispatchStatus::Cancelled);
}

// Resuming: the program that dispatched is gone. A copy of this test binary dispatches the
// slow workflow and is killed; then the copy is deleted.

const CHILD_STORE_ENV: &str = "ORBITAL_CLI_TEST_CHILD_STORE";

/// Run by [`resume_names_the_missing_program_and_cancel_marks_a_dead_driver`] in a copy of
/// this test binary; without its environment variable (a plain `cargo test`), it does nothing.
#[test]
fn child_dispatches_and_waits() {
    let Some(store) = std::env::var_os(CHILD_STORE_ENV) else {
        return;
    };
    let tokio = tokio::runtime::Runtime::new().unwrap();
    tokio.block_on(async {
        let rt = orbital::Runtime::builder()
            .store_path(store)
            .config(orbital::Config::default())
            .build()
            .unwrap();
        let dispatch = rt.dispatch(slow_workflow::build(3)).await.unwrap();
        rt.store().flush().await.unwrap();
        println!("\nCHILD_DISPATCH {}", dispatch.id());
        // Killed long before this ends.
        let _ = dispatch.wait().await;
    });
}

fn spawn_retrying(cmd: &mut Command) -> std::process::Child {
    // A freshly written executable can be briefly busy (ETXTBSY) while another test forks.
    for _ in 0..50 {
        match cmd.spawn() {
            Ok(c) => return c,
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(e) => panic!("cannot start the child: {e}"),
        }
    }
    panic!("the copied test binary stayed busy");
}

#[test]
fn resume_names_the_missing_program_and_cancel_marks_a_dead_driver() {
    let s = Store::new();
    let program = s.dir.path().join("dispatching-program");
    std::fs::copy(std::env::current_exe().unwrap(), &program).unwrap();
    let mut child = spawn_retrying(
        Command::new(&program)
            .args([
                "child_dispatches_and_waits",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_STORE_ENV, s.db())
            .env("ORBITAL_PROGRESS", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(id) = line.strip_prefix("CHILD_DISPATCH ") {
                let _ = tx.send(id.to_owned());
            }
        }
    });
    let id = rx.recv_timeout(Duration::from_secs(60));
    child.kill().unwrap();
    child.wait().unwrap();
    let id = id.expect("the child dispatched (hang guard: 60s)");

    // `orbital resume` runs the program as `<program> --orbital-resume <id>`, on the same
    // store, and exits with its code. (A script stands in for a rebuilt program here.)
    let script = s.dir.path().join("script");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"resumed with: $*; store: $ORBITAL_DB\"\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::rename(&script, &program).unwrap();
    let mut out = s.run(&["resume", &id]);
    for _ in 0..50 {
        // A freshly written executable can be briefly busy while another test forks.
        if !String::from_utf8_lossy(&out.stderr).contains("Text file busy") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        out = s.run(&["resume", &id]);
    }
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!(
            "resumed with: --orbital-resume {id}; store: {}",
            s.db().display()
        )
    );

    std::fs::remove_file(&program).unwrap();

    let d = s.json(&["show", &id]);
    assert!(
        matches!(d["status"].as_str(), Some("NEW" | "RUNNING")),
        "{d}"
    );
    assert_eq!(d["program"], program.display().to_string());
    assert_eq!(d["driver_alive"], false, "{d}");
    let text = s.ok(&["show", &id]);
    assert!(
        text.contains(&format!(
            "stopped before the dispatch ended: `orbital resume {id}`"
        )),
        "{text}"
    );

    let e = s.err(&["resume", &id]);
    assert!(
        e.contains(&program.display().to_string()) && e.contains("does not exist"),
        "{e}"
    );
    assert!(
        e.contains(&format!("--orbital-resume {id}")),
        "says what to run instead: {e}"
    );

    // Its driver is dead: cancel marks it cancelled in the store.
    let text = s.ok(&["cancel", &id]);
    assert!(
        text.contains("has stopped; marked dispatch") && text.contains("cancelled"),
        "{text}"
    );
    let d = s.json(&["show", &id]);
    assert_eq!(d["status"], "CANCELLED");
    assert_eq!(d["nodes"][0]["status"], "CANCELLED");
    let e = s.err(&["resume", &id]);
    assert!(e.contains("already ended (CANCELLED)"), "{e}");
}

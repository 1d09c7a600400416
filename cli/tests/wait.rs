//! `orbital wait` and `Runtime::wait`: waiting for a dispatch that another process runs, on
//! real processes (the CLI binary; a driver killed with SIGKILL).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use orbital::prelude::*;

/// Set in the child test process that dispatches and is then killed: the store.
const CHILD_STORE_ENV: &str = "ORBITAL_WAIT_TEST_CHILD_STORE";

#[electron]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[electron]
fn refuse(why: String) -> Result<u64, String> {
    Err(why)
}

#[lattice]
fn napping(ms: u64) -> u64 {
    nap(ms)
}

#[lattice]
fn refusing(why: String) -> u64 {
    refuse(why)
}

fn runtime(db: &Path) -> orbital::Runtime {
    orbital::Runtime::builder()
        .store_path(db)
        .config(orbital::Config::default())
        .build()
        .unwrap()
}

/// `orbital --db <db> args...`, away from the user's configuration and store.
fn orbital(dir: &Path, db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orbital"))
        .env_remove("ORBITAL_DB")
        .env_remove("ORBITAL_DATA_DIR")
        .env("ORBITAL_CONFIG_DIR", dir.join("config"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("the orbital binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `orbital` in a blocking task, with a hang guard.
async fn orbital_async(dir: &Path, db: &Path, args: &[&str]) -> Output {
    let (dir, db) = (dir.to_owned(), db.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let run = tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        orbital(&dir, &db, &a)
    });
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("orbital wait did not return within 60 s (hang guard)")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_returns_when_the_dispatch_of_another_process_ends() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("o.db");
    let rt = runtime(&db);
    let dispatch = rt.dispatch(napping::build(800)).await.unwrap();
    rt.store().flush().await.unwrap();
    let id = dispatch.id().to_owned();
    // The CLI (another process) and a second runtime on the same file (another connection).
    let other = runtime(&db);
    let args = ["wait", id.as_str()];
    let (out, seen) = tokio::join!(
        orbital_async(dir.path(), &db, &args),
        other.wait(&id, Some(Duration::from_secs(60)))
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "800");
    let seen = seen.unwrap();
    assert_eq!(seen.status(), DispatchStatus::Completed);
    assert_eq!(seen.output_as::<u64>().unwrap(), 800);
    // Once it has ended, waiting returns at once.
    let again = orbital_async(dir.path(), &db, &["wait", &id, "--json"]).await;
    let doc: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(doc["status"], "COMPLETED");
    assert_eq!(doc["output"], 800);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_dispatch_exits_1_and_a_timeout_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("o.db");
    let rt = runtime(&db);
    let failed = rt.dispatch(refusing::build("no".into())).await.unwrap();
    let failed_id = failed.id().to_owned();
    failed.wait().await.unwrap();
    rt.store().flush().await.unwrap();
    let out = orbital_async(dir.path(), &db, &["wait", &failed_id]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("ended FAILED"),
        "{}",
        text(&out.stderr)
    );

    let slow = rt.dispatch(napping::build(60_000)).await.unwrap();
    rt.store().flush().await.unwrap();
    let t0 = Instant::now();
    let out = orbital_async(dir.path(), &db, &["wait", slow.id(), "--timeout", "300ms"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert!(
        e.contains("did not end within 300ms") && e.contains("orbital show"),
        "{e}"
    );
    assert!(t0.elapsed() < Duration::from_secs(30), "hang guard");
    slow.cancel();
    assert_eq!(
        slow.wait().await.unwrap().status(),
        DispatchStatus::Cancelled
    );
}

#[tokio::test]
async fn waiting_for_an_unknown_id_is_an_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("o.db");
    let rt = runtime(&db);
    rt.dispatch(napping::build(1))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    rt.store().flush().await.unwrap();
    let out = orbital_async(dir.path(), &db, &["wait", "no-such-id"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no dispatch `no-such-id`"),
        "{}",
        text(&out.stderr)
    );
    let e = rt.wait("no-such-id", None).await.unwrap_err();
    assert!(matches!(e, orbital::Error::UnknownDispatch { .. }), "{e}");
}

/// The child half of the next test: dispatches a long nap, prints its id, and is killed.
#[test]
fn child_dispatches_and_is_killed() {
    let Some(store) = std::env::var_os(CHILD_STORE_ENV) else {
        return;
    };
    let tokio = tokio::runtime::Runtime::new().unwrap();
    tokio.block_on(async {
        let rt = runtime(&PathBuf::from(store));
        let dispatch = rt.dispatch(napping::build(120_000)).await.unwrap();
        // Report the id once the store says RUNNING: a dispatch killed before its first
        // step is still NEW, and the parent checks the RUNNING case.
        for _ in 0..600 {
            rt.store().flush().await.unwrap();
            if rt.get_result(dispatch.id()).unwrap().status() == DispatchStatus::Running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        println!("\nCHILD_DISPATCH {}", dispatch.id());
        let _ = dispatch.wait().await;
    });
}

#[test]
fn waiting_for_a_dispatch_whose_driver_was_killed_says_how_to_continue_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    let db = dir.path().join("o.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_dispatches_and_is_killed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_STORE_ENV, &db)
        .env("ORBITAL_PROGRESS", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let id = id.expect("the child dispatched (hang guard: 60 s)");
    let out = orbital(dir.path(), &db, &["wait", &id]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert!(
        e.contains("is gone") && e.contains(&format!("orbital resume {id}")),
        "{e}"
    );
    // `orbital list` says so, instead of RUNNING for ever.
    let listed = orbital(dir.path(), &db, &["list"]);
    let table = text(&listed.stdout);
    assert!(table.contains("RUNNING (driver gone)"), "{table}");
    let json = orbital(dir.path(), &db, &["list", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let d = &doc["dispatches"][0];
    assert_eq!(
        (d["id"].as_str(), &d["driver_alive"]),
        (Some(id.as_str()), &serde_json::Value::Bool(false))
    );
}

//! Resume after a real `kill -9` of a real driver process.
//!
//! This test binary is also the program under test (`harness = false`): its `main` calls
//! `orbital::init()` first, like any orbital program, so it can be started as a driver
//! (`--driver DB MARKERS`), resumed with `--orbital-resume ID` (what `orbital resume` runs), or
//! run the tests (no arguments).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use orbital::prelude::*;
use serde::{Deserialize, Serialize};

/// One step: leaves a marker naming the process that ran it, then takes a while.
#[electron]
fn step(i: u64, markers: String) -> u64 {
    let path = Path::new(&markers).join(format!("step-{i}-pid-{}", std::process::id()));
    std::fs::write(path, b"ran").expect("marker");
    std::thread::sleep(Duration::from_millis(150));
    i * 10
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

/// Eight steps, then their sum.
#[lattice]
fn steps(markers: String) -> u64 {
    let parts: Vec<Node<u64>> = (0..8).map(|i| step(i, markers.clone())).collect();
    total(parts)
}

/// The same steps gathered in composite shapes: a map of nodes into an electron, and a tuple
/// and a struct of nodes as the output.
#[derive(Debug, PartialEq, Serialize, Deserialize, orbital::Nodes)]
struct Tally {
    total: u64,
    largest: u64,
}

#[electron]
fn largest(by_step: BTreeMap<u64, u64>) -> u64 {
    by_step.values().copied().max().unwrap_or(0)
}

#[lattice]
fn shaped_steps(markers: String) -> (u64, Tally) {
    let parts: BTreeMap<u64, Node<u64>> = (0..8).map(|i| (i, step(i, markers.clone()))).collect();
    let t = total(parts.values().copied().collect::<Vec<_>>());
    (t, Tally::nodes(t, largest(parts)))
}

const ONE_AT_A_TIME: &str = "[executors.local]\nmax_concurrency = 1\n";

fn runtime(db: &Path) -> orbital::Result<orbital::Runtime> {
    orbital::Runtime::builder()
        .store_path(db)
        .config(orbital::Config::parse(
            ONE_AT_A_TIME,
            Path::new("resume-test.toml"),
        )?)
        .build()
}

/// `--driver DB MARKERS [shaped]`: dispatch `steps` (or `shaped_steps`), print the id, wait
/// (until killed).
fn driver(db: &str, markers: &str, shaped: bool) -> orbital::Result<()> {
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    rt.block_on(async {
        let runtime = runtime(Path::new(db))?;
        let markers = markers.to_owned();
        if shaped {
            let dispatch = runtime.dispatch(shaped_steps::build(markers)).await?;
            println!("{}", dispatch.id());
            dispatch.wait().await?;
        } else {
            let dispatch = runtime.dispatch(steps::build(markers)).await?;
            println!("{}", dispatch.id());
            dispatch.wait().await?;
        }
        Ok(())
    })
}

fn markers_of(dir: &Path, step: u64) -> Vec<String> {
    let prefix = format!("step-{step}-pid-");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("markers dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    v.sort();
    v
}

/// Starts a driver, waits until `completed` steps are stored as completed, kills it with SIGKILL.
fn start_and_kill(db: &Path, markers: &Path, completed: usize) -> (String, u32) {
    start_and_kill_lattice(db, markers, completed, false)
}

/// [`start_and_kill`], of `shaped_steps` when `shaped`.
fn start_and_kill_lattice(
    db: &Path,
    markers: &Path,
    completed: usize,
    shaped: bool,
) -> (String, u32) {
    let mut command = Command::new(std::env::current_exe().expect("exe"));
    command.arg("--driver").arg(db).arg(markers);
    if shaped {
        command.arg("shaped");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("driver process");
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("dispatch id");
    let id = line.trim().to_owned();
    assert!(!id.is_empty(), "the driver printed its dispatch id");
    let reader = runtime(db).expect("reader runtime");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // The dispatch reaches the store a moment after the driver prints its id.
        let done = reader.get_result(&id).map_or(0, |r| {
            r.nodes()
                .iter()
                .filter(|n| n.status() == NodeStatus::Completed)
                .count()
        });
        if done >= completed {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the driver completed only {done} steps in 60 s (hang guard)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL the driver");
    child.wait().expect("reap the driver");
    (id, pid)
}

fn check_resumed(db: &Path, markers: &Path, id: &str, killed_pid: u32, resumer_pid: Option<u32>) {
    let r = runtime(db).unwrap().get_result(id).unwrap();
    assert_eq!(r.status(), DispatchStatus::Completed, "{:?}", r.error());
    let sum = (0..8).map(|i| i * 10).sum::<u64>();
    if r.lattice().ends_with("shaped_steps") {
        let tally = Tally {
            total: sum,
            largest: 70,
        };
        assert_eq!(r.output_as::<(u64, Tally)>().unwrap(), (sum, tally));
    } else {
        assert_eq!(r.output_as::<u64>().unwrap(), sum);
    }
    let mut reused = 0;
    for i in 0..8u64 {
        let m = markers_of(markers, i);
        let by_killed = m
            .iter()
            .filter(|n| n.ends_with(&format!("-pid-{killed_pid}")))
            .count();
        let others = m.len() - by_killed;
        if by_killed == 1 && others == 0 {
            reused += 1; // completed before the kill, not run again
        } else {
            // Not completed before the kill: run (again) by the resumer, exactly once.
            assert_eq!(others, 1, "step {i} ran once after the resume: {m:?}");
            if let Some(pid) = resumer_pid {
                assert!(
                    m.iter().any(|n| n.ends_with(&format!("-pid-{pid}"))),
                    "step {i}: {m:?}"
                );
            }
        }
    }
    assert!(
        reused >= 3,
        "at least the 3 steps completed before the kill were reused, got {reused}"
    );
    assert!(reused < 8, "some steps were left for the resume");
}

fn resume_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let (db, markers) = (dir.path().join("o.db"), dir.path().join("markers"));
    std::fs::create_dir_all(&markers).unwrap();
    let (id, killed) = start_and_kill(&db, &markers, 3);
    let stored = runtime(&db).unwrap().get_result(&id).unwrap();
    assert_eq!(
        stored.status(),
        DispatchStatus::Running,
        "a killed driver leaves its dispatch RUNNING"
    );

    resume_to_completion(&db, &id);
    check_resumed(&db, &markers, &id, killed, Some(std::process::id()));
}

/// Resumes dispatch `id` of the store `db` in this process and waits until it completes.
fn resume_to_completion(db: &Path, id: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let runtime = runtime(db).unwrap();
        let resumed = runtime.resume(id).await.expect("resume");
        let result = tokio::time::timeout(Duration::from_secs(60), resumed.wait())
            .await
            .expect("hang guard")
            .expect("resumed dispatch");
        assert_eq!(result.status(), DispatchStatus::Completed);
        runtime.shutdown().await.unwrap();
    });
}

/// A lattice whose output is a tuple with a struct of nodes in it, and whose electron takes a
/// map of nodes, resumes like any other.
fn resume_composite_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let (db, markers) = (dir.path().join("o.db"), dir.path().join("markers"));
    std::fs::create_dir_all(&markers).unwrap();
    let (id, killed) = start_and_kill_lattice(&db, &markers, 3, true);
    resume_to_completion(&db, &id);
    check_resumed(&db, &markers, &id, killed, Some(std::process::id()));
    let r = runtime(&db).unwrap().get_result(&id).unwrap();
    assert_eq!(
        r.output_json(),
        Some(serde_json::json!([280, {"total": 280, "largest": 70}]))
    );
}

fn resume_through_the_program_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (db, markers) = (dir.path().join("o.db"), dir.path().join("markers"));
    std::fs::create_dir_all(&markers).unwrap();
    let (id, killed) = start_and_kill(&db, &markers, 4);
    // What `orbital resume <id>` runs: the program, in resume mode.
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--orbital-resume")
        .arg(&id)
        .env("ORBITAL_DB", &db)
        .env("ORBITAL_CONFIG_DIR", dir.path())
        .output()
        .expect("resume process");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "resume mode failed: {stderr}");
    assert!(
        stderr.contains(&format!("dispatch {id} COMPLETED")),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "280",
        "the output, as JSON"
    );
    check_resumed(&db, &markers, &id, killed, None);
}

fn resume_refuses_an_ended_dispatch_and_an_unknown_id() {
    let dir = tempfile::tempdir().unwrap();
    let markers = dir.path().join("markers");
    std::fs::create_dir_all(&markers).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let runtime = runtime(&dir.path().join("o.db")).unwrap();
        let done = runtime
            .dispatch(steps::build(markers.display().to_string()))
            .await
            .unwrap()
            .wait()
            .await
            .unwrap();
        let err = runtime.resume(done.id()).await.unwrap_err();
        assert!(
            err.to_string().contains("already ended (COMPLETED)"),
            "{err}"
        );
        let err = runtime.resume("no-such-dispatch").await.unwrap_err();
        assert!(
            matches!(err, orbital::Error::UnknownDispatch { .. }),
            "{err}"
        );
    });
}

fn main() {
    if let Err(e) = orbital::init() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--driver") {
        let shaped = args.get(4).map(String::as_str) == Some("shaped");
        if let Err(e) = driver(&args[2], &args[3], shaped) {
            eprintln!("driver: {e}");
            std::process::exit(1);
        }
        return;
    }
    let filter: Option<&String> = args.iter().skip(1).find(|a| !a.starts_with('-'));
    let tests: [(&str, fn()); 4] = [
        ("resume_through_the_api", resume_through_the_api),
        ("resume_composite_shapes", resume_composite_shapes),
        (
            "resume_through_the_program_mode",
            resume_through_the_program_mode,
        ),
        (
            "resume_refuses_an_ended_dispatch_and_an_unknown_id",
            resume_refuses_an_ended_dispatch_and_an_unknown_id,
        ),
    ];
    let mut failed = 0;
    for (name, f) in tests {
        if filter.is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let ok = std::panic::catch_unwind(f).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        failed += usize::from(!ok);
    }
    if failed > 0 {
        println!("test result: FAILED. {failed} failed");
        std::process::exit(101);
    }
    println!("test result: ok.");
}

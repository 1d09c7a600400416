//! Detached dispatches, on real processes and real kills: a dispatch that outlives the process
//! that made it, its driver killed with SIGKILL and resumed, `--orbital-detach` through the
//! program's `main`, and a data dir that cannot take the driver's log.
//!
//! This test binary is also the program under test (`harness = false`): its `main` calls
//! `orbital::init()` first, so it is the detached driver too (`--orbital-resume ID`), and with
//! `ORBITAL_DETACH_TEST_ROLE` set it is the launcher that submits and exits.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use orbital::prelude::*;
use support::{markers, text, Cli};

const ROLE_ENV: &str = "ORBITAL_DETACH_TEST_ROLE";
const STEPS_ENV: &str = "ORBITAL_DETACH_TEST_STEPS";
const MARKS_ENV: &str = "ORBITAL_DETACH_TEST_MARKS";
const ONE_AT_A_TIME: &str = "[executors.local]\nmax_concurrency = 1\n";

/// One step: leaves a marker naming the process that ran it, then takes a while.
#[electron]
fn step(i: u64) -> u64 {
    if let Some(dir) = std::env::var_os(MARKS_ENV) {
        let file = format!("step-{i}-pid-{}", std::process::id());
        std::fs::write(Path::new(&dir).join(file), b"ran").expect("marker");
    }
    std::thread::sleep(Duration::from_millis(150));
    i * 10
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice]
fn steps(n: u64) -> u64 {
    let parts: Vec<Node<u64>> = (0..n).map(step).collect();
    total(parts)
}

#[lattice]
fn other(n: u64) -> u64 {
    step(n)
}

fn runtime(db: &Path) -> orbital::Runtime {
    orbital::Runtime::builder()
        .store_path(db)
        .config(orbital::Config::parse(ONE_AT_A_TIME, Path::new("detach-test.toml")).unwrap())
        .build()
        .unwrap()
}

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// A store, a configuration directory and a markers directory of one test.
struct Place {
    _dir: tempfile::TempDir,
    cli: Cli,
    marks: PathBuf,
}

fn place() -> Place {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    let marks = dir.path().join("marks");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::create_dir_all(&marks).unwrap();
    std::fs::write(config_dir.join("orbital.toml"), ONE_AT_A_TIME).unwrap();
    let cli = Cli {
        db: dir.path().join("data").join("orbital.db"),
        config_dir,
    };
    std::fs::create_dir_all(cli.db.parent().unwrap()).unwrap();
    Place {
        _dir: dir,
        cli,
        marks,
    }
}

/// The launcher's half (role `submit`): submits `steps(N)`, prints the id, and exits.
fn launcher(role: &str) -> ExitCode {
    let n: u64 = std::env::var(STEPS_ENV).unwrap().parse().unwrap();
    let out = tokio().block_on(async {
        match role {
            "submit" => {
                let db = std::env::var_os("ORBITAL_DETACH_TEST_DB").unwrap();
                runtime(Path::new(&db)).submit(steps::build(n)).await
            }
            // Started as `--orbital-detach`: `dispatch` hands it over, prints and exits.
            _ => steps::dispatch(n).await.map(|d| d.id().to_owned()),
        }
    });
    match out {
        Ok(id) => {
            println!("{id}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("launcher: {e}");
            ExitCode::from(3)
        }
    }
}

/// Runs this program as a launcher of `steps(n)`; returns the id and how long it took.
fn launch(p: &Place, n: u64) -> (String, Duration) {
    let t0 = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .env(ROLE_ENV, "submit")
        .env(STEPS_ENV, n.to_string())
        .env(MARKS_ENV, &p.marks)
        .env("ORBITAL_DETACH_TEST_DB", &p.cli.db)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let took = t0.elapsed();
    assert!(
        out.status.success(),
        "the launcher failed: {}",
        text(&out.stderr)
    );
    (text(&out.stdout).trim().to_owned(), took)
}

fn listed(p: &Place, id: &str) -> serde_json::Value {
    let doc = p.cli.json(&["list"]);
    doc["dispatches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not listed: {doc}"))
}

fn a_detached_dispatch_outlives_its_launcher() -> Result<(), Failed> {
    let p = place();
    let (id, took) = launch(&p, 6);
    // The launcher has exited: another process drives the dispatch.
    let d = listed(&p, &id);
    let driver = d["driver_pid"].as_u64().expect("a driver pid") as u32;
    assert_ne!(driver, std::process::id());
    assert!(
        d["status"] == "COMPLETED" || d["driver_alive"] == true,
        "a live driver until it ends: {d}"
    );
    let table = text(&p.cli.run(&["list"]).stdout);
    assert!(!table.contains("driver gone"), "{table}");
    assert!(
        table.contains(&format!("pid {driver}")) || table.contains("COMPLETED"),
        "the table names the driver of an unfinished dispatch: {table}"
    );
    // The CLI's wait (a third process) exits 0 with the output.
    let out = p.cli.run(&["wait", &id, "--timeout", "60s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "150");
    // And this process reads the result from the store.
    let r = runtime(&p.cli.db).get_result(&id)?;
    assert_eq!(r.status(), DispatchStatus::Completed);
    assert_eq!(r.output_as::<u64>()?, 150);
    for i in 0..6 {
        let m = markers(&p.marks, &format!("step-{i}-"));
        assert_eq!(
            m,
            vec![format!("step-{i}-pid-{driver}")],
            "step {i} ran once, in the driver"
        );
    }
    let copy = orbital_core::detach::driver_dir(&p.cli.db, &id).join("orbital.toml");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&copy)?.permissions());
    assert_eq!(
        mode & 0o777,
        0o600,
        "the configuration's copy is its owner's alone"
    );
    let log = text(&p.cli.run(&["logs", &id, "--driver"]).stdout);
    assert!(
        log.contains(&format!("resuming dispatch {id}"))
            && log.contains(&format!("dispatch {id} COMPLETED")),
        "{log}"
    );
    eprintln!("detach: the launcher took {took:?} from start to exit");
    Ok(())
}

fn a_killed_detached_driver_is_resumed_without_rerunning_work() -> Result<(), Failed> {
    let p = place();
    let (id, _) = launch(&p, 8);
    let reader = runtime(&p.cli.db);
    let completed = |r: &orbital::DispatchResult<orbital::Untyped>| {
        r.nodes()
            .iter()
            .filter(|n| n.status() == NodeStatus::Completed)
            .map(|n| n.id().0)
            .collect::<Vec<u32>>()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while completed(&reader.get_result(&id)?).len() < 3 {
        assert!(Instant::now() < deadline, "3 steps in 60 s (hang guard)");
        std::thread::sleep(Duration::from_millis(20));
    }
    let driver = listed(&p, &id)["driver_pid"].as_u64().unwrap() as u32;
    let killed = Command::new("kill")
        .args(["-KILL", &driver.to_string()])
        .status()?;
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while orbital_core::identity::process_alive(driver) {
        assert!(
            Instant::now() < deadline,
            "the killed driver is gone within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // What the dead driver stored is all it will ever store.
    let done_before = completed(&reader.get_result(&id)?);
    let table = text(&p.cli.run(&["list"]).stdout);
    assert!(table.contains("RUNNING (driver gone)"), "{table}");
    assert_eq!(listed(&p, &id)["driver_alive"], false);
    // `orbital resume` runs the program again, which completes it.
    let out = p
        .cli
        .command(&["resume", &id])
        .env(MARKS_ENV, &p.marks)
        .output()?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = reader.get_result(&id)?;
    assert_eq!(r.status(), DispatchStatus::Completed);
    assert_eq!(r.output_as::<u64>()?, 280);
    for n in r.nodes().iter().filter(|n| n.name() == "step") {
        let i = n.id().0; // the steps are nodes 0..8
        let m = markers(&p.marks, &format!("step-{i}-"));
        let by_killed = m
            .iter()
            .filter(|x| x.ends_with(&format!("-pid-{driver}")))
            .count();
        if done_before.contains(&i) {
            assert_eq!(m.len(), 1, "completed step {i} did not run again: {m:?}");
            assert_eq!(by_killed, 1);
        } else {
            assert_eq!(
                m.len() - by_killed,
                1,
                "step {i} ran once after the resume: {m:?}"
            );
        }
    }
    Ok(())
}

fn the_detach_flag_goes_through_main() -> Result<(), Failed> {
    let p = place();
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--orbital-detach")
        .env(ROLE_ENV, "detach-main")
        .env(STEPS_ENV, "2")
        .env("ORBITAL_DB", &p.cli.db)
        .env("ORBITAL_CONFIG_DIR", &p.cli.config_dir)
        .output()?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    assert!(
        text(&out.stderr).contains(&format!("orbital wait {id}")),
        "it says how to wait: {}",
        text(&out.stderr)
    );
    let r = tokio().block_on(runtime(&p.cli.db).wait(&id, Some(Duration::from_secs(60))))?;
    assert_eq!(r.status(), DispatchStatus::Completed);
    assert_eq!(r.output_as::<u64>()?, 10);
    Ok(())
}

fn detach_refuses_a_data_dir_it_cannot_write() -> Result<(), Failed> {
    let p = place();
    let rt = runtime(&p.cli.db);
    let data = p.cli.db.parent().unwrap().to_owned();
    let before = rt.list(100)?.len();
    // Root writes anywhere, so for root the way in is blocked by a file where the directory
    // of drivers goes; for anyone else the data dir is made read-only.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::fs::write(data.join("drivers"), b"not a directory")?;
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555))?;
    }
    let e = tokio().block_on(rt.submit(steps::build(2))).unwrap_err();
    if !root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755))?;
    }
    let msg = e.to_string();
    assert!(matches!(e, orbital::Error::Detach { .. }), "{msg}");
    assert!(
        msg.contains(&data.join("drivers").display().to_string()) && msg.contains("ORBITAL_DB"),
        "it names the directory and the fix: {msg}"
    );
    assert_eq!(rt.list(100)?.len(), before, "nothing was stored");
    Ok(())
}

fn redispatch_refuses_bad_input() -> Result<(), Failed> {
    let p = place();
    let rt = runtime(&p.cli.db);
    tokio().block_on(async {
        let e = rt
            .redispatch("no-such-id", orbital::Redispatch::same_inputs())
            .await
            .unwrap_err();
        assert!(matches!(e, orbital::Error::UnknownDispatch { .. }), "{e}");
        let done = rt.dispatch(steps::build(1)).await?.wait().await?;
        let e = rt
            .redispatch(done.id(), orbital::Redispatch::with_inputs(other::build(1)))
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("lattice `detach::other`") && msg.contains("ran lattice `detach::steps`"),
            "{msg}"
        );
        rt.shutdown().await?;
        Ok::<_, orbital::Error>(())
    })?;
    let out = p.cli.run(&["redispatch", "no-such-id"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no dispatch `no-such-id`"),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}

fn redispatch_with_new_inputs_reuses_what_is_unchanged() -> Result<(), Failed> {
    let p = place();
    let rt = runtime(&p.cli.db);
    let (first, again) = tokio().block_on(async {
        let first = rt.dispatch(steps::build(3)).await?.wait().await?;
        let how = orbital::Redispatch::with_inputs(steps::build(4));
        let again = rt.redispatch(first.id(), how).await?.wait().await?;
        rt.shutdown().await?;
        Ok::<_, orbital::Error>((first, again))
    })?;
    assert_eq!(again.output()?, 60);
    let reused: Vec<(u32, Option<(String, u32)>)> = again
        .nodes()
        .iter()
        .map(|n| (n.id().0, n.reused_from().map(|(d, i)| (d.to_owned(), i))))
        .collect();
    let from = |i| Some((first.id().to_owned(), i));
    // steps 0..3 had the same arguments; step 3 is new, and the total's input changed.
    assert_eq!(
        reused,
        vec![
            (0, from(0)),
            (1, from(1)),
            (2, from(2)),
            (3, None),
            (4, None)
        ]
    );
    // A reused node did not run: it has no attempt of its own.
    assert!(again.nodes()[..3].iter().all(|n| n.attempts() == 0));
    assert_eq!(again.nodes()[3].attempts(), 1);
    Ok(())
}

fn main() -> ExitCode {
    if let Err(e) = orbital::init() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if let Ok(role) = std::env::var(ROLE_ENV) {
        return launcher(&role);
    }
    let args = Arguments::from_args();
    let trials: Vec<Trial> = [
        (
            "a_detached_dispatch_outlives_its_launcher",
            a_detached_dispatch_outlives_its_launcher as fn() -> Result<(), Failed>,
        ),
        (
            "a_killed_detached_driver_is_resumed_without_rerunning_work",
            a_killed_detached_driver_is_resumed_without_rerunning_work,
        ),
        (
            "the_detach_flag_goes_through_main",
            the_detach_flag_goes_through_main,
        ),
        (
            "detach_refuses_a_data_dir_it_cannot_write",
            detach_refuses_a_data_dir_it_cannot_write,
        ),
        ("redispatch_refuses_bad_input", redispatch_refuses_bad_input),
        (
            "redispatch_with_new_inputs_reuses_what_is_unchanged",
            redispatch_with_new_inputs_reuses_what_is_unchanged,
        ),
    ]
    .into_iter()
    .map(|(name, f)| Trial::test(name, f))
    .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

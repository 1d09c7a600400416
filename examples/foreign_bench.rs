//! Figures of shipping to a host unlike this one, against the host configured as
//! `[executors.bench]` (`type = "ssh"`) in `orbital.toml`, each side in the same run:
//!
//! 1. the first dispatch to a fresh `remote_dir`: asking the host what it is, the build for it
//!    (`cargo zigbuild`: cold when its `cache_dir` is empty, else cargo's rebuild check), the
//!    upload, and the first task;
//! 2. a second dispatch of the unchanged program, in a new process: cargo's no-op check and
//!    no upload;
//! 3. the per-task time of sequential trivial electrons on that host, against the raw `ssh
//!    host true` round trip to it.
//!
//! Each phase is a new process of this example (a dispatch is a process), started by the
//! first. `cargo run --release --features ssh --example foreign_bench`

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use orbital::prelude::*;
use orbital_executors::SshExecutor;

/// What this example's steps return.
type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Set in the child processes: the phase they run, and the fresh `remote_dir`.
const PHASE: &str = "ORBITAL_FOREIGN_BENCH_PHASE";
const DIR: &str = "ORBITAL_FOREIGN_BENCH_DIR";

/// A trivial task.
#[electron(executor = "bench")]
fn increment(x: u64) -> u64 {
    x + 1
}

/// `n` increments in a row on the host.
#[lattice]
fn chain(n: u64) -> u64 {
    let mut node = increment(0);
    for _ in 1..n {
        node = increment(node);
    }
    node
}

/// The configuration file, `[executors.bench]` with `remote_dir` replaced when `dir` is given.
fn config(dir: Option<&str>) -> Res<(String, SshExecutor)> {
    let cfg_dir = std::env::var_os("ORBITAL_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs_config().map(|d| d.join("orbital")))
        .ok_or_else(|| {
            Box::<dyn std::error::Error>::from(
                "set ORBITAL_CONFIG_DIR to the directory of orbital.toml",
            )
        })?;
    let path = cfg_dir.join("orbital.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Box::<dyn std::error::Error>::from(format!("cannot read {}: {e}", path.display()))
    })?;
    let mut table: toml::Table = text
        .parse()
        .map_err(|e| Box::<dyn std::error::Error>::from(format!("{}: {e}", path.display())))?;
    let bench = table
        .get_mut("executors")
        .and_then(|e| e.get_mut("bench"))
        .and_then(toml::Value::as_table_mut)
        .ok_or_else(|| {
            Box::<dyn std::error::Error>::from(format!(
                "{} has no [executors.bench]",
                path.display()
            ))
        })?;
    if let Some(d) = dir {
        bench.insert("remote_dir".into(), toml::Value::String(d.into()));
    }
    let mut exec = bench.clone();
    exec.remove("type");
    let x: SshExecutor = toml::Value::Table(exec)
        .try_into()
        .map_err(|e| Box::<dyn std::error::Error>::from(format!("[executors.bench]: {e}")))?;
    Ok((toml::to_string(&table).unwrap_or_default(), x))
}

fn dirs_config() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// One phase, in its own process: ship, run one task, then (`tasks` > 1) a chain of `tasks`.
async fn phase(name: &str, dir: &str, tasks: u64) -> Res<()> {
    let (text, x) = config(Some(dir))?;
    let t0 = Instant::now();
    let shipped = x.ship().await?;
    let ship = t0.elapsed();
    println!(
        "{name}: ship {} (probe {}, build {}, upload {}) for {} [{}]",
        secs(ship),
        secs(shipped.probe),
        shipped.build.map_or("none".into(), secs),
        shipped
            .upload
            .map_or("none (already there)".into(), |(b, d)| format!(
                "{:.1} MB in {}",
                b as f64 / 1e6,
                secs(d)
            )),
        shipped.target,
        shipped.origin
    );
    if tasks == 0 {
        return Ok(());
    }
    let rt = orbital::Runtime::builder()
        .store_path(std::env::temp_dir().join(format!("foreign-bench-{}.db", std::process::id())))
        .config(orbital::Config::parse(
            &text,
            std::path::Path::new("orbital.toml"),
        )?)
        .build()?;
    let t1 = Instant::now();
    let r = rt.dispatch(chain::build(1)).await?.wait().await?;
    println!("{name}: first task {}", secs(t1.elapsed()));
    assert_eq!(r.output()?, 1);
    if tasks < 2 {
        return Ok(());
    }
    let t2 = Instant::now();
    let r = rt.dispatch(chain::build(tasks)).await?.wait().await?;
    let per = t2.elapsed() / tasks as u32;
    assert_eq!(r.output()?, tasks);
    println!("{name}: {tasks} sequential tasks, {} a task", secs(per));
    Ok(())
}

/// The raw round trip: `ssh host true` over a ControlMaster of its own, `n` times.
fn raw_ssh(x: &SshExecutor, n: u32) -> Duration {
    let sock = std::env::temp_dir().join(format!("fb-{}.sock", std::process::id()));
    let mut base = Command::new("ssh");
    base.args([
        "-F",
        "/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "ControlMaster=auto",
    ])
    .arg("-o")
    .arg(format!("ControlPath={}", sock.display()))
    .args(["-o", "ControlPersist=30", "-p", &x.port.to_string()]);
    if let Some(k) = &x.ssh_key_file {
        base.args(["-i", k, "-o", "IdentitiesOnly=yes"]);
    }
    if let Some(k) = &x.known_hosts {
        base.arg("-o").arg(format!("UserKnownHostsFile={k}"));
    }
    let dest = match &x.username {
        Some(u) => format!("{u}@{}", x.hostname),
        None => x.hostname.clone(),
    };
    let run = |cmd: &mut Command| {
        cmd.arg(&dest)
            .arg("true")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let mut warm = Command::new(base.get_program());
    warm.args(base.get_args());
    let _ = run(&mut warm);
    let t = Instant::now();
    for _ in 0..n {
        let mut c = Command::new(base.get_program());
        c.args(base.get_args());
        run(&mut c);
    }
    let per = t.elapsed() / n;
    let mut exit = Command::new(base.get_program());
    exit.args(base.get_args()).args(["-O", "exit"]).arg(&dest);
    let _ = exit.output();
    per
}

#[orbital::main]
async fn main() -> Res<()> {
    if let (Ok(p), Ok(dir)) = (std::env::var(PHASE), std::env::var(DIR)) {
        return match p.as_str() {
            "first" => phase("first dispatch", &dir, 1).await,
            "second" => phase("second dispatch", &dir, 50).await,
            _ => Err(Box::<dyn std::error::Error>::from(format!("{PHASE}={p}"))),
        };
    }
    let (_, x) = config(None)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = format!("~/.cache/orbital-foreign-bench/{nanos}");
    println!(
        "host {} ({}), fresh remote_dir {dir}",
        x.destination(),
        x.build_profile
    );
    let me =
        std::env::current_exe().map_err(|e| Box::<dyn std::error::Error>::from(e.to_string()))?;
    for p in ["first", "second"] {
        let t = Instant::now();
        let status = Command::new(&me)
            .env(PHASE, p)
            .env(DIR, &dir)
            .status()
            .map_err(|e| Box::<dyn std::error::Error>::from(e.to_string()))?;
        println!("{p} dispatch process: {} in all", secs(t.elapsed()));
        if !status.success() {
            return Err(Box::<dyn std::error::Error>::from(format!(
                "the {p} phase failed ({status})"
            )));
        }
    }
    println!(
        "raw `ssh host true` round trip: {} (20 runs)",
        secs(raw_ssh(&x, 20))
    );
    Ok(())
}

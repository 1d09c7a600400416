//! SSH executor figures, each side measured in the same run, against the host configured as
//! `[executors.ssh]` in `orbital.toml`:
//!
//! - a raw multiplexed `ssh ... true` round trip (the `ssh` client over a ControlMaster socket),
//!   against the per-task time of 100 sequential trivial electrons (binary already cached);
//! - 1,000 independent trivial electrons with concurrency 32, in tasks per second;
//! - the first task on a fresh host directory, upload of the binary included.
//!
//! `cargo run --release --features ssh --example ssh_bench`

use std::process::Command;
use std::time::Instant;

use orbital::prelude::*;

/// A trivial task.
#[electron]
fn increment(x: u64) -> u64 {
    x + 1
}

/// `n` increments in a row on the lattice's executor.
#[lattice(executor = "bench")]
fn chain(n: u64) -> u64 {
    let mut node = increment(0);
    for _ in 1..n {
        node = increment(node);
    }
    node
}

/// `n` independent increments on the lattice's executor.
#[lattice(executor = "bench")]
fn fan(n: u64) -> Vec<u64> {
    let nodes: Vec<Node<u64>> = (0..n).map(increment).collect();
    collect(nodes)
}

/// Gathers outputs (locally).
#[electron(executor = "local")]
fn collect(xs: Vec<u64>) -> Vec<u64> {
    xs
}

/// One increment on the fresh-directory executor.
#[lattice(executor = "fresh")]
fn one() -> u64 {
    increment(41)
}

fn runtime(
    table: &toml::Table,
    extra: &[(&str, toml::Value)],
) -> orbital::Result<orbital::Runtime> {
    let mut config = orbital::Config::load()?;
    let mut bench = table.clone();
    bench.insert("type".into(), toml::Value::String("ssh".into()));
    for (k, v) in extra {
        bench.insert((*k).to_owned(), v.clone());
    }
    config.executors.insert("bench".into(), bench.clone());
    let mut fresh = bench;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    fresh.insert(
        "remote_dir".into(),
        toml::Value::String(format!("~/.cache/orbital-bench-{stamp}")),
    );
    config.executors.insert("fresh".into(), fresh);
    orbital::Runtime::builder().config(config).build()
}

fn raw_round_trips(table: &toml::Table, n: u32) -> f64 {
    let s = |k: &str| table.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let host = s("hostname").expect("[executors.ssh] hostname");
    let port = table
        .get("port")
        .and_then(|v| v.as_integer())
        .unwrap_or(22)
        .to_string();
    let dest = match s("username") {
        Some(u) => format!("{u}@{host}"),
        None => host,
    };
    let socket = format!("/tmp/orb-bench-{}.sock", std::process::id());
    let mut common = vec!["-p".to_owned(), port, "-o".into(), "BatchMode=yes".into()];
    if let Some(k) = s("ssh_key_file") {
        common.extend(["-i".into(), k]);
    }
    if let Some(kh) = s("known_hosts") {
        common.extend(["-o".into(), format!("UserKnownHostsFile={kh}")]);
    }
    let master = Command::new("ssh")
        .args(&common)
        .args(["-M", "-S", &socket, "-fN", &dest])
        .status()
        .expect("ssh master");
    assert!(master.success(), "the ControlMaster started");
    let t = Instant::now();
    for _ in 0..n {
        let ok = Command::new("ssh")
            .args(&common)
            .args(["-S", &socket, &dest, "true"])
            .status()
            .expect("ssh");
        assert!(ok.success());
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let _ = Command::new("ssh")
        .args(["-S", &socket, "-O", "exit", &dest])
        .output();
    us
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let base = orbital::Config::load()?;
    let table = base
        .executors
        .get("ssh")
        .cloned()
        .expect("an [executors.ssh] table in orbital.toml");
    let rt = runtime(&table, &[("max_concurrency", toml::Value::Integer(32))])?;

    // The first task on a fresh directory: connection, checks and upload included.
    let t = Instant::now();
    let r = rt.dispatch(one::build()).await?.wait().await?;
    assert_eq!(r.output()?, 42);
    let first_ms = t.elapsed().as_secs_f64() * 1e3;

    // Warm (binary cached on "bench"'s directory too).
    rt.dispatch(chain::build(2)).await?.wait().await?;

    let raw_us = raw_round_trips(&table, 100);
    let t = Instant::now();
    let r = rt.dispatch(chain::build(100)).await?.wait().await?;
    assert_eq!(r.output()?, 100);
    let task_us = t.elapsed().as_secs_f64() * 1e6 / 100.0;

    let t = Instant::now();
    let r = rt.dispatch(fan::build(1000)).await?.wait().await?;
    assert_eq!(r.output()?.len(), 1000);
    let per_s = 1000.0 / t.elapsed().as_secs_f64();

    rt.shutdown().await?;
    eprintln!("first task on a fresh directory {first_ms:.0} ms (upload included)");
    println!(
        "raw_ssh_true_us={raw_us:.0} sequential_task_us={task_us:.0} ratio={:.2} fanout_1000_tasks_per_s={per_s:.0} first_task_ms={first_ms:.0}",
        task_us / raw_us
    );
    Ok(())
}

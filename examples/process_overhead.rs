//! The process executor's per-task overhead, against the cost of spawning this same binary
//! with a no-op argument, both measured in one run.
//!
//! `cargo run --release --example process_overhead -- 200`; the last line is
//! `spawn_noop_us=X process_task_us=Y ratio=Z` (goal: ratio ≤ 2).

use std::process::Command;
use std::time::Instant;

use orbital::prelude::*;

/// A trivial task.
#[electron(executor = "process")]
fn increment(x: u64) -> u64 {
    x + 1
}

/// `n` increments in a row, each in a child process.
#[lattice]
fn chain(n: u64) -> u64 {
    let mut node = increment(0);
    for _ in 1..n {
        node = increment(node);
    }
    node
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("noop") {
        return Ok(()); // the no-op start: init() ran, nothing else
    }
    let n: u64 = first.and_then(|a| a.parse().ok()).unwrap_or(200).max(1);
    let exe = std::env::current_exe().expect("this program");

    // Warm up both paths (page cache, the build identity's cache entry).
    Command::new(&exe).arg("noop").status().expect("spawn");
    chain::dispatch(2).await?.wait().await?;

    let start = Instant::now();
    for _ in 0..n {
        let status = Command::new(&exe).arg("noop").status().expect("spawn");
        assert!(status.success());
    }
    let spawn_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;

    let start = Instant::now();
    let result = chain::dispatch(n).await?.wait().await?;
    let task_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    assert_eq!(result.output()?, n);

    eprintln!("{n} sequential no-op spawns and {n} sequential tasks on the process executor");
    println!(
        "spawn_noop_us={spawn_us:.0} process_task_us={task_us:.0} ratio={:.2}",
        task_us / spawn_us
    );
    Ok(())
}

//! N trivial electrons, each depending on the one before: the dispatcher's latency per task.
//!
//! `cargo run --release --example chain -- 10000`; the last line is
//! `tasks=N wall_ms=X per_task_us=Y`, timed from building the graph to the stored result.

use std::time::Instant;

use orbital::prelude::*;

/// A trivial task.
#[electron]
fn increment(x: u64) -> u64 {
    x + 1
}

/// `n` increments in a row.
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
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000)
        .max(1);
    let start = Instant::now();
    let result = chain::dispatch(n).await?.wait().await?;
    let wall = start.elapsed();
    assert_eq!(result.output()?, n, "the last increment");
    eprintln!("dispatch {} {}", result.id(), result.status());
    println!(
        "tasks={n} wall_ms={:.1} per_task_us={:.2}",
        wall.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e6 / n as f64
    );
    Ok(())
}

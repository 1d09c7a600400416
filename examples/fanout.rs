//! N trivial independent electrons and one electron summing them, persisted like any dispatch.
//!
//! `cargo run --release --example fanout -- 100000`; the last line is
//! `tasks=N wall_ms=X per_task_us=Y`, timed from building the graph to the stored result.

use std::time::Instant;

use orbital::prelude::*;

/// A trivial task.
#[electron]
fn square(x: u64) -> u64 {
    x * x
}

/// Sums the squares (fan-in).
#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

/// `n` squares, then their sum.
#[lattice]
fn fanout(n: u64) -> u64 {
    let squares: Vec<Node<u64>> = (0..n).map(square).collect();
    total(squares)
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let start = Instant::now();
    let result = fanout::dispatch(n).await?.wait().await?;
    let wall = start.elapsed();
    let sum = result.output()?;
    let expected: u64 = (0..n).map(|x| x * x).sum();
    assert_eq!(sum, expected, "the sum of squares");
    eprintln!("dispatch {} {} sum={sum}", result.id(), result.status());
    println!(
        "tasks={n} wall_ms={:.1} per_task_us={:.2}",
        wall.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    Ok(())
}

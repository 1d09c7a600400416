//! The program of `cli/tests/long_workflows.rs`'s redispatch and cache tests. The test builds
//! it outside this workspace, in variants that differ in one place each (`/*SQUARE*/` is one
//! electron's body, `/*BANNER*/` is code that no electron holds), and runs each build.
//!
//! `run N` dispatches `pipeline(N)`, `cached X` dispatches `cached_flow(X)`; each prints
//! `ID OUTPUT`. Every electron that runs leaves a marker file in `$VERSIONS_MARKS`.

use orbital::prelude::*;

fn mark(what: &str, i: u64) {
    let dir = std::env::var("VERSIONS_MARKS").expect("VERSIONS_MARKS");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let file = format!("{what}-{i}-{}-{nanos}", std::process::id());
    std::fs::write(std::path::Path::new(&dir).join(file), b"ran").expect("marker");
}

#[electron]
fn load(i: u64) -> u64 {
    mark("load", i);
    i + 1
}

#[electron]
fn square(x: u64) -> u64 {
    mark("square", x);
    /*SQUARE*/ x * x
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    mark("total", xs.len() as u64);
    xs.iter().sum()
}

#[lattice]
fn pipeline(n: u64) -> u64 {
    let squares: Vec<Node<u64>> = (0..n).map(|i| square(load(i))).collect();
    total(squares)
}

#[electron(cache = true)]
fn slow_double(x: u64) -> u64 {
    mark("slow_double", x);
    x * 2
}

#[lattice]
fn cached_flow(x: u64) -> u64 {
    slow_double(x)
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!(/*BANNER*/ "versions program");
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let result = match args.first().map(String::as_str) {
        Some("cached") => cached_flow::dispatch(n).await?.wait().await?,
        _ => pipeline::dispatch(n).await?.wait().await?,
    };
    println!("{} {}", result.id(), result.output()?);
    Ok(())
}

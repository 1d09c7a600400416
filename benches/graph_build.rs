//! Building graphs: a fan-out of 100,000 electrons into one fan-in, and a chain of 10,000.
//!
//! `cargo bench --bench graph_build`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use orbital::prelude::*;

#[electron]
fn square(x: u64) -> u64 {
    x * x
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice]
fn fanout(n: u64) -> u64 {
    let squares: Vec<Node<u64>> = (0..n).map(square).collect();
    total(squares)
}

#[lattice]
fn chain(n: u64) -> u64 {
    let mut node = square(0);
    for _ in 1..n {
        node = square(node);
    }
    node
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("graph_build");
    g.sample_size(20);
    g.throughput(Throughput::Elements(100_001));
    g.bench_function("fanout_100000", |b| {
        b.iter_batched(|| (), |()| fanout::build(100_000), BatchSize::PerIteration)
    });
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("chain_10000", |b| b.iter(|| chain::build(10_000)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

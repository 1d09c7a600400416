//! Dispatching on the local executor with persistence on: a fan-out of 1,000 trivial
//! electrons into one fan-in, and a chain of 100, end to end (build, run, store, result).
//!
//! `cargo bench --bench dispatch`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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
    let mut node = square(1);
    for _ in 1..n {
        node = square(node);
    }
    node
}

fn bench(c: &mut Criterion) {
    orbital::init().expect("registry");
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = orbital::Runtime::builder()
        .config(orbital::Config::default())
        .store_path(dir.path().join("bench.db"))
        .build()
        .expect("runtime");
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let mut g = c.benchmark_group("dispatch");
    g.sample_size(20);
    g.throughput(Throughput::Elements(1_001));
    g.bench_function("fanout_1000", |b| {
        b.to_async(&tokio).iter(|| async {
            let r = rt
                .dispatch(fanout::build(1_000))
                .await
                .unwrap()
                .wait()
                .await
                .unwrap();
            assert_eq!(r.status(), DispatchStatus::Completed);
        })
    });
    g.throughput(Throughput::Elements(100));
    g.bench_function("chain_100", |b| {
        b.to_async(&tokio).iter(|| async {
            let r = rt
                .dispatch(chain::build(100))
                .await
                .unwrap()
                .wait()
                .await
                .unwrap();
            assert_eq!(r.status(), DispatchStatus::Completed);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! What the long-workflow features cost, each next to its baseline in the same run:
//!
//! - **detach**: `submit` from the call to the id (the dispatch stored, the driver started),
//!   against `dispatch` (which returns as soon as the dispatch is stored and driving here);
//! - **reuse** at a fan-out of N (100 000 by default): a plain dispatch of N electrons, the
//!   first dispatch of the same with `cache = true` (every lookup misses), the second (every
//!   lookup hits), and a redispatch of the plain one (its nodes reused from memory);
//! - **wait**: how long after a dispatch ends (its driver's `wait` returns) another runtime's
//!   `Runtime::wait` returns, over 20 dispatches.
//!
//! `cargo run --release --example long_bench -- 100000`; each figure is a `name=value` line.

use std::time::{Duration, Instant, SystemTime};

use orbital::prelude::*;

#[electron]
fn plain(i: u64) -> u64 {
    i * i
}

#[electron(cache = true)]
fn cached(i: u64) -> u64 {
    i * i
}

#[electron]
fn count(xs: Vec<u64>) -> u64 {
    xs.len() as u64
}

#[lattice]
fn plain_fan(n: u64) -> u64 {
    count((0..n).map(plain).collect::<Vec<_>>())
}

#[lattice]
fn cached_fan(n: u64) -> u64 {
    count((0..n).map(cached).collect::<Vec<_>>())
}

#[electron]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[lattice]
fn napping(ms: u64) -> u64 {
    nap(ms)
}

fn runtime(db: &std::path::Path) -> orbital::Result<orbital::Runtime> {
    orbital::Runtime::builder()
        .store_path(db)
        .config(orbital::Config::default())
        .build()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[orbital::main]
async fn main() -> orbital::Result<()> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile_dir();
    let db = dir.join("orbital.db");
    let rt = runtime(&db)?;

    // Detach: the call to the id, against dispatch.
    let (mut submit_ms, mut dispatch_ms) = (Vec::new(), Vec::new());
    let mut ids = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        ids.push(rt.submit(napping::build(1)).await?);
        submit_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let d = rt.dispatch(napping::build(1)).await?;
        dispatch_ms.push(t.elapsed().as_secs_f64() * 1e3);
        d.wait().await?;
    }
    for id in &ids {
        rt.wait(id, Some(Duration::from_secs(60))).await?;
    }
    println!("submit_to_id_ms={:.2}", median(submit_ms));
    println!("dispatch_to_handle_ms={:.3}", median(dispatch_ms));

    // Reuse at a fan-out of n.
    let per_task = |t: Duration| t.as_secs_f64() * 1e6 / n as f64;
    let t = Instant::now();
    let plain_run = rt.dispatch(plain_fan::build(n)).await?.wait().await?;
    let plain_us = per_task(t.elapsed());
    let t = Instant::now();
    let first = rt.dispatch(cached_fan::build(n)).await?.wait().await?;
    let miss_us = per_task(t.elapsed());
    let t = Instant::now();
    let second = rt.dispatch(cached_fan::build(n)).await?.wait().await?;
    let hit_us = per_task(t.elapsed());
    let t = Instant::now();
    let again = rt
        .redispatch(plain_run.id(), orbital::Redispatch::same_inputs())
        .await?
        .wait()
        .await?;
    let redispatch_us = per_task(t.elapsed());
    fn hits<T>(r: &orbital::DispatchResult<T>) -> usize {
        r.nodes()
            .iter()
            .filter(|x| x.reused_from().is_some())
            .count()
    }
    assert_eq!(hits(&first), 0);
    assert_eq!(hits(&second), n as usize);
    assert_eq!(hits(&again), n as usize + 1, "the fan-in too");
    println!("fan_out={n}");
    println!("plain_per_task_us={plain_us:.2}");
    println!("cache_miss_per_task_us={miss_us:.2}");
    println!("cache_hit_per_task_us={hit_us:.2}");
    println!("redispatch_reuse_per_task_us={redispatch_us:.2}");

    // Wait's wake-up: another runtime (its own store connections) waits for each dispatch.
    let other = runtime(&db)?;
    let mut late_ms = Vec::new();
    for _ in 0..20 {
        let d = rt.dispatch(napping::build(30)).await?;
        rt.store().flush().await?; // the other runtime must find the dispatch
        let id = d.id().to_owned();
        let (ended, seen) = tokio::join!(
            async {
                d.wait().await?;
                Ok::<_, orbital::Error>(SystemTime::now())
            },
            async {
                other.wait(&id, Some(Duration::from_secs(60))).await?;
                Ok::<_, orbital::Error>(SystemTime::now())
            }
        );
        let late = seen?.duration_since(ended?).unwrap_or_default();
        late_ms.push(late.as_secs_f64() * 1e3);
    }
    let max = late_ms.iter().copied().fold(0.0, f64::max);
    println!("wait_wakeup_median_ms={:.1}", median(late_ms));
    println!("wait_wakeup_max_ms={max:.1}");
    rt.shutdown().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A fresh directory for the store (the driver logs go beside it).
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("orbital-long-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

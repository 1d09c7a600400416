//! Time limits: an attempt that runs past its `time_limit` fails its node as timed out, async
//! or blocking, and the dispatch does not wait for it.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use orbital::prelude::*;

static SLEEPER_FINISHED: AtomicBool = AtomicBool::new(false);

#[electron(time_limit = "200ms")]
async fn sleeps_too_long() -> u64 {
    tokio::time::sleep(Duration::from_secs(60)).await;
    SLEEPER_FINISHED.store(true, Ordering::SeqCst);
    1
}

#[electron]
fn after(x: u64) -> u64 {
    x + 1
}

#[electron]
fn bystander() -> String {
    "done".into()
}

#[lattice]
fn async_over_limit() -> u64 {
    let _b = bystander();
    after(sleeps_too_long())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_electron_over_its_time_limit_fails_as_timed_out() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    // The electron would sleep a minute; the guard is far below that.
    let result = common::within(20, "a dispatch with a 200ms time limit", async {
        rt.dispatch(async_over_limit::build()).await?.wait().await
    })
    .await?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let node = result.nodes_named("sleeps_too_long").next().unwrap();
    assert_eq!(node.status(), NodeStatus::Failed);
    let e = node.error().unwrap();
    assert!(e.contains("exceeded its time limit of 200ms"), "{e}");
    assert_eq!(node.attempts(), 1);
    assert!(node.ended().is_some());
    assert!(
        !SLEEPER_FINISHED.load(Ordering::SeqCst),
        "the future was dropped"
    );
    assert_eq!(
        result.nodes_named("after").next().unwrap().status(),
        NodeStatus::UpstreamFailed
    );
    assert_eq!(
        result.nodes_named("bystander").next().unwrap().status(),
        NodeStatus::Completed
    );
    let err = result.output().unwrap_err().to_string();
    assert!(err.contains("time limit"), "{err}");
    Ok(())
}

// A blocking electron cannot be interrupted: its node ends at once, its thread later.

static BLOCKER_STARTED: AtomicBool = AtomicBool::new(false);
static RELEASE_BLOCKER: AtomicBool = AtomicBool::new(false);
static BLOCKER_FINISHED: AtomicBool = AtomicBool::new(false);

#[electron(time_limit = "200ms")]
fn blocks_too_long() -> u64 {
    BLOCKER_STARTED.store(true, Ordering::SeqCst);
    // Waits until the test releases it (or a minute, so a broken test cannot leak it forever).
    let start = Instant::now();
    while !RELEASE_BLOCKER.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    BLOCKER_FINISHED.store(true, Ordering::SeqCst);
    1
}

#[lattice]
fn blocking_over_limit() -> u64 {
    let _b = bystander();
    after(blocks_too_long())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_electron_over_its_time_limit_ends_as_timed_out() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = common::within(20, "a dispatch with a 200ms time limit", async {
        rt.dispatch(blocking_over_limit::build())
            .await?
            .wait()
            .await
    })
    .await?;
    // The dispatch ended while the electron's thread is still running.
    assert!(BLOCKER_STARTED.load(Ordering::SeqCst));
    assert!(!BLOCKER_FINISHED.load(Ordering::SeqCst));
    assert_eq!(result.status(), DispatchStatus::Failed);
    let node = result.nodes_named("blocks_too_long").next().unwrap();
    assert_eq!(node.status(), NodeStatus::Failed);
    let e = node.error().unwrap();
    assert!(e.contains("exceeded its time limit of 200ms"), "{e}");
    assert_eq!(
        result.nodes_named("after").next().unwrap().status(),
        NodeStatus::UpstreamFailed
    );
    // The store recorded the end too, before the thread finished.
    let stored = rt.get_result(result.id())?;
    assert_eq!(stored.nodes()[1].status(), NodeStatus::Failed);

    // The thread finishes in the background; its late outcome changes nothing.
    RELEASE_BLOCKER.store(true, Ordering::SeqCst);
    common::within(20, "the blocking thread", async {
        while !BLOCKER_FINISHED.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stored = rt.get_result(result.id())?;
    assert_eq!(stored.status(), DispatchStatus::Failed);
    assert_eq!(stored.nodes()[1].status(), NodeStatus::Failed);
    Ok(())
}

// A time limit applies to each attempt; a retry may succeed.

static SLOW_THEN_FAST_CALLS: AtomicU32 = AtomicU32::new(0);

#[electron(time_limit = "200ms", retries = 1)]
async fn slow_then_fast() -> u64 {
    let n = SLOW_THEN_FAST_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    if n == 1 {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    u64::from(n)
}

#[lattice]
fn retried_after_timeout() -> u64 {
    slow_then_fast()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_attempt_is_retried() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, "[dispatcher]\nretry_delay = \"10ms\"\n")?;
    let result = common::within(20, "the dispatch", async {
        rt.dispatch(retried_after_timeout::build())
            .await?
            .wait()
            .await
    })
    .await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, 2);
    assert_eq!(result.nodes()[0].attempts(), 2);
    Ok(())
}

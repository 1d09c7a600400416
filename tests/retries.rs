//! Retries: a failed attempt is tried again up to `retries` times, and the result counts the
//! attempts.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use orbital::prelude::*;

/// Retries quickly, so the tests stay fast.
const FAST_RETRIES: &str = "[dispatcher]\nretry_delay = \"10ms\"\nretry_delay_max = \"50ms\"\n";

static FLAKY_CALLS: AtomicU32 = AtomicU32::new(0);

/// Fails its first two attempts.
#[electron(retries = 3)]
fn flaky(label: String) -> Result<String, String> {
    let n = FLAKY_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    if n < 3 {
        Err(format!("attempt {n} failed"))
    } else {
        Ok(format!("{label} on attempt {n}"))
    }
}

#[electron]
fn shout(s: String) -> String {
    s.to_uppercase()
}

#[lattice]
fn with_flaky(label: String) -> String {
    shout(flaky(label))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_electron_completes_on_a_retry() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, FAST_RETRIES)?;
    let result = common::within(30, "the dispatch", async {
        rt.dispatch(with_flaky::build("done".into()))
            .await?
            .wait()
            .await
    })
    .await?;
    assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 3);
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, "DONE ON ATTEMPT 3");
    let node = result.nodes_named("flaky").next().unwrap();
    assert_eq!(node.status(), NodeStatus::Completed);
    assert_eq!(node.attempts(), 3);
    assert_eq!(node.error(), None, "a completed node keeps no error");
    // The dependant ran once, after the retries.
    assert_eq!(result.nodes_named("shout").next().unwrap().attempts(), 1);
    let stored = rt.get_result(result.id())?;
    assert_eq!(stored.nodes()[0].attempts(), 3);
    assert_eq!(stored.nodes()[0].status(), NodeStatus::Completed);
    Ok(())
}

static DOOMED_CALLS: AtomicU32 = AtomicU32::new(0);

#[electron(retries = 2)]
async fn doomed() -> Result<u64, String> {
    let n = DOOMED_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    Err(format!("attempt {n} failed too"))
}

#[lattice]
fn with_doomed() -> u64 {
    let _independent = shout("fine");
    doomed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_exhausted_fail_the_node_after_retries_plus_one_attempts() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, FAST_RETRIES)?;
    let result = common::within(30, "the dispatch", async {
        rt.dispatch(with_doomed::build()).await?.wait().await
    })
    .await?;
    assert_eq!(DOOMED_CALLS.load(Ordering::SeqCst), 3);
    assert_eq!(result.status(), DispatchStatus::Failed);
    let node = result.nodes_named("doomed").next().unwrap();
    assert_eq!(node.status(), NodeStatus::Failed);
    assert_eq!(node.attempts(), 3);
    let e = node.error().unwrap();
    assert!(
        e.contains("attempt 3 failed too"),
        "the last attempt's error: {e}"
    );
    assert!(e.contains("after 3 attempts"), "{e}");
    let err = result.output().unwrap_err().to_string();
    assert!(
        err.contains("`doomed`: attempt 3 failed too (after 3 attempts)"),
        "{err}"
    );
    assert_eq!(
        result.nodes_named("shout").next().unwrap().status(),
        NodeStatus::Completed
    );
    Ok(())
}

static ONCE_CALLS: AtomicU32 = AtomicU32::new(0);

/// No `retries`: one attempt only.
#[electron]
fn fails_once() -> Result<u64, String> {
    ONCE_CALLS.fetch_add(1, Ordering::SeqCst);
    Err("no second chance".into())
}

#[lattice]
fn with_fails_once() -> u64 {
    fails_once()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retries_a_failure_is_final() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, FAST_RETRIES)?;
    let result = rt.dispatch(with_fails_once::build()).await?.wait().await?;
    assert_eq!(ONCE_CALLS.load(Ordering::SeqCst), 1);
    let node = &result.nodes()[0];
    assert_eq!(node.attempts(), 1);
    assert_eq!(node.error(), Some("no second chance"));
    Ok(())
}

static PANICKY_CALLS: AtomicU32 = AtomicU32::new(0);

/// Panics on its first attempt.
#[electron(retries = 1)]
fn panics_first(x: u64) -> u64 {
    if PANICKY_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        panic!("first attempt panics");
    }
    x + 1
}

#[lattice]
fn with_panics_first(x: u64) -> u64 {
    panics_first(x)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_retried_too() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(&dir, FAST_RETRIES)?;
    let result = rt
        .dispatch(with_panics_first::build(41))
        .await?
        .wait()
        .await?;
    assert_eq!(result.output()?, 42);
    assert_eq!(result.nodes()[0].attempts(), 2);
    Ok(())
}

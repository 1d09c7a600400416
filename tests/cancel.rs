//! Cancelling a whole dispatch, or chosen nodes and what depends on them.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use orbital::prelude::*;

static LONG_WAIT_FINISHED: AtomicBool = AtomicBool::new(false);

#[electron]
async fn long_wait(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_secs(30)).await;
    LONG_WAIT_FINISHED.store(true, Ordering::SeqCst);
    x
}

static PLUS_ONE_CALLS: AtomicU32 = AtomicU32::new(0);

#[electron]
fn plus_one(x: u64) -> u64 {
    PLUS_ONE_CALLS.fetch_add(1, Ordering::SeqCst);
    x + 1
}

#[electron]
fn quick(x: u64) -> u64 {
    x
}

#[lattice]
fn long_dispatch() -> u64 {
    let _done_early = quick(7);
    let slow = long_wait(1);
    plus_one(plus_one(slow))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_dispatch_stops_it_and_cancels_pending_nodes() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let dispatch = rt.dispatch(long_dispatch::build()).await?;
    let id = dispatch.id().to_owned();
    // Wait until the long electron runs and the quick one completed.
    let mut progress = dispatch.watch();
    common::within(20, "the first nodes", async {
        progress
            .wait_for(|p| p.running == 1 && p.completed == 1)
            .await
            .map(|_| ())
    })
    .await
    .expect("the dispatcher runs");
    dispatch.cancel();
    let result = common::within(20, "the cancelled dispatch", dispatch.wait()).await?;

    assert_eq!(result.status(), DispatchStatus::Cancelled);
    assert!(!LONG_WAIT_FINISHED.load(Ordering::SeqCst));
    assert_eq!(PLUS_ONE_CALLS.load(Ordering::SeqCst), 0);
    let statuses: Vec<_> = result.nodes().iter().map(|n| n.status()).collect();
    assert_eq!(
        statuses,
        [
            NodeStatus::Completed, // quick: done before the cancel
            NodeStatus::Cancelled, // long_wait: stopped
            NodeStatus::Cancelled, // plus_one: never ran
            NodeStatus::Cancelled,
        ]
    );
    for n in &result.nodes()[1..] {
        assert_eq!(n.error(), Some("the dispatch was cancelled"));
    }
    assert_eq!(result.nodes()[2].attempts(), 0);
    let err = result.output().unwrap_err();
    assert!(err.to_string().contains("CANCELLED"), "{err}");
    assert_eq!(result.error(), Some("the dispatch was cancelled"));

    let stored = rt.get_result(&id)?;
    assert_eq!(stored.status(), DispatchStatus::Cancelled);
    let stored_statuses: Vec<_> = stored.nodes().iter().map(|n| n.status()).collect();
    assert_eq!(stored_statuses, statuses);
    Ok(())
}

// Cancelling one branch.

static RELEASE_OTHER: AtomicBool = AtomicBool::new(false);

/// Waits for the test to release it, so that it ends after the other branch is cancelled.
#[electron]
async fn gated(x: u64) -> Result<u64, String> {
    for _ in 0..4000 {
        if RELEASE_OTHER.load(Ordering::SeqCst) {
            return Ok(x);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Err("never released".into())
}

static DOUBLE_CALLS: AtomicU32 = AtomicU32::new(0);

#[electron]
fn double(x: u64) -> u64 {
    DOUBLE_CALLS.fetch_add(1, Ordering::SeqCst);
    x * 2
}

#[electron]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[lattice]
fn two_branches() -> u64 {
    let doomed = long_wait(100);
    let doomed_after = double(doomed);
    let kept = gated(20);
    let kept_after = plus_one(kept);
    let _joined = add(doomed_after, kept_after);
    kept_after
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_one_node_cancels_its_dependants_and_the_rest_completes() -> orbital::Result<()>
{
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let wf = two_branches::build();
    let doomed = orbital::NodeId(0);
    assert_eq!(wf.graph().node(doomed).unwrap().name, "long_wait");
    let dispatch = rt.dispatch(wf).await?;
    let mut progress = dispatch.watch();
    common::within(20, "both branches running", async {
        progress.wait_for(|p| p.running == 2).await.map(|_| ())
    })
    .await
    .expect("the dispatcher runs");

    dispatch.cancel_nodes([doomed]);
    // Wait for the cancel to be recorded before the other branch may go on.
    common::within(20, "the cancel", async {
        progress.wait_for(|p| p.failed == 3).await.map(|_| ())
    })
    .await
    .expect("the dispatcher runs");
    RELEASE_OTHER.store(true, Ordering::SeqCst);
    let result = common::within(20, "the rest of the dispatch", dispatch.wait()).await?;

    let by_name = |name: &str| result.nodes_named(name).next().unwrap().clone();
    let long = by_name("long_wait");
    assert_eq!(long.status(), NodeStatus::Cancelled);
    assert_eq!(long.error(), Some("cancelled"));
    let d = by_name("double");
    assert_eq!(d.status(), NodeStatus::Cancelled);
    assert!(d
        .error()
        .unwrap()
        .contains("node 0 `long_wait` was cancelled"));
    assert_eq!(DOUBLE_CALLS.load(Ordering::SeqCst), 0);
    assert_eq!(by_name("add").status(), NodeStatus::Cancelled);

    // The other branch went on after the cancel.
    assert_eq!(by_name("gated").status(), NodeStatus::Completed);
    assert_eq!(by_name("plus_one").status(), NodeStatus::Completed);
    assert_eq!(
        result.output()?,
        21,
        "the output did not depend on the cancelled branch"
    );
    // Nothing failed, but a node was cancelled.
    assert_eq!(result.status(), DispatchStatus::Cancelled);
    assert!(result.failures().is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_ended_dispatch_changes_nothing() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    #[lattice]
    fn short() -> u64 {
        quick(3)
    }
    let dispatch = rt.dispatch(short::build()).await?;
    let mut progress = dispatch.watch();
    common::within(20, "the dispatch", async {
        progress.wait_for(|p| p.done).await.map(|_| ())
    })
    .await
    .expect("the dispatcher runs");
    dispatch.cancel();
    dispatch.cancel_nodes([orbital::NodeId(0), orbital::NodeId(99)]);
    let result = dispatch.wait().await?;
    assert_eq!(result.status(), DispatchStatus::Completed);
    assert_eq!(result.output()?, 3);
    Ok(())
}

// Cancelling a sub-lattice node cancels what it built.

#[lattice]
fn waits_inside(x: u64) -> u64 {
    plus_one(long_wait(x))
}

#[lattice]
fn with_waiting_sub_lattice() -> u64 {
    let n = quick(5);
    let sub = waits_inside(n);
    let other = quick(9);
    add(sub, other)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_sub_lattice_node_cancels_the_nodes_it_built() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let wf = with_waiting_sub_lattice::build();
    let sub = orbital::NodeId(1);
    assert_eq!(wf.graph().node(sub).unwrap().name, "waits_inside");
    let dispatch = rt.dispatch(wf).await?;
    let mut progress = dispatch.watch();
    // Both `quick`s done and the sub-lattice's `long_wait` running.
    common::within(20, "the sub-lattice's electron", async {
        progress
            .wait_for(|p| p.running == 1 && p.completed == 2)
            .await
            .map(|_| ())
    })
    .await
    .expect("the dispatcher runs");
    dispatch.cancel_nodes([sub]);
    let result = common::within(20, "the cancelled dispatch", dispatch.wait()).await?;

    let status = |name: &str| result.nodes_named(name).next().unwrap().status();
    assert_eq!(status("waits_inside"), NodeStatus::Cancelled);
    assert_eq!(status("long_wait"), NodeStatus::Cancelled);
    assert_eq!(status("plus_one"), NodeStatus::Cancelled);
    assert_eq!(status("add"), NodeStatus::Cancelled);
    assert!(result
        .nodes_named("quick")
        .all(|n| n.status() == NodeStatus::Completed));
    let long = result.nodes_named("long_wait").next().unwrap();
    assert_eq!(long.parent(), Some(sub));
    assert_eq!(long.error(), Some("its sub-lattice was cancelled"));
    assert_eq!(result.status(), DispatchStatus::Cancelled);
    Ok(())
}

// Cancelling during a retry's backoff does not wait for it.

static BACKOFF_CALLS: AtomicU32 = AtomicU32::new(0);

#[electron(retries = 5)]
fn fails_then_backs_off() -> Result<u64, String> {
    BACKOFF_CALLS.fetch_add(1, Ordering::SeqCst);
    Err("try again later".into())
}

#[lattice]
fn backing_off() -> u64 {
    plus_one(fails_then_backs_off())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_during_a_retry_backoff_ends_the_dispatch() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    // A backoff far longer than the hang guard.
    let rt = common::runtime_with(
        &dir,
        "[dispatcher]\nretry_delay = \"10m\"\nretry_delay_max = \"1h\"\n",
    )?;
    let dispatch = rt.dispatch(backing_off::build()).await?;
    let mut progress = dispatch.watch();
    common::within(20, "the first attempt", async {
        while BACKOFF_CALLS.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Its failure was handled: nothing runs, the node waits for its retry.
        progress.wait_for(|p| p.running == 0).await.map(|_| ())
    })
    .await
    .expect("the dispatcher runs");
    dispatch.cancel();
    let result = common::within(20, "the cancelled dispatch", dispatch.wait()).await?;
    assert_eq!(BACKOFF_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(result.status(), DispatchStatus::Cancelled);
    let node = &result.nodes()[0];
    assert_eq!(node.status(), NodeStatus::Cancelled);
    assert_eq!(node.attempts(), 1);
    assert_eq!(result.nodes()[1].status(), NodeStatus::Cancelled);
    Ok(())
}

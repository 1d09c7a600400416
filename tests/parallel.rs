//! Independent nodes run at the same time, blocking electrons never block the dispatcher, and an
//! executor's concurrency limit holds. Proven by rendezvous, not by timing: the waits below
//! time out only when the property is broken, so a failure is a failure, never a hang.

mod common;

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use orbital::prelude::*;

/// Far longer than any of the work here needs: reaching it means the property is broken.
const GUARD: Duration = Duration::from_secs(20);

/// A barrier with a timeout: `std::sync::Barrier` has none.
struct Rendezvous {
    arrived: Mutex<u32>,
    cv: Condvar,
}

impl Rendezvous {
    const fn new() -> Self {
        Rendezvous {
            arrived: Mutex::new(0),
            cv: Condvar::new(),
        }
    }

    /// Arrives, then waits until `n` have arrived, or `GUARD` passed.
    fn meet(&self, n: u32) -> Result<(), String> {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.cv.notify_all();
        let (arrived, _) = self
            .cv
            .wait_timeout_while(arrived, GUARD, |a| *a < n)
            .unwrap();
        if *arrived < n {
            return Err(format!(
                "only {} of {n} electrons were running at once after {GUARD:?}",
                *arrived
            ));
        }
        Ok(())
    }
}

static PAIR: Rendezvous = Rendezvous::new();

/// Blocks until its partner runs too.
#[electron(time_limit = "60s")]
fn meet_partner(x: u64) -> Result<u64, String> {
    PAIR.meet(2)?;
    Ok(x)
}

#[electron]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[lattice]
fn pair() -> u64 {
    let a = meet_partner(1);
    let b = meet_partner(2);
    add(a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_blocking_electrons_run_at_the_same_time() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = rt.dispatch(pair::build()).await?.wait().await?;
    for n in result.nodes_named("meet_partner") {
        assert_eq!(n.status(), NodeStatus::Completed, "{:?}", n.error());
    }
    assert_eq!(result.output()?, 3);
    Ok(())
}

// Blocking electrons never block the dispatcher (nor the async electrons).

/// More than the test runtime's 2 worker threads: if blocking electrons ran on the workers,
/// the async releaser could never run.
const BLOCKERS: u32 = 6;

static GATE: Mutex<(u32, bool)> = Mutex::new((0, false)); // (arrived, released)
static GATE_CV: Condvar = Condvar::new();

/// Blocks its thread until the async electron releases it.
#[electron]
fn wait_for_release(i: u64) -> Result<u64, String> {
    let mut g = GATE.lock().unwrap();
    g.0 += 1;
    let (g, _) = GATE_CV.wait_timeout_while(g, GUARD, |g| !g.1).unwrap();
    if g.1 {
        Ok(i)
    } else {
        Err(format!(
            "not released after {GUARD:?}: the async electron never ran"
        ))
    }
}

/// Waits (asynchronously) until every blocker is blocked, then releases them.
#[electron]
async fn release_all(n: u32) -> Result<u32, String> {
    let start = Instant::now();
    loop {
        {
            let mut g = GATE.lock().unwrap();
            if g.0 == n {
                g.1 = true;
                GATE_CV.notify_all();
                return Ok(g.0);
            }
        }
        if start.elapsed() > GUARD {
            return Err("the blocking electrons never all started".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[electron]
fn total(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[lattice]
fn blockers_and_releaser(n: u32) -> u64 {
    let blocked: Vec<Node<u64>> = (0..u64::from(n)).map(wait_for_release).collect();
    let released = release_all(n);
    total(blocked).wait_for(released)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_electrons_never_block_the_dispatcher() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = common::within(60, "the dispatch", async {
        rt.dispatch(blockers_and_releaser::build(BLOCKERS))
            .await?
            .wait()
            .await
    })
    .await?;
    for n in result.nodes() {
        assert_eq!(
            n.status(),
            NodeStatus::Completed,
            "{}: {:?}",
            n.name(),
            n.error()
        );
    }
    assert_eq!(result.output()?, (0..u64::from(BLOCKERS)).sum::<u64>());
    let released = result.nodes_named("release_all").next().unwrap();
    assert_eq!(released.output_as::<u32>()?, BLOCKERS);
    Ok(())
}

// An executor's concurrency limit holds.

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MAX_RUNNING: AtomicUsize = AtomicUsize::new(0);
static LIMITED_CALLS: AtomicU32 = AtomicU32::new(0);

#[electron(executor = "two_at_a_time")]
fn limited(x: u64) -> u64 {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    MAX_RUNNING.fetch_max(now, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(20));
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    LIMITED_CALLS.fetch_add(1, Ordering::SeqCst);
    x
}

#[lattice]
fn many_limited(n: u64) -> u64 {
    total((0..n).map(limited).collect::<Vec<_>>())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executors_max_concurrency_is_respected() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime_with(
        &dir,
        "[executors.two_at_a_time]\ntype = \"local\"\nmax_concurrency = 2\n",
    )?;
    let result = rt.dispatch(many_limited::build(12)).await?.wait().await?;
    assert_eq!(result.output()?, (0..12).sum::<u64>());
    assert_eq!(LIMITED_CALLS.load(Ordering::SeqCst), 12);
    let max = MAX_RUNNING.load(Ordering::SeqCst);
    assert!((1..=2).contains(&max), "at most 2 at once, saw {max}");
    Ok(())
}

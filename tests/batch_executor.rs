//! The dispatcher's batch path (submit, poll, collect, cancel), driven through an executor
//! written here that runs its batches on a thread of its own: the same calls a Slurm or
//! Lambda executor receives, without the cluster.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use orbital::executor::{Batching, JobHandle, JobState};
use orbital::prelude::*;
use orbital::registry::Invoke;
use orbital::{Executor, ExecutorError, Task, TaskError, TaskOutcome};

/// Submissions and the largest batch, per electron (tests run in parallel).
static SUBMITS: Mutex<Vec<(&'static str, usize)>> = Mutex::new(Vec::new());
static CANCELS: AtomicUsize = AtomicUsize::new(0);

fn submissions(electron: &str) -> (usize, usize) {
    let s = SUBMITS.lock().unwrap();
    let sizes: Vec<usize> = s
        .iter()
        .filter(|(e, _)| *e == electron)
        .map(|(_, n)| *n)
        .collect();
    (sizes.len(), sizes.into_iter().max().unwrap_or(0))
}

/// Runs each submitted batch on a thread, one task after the other.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct ThreadBatch {
    max_batch: usize,
    #[serde(skip)]
    jobs: Arc<Mutex<HashMap<String, Option<TaskOutcome>>>>,
}

#[typetag::serde(name = "test_thread_batch")]
#[async_trait::async_trait]
impl Executor for ThreadBatch {
    fn kind(&self) -> &'static str {
        "test_thread_batch"
    }

    fn batching(&self) -> Batching {
        Batching::Batch {
            max_batch: self.max_batch,
            poll_interval: Duration::from_millis(5),
        }
    }

    async fn run(&self, _task: Task) -> TaskOutcome {
        unreachable!("a batch executor is never asked to run one task")
    }

    async fn submit(&self, tasks: Vec<Task>) -> Result<Vec<JobHandle>, ExecutorError> {
        let n = {
            let mut s = SUBMITS.lock().unwrap();
            s.push((tasks[0].electron.fn_name, tasks.len()));
            s.len()
        };
        let handles: Vec<JobHandle> = (0..tasks.len())
            .map(|i| JobHandle(format!("batch{n}.{i}")))
            .collect();
        {
            let mut jobs = self.jobs.lock().unwrap();
            for h in &handles {
                jobs.insert(h.0.clone(), None);
            }
        }
        let jobs = self.jobs.clone();
        let names = handles.clone();
        std::thread::spawn(move || {
            for (task, handle) in tasks.into_iter().zip(names) {
                let started = SystemTime::now();
                let result = match task.electron.invoke {
                    Invoke::Blocking(f) => f(task.spec.args),
                    Invoke::Async(_) => Err(TaskError::executor(
                        "async electrons are not run by this test executor",
                    )),
                };
                let mut jobs = jobs.lock().unwrap();
                if let Some(slot) = jobs.get_mut(&handle.0) {
                    slot.get_or_insert(TaskOutcome::new(result, started));
                }
            }
        });
        Ok(handles)
    }

    async fn poll(&self, jobs: &[JobHandle]) -> Result<Vec<JobState>, ExecutorError> {
        let table = self.jobs.lock().unwrap();
        Ok(jobs
            .iter()
            .map(|j| match table.get(&j.0) {
                Some(Some(_)) => JobState::Done,
                _ => JobState::Running,
            })
            .collect())
    }

    async fn collect(&self, job: &JobHandle) -> Result<TaskOutcome, ExecutorError> {
        self.jobs
            .lock()
            .unwrap()
            .remove(&job.0)
            .flatten()
            .ok_or_else(|| ExecutorError {
                executor: "test_thread_batch".into(),
                message: format!("job {} is not done", job.0),
            })
    }

    async fn cancel(&self, job: &JobHandle) -> Result<(), ExecutorError> {
        CANCELS.fetch_add(1, Ordering::SeqCst);
        let mut jobs = self.jobs.lock().unwrap();
        if let Some(slot) = jobs.get_mut(&job.0) {
            slot.get_or_insert(TaskOutcome::new(
                Err(TaskError::new(
                    orbital::TaskErrorKind::Cancelled,
                    "cancelled",
                )),
                SystemTime::now(),
            ));
        }
        Ok(())
    }
}

#[electron(executor = ThreadBatch { max_batch: 16, ..Default::default() })]
fn double(x: u64) -> u64 {
    x * 2
}

#[electron]
fn sum(xs: Vec<u64>) -> u64 {
    xs.iter().sum()
}

#[electron(executor = ThreadBatch { max_batch: 16, ..Default::default() })]
fn fails_on_odd(x: u64) -> Result<u64, String> {
    if x % 2 == 1 {
        Err(format!("{x} is odd"))
    } else {
        Ok(x)
    }
}

#[lattice]
fn doubled(n: u64) -> u64 {
    let parts: Vec<Node<u64>> = (0..n).map(double).collect();
    sum(parts)
}

#[lattice]
fn evens(n: u64) -> u64 {
    let parts: Vec<Node<u64>> = (0..n).map(fails_on_odd).collect();
    sum(parts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_tasks_go_out_in_batches_and_their_outcomes_come_back() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = common::within(60, "the batch dispatch", async {
        rt.dispatch(doubled::build(100)).await?.wait().await
    })
    .await?;
    assert_eq!(result.output()?, (0..100u64).map(|x| x * 2).sum::<u64>());
    let (submits, largest) = submissions("double");
    // 100 tasks ready at once, at most 16 a batch: ceil(100 / 16) = 7 submissions.
    assert_eq!(submits, 7, "100 ready tasks in batches of 16");
    assert_eq!(largest, 16);
    let node = result.nodes_named("double").next().expect("a double node");
    assert_eq!(node.executor(), "test_thread_batch");
    assert_eq!(node.status(), NodeStatus::Completed);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_in_a_batch_fails_only_its_node() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let result = common::within(60, "the batch dispatch", async {
        rt.dispatch(evens::build(6)).await?.wait().await
    })
    .await?;
    assert_eq!(result.status(), DispatchStatus::Failed);
    let failed: Vec<_> = result
        .nodes()
        .iter()
        .filter(|n| n.status() == NodeStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 3, "1, 3 and 5 are odd");
    assert!(failed.iter().any(|n| n.error() == Some("3 is odd")));
    let completed = result
        .nodes_named("fails_on_odd")
        .filter(|n| n.status() == NodeStatus::Completed)
        .count();
    assert_eq!(completed, 3, "0, 2 and 4 completed");
    let total = result.nodes_named("sum").next().unwrap();
    assert_eq!(total.status(), NodeStatus::UpstreamFailed);
    Ok(())
}

static SLOW_STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[electron(executor = ThreadBatch { max_batch: 4, ..Default::default() })]
fn slow(x: u64) -> u64 {
    SLOW_STARTED.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(300));
    x
}

#[lattice]
fn slow_pair() -> u64 {
    let a = slow(1);
    let b = slow(2);
    sum(vec![a, b])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_dispatch_cancels_its_submitted_jobs() -> orbital::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir)?;
    let dispatch = rt.dispatch(slow_pair::build()).await?;
    common::within(30, "the first slow job to start", async {
        while !SLOW_STARTED.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let cancels_before = CANCELS.load(Ordering::SeqCst);
    dispatch.cancel();
    let result = common::within(30, "the cancelled dispatch", dispatch.wait()).await?;
    assert_eq!(result.status(), DispatchStatus::Cancelled);
    assert!(result
        .nodes()
        .iter()
        .all(|n| n.status() == NodeStatus::Cancelled));
    common::within(30, "the executor's cancel calls", async {
        while CANCELS.load(Ordering::SeqCst) < cancels_before + 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    Ok(())
}

//! The pool that runs blocking (plain `fn`) electrons for the `local` executor.
//!
//! tokio's `spawn_blocking` wakes a sleeping thread for every task; when tasks are short, the
//! threads go back to sleep between tasks and every task pays a futex round trip in each
//! direction. This pool hands tasks to *drainer* threads that take queued tasks one after the
//! other and linger briefly when the queue is empty, so a stream of short tasks costs no
//! wake-ups; a new drainer starts whenever a task would otherwise wait (every drainer busy),
//! so long or sleeping tasks still run in parallel, up to [`MAX_DRAINERS`].

use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The most threads running blocking electrons at once (tokio's own default limit).
pub const MAX_DRAINERS: usize = 512;

/// How long an idle drainer waits for more work before it ends.
const LINGER: Duration = Duration::from_micros(200);

type Job = Box<dyn FnOnce() + Send + 'static>;

struct State {
    queue: VecDeque<Job>,
    /// Drainer threads alive.
    drainers: usize,
    /// Drainers not running a job (starting, or looking for work).
    available: usize,
}

struct Pool {
    state: Mutex<State>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            drainers: 0,
            available: 0,
        }),
    })
}

/// Queues `job` to run on a blocking thread.
pub fn spawn(job: impl FnOnce() + Send + 'static) {
    let pool = pool();
    let start_drainer = {
        let mut st = pool.state.lock().unwrap_or_else(|p| p.into_inner());
        st.queue.push_back(Box::new(job));
        let start = st.queue.len() > st.available && st.drainers < MAX_DRAINERS;
        if start {
            st.drainers += 1;
            st.available += 1;
        }
        start
    };
    if start_drainer {
        let spawned = std::thread::Builder::new()
            .name("orbital-blocking".into())
            .spawn(move || drain(pool));
        if spawned.is_err() {
            let mut st = pool.state.lock().unwrap_or_else(|p| p.into_inner());
            st.drainers -= 1;
            st.available -= 1;
            if st.drainers == 0 {
                // No thread can run the queue: run it here rather than lose it.
                let jobs: Vec<Job> = st.queue.drain(..).collect();
                drop(st);
                jobs.into_iter().for_each(|j| j());
            }
        }
    }
}

fn drain(pool: &'static Pool) {
    let mut idle_since: Option<Instant> = None;
    loop {
        let job = {
            let mut st = pool.state.lock().unwrap_or_else(|p| p.into_inner());
            match st.queue.pop_front() {
                Some(job) => {
                    st.available -= 1;
                    Some(job)
                }
                None => {
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= LINGER {
                        st.drainers -= 1;
                        st.available -= 1;
                        return;
                    }
                    None
                }
            }
        };
        match job {
            Some(job) => {
                idle_since = None;
                job();
                pool.state.lock().unwrap_or_else(|p| p.into_inner()).available += 1;
            }
            None => std::thread::yield_now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    #[test]
    fn sleeping_jobs_run_in_parallel() {
        // Eight jobs that can only finish together: a pool that ran them one by one would hang.
        let barrier = Arc::new(Barrier::new(8));
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..8 {
            let (b, tx) = (barrier.clone(), tx.clone());
            super::spawn(move || {
                b.wait();
                tx.send(()).unwrap();
            });
        }
        for _ in 0..8 {
            rx.recv_timeout(std::time::Duration::from_secs(30)).expect("all eight jobs ran at once");
        }
    }

    #[test]
    fn many_short_jobs_all_run() {
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..10_000u32 {
            let tx = tx.clone();
            super::spawn(move || tx.send(i).unwrap());
        }
        drop(tx);
        let mut seen: Vec<u32> = rx.iter().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..10_000).collect::<Vec<_>>());
    }
}

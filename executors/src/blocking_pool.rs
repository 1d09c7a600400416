//! The pool that runs blocking (plain `fn`) electrons for the `local` executor.
//!
//! tokio's `spawn_blocking` wakes a sleeping thread for every task; when tasks are short, the
//! threads go back to sleep between tasks and every task pays a futex round trip in each
//! direction. This pool hands tasks to *drainer* threads that take queued tasks one after the
//! other and linger briefly when the queue is empty, so a stream of short tasks costs no
//! wake-ups; a new drainer starts whenever a task would otherwise wait (every drainer busy),
//! so long or sleeping tasks still run in parallel, up to [`MAX_DRAINERS`].

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The most threads running blocking electrons at once (tokio's own default limit).
pub const MAX_DRAINERS: usize = 512;

/// How long an idle drainer keeps looking for work before it sleeps.
const LINGER: Duration = Duration::from_micros(100);

/// How long a sleeping drainer waits to be woken before its thread ends.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send + 'static>;

struct State {
    queue: VecDeque<Job>,
    /// Drainer threads alive.
    drainers: usize,
    /// Drainers looking for work (not running a job, not sleeping).
    spinning: usize,
    /// Drainers sleeping on the condition variable.
    sleeping: usize,
    /// Wake-ups sent to sleepers and not yet taken.
    wakeups: usize,
}

struct Pool {
    state: Mutex<State>,
    wake: Condvar,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            drainers: 0,
            spinning: 0,
            sleeping: 0,
            wakeups: 0,
        }),
        wake: Condvar::new(),
    })
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Queues `job` to run on a blocking thread.
pub fn spawn(job: impl FnOnce() + Send + 'static) {
    let pool = pool();
    let mut st = pool.lock();
    st.queue.push_back(Box::new(job));
    if st.queue.len() <= st.spinning {
        return; // a drainer looking for work takes it
    }
    if st.sleeping > st.wakeups {
        st.wakeups += 1;
        drop(st);
        pool.wake.notify_one();
        return;
    }
    if st.drainers >= MAX_DRAINERS {
        return; // every thread is busy: the job waits its turn
    }
    st.drainers += 1;
    st.spinning += 1;
    drop(st);
    let spawned = std::thread::Builder::new()
        .name("orbital-blocking".into())
        .spawn(move || drain(pool));
    if spawned.is_err() {
        let mut st = pool.lock();
        st.drainers -= 1;
        st.spinning -= 1;
        if st.drainers == 0 {
            // No thread can run the queue: run it here rather than lose it.
            let jobs: Vec<Job> = st.queue.drain(..).collect();
            drop(st);
            jobs.into_iter().for_each(|j| j());
        }
    }
}

fn drain(pool: &'static Pool) {
    let mut idle_since: Option<Instant> = None;
    let mut st = pool.lock();
    loop {
        if let Some(job) = st.queue.pop_front() {
            st.spinning -= 1;
            drop(st);
            job();
            idle_since = None;
            st = pool.lock();
            st.spinning += 1;
            continue;
        }
        let since = *idle_since.get_or_insert_with(Instant::now);
        if since.elapsed() < LINGER {
            drop(st);
            std::thread::yield_now();
            st = pool.lock();
            continue;
        }
        // Sleep until woken for a job, or end after KEEP_ALIVE.
        st.spinning -= 1;
        st.sleeping += 1;
        let deadline = Instant::now() + KEEP_ALIVE;
        loop {
            let now = Instant::now();
            if st.wakeups > 0 || now >= deadline {
                break;
            }
            st = pool
                .wake
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        st.sleeping -= 1;
        if st.wakeups > 0 {
            st.wakeups -= 1;
            st.spinning += 1;
            idle_since = None;
            continue;
        }
        st.drainers -= 1;
        return;
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
            rx.recv_timeout(std::time::Duration::from_secs(30))
                .expect("all eight jobs ran at once");
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

//! Fixed pools of threads for CPU-bound work (argon2id, RSA signatures).
//!
//! Work that holds a core for a millisecond or more must not run on the async
//! executor: while an event loop signs, the database results and connections its
//! other requests wait for are not picked up, so the pool's connections stay
//! checked out and the machine idles although requests are waiting. A fixed pool of
//! one thread per core keeps the loops free, bounds how many such jobs run at once,
//! and queues the rest (bounded: a full queue makes callers wait, off the executor).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug, thiserror::Error)]
#[error("worker pool unavailable")]
pub struct PoolUnavailable;

/// Called on a pool thread after it has had nothing to do for the idle interval
/// (e.g. to give back memory kept for reuse while busy).
pub type OnIdle = fn();

struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a job is queued (or the pool closes).
    work: Condvar,
    /// Signalled when a job leaves a full queue.
    space: Condvar,
    capacity: usize,
    on_idle: Option<(Duration, OnIdle)>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A job never runs under the lock, so a poisoned lock still holds a sound queue.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Closes the pool when the last handle goes: the threads finish what is queued and exit.
struct Closer(Arc<Shared>);

impl Drop for Closer {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.work.notify_all();
        self.0.space.notify_all();
    }
}

#[derive(Clone)]
pub struct CpuPool {
    shared: Arc<Shared>,
    _closer: Arc<Closer>,
}

impl CpuPool {
    /// `threads` named `{name}-{i}`, at most `queue` jobs waiting; `on_idle`, if
    /// given, runs once on a thread that has waited that long for work.
    pub fn new(
        name: &str,
        threads: usize,
        queue: usize,
        on_idle: Option<(Duration, OnIdle)>,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
            }),
            work: Condvar::new(),
            space: Condvar::new(),
            capacity: queue.max(1),
            on_idle,
        });
        for i in 0..threads.max(1) {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || work(&shared))?;
        }
        Ok(Self {
            _closer: Arc::new(Closer(shared.clone())),
            shared,
        })
    }

    /// One thread per available core.
    pub fn per_core(
        name: &str,
        queue: usize,
        on_idle: Option<(Duration, OnIdle)>,
    ) -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::new(name, cores, queue, on_idle)
    }

    /// Runs `work` on the pool and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolUnavailable> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        let full = {
            let mut q = self.shared.lock();
            if q.closed {
                return Err(PoolUnavailable);
            }
            if q.jobs.len() < self.shared.capacity {
                q.jobs.push_back(job);
                None
            } else {
                Some(job)
            }
        };
        match full {
            None => self.shared.work.notify_one(),
            Some(job) => {
                // The queue is bounded: wait for room off the executor rather than grow.
                let shared = self.shared.clone();
                tokio::task::spawn_blocking(move || {
                    let mut q = shared.lock();
                    while !q.closed && q.jobs.len() >= shared.capacity {
                        q = shared.space.wait(q).unwrap_or_else(|e| e.into_inner());
                    }
                    if q.closed {
                        return Err(PoolUnavailable);
                    }
                    q.jobs.push_back(job);
                    drop(q);
                    shared.work.notify_one();
                    Ok(())
                })
                .await
                .map_err(|_| PoolUnavailable)??;
            }
        }
        rx.await.map_err(|_| PoolUnavailable)
    }
}

fn work(shared: &Shared) {
    let mut idle_done = true;
    let mut q = shared.lock();
    loop {
        if let Some(job) = q.jobs.pop_front() {
            drop(q);
            shared.space.notify_one();
            job();
            idle_done = false;
            q = shared.lock();
            continue;
        }
        if q.closed {
            return;
        }
        match shared.on_idle {
            Some((after, on_idle)) if !idle_done => {
                let (guard, waited) = shared
                    .work
                    .wait_timeout(q, after)
                    .unwrap_or_else(|e| e.into_inner());
                q = guard;
                if waited.timed_out() && q.jobs.is_empty() {
                    drop(q);
                    on_idle();
                    idle_done = true;
                    q = shared.lock();
                }
            }
            _ => q = shared.work.wait(q).unwrap_or_else(|e| e.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static IDLE: AtomicUsize = AtomicUsize::new(0);

    #[tokio::test]
    async fn runs_jobs_and_reports_idle_once() {
        let pool = CpuPool::new(
            "test",
            2,
            1,
            Some((Duration::from_millis(20), || {
                IDLE.fetch_add(1, Ordering::SeqCst);
            })),
        )
        .unwrap();
        // More jobs than the queue holds: callers wait rather than fail.
        let mut handles = Vec::new();
        for i in 0..16u64 {
            let p = pool.clone();
            handles.push(tokio::spawn(async move { p.run(move || i * 2).await }));
        }
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap().unwrap();
        }
        assert_eq!(sum, 240);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = IDLE.load(Ordering::SeqCst);
        // Both threads ran jobs; each gives its memory back once.
        assert!((1..=2).contains(&after), "on_idle ran {after} times");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(IDLE.load(Ordering::SeqCst), after, "idle hook repeats");
    }
}

//! Load generation: closed loop (N connections as fast as they go) for peak rate,
//! open loop (a fixed request rate) for latency at half the peak, measured from the
//! scheduled send time so a slow server cannot hide its queueing.

use std::future::Future;
use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub ok: u64,
    pub errors: u64,
    pub elapsed: f64,
    /// Microseconds, sorted.
    pub latencies: Vec<u32>,
}

impl Stats {
    pub fn rate(&self) -> f64 {
        if self.elapsed > 0.0 {
            self.ok as f64 / self.elapsed
        } else {
            0.0
        }
    }

    /// Percentile in milliseconds.
    pub fn pct(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)] as f64 / 1000.0
    }

    fn merge(parts: Vec<(u64, u64, Vec<u32>)>, elapsed: f64) -> Stats {
        let mut s = Stats {
            elapsed,
            ..Stats::default()
        };
        for (ok, err, lat) in parts {
            s.ok += ok;
            s.errors += err;
            s.latencies.extend(lat);
        }
        s.latencies.sort_unstable();
        s
    }
}

/// `connections` workers each run `op(worker)` back to back for `duration`.
pub async fn closed<F, Fut>(connections: usize, duration: Duration, op: F) -> Stats
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..connections {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut err, mut lat) = (0u64, 0u64, Vec::with_capacity(4096));
            while start.elapsed() < duration {
                let t0 = Instant::now();
                if op(w).await {
                    ok += 1;
                    lat.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
                } else {
                    err += 1;
                }
            }
            (ok, err, lat)
        }));
    }
    let mut parts = Vec::new();
    for t in tasks {
        if let Ok(p) = t.await {
            parts.push(p);
        }
    }
    Stats::merge(parts, start.elapsed().as_secs_f64())
}

/// Sends `rate` requests per second in total, spread over `connections` workers.
pub async fn open<F, Fut>(connections: usize, rate: f64, duration: Duration, op: F) -> Stats
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let per_worker = Duration::from_secs_f64(connections as f64 / rate.max(1.0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..connections {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let offset = per_worker.mul_f64(w as f64 / connections as f64);
            let (mut ok, mut err, mut lat) = (0u64, 0u64, Vec::with_capacity(4096));
            let mut n: u32 = 0;
            loop {
                let scheduled = start + offset + per_worker * n;
                if scheduled.duration_since(start) >= duration {
                    break;
                }
                tokio::time::sleep_until(scheduled.into()).await;
                if op(w).await {
                    ok += 1;
                    lat.push(scheduled.elapsed().as_micros().min(u32::MAX as u128) as u32);
                } else {
                    err += 1;
                }
                n += 1;
            }
            (ok, err, lat)
        }));
    }
    let mut parts = Vec::new();
    for t in tasks {
        if let Ok(p) = t.await {
            parts.push(p);
        }
    }
    Stats::merge(parts, start.elapsed().as_secs_f64())
}

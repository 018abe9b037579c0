//! Prometheus metrics at `/metrics` (text exposition format 0.0.4): requests and
//! latency histograms per endpoint, logins by result, tokens issued by grant, store
//! and database errors, and the back-channel outbox depth.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Errors counted where they are converted, without access to the state.
pub static STORE_ERRORS: AtomicU64 = AtomicU64::new(0);
pub static DB_ERRORS: AtomicU64 = AtomicU64::new(0);

#[derive(Default)]
struct Route {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

#[derive(Default)]
pub struct Metrics {
    routes: RwLock<HashMap<String, Arc<Route>>>,
    logins: [AtomicU64; 3],
    tokens: [AtomicU64; 3],
}

#[derive(Debug, Clone, Copy)]
pub enum LoginResult {
    Success = 0,
    Failure = 1,
    Locked = 2,
}

impl Metrics {
    fn route(&self, name: &str) -> Arc<Route> {
        if let Some(r) = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return r.clone();
        }
        let mut routes = self.routes.write().unwrap_or_else(|e| e.into_inner());
        routes.entry(name.to_owned()).or_default().clone()
    }

    pub fn observe(&self, route: &str, status: u16, started: Instant) {
        let r = self.route(route);
        let secs = started.elapsed().as_secs_f64();
        let class = ((status / 100) as usize).clamp(1, 5) - 1;
        r.by_class[class].fetch_add(1, Ordering::Relaxed);
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                r.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        r.sum_micros
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
        r.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn login(&self, result: LoginResult) {
        self.logins[result as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn token(&self, grant_type: &str) {
        let i = match grant_type {
            "authorization_code" => 0,
            "refresh_token" => 1,
            _ => 2,
        };
        self.tokens[i].fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, outbox_pending: u64, outbox_failed: u64) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP gapura_http_requests_total HTTP requests by route and status class.\n# TYPE gapura_http_requests_total counter"
        );
        let routes = self.routes.read().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<&String> = routes.keys().collect();
        names.sort();
        for name in &names {
            let r = &routes[*name];
            for (i, c) in r.by_class.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "gapura_http_requests_total{{route=\"{name}\",status=\"{}xx\"}} {n}",
                        i + 1
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP gapura_http_request_duration_seconds Request latency by route.\n# TYPE gapura_http_request_duration_seconds histogram"
        );
        for name in &names {
            let r = &routes[*name];
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "gapura_http_request_duration_seconds_bucket{{route=\"{name}\",le=\"{bound}\"}} {}",
                    r.buckets[i].load(Ordering::Relaxed)
                );
            }
            let count = r.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "gapura_http_request_duration_seconds_bucket{{route=\"{name}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "gapura_http_request_duration_seconds_sum{{route=\"{name}\"}} {}",
                r.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "gapura_http_request_duration_seconds_count{{route=\"{name}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP gapura_logins_total Password logins by result.\n# TYPE gapura_logins_total counter"
        );
        for (i, label) in ["success", "failure", "locked"].iter().enumerate() {
            let _ = writeln!(
                out,
                "gapura_logins_total{{result=\"{label}\"}} {}",
                self.logins[i].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP gapura_tokens_issued_total Token responses by grant type.\n# TYPE gapura_tokens_issued_total counter"
        );
        for (i, label) in ["authorization_code", "refresh_token", "client_credentials"]
            .iter()
            .enumerate()
        {
            let _ = writeln!(
                out,
                "gapura_tokens_issued_total{{grant_type=\"{label}\"}} {}",
                self.tokens[i].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP gapura_store_errors_total Failed store operations.\n# TYPE gapura_store_errors_total counter\ngapura_store_errors_total {}",
            STORE_ERRORS.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP gapura_db_errors_total Failed database operations.\n# TYPE gapura_db_errors_total counter\ngapura_db_errors_total {}",
            DB_ERRORS.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP gapura_backchannel_outbox Back-channel logout deliveries by status.\n# TYPE gapura_backchannel_outbox gauge"
        );
        let _ = writeln!(
            out,
            "gapura_backchannel_outbox{{status=\"pending\"}} {outbox_pending}\ngapura_backchannel_outbox{{status=\"failed\"}} {outbox_failed}"
        );
        out
    }
}

/// The exposition served at `/metrics`: the counters and histograms, and the
/// back-channel outbox depth read from the database (0 when it cannot be read).
pub async fn exposition(metrics: &Metrics, db: &sea_orm::DatabaseConnection) -> String {
    use entity::backchannel_delivery as d;
    let count = |status: &'static str| {
        d::Entity::find()
            .filter(d::Column::Status.eq(status))
            .count(db)
    };
    let pending = count("pending").await.unwrap_or(0);
    let failed = count("failed").await.unwrap_or(0);
    metrics.render(pending, failed)
}

//! The request middleware every answer passes: its id (`X-Request-Id`, and the
//! `request` span every log line of the request carries), and its timing and
//! status in the metrics; and the `/metrics` endpoint.

use crate::crypto::random_token;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use std::time::Instant;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Identifies one request in the logs and in its response (`X-Request-Id`): a
/// per-process random prefix and a counter, unique across instances and restarts
/// for any practical purpose, and never derived from what the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn next() -> Self {
        use std::sync::LazyLock;
        use std::sync::atomic::{AtomicU64, Ordering};
        static PREFIX: LazyLock<String> = LazyLock::new(|| random_token(6));
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Self(format!("{}-{n:x}", *PREFIX))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn header_value(&self) -> header::HeaderValue {
        // base64url and hex digits only: always a valid header value.
        header::HeaderValue::from_str(&self.0)
            .unwrap_or_else(|_| header::HeaderValue::from_static("-"))
    }

    /// The id of the request being served, if the middleware gave it one.
    pub fn of(req: &HttpRequest) -> Option<Self> {
        req.extensions().get::<Self>().cloned()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Middleware: times every request and counts it under its route pattern.
/// Also gives every request its id: in the `request` span (so every log line of the
/// request carries it, with the client once known) and in the `X-Request-Id`
/// response header, so an application team can quote the line that explains a
/// refusal.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use tracing::Instrument;
    let started = Instant::now();
    let route = req.match_pattern().unwrap_or_else(|| "other".to_owned());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let id = RequestId::next();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        http.request.method = %req.method(),
        http.route = %route,
        client_id = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty
    );
    req.extensions_mut().insert(id.clone());
    let mut resp = next.call(req).instrument(span.clone()).await?;
    span.record("http.response.status_code", resp.status().as_u16());
    resp.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static(REQUEST_ID_HEADER),
        id.header_value(),
    );
    if let Some(state) = state {
        state
            .metrics
            .observe(&route, resp.status().as_u16(), started);
    }
    Ok(resp)
}

/// `/metrics` (Prometheus text exposition format 0.0.4).
pub async fn endpoint(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(crate::metrics::exposition(&state.metrics, &state.db).await)
}

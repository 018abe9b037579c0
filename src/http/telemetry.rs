//! The request middleware every answer passes: its id (`X-Request-Id`, and the
//! `request` span every log line of the request carries), and its timing and
//! status in the metrics; and the `/metrics` endpoint.

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use std::time::Instant;

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
    let id = crate::http::RequestId::next();
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
        actix_web::http::header::HeaderName::from_static(crate::http::REQUEST_ID_HEADER),
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
        .body(crate::metrics::exposition(&state).await)
}

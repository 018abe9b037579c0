//! Cross-origin access for browser applications (Fetch standard, CORS protocol;
//! OAuth 2.0 for Browser-Based Applications).
//!
//! - Discovery and JWKS are public documents: any origin may read them.
//! - `/token`, `/userinfo`, `/revoke` and `/introspect` answer a page only from an
//!   origin of a registered redirect URI: the origin of one of the redirect URIs
//!   of the client the request authenticated as (at `/userinfo`: the client the
//!   access token was issued to); while no client is proven (a preflight, or an
//!   error before the client is known), the origin of any active client's
//!   redirect URI. Errors carry the headers too, so the application can read why.
//! - Never `Access-Control-Allow-Credentials`: these endpoints take no cookies.
//!
//! A refused origin gets no CORS headers (the browser then withholds the answer)
//! and a log line saying why.

use crate::http::RequestClient;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use std::collections::HashSet;
use std::sync::Arc;

/// How long a browser may cache a preflight answer (seconds).
const MAX_AGE: &str = "600";
/// Response headers a page may read besides the CORS-safelisted ones.
const EXPOSED: &str = "WWW-Authenticate, X-Request-Id";
/// Request headers a page may send to the API endpoints.
const ALLOWED_HEADERS: &str = "Authorization, Content-Type";

/// The origin (`scheme://host[:port]`, RFC 6454 serialisation) of a web redirect
/// URI; `None` for private-use schemes (native apps have no origin).
pub fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    match url.origin() {
        o @ url::Origin::Tuple(..) => Some(o.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// The origins of every active client's redirect URIs, cached until a client
/// changes anywhere (the `client` change epoch clears it with the clients cache).
pub async fn known_origins(state: &AppState) -> Result<Arc<HashSet<String>>, sea_orm::DbErr> {
    if let Some(hit) = state.origins_cache.get(&()) {
        return Ok(hit);
    }
    let generation = state.origins_cache.generation();
    let all: HashSet<String> = crate::clients::list(&state.db)
        .await?
        .iter()
        .filter(|c| c.active)
        .flat_map(|c| c.redirect_uris.iter().filter_map(|u| origin_of(u)))
        .collect();
    let all = Arc::new(all);
    state.origins_cache.insert_at(generation, (), all.clone());
    Ok(all)
}

/// Whether `origin` may read this answer, `client` being the client the request
/// proved it speaks for, if any.
async fn allowed(
    state: &AppState,
    origin: &str,
    client: Option<&str>,
) -> Result<bool, sea_orm::DbErr> {
    match client {
        Some(id) => Ok(crate::clients::get(state, id).await?.is_some_and(|c| {
            c.redirect_uris
                .iter()
                .any(|u| origin_of(u).as_deref() == Some(origin))
        })),
        None => Ok(known_origins(state).await?.contains(origin)),
    }
}

fn origin_header(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn vary_origin(headers: &mut HeaderMap) {
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
}

/// Middleware for the public documents (discovery, JWKS): any origin, no credentials.
pub async fn public(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if is_preflight(&req) {
        let resp = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE))
            .finish();
        return Ok(req.into_response(resp));
    }
    let mut resp = next.call(req).await?.map_into_boxed_body();
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(resp)
}

/// Middleware for the API endpoints a browser application calls (see the module
/// documentation). `methods` is what the endpoint accepts.
pub async fn api(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(origin) = origin_header(&req) else {
        // Not a cross-origin browser request: nothing to add but the Vary.
        let mut resp = next.call(req).await?.map_into_boxed_body();
        vary_origin(resp.headers_mut());
        return Ok(resp);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Ok(origin_value) = HeaderValue::from_str(&origin) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let shown = crate::domain::text::quoted(&origin.chars().take(256).collect::<String>());

    if is_preflight(&req) {
        let ok = match allowed(&state, &origin, None).await {
            Ok(ok) => ok,
            Err(e) => {
                use actix_web::ResponseError;
                let resp = crate::error::OAuthError::from(e).error_response();
                return Ok(req.into_response(resp));
            }
        };
        let mut resp = if ok {
            let methods = if req.path() == "/userinfo" {
                "GET, POST"
            } else {
                "POST"
            };
            HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE))
                .finish()
        } else {
            tracing::info!(origin = %shown, "CORS preflight refused: the origin is not one of a registered redirect URI");
            HttpResponse::build(StatusCode::FORBIDDEN).finish()
        };
        vary_origin(resp.headers_mut());
        if ok {
            allow(resp.headers_mut(), origin_value);
        }
        return Ok(req.into_response(resp));
    }

    let mut resp = next.call(req).await?.map_into_boxed_body();
    let client = resp
        .request()
        .extensions()
        .get::<RequestClient>()
        .map(|c| c.0.clone());
    vary_origin(resp.headers_mut());
    match allowed(&state, &origin, client.as_deref()).await {
        Ok(true) => allow(resp.headers_mut(), origin_value),
        Ok(false) => tracing::info!(
            origin = %shown,
            "CORS: the answer is withheld from this origin (not one of the client's registered redirect URIs)"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "CORS: allowed origins could not be read; answer withheld")
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_of_redirect_uris() {
        assert_eq!(
            origin_of("https://app.kotabogor.go.id/cb?x=1").as_deref(),
            Some("https://app.kotabogor.go.id")
        );
        assert_eq!(
            origin_of("http://localhost:5173/callback").as_deref(),
            Some("http://localhost:5173")
        );
        assert_eq!(
            origin_of("https://App.Example:443/cb").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(origin_of("id.go.kotabogor.app:/cb"), None);
    }
}

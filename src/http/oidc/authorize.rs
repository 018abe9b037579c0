//! Authorization endpoint (OIDC Core §3.1.2, RFC 6749 §4.1, RFC 7636), GET and
//! POST, and the HTTP form of the gate's verdicts for every page that continues
//! a request.
//!
//! A request whose `client_id` or `redirect_uri` cannot be trusted gets an error
//! page and is never redirected (RFC 6749 §4.1.2.1); every other error goes back
//! to the client's redirect URI with `error`, `state` and `iss` (RFC 9207).

use crate::domain::Params;
use crate::error::{ErrorCode, OAuthError};
use crate::http::see_other;
use crate::oidc::auth_request::{self, AuthRequest};
use crate::oidc::authorize::{self, ConsentDecision, Verdict};
use crate::session::SsoSession;
use crate::state::AppState;
use crate::ui::PageError;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn authorize_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match crate::http::page_params(&req, req.query_string().as_bytes()) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    handle(&req, &state, params).await
}

pub async fn authorize_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    match crate::http::form_params(&req, &body) {
        Ok(params) => handle(&req, &state, params).await,
        Err(_) => PageError::BadRequest.page(&req, crate::http::lang(&req, None)),
    }
}

async fn handle(req: &HttpRequest, state: &AppState, params: Params) -> HttpResponse {
    let lang = crate::http::lang(req, params.get("ui_locales"));
    let client = match auth_request::trusted_client(state, &params).await {
        Ok(c) => c,
        Err(page) => return page.page(req, lang),
    };
    let redirect_uri = params.get("redirect_uri").unwrap_or_default().to_owned();
    let client_state = if params.is_dirty("state") {
        None
    } else {
        params.get("state").map(str::to_owned)
    };
    let ar = match auth_request::validate(state, &client, &params) {
        Ok(ar) => ar,
        Err(e) => return error_redirect(state, &redirect_uri, client_state.as_deref(), &e),
    };
    let result = match crate::http::current_session(state, req).await {
        Ok(current) => through_gate(state, req, ar, current, None).await,
        Err(e) => Err(OAuthError::from(e)),
    };
    match result {
        Ok(resp) => resp,
        // A back end is down: say so here (503) rather than bounce the person.
        Err(e) if e.code == ErrorCode::TemporarilyUnavailable => {
            PageError::Unavailable.page(req, lang)
        }
        Err(e) => error_redirect(state, &redirect_uri, client_state.as_deref(), &e),
    }
}

/// Hands a request to the one gate (`oidc::authorize::proceed`) and answers with
/// its verdict: the redirect carrying the code, or the page that can satisfy what
/// is missing (with this browser's cookie the first time, so the sealed request
/// opens only here).
pub async fn through_gate(
    state: &AppState,
    req: &HttpRequest,
    ar: AuthRequest,
    current: Option<(String, SsoSession)>,
    decision: Option<ConsentDecision>,
) -> Result<HttpResponse, OAuthError> {
    let browser = crate::http::browser(state, req);
    Ok(
        match authorize::proceed(state, &browser, ar, current, decision).await? {
            Verdict::Code(url) => see_other(&url),
            Verdict::Page(location) => {
                let mut resp = see_other(&location);
                if let Some(c) = crate::http::browser_cookie(state, &browser) {
                    let _ = resp.add_cookie(&c);
                }
                resp
            }
        },
    )
}

/// The error response of RFC 6749 §4.1.2.1 as a redirect to the client.
pub fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    client_state: Option<&str>,
    e: &OAuthError,
) -> HttpResponse {
    match authorize::error_location(state, redirect_uri, client_state, e) {
        Some(url) => see_other(&url),
        None => HttpResponse::BadRequest().finish(),
    }
}

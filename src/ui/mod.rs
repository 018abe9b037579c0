//! Server-rendered pages (askama, auto-escaped) and their language: Bahasa
//! Indonesia by default, English on request (`ui_locales`, the `lang` switch,
//! or `Accept-Language`).

mod i18n;
mod i18n_mfa;
pub mod pages;

pub use i18n::{LANG_COOKIE, Lang, Texts};
pub use i18n_mfa::{MfaTexts, wib};

use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

pub const STYLESHEET: &str = include_str!("../../ui/static/gapura.css");
/// The WebAuthn glue of the passkey pages (no inline script: CSP `script-src 'self'`).
pub const WEBAUTHN_JS: &str = include_str!("../../ui/static/webauthn.js");

/// Renders a page; a template failure becomes a plain 500 (it is a bug, never input).
pub fn render<T: Template>(
    status: StatusCode,
    page: &T,
    form_target: Option<&str>,
) -> HttpResponse {
    match page.render() {
        Ok(body) => crate::http::html(status, body, form_target),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Renders the logged-out page, whose CSP lets it frame the front-channel logout URIs.
pub fn render_with_frames<T: Template>(
    status: StatusCode,
    page: &T,
    frame_origins: &[String],
) -> HttpResponse {
    match page.render() {
        Ok(body) => {
            let mut resp = crate::http::html(status, body, None);
            let csp = format!(
                "{}; frame-src {}",
                crate::http::csp(None),
                if frame_origins.is_empty() {
                    "'none'".to_owned()
                } else {
                    frame_origins.join(" ")
                }
            );
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&csp) {
                resp.headers_mut()
                    .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, v);
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The parameters of a page's query string or form, or the "bad request" page
/// when they cannot be read (too many, or control characters: `http::Params`).
/// Repeated and oversized values are left for the handler to judge.
// The error is the answer itself, as in the handlers' async helpers.
#[allow(clippy::result_large_err)]
pub fn page_params(
    state: &AppState,
    req: &HttpRequest,
    raw: &[u8],
) -> Result<crate::http::Params, HttpResponse> {
    crate::http::Params::parse(raw)
        .map_err(|_| error_page(state, req, Lang::detect(req, None), "bad_request"))
}

/// An error page for requests that must not be redirected back to a client.
pub fn error_page(
    _state: &AppState,
    req: &HttpRequest,
    lang: Lang,
    kind: &'static str,
) -> HttpResponse {
    tracing::info!(
        page = kind,
        path = req.path(),
        "request refused with an error page"
    );
    let t = lang.texts();
    let (status, message) = match kind {
        "unknown_client" => (StatusCode::BAD_REQUEST, t.err_unknown_client),
        "missing_client" => (StatusCode::BAD_REQUEST, t.err_missing_client),
        "missing_redirect_uri" => (StatusCode::BAD_REQUEST, t.err_missing_redirect_uri),
        "bad_redirect_uri" => (StatusCode::BAD_REQUEST, t.err_bad_redirect_uri),
        "expired" => (StatusCode::BAD_REQUEST, t.err_expired),
        "csrf" => (StatusCode::FORBIDDEN, t.err_csrf),
        "unavailable" => (StatusCode::SERVICE_UNAVAILABLE, t.err_unavailable),
        "not_found" => (StatusCode::NOT_FOUND, t.err_not_found),
        "bad_logout_hint" => (StatusCode::BAD_REQUEST, t.err_bad_logout_hint),
        "bad_post_logout_redirect_uri" => {
            (StatusCode::BAD_REQUEST, t.err_bad_post_logout_redirect_uri)
        }
        _ => (StatusCode::BAD_REQUEST, t.err_bad_request),
    };
    let page = pages::ErrorPage {
        t,
        lang: lang.code(),
        message,
        code: kind,
        reference: crate::http::RequestId::of(req).map(|id| id.to_string()),
    };
    render(status, &page, None)
}

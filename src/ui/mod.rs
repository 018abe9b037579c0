//! Server-rendered pages (askama, auto-escaped) and their language: Bahasa
//! Indonesia by default, English on request (`ui_locales`, the `lang` switch,
//! or `Accept-Language`).

mod i18n;
mod i18n_mfa;
pub mod pages;

pub use i18n::{LANG_COOKIE, Lang, Texts};
pub use i18n_mfa::{MfaTexts, wib};

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
pub fn page_params(
    req: &HttpRequest,
    raw: &[u8],
) -> Result<crate::http::Params, crate::http_error::HtmlError> {
    crate::http::Params::parse(raw)
        .map_err(|_| PageError::BadRequest.at(req, crate::http::lang(req, None)))
}

/// Why a request gets an error page instead of a redirect back to a client. The
/// status and page of each are in `crate::http_error`; `code` is what the page
/// carries in `data-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    UnknownClient,
    MissingClient,
    MissingRedirectUri,
    BadRedirectUri,
    /// The pending authorization request (or the login session it needs) is gone.
    Expired,
    Csrf,
    /// A database or store cannot be reached.
    Unavailable,
    NotFound,
    BadLogoutHint,
    BadPostLogoutRedirectUri,
    BadRequest,
}

impl PageError {
    pub const ALL: [PageError; 11] = [
        PageError::UnknownClient,
        PageError::MissingClient,
        PageError::MissingRedirectUri,
        PageError::BadRedirectUri,
        PageError::Expired,
        PageError::Csrf,
        PageError::Unavailable,
        PageError::NotFound,
        PageError::BadLogoutHint,
        PageError::BadPostLogoutRedirectUri,
        PageError::BadRequest,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PageError::UnknownClient => "unknown_client",
            PageError::MissingClient => "missing_client",
            PageError::MissingRedirectUri => "missing_redirect_uri",
            PageError::BadRedirectUri => "bad_redirect_uri",
            PageError::Expired => "expired",
            PageError::Csrf => "csrf",
            PageError::Unavailable => "unavailable",
            PageError::NotFound => "not_found",
            PageError::BadLogoutHint => "bad_logout_hint",
            PageError::BadPostLogoutRedirectUri => "bad_post_logout_redirect_uri",
            PageError::BadRequest => "bad_request",
        }
    }

    /// The sentence the page shows, in the page's language.
    pub fn message(self, t: &Texts) -> &'static str {
        match self {
            PageError::UnknownClient => t.err_unknown_client,
            PageError::MissingClient => t.err_missing_client,
            PageError::MissingRedirectUri => t.err_missing_redirect_uri,
            PageError::BadRedirectUri => t.err_bad_redirect_uri,
            PageError::Expired => t.err_expired,
            PageError::Csrf => t.err_csrf,
            PageError::Unavailable => t.err_unavailable,
            PageError::NotFound => t.err_not_found,
            PageError::BadLogoutHint => t.err_bad_logout_hint,
            PageError::BadPostLogoutRedirectUri => t.err_bad_post_logout_redirect_uri,
            PageError::BadRequest => t.err_bad_request,
        }
    }
}

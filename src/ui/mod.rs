//! Server-rendered pages (askama, auto-escaped) and their language: Bahasa
//! Indonesia by default, English on request (`ui_locales`, the `lang` switch,
//! or `Accept-Language`). How a page becomes an HTTP answer is
//! `crate::http::render`.

mod i18n;
mod i18n_mfa;
pub mod pages;

pub use i18n::{LANG_COOKIE, Lang, Texts};
pub use i18n_mfa::{MfaTexts, wib};

pub const STYLESHEET: &str = include_str!("../../ui/static/gapura.css");
/// The WebAuthn glue of the passkey pages (no inline script: CSP `script-src 'self'`).
pub const WEBAUTHN_JS: &str = include_str!("../../ui/static/webauthn.js");

/// Why a request gets an error page instead of a redirect back to a client. The
/// status and page of each are in `crate::http::error`; `code` is what the page
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

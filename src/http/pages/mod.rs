//! The person-facing side of a login: the login form, the consent page, the
//! home page, the second factor (step-up, enrolment, passkey login), the new
//! password of an account whose password must be changed, and the person's
//! security settings (logout lives in `crate::logout`). Forms carry CSRF tokens.

pub mod account;
pub mod consent;
pub mod enroll;
pub mod home;
pub mod login;
pub mod mfa;
pub mod passkey_login;
pub mod password;
pub mod strong;

use crate::domain::Params;
use crate::http::csrf_valid;
use crate::http::error::HtmlError;
use crate::oidc::auth_request::AuthRequest;
use crate::session::SsoSession;
use crate::state::AppState;
use crate::ui::{Lang, PageError};
use actix_web::{HttpRequest, web};

/// A posted form of the login flow whose CSRF token checked out, with the
/// pending authorization request it names (if any) and the page language.
pub struct PendingForm {
    pub form: Params,
    pub req_id: String,
    pub ar: Option<AuthRequest>,
    pub lang: Lang,
}

impl PendingForm {
    /// The pending request, required: a form without one has expired.
    pub fn require(&mut self, req: &HttpRequest) -> Result<AuthRequest, HtmlError> {
        self.ar
            .take()
            .ok_or_else(|| PageError::Expired.at(req, self.lang))
    }
}

/// What every form of the login flow checks first: readable parameters, the CSRF
/// token, and the pending request it names (sealed in the form, so a request that
/// cannot be opened has expired; no store is asked).
pub fn pending_form(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<PendingForm, HtmlError> {
    let form = crate::http::page_params(req, body)?;
    if !csrf_valid(state, req, form.get("csrf")) {
        return Err(PageError::Csrf.at(req, crate::http::lang(req, None)));
    }
    let req_id = form.get("req").unwrap_or_default().to_owned();
    let ar = login::pending(state, req, Some(&req_id));
    if !req_id.is_empty() && ar.is_none() {
        return Err(PageError::Expired.at(req, crate::http::lang(req, None)));
    }
    let lang = crate::http::lang(req, ar.as_ref().and_then(|a| a.ui_locales.as_deref()));
    Ok(PendingForm {
        form,
        req_id,
        ar,
        lang,
    })
}

/// The login session a consent or cancel form needs: none is `Expired`, a store
/// that cannot be reached is `Unavailable` (503), as on the login form.
pub async fn login_session(
    state: &AppState,
    req: &HttpRequest,
    lang: Lang,
) -> Result<(String, SsoSession), HtmlError> {
    match crate::http::current_session(state, req).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(PageError::Expired.at(req, lang)),
        Err(e) => {
            tracing::error!(error = %e, "session store unavailable");
            Err(PageError::Unavailable.at(req, lang))
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/login", web::get().to(login::show))
        .route("/login", web::post().to(login::submit))
        .route("/consent", web::get().to(consent::show))
        .route("/consent", web::post().to(consent::submit))
        .route(
            "/login/passkey/options",
            web::post().to(passkey_login::options),
        )
        .route("/login/passkey", web::post().to(passkey_login::submit))
        .route("/login/mfa", web::get().to(mfa::show))
        .route("/login/mfa", web::post().to(mfa::submit))
        .route(
            "/login/mfa/passkey/options",
            web::post().to(mfa::passkey_options),
        )
        .route("/login/mfa/passkey", web::post().to(mfa::passkey_submit))
        .route("/login/enroll", web::get().to(enroll::show))
        .route("/login/enroll/totp", web::post().to(enroll::totp_submit))
        .route(
            "/login/enroll/passkey/options",
            web::post().to(enroll::passkey_options),
        )
        .route(
            "/login/enroll/passkey",
            web::post().to(enroll::passkey_submit),
        )
        .route("/login/password", web::get().to(password::show))
        .route("/login/password", web::post().to(password::submit))
        .route("/login/cancel", web::post().to(mfa::cancel))
        .route("/login/continue", web::post().to(mfa::continue_after))
        .route("/account/security", web::get().to(account::show))
        .route("/account/security/remove", web::post().to(account::remove))
        .route(
            "/account/security/recovery",
            web::post().to(account::regenerate),
        )
        .route("/static/gapura.css", web::get().to(home::stylesheet))
        .route("/static/webauthn.js", web::get().to(home::webauthn_js));
}

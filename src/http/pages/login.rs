//! The login form: NIP or e-mail plus password. The checks (lockout, argon2id,
//! failure bookkeeping) and the session are `authn::login`'s; this page shows the
//! form and its answer, and sets the session cookie.

use crate::audit::AuditEvent;
use crate::authn::{amr, login};
use crate::domain::{Params, RequestMeta};
use crate::http::csrf_token;
use crate::http::error::HtmlError;
use crate::oidc::auth_request::AuthRequest;
use crate::oidc::discovery::ACR_PASSWORD;
use crate::session;
use crate::state::AppState;
use crate::ui::{self, Lang, PageError, pages::LoginPage};
use crate::users;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;

fn lang_for(
    state: &AppState,
    req: &HttpRequest,
    params: &Params,
    ar: Option<&AuthRequest>,
) -> (Lang, Option<Cookie<'static>>) {
    if let Some(l) = params.get("lang").and_then(Lang::parse) {
        let cookie = crate::http::cookie(state, ui::LANG_COOKIE, l.code().to_owned());
        return (l, Some(cookie));
    }
    (
        crate::http::lang(req, ar.and_then(|a| a.ui_locales.as_deref())),
        None,
    )
}

#[derive(Debug, Clone, Copy)]
enum LoginError {
    Failed,
    /// Locked for this many more minutes.
    Locked(i64),
    Passkey,
}

/// The authorization request a page continues (`req`), opened for this browser;
/// `None` without one, or when it is not this browser's, altered or expired.
pub fn pending(state: &AppState, req: &HttpRequest, id: Option<&str>) -> Option<AuthRequest> {
    let sealed = id.filter(|r| !r.is_empty())?;
    match crate::http::open_pending(state, req, sealed) {
        Ok(ar) => Some(ar),
        Err(why) => {
            tracing::info!(?why, "pending authorization request refused");
            None
        }
    }
}

async fn client_name(state: &AppState, ar: Option<&AuthRequest>) -> Option<String> {
    let ar = ar?;
    crate::clients::find(&state.db, &ar.client_id)
        .await
        .ok()
        .flatten()
        .map(|c| c.name)
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    req: &HttpRequest,
    lang: Lang,
    req_id: &str,
    ar: Option<&AuthRequest>,
    username: &str,
    error: Option<LoginError>,
    extra: Option<Cookie<'static>>,
) -> HttpResponse {
    let (csrf, csrf_cookie) = csrf_token(state, req);
    let name = client_name(state, ar).await;
    let base = if req_id.is_empty() {
        "/login?".to_owned()
    } else {
        format!("/login?req={req_id}&")
    };
    let t = lang.texts();
    let page = LoginPage {
        t,
        lang: lang.code(),
        csrf: &csrf,
        req_id,
        client_name: name.as_deref(),
        username,
        error: error.map(|e| match e {
            LoginError::Failed => t.login_failed.to_owned(),
            LoginError::Locked(minutes) => t.err_locked.replace("{}", &minutes.to_string()),
            LoginError::Passkey => lang.mfa().passkey_failed.to_owned(),
        }),
        switch_id: format!("{base}lang=id"),
        switch_en: format!("{base}lang=en"),
        m: lang.mfa(),
        passkeys: state.webauthn.is_some(),
    };
    let status = match error {
        None => StatusCode::OK,
        Some(LoginError::Failed | LoginError::Passkey) => StatusCode::UNAUTHORIZED,
        Some(LoginError::Locked(_)) => StatusCode::TOO_MANY_REQUESTS,
    };
    let mut resp = crate::http::render::render(status, &page, ar.map(|a| a.redirect_uri.as_str()));
    for c in [csrf_cookie, extra].into_iter().flatten() {
        let _ = resp.add_cookie(&c);
    }
    resp
}

/// The login page again after a passkey that was not accepted.
pub async fn render_passkey_failure(
    state: &AppState,
    req: &HttpRequest,
    lang: Lang,
    req_id: &str,
    ar: Option<&AuthRequest>,
) -> HttpResponse {
    render(
        state,
        req,
        lang,
        req_id,
        ar,
        "",
        Some(LoginError::Passkey),
        None,
    )
    .await
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match crate::http::page_params(&req, req.query_string().as_bytes()) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    let req_id = params.get("req");
    let ar = pending(&state, &req, req_id);
    let (lang, lang_cookie) = lang_for(&state, &req, &params, ar.as_ref());
    if req_id.is_some() && ar.is_none() {
        return PageError::Expired.page(&req, lang);
    }
    let hint = ar
        .as_ref()
        .and_then(|a| a.login_hint.clone())
        .unwrap_or_default();
    render(
        &state,
        &req,
        lang,
        req_id.unwrap_or_default(),
        ar.as_ref(),
        &hint,
        None,
        lang_cookie,
    )
    .await
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    let super::PendingForm {
        form,
        req_id,
        ar,
        lang,
    } = super::pending_form(&state, &req, &body)?;
    let req_id = req_id.as_str();
    let login = form.get("username").unwrap_or_default().trim().to_owned();
    let password = SecretString::from(form.get("password").unwrap_or_default().to_owned());
    let attempt = login::Attempt {
        login: &login,
        password: &password,
        client_id: ar.as_ref().map(|a| a.client_id.as_str()),
        meta: &meta,
    };
    let error = match login::password(&state, &attempt).await {
        Ok(login::Outcome::Verified { user, event }) => {
            return Ok(establish(
                &state,
                &req,
                &user,
                ACR_PASSWORD,
                vec![amr::PWD.into()],
                event,
                ar.map(|a| (req_id.to_owned(), a)),
                lang,
            )
            .await);
        }
        Ok(login::Outcome::Failed) => LoginError::Failed,
        Ok(login::Outcome::Locked { minutes }) => LoginError::Locked(minutes),
        Err(e) => {
            tracing::error!(error = %e, "login refused: a back end is unavailable");
            return Err(PageError::Unavailable.at(&req, lang));
        }
    };
    Ok(render(
        &state,
        &req,
        lang,
        req_id,
        ar.as_ref(),
        &login,
        Some(error),
        None,
    )
    .await)
}

/// After a first factor: the session and the login's audit record
/// (`authn::login::open_session`), its cookie, then the authorization request
/// continues.
#[allow(clippy::too_many_arguments)]
pub async fn establish(
    state: &AppState,
    req: &HttpRequest,
    user: &users::User,
    acr: &str,
    amr: Vec<String>,
    event: AuditEvent,
    pending_request: Option<(String, AuthRequest)>,
    lang: Lang,
) -> HttpResponse {
    let previous = crate::http::current_session(state, req)
        .await
        .ok()
        .flatten();
    let meta = crate::http::meta(req);
    let started = match login::open_session(state, &meta, previous, user, acr, amr, event).await {
        Ok(started) => started,
        Err(e) => {
            tracing::error!(error = %e, "login not completed: a back end is unavailable");
            return PageError::Unavailable.page(req, lang);
        }
    };
    let (cookie_value, handle, sso) = (started.cookie_value, started.handle, started.session);
    // Without a pending request the gate is not asked: a one-time password is
    // replaced first all the same.
    let fallback = if user.password_change_required {
        "/login/password"
    } else {
        "/"
    };
    let mut resp = continue_request(state, req, pending_request, handle, sso, fallback).await;
    let _ = resp.add_cookie(&crate::http::session_cookie(state, &cookie_value));
    resp
}

/// Continues a pending authorization request through the gate
/// (`authorize::proceed`), which decides alone whether it gets a code; without a
/// request, goes to `fallback`.
pub async fn continue_request(
    state: &AppState,
    req: &HttpRequest,
    pending_request: Option<(String, AuthRequest)>,
    handle: String,
    sso: session::SsoSession,
    fallback: &str,
) -> HttpResponse {
    match pending_request {
        None => crate::http::see_other(fallback),
        Some((_, ar)) => {
            let redirect_uri = ar.redirect_uri.clone();
            let client_state = ar.state.clone();
            match crate::http::oidc::authorize::through_gate(
                state,
                req,
                ar,
                Some((handle, sso)),
                None,
            )
            .await
            {
                Ok(r) => r,
                Err(e) => crate::http::oidc::authorize::error_redirect(
                    state,
                    &redirect_uri,
                    client_state.as_deref(),
                    &e,
                ),
            }
        }
    }
}

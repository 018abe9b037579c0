//! Login form: NIP or e-mail plus password (argon2id, verified off the executor,
//! with a dummy verification for unknown accounts). Success renews the session id.

use crate::audit::AuditEvent;
use crate::authn::amr;
use crate::domain::Params;
use crate::http::{client_ip, csrf_token, csrf_valid};
use crate::login_guard::{self, Verdict};
use crate::metrics::LoginResult;
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
    body: web::Bytes,
) -> HttpResponse {
    let form = match crate::http::page_params(&req, &body) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    let lang = crate::http::lang(&req, None);
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return PageError::Csrf.page(&req, lang);
    }
    let req_id = form.get("req").unwrap_or_default();
    let ar = pending(&state, &req, Some(req_id));
    if !req_id.is_empty() && ar.is_none() {
        return PageError::Expired.page(&req, lang);
    }
    let lang = crate::http::lang(&req, ar.as_ref().and_then(|a| a.ui_locales.as_deref()));
    let login = form.get("username").unwrap_or_default().trim().to_owned();
    let password = SecretString::from(form.get("password").unwrap_or_default().to_owned());

    let user = match users::find_by_login(&state.db, &login).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "account lookup failed");
            return PageError::Unavailable.page(&req, lang);
        }
    };
    let ip = client_ip(&req).unwrap_or_else(|| "unknown".into());
    let account = match &user {
        Some(u) => u.id.clone(),
        None => format!(
            "unknown:{}",
            login.to_lowercase().chars().take(64).collect::<String>()
        ),
    };
    let client_id = ar.as_ref().map(|a| a.client_id.clone());
    let subject = user.as_ref().map(|u| u.id.clone());
    let audit = |success: bool| {
        let mut e = AuditEvent::new("login", success)
            .actor(login.chars().take(64).collect::<String>())
            .ip(Some(ip.clone()));
        if let Some(s) = &subject {
            e = e.subject(s.clone());
        }
        if let Some(c) = &client_id {
            e = e.client(c.clone());
        }
        e
    };
    match login_guard::check(&state, &account, &ip).await {
        Ok(Verdict::Open) => {}
        Ok(Verdict::Locked(until)) => {
            state.metrics.login(LoginResult::Locked);
            let locked = audit(false).detail(
                serde_json::json!({"reason": "locked", "method": "pwd", "locked_until": until}),
            );
            if state.audit.record(state.now(), locked).await.is_err() {
                return PageError::Unavailable.page(&req, lang);
            }
            let minutes = ((until - state.now()) as f64 / 60.0).ceil().max(1.0) as i64;
            return render(
                &state,
                &req,
                lang,
                req_id,
                ar.as_ref(),
                &login,
                Some(LoginError::Locked(minutes)),
                None,
            )
            .await;
        }
        Err(_) => return PageError::Unavailable.page(&req, lang),
    }
    let verified = state
        .hasher
        .verify(
            &password,
            user.as_ref().and_then(|u| u.password_hash.as_deref()),
        )
        .await;
    let failure = match &user {
        None => Some("unknown_account"),
        Some(_) if !verified => Some("bad_password"),
        Some(u) if !users::is_active(u) => Some("suspended"),
        Some(_) => None,
    };
    if let Some(reason) = failure {
        state.metrics.login(LoginResult::Failure);
        let failed = audit(false).detail(serde_json::json!({"reason": reason, "method": "pwd"}));
        if state.audit.record(state.now(), failed).await.is_err() {
            return PageError::Unavailable.page(&req, lang);
        }
        let (lock, count) = match login_guard::failure(&state, &account, &ip).await {
            Ok(r) => r,
            Err(_) => return PageError::Unavailable.page(&req, lang),
        };
        if login_guard::remember_address(&state, &account, &ip)
            .await
            .is_err()
        {
            return PageError::Unavailable.page(&req, lang);
        }
        if let Some((scope, until)) = lock {
            let e = AuditEvent::new("login.lock", true)
                .actor("system")
                .ip(Some(ip.clone()))
                .detail(serde_json::json!({"scope": scope, "until": until, "account": account}));
            let e = match &user {
                Some(u) => e.subject(u.id.clone()),
                None => e,
            };
            if state.audit.record(state.now(), e).await.is_err() {
                return PageError::Unavailable.page(&req, lang);
            }
        }
        // Progressive delay: each failure from this address slows the next answer.
        tokio::time::sleep(std::time::Duration::from_millis(
            (count.clamp(1, 5) as u64) * 150,
        ))
        .await;
        return render(
            &state,
            &req,
            lang,
            req_id,
            ar.as_ref(),
            &login,
            Some(LoginError::Failed),
            None,
        )
        .await;
    }
    let Some(user) = user else {
        return PageError::BadRequest.page(&req, lang);
    };
    if let Err(e) = login_guard::success(&state, &account, &ip).await {
        tracing::warn!(error = %e, "failure count of the address not reset after a login");
    }
    state.metrics.login(LoginResult::Success);
    let event = audit(true).actor(user.id.clone());
    establish(
        &state,
        &req,
        &user,
        ACR_PASSWORD,
        vec![amr::PWD.into()],
        event,
        ar.map(|a| (req_id.to_owned(), a)),
        lang,
    )
    .await
}

/// After a first factor: a new session (new cookie value: no fixation), the audit
/// record, then the authorization request continues. The same person logging in
/// again keeps the logical session (sid, applications); another person ends it.
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
    let method = amr.join(" ");
    let previous = crate::http::current_session(state, req)
        .await
        .ok()
        .flatten();
    let started = match previous {
        Some((old_handle, old)) if old.user_id == user.id => {
            session::renew(
                state,
                &crate::http::meta(req),
                &old_handle,
                &old,
                acr,
                amr,
                session::Renewal::Login,
            )
            .await
        }
        previous => {
            if let Some((old_handle, old)) = previous
                && crate::logout::end_session(
                    state,
                    &old_handle,
                    &old,
                    crate::logout::EndReason::Replaced,
                )
                .await
                .is_err()
            {
                return PageError::Unavailable.page(req, lang);
            }
            session::start(state, &crate::http::meta(req), &user.id, acr, amr).await
        }
    };
    let Ok(started) = started else {
        return PageError::Unavailable.page(req, lang);
    };
    let (cookie_value, handle, sso) = (started.cookie_value, started.handle, started.session);
    let event = event.detail(serde_json::json!({"method": method, "sid": sso.sid, "acr": sso.acr}));
    if state.audit.record(state.now(), event).await.is_err() {
        return PageError::Unavailable.page(req, lang);
    }
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

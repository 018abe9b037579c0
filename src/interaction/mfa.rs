//! Step-up (OIDC Core §3.1.2.3 with `acr_values`/policy): the second factor of a
//! session that is weaker than a login needs — a TOTP code (RFC 6238), a passkey
//! (WebAuthn §7.2) or a recovery code. Success renews the session id and keeps the
//! SSO session (same `sid`, same applications). Also the shared pieces of the
//! strong-authentication pages: context, guard, step-up, cancel and continue.

use super::login::{continue_request, pending};
use crate::audit::AuditEvent;
use crate::authn::{self, Acr, factors, recovery, totp, webauthn as passkeys};
use crate::error::{ErrorCode, OAuthError};
use crate::http::{Params, client_ip, csrf_token, csrf_valid, see_other};
use crate::oidc::authorize::{self, AuthRequest, pending_key};
use crate::session::{self, SsoSession};
use crate::state::AppState;
use crate::ui::{self, Lang, pages::MfaPage};
use crate::users::User;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

/// Wrong second-factor attempts allowed per person in `FAIL_WINDOW` seconds.
const MAX_FAILURES: i64 = 5;
const FAIL_WINDOW: i64 = 300;

/// Where a strong-authentication page was reached from: a pending authorization
/// request (`req`), or the person's own security settings.
pub struct Ctx {
    pub lang: Lang,
    pub req_id: String,
    pub ar: Option<AuthRequest>,
    pub handle: String,
    pub sso: SsoSession,
    pub user: User,
}

impl Ctx {
    pub fn pending(&self) -> Option<(String, AuthRequest)> {
        self.ar.clone().map(|a| (self.req_id.clone(), a))
    }

    pub fn level(&self) -> Acr {
        authn::level_of(&self.sso.acr)
    }

    pub async fn client_name(&self, state: &AppState) -> Option<String> {
        let ar = self.ar.as_ref()?;
        crate::clients::find(&state.db, &ar.client_id)
            .await
            .ok()
            .flatten()
            .map(|c| c.name)
    }
}

/// The page context, or the response to give instead (expired request, no session).
pub async fn context(
    state: &AppState,
    req: &HttpRequest,
    req_id: &str,
) -> Result<Ctx, HttpResponse> {
    let lang0 = Lang::detect(req, None);
    let ar = match pending(state, Some(req_id).filter(|r| !r.is_empty())).await {
        Ok(ar) => ar,
        Err(_) => return Err(ui::error_page(state, req, lang0, "unavailable")),
    };
    let lang = Lang::detect(req, ar.as_ref().and_then(|a| a.ui_locales.as_deref()));
    if !req_id.is_empty() && ar.is_none() {
        return Err(ui::error_page(state, req, lang, "expired"));
    }
    let (handle, sso) = match session::current(state, req).await {
        Ok(Some(s)) => s,
        Ok(None) if req_id.is_empty() => return Err(see_other("/login")),
        Ok(None) => return Err(see_other(&format!("/login?req={req_id}"))),
        Err(_) => return Err(ui::error_page(state, req, lang, "unavailable")),
    };
    let user = match crate::users::find_by_id(&state.db, &sso.user_id).await {
        Ok(Some(u)) if crate::users::is_active(&u) => u,
        Ok(_) => return Err(see_other("/login")),
        Err(_) => return Err(ui::error_page(state, req, lang, "unavailable")),
    };
    Ok(Ctx {
        lang,
        req_id: req_id.to_owned(),
        ar,
        handle,
        sso,
        user,
    })
}

/// Raises the session with the methods just proved: new cookie value, same sid.
pub async fn elevate(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    methods: &[&str],
) -> Result<session::Started, crate::store::StoreError> {
    let (amr, acr) = authn::combine(&ctx.sso.amr, methods);
    session::renew(state, req, &ctx.handle, &ctx.sso, acr.as_str(), amr).await
}

/// After a successful step-up: back to the authorization request, or to the
/// security settings.
pub async fn stepped_up(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    methods: &[&str],
    method: &str,
) -> HttpResponse {
    let Ok(started) = elevate(state, req, ctx, methods).await else {
        return ui::error_page(state, req, ctx.lang, "unavailable");
    };
    let _ = state.store.delete(&fail_key(&ctx.user.id)).await;
    let mut e = AuditEvent::new("mfa.verify", true)
        .actor(ctx.user.id.clone())
        .subject(ctx.user.id.clone())
        .ip(client_ip(req))
        .detail(json!({"method": method, "sid": started.session.sid, "acr": started.session.acr, "amr": started.session.amr}));
    if let Some(ar) = &ctx.ar {
        e = e.client(ar.client_id.clone());
    }
    state.audit.record(state.now(), e).await;
    let mut resp = continue_request(
        state,
        ctx.pending(),
        started.handle,
        started.session,
        "/account/security",
    )
    .await;
    let _ = resp.add_cookie(&session::cookie(state, &started.cookie_value));
    resp
}

fn fail_key(user_id: &str) -> String {
    format!("mfa-fail:{user_id}")
}

pub async fn locked_out(state: &AppState, user_id: &str) -> bool {
    state
        .store
        .get(&fail_key(user_id))
        .await
        .ok()
        .flatten()
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|n| n >= MAX_FAILURES)
}

pub async fn record_failure(state: &AppState, req: &HttpRequest, ctx: &Ctx, method: &str) {
    let _ = state.store.incr(&fail_key(&ctx.user.id), FAIL_WINDOW).await;
    let e = AuditEvent::new("mfa.verify", false)
        .actor(ctx.user.id.clone())
        .subject(ctx.user.id.clone())
        .ip(client_ip(req))
        .detail(json!({"method": method}));
    state.audit.record(state.now(), e).await;
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    status: StatusCode,
    error: Option<&'static str>,
) -> HttpResponse {
    let summary = match factors::summary(&state.db, &ctx.user.id).await {
        Ok(s) => s,
        Err(_) => return ui::error_page(state, req, ctx.lang, "unavailable"),
    };
    if !summary.has_second_factor() {
        return see_other(&enroll_url(&ctx.req_id));
    }
    let (csrf, csrf_cookie) = csrf_token(state, req);
    let name = ctx.client_name(state).await;
    let page = MfaPage {
        t: ctx.lang.texts(),
        m: ctx.lang.mfa(),
        lang: ctx.lang.code(),
        csrf: &csrf,
        req_id: &ctx.req_id,
        client_name: name.as_deref(),
        error,
        has_totp: summary.totp.is_some(),
        has_passkey: !summary.passkeys.is_empty() && state.webauthn.is_some(),
        recovery_left: summary.recovery_left,
    };
    let mut resp = ui::render(
        status,
        &page,
        ctx.ar.as_ref().map(|a| a.redirect_uri.as_str()),
    );
    if let Some(c) = csrf_cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

pub fn enroll_url(req_id: &str) -> String {
    if req_id.is_empty() {
        "/login/enroll".to_owned()
    } else {
        format!("/login/enroll?req={req_id}")
    }
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = Params::parse(req.query_string().as_bytes()).unwrap_or_default();
    match context(&state, &req, params.get("req").unwrap_or_default()).await {
        Ok(ctx) => render(&state, &req, &ctx, StatusCode::OK, None).await,
        Err(resp) => resp,
    }
}

/// A TOTP or recovery code.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = Params::parse(&body).unwrap_or_default();
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return ui::error_page(&state, &req, Lang::detect(&req, None), "csrf");
    }
    let ctx = match context(&state, &req, form.get("req").unwrap_or_default()).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let m = ctx.lang.mfa();
    if locked_out(&state, &ctx.user.id).await {
        return render(
            &state,
            &req,
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            Some(m.mfa_locked),
        )
        .await;
    }
    let code = form.get("code").unwrap_or_default();
    let now = state.now();
    let method = form.get("method").unwrap_or_default();
    let accepted = match method {
        "totp" => {
            let Ok(summary) = factors::summary(&state.db, &ctx.user.id).await else {
                return ui::error_page(&state, &req, ctx.lang, "unavailable");
            };
            match summary
                .totp
                .as_ref()
                .and_then(|f| factors::totp_secret(&state.master, f).map(|s| (f, s)))
            {
                Some((f, secret)) => {
                    match totp::verify(&state.store, &ctx.user.id, &secret, code, now).await {
                        Ok(totp::Verdict::Accepted) => {
                            let _ = factors::touch(&state.db, &f.id, now, None).await;
                            true
                        }
                        Ok(_) => false,
                        Err(_) => return ui::error_page(&state, &req, ctx.lang, "unavailable"),
                    }
                }
                None => false,
            }
        }
        "recovery" => {
            match recovery::redeem(&state.db, &state.master, &ctx.user.id, code, now).await {
                Ok(true) => {
                    let left = recovery::remaining(&state.db, &ctx.user.id)
                        .await
                        .unwrap_or(0);
                    let e = AuditEvent::new("recovery_code.use", true)
                        .actor(ctx.user.id.clone())
                        .subject(ctx.user.id.clone())
                        .ip(client_ip(&req))
                        .detail(json!({"remaining": left}));
                    state.audit.record(now, e).await;
                    crate::authn::notify(
                        &state,
                        &ctx.user.id,
                        "recovery_code_used",
                        json!({"remaining": left}),
                    )
                    .await;
                    true
                }
                Ok(false) => false,
                Err(_) => return ui::error_page(&state, &req, ctx.lang, "unavailable"),
            }
        }
        _ => return ui::error_page(&state, &req, ctx.lang, "bad_request"),
    };
    if !accepted {
        record_failure(&state, &req, &ctx, method).await;
        return render(
            &state,
            &req,
            &ctx,
            StatusCode::UNAUTHORIZED,
            Some(m.mfa_failed),
        )
        .await;
    }
    stepped_up(&state, &req, &ctx, &[authn::amr::OTP], method).await
}

fn json_error(status: StatusCode, error: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({"error": error}))
}

/// JSON options for a WebAuthn ceremony, `{ceremony, options}`.
pub fn options_response(
    result: Result<(String, serde_json::Value), passkeys::PasskeyError>,
) -> HttpResponse {
    match result {
        Ok((ceremony, options)) => {
            crate::http::json_no_store(&json!({"ceremony": ceremony, "options": options}))
        }
        Err(passkeys::PasskeyError::Unavailable) => {
            json_error(StatusCode::NOT_FOUND, "passkeys_unavailable")
        }
        Err(e) => {
            tracing::warn!(error = %e, "passkey options");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// Checks the CSRF token of a JSON call and gives its context.
pub async fn json_context(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Ctx, HttpResponse> {
    let form = Params::parse(body).unwrap_or_default();
    if !csrf_valid(state, req, form.get("csrf")) {
        return Err(json_error(StatusCode::FORBIDDEN, "csrf"));
    }
    context(state, req, form.get("req").unwrap_or_default())
        .await
        .map_err(|_| json_error(StatusCode::UNAUTHORIZED, "no_session"))
}

pub async fn passkey_options(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = match json_context(&state, &req, &body).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    options_response(passkeys::start_authentication(&state, &ctx.user.id).await)
}

pub async fn passkey_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = Params::parse(&body).unwrap_or_default();
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return ui::error_page(&state, &req, Lang::detect(&req, None), "csrf");
    }
    let ctx = match context(&state, &req, form.get("req").unwrap_or_default()).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let m = ctx.lang.mfa();
    if locked_out(&state, &ctx.user.id).await {
        return render(
            &state,
            &req,
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            Some(m.mfa_locked),
        )
        .await;
    }
    let result = passkeys::finish_authentication(
        &state,
        &ctx.user.id,
        form.get("ceremony").unwrap_or_default(),
        form.get("credential").unwrap_or_default(),
    )
    .await;
    match result {
        Ok(v) => stepped_up(&state, &req, &ctx, &v.methods, "passkey").await,
        Err(e) => {
            tracing::info!(error = %e, "passkey step-up refused");
            record_failure(&state, &req, &ctx, "passkey").await;
            render(
                &state,
                &req,
                &ctx,
                StatusCode::UNAUTHORIZED,
                Some(m.passkey_failed),
            )
            .await
        }
    }
}

/// The person gives up the additional verification: the client hears `access_denied`.
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = Params::parse(&body).unwrap_or_default();
    let lang = Lang::detect(&req, None);
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return ui::error_page(&state, &req, lang, "csrf");
    }
    let req_id = form.get("req").unwrap_or_default();
    let ar: Option<AuthRequest> = if req_id.len() <= 64 {
        state
            .store
            .take_json(&pending_key(req_id))
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let Some(ar) = ar else {
        return ui::error_page(&state, &req, lang, "expired");
    };
    let e = OAuthError::new(
        ErrorCode::AccessDenied,
        "the person did not complete the additional verification",
    );
    authorize::error_redirect(&state, &ar.redirect_uri, ar.state.as_deref(), &e)
}

/// After the recovery codes were shown: continue the authorization request.
pub async fn continue_after(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = Params::parse(&body).unwrap_or_default();
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return ui::error_page(&state, &req, Lang::detect(&req, None), "csrf");
    }
    let ctx = match context(&state, &req, form.get("req").unwrap_or_default()).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    continue_request(
        &state,
        ctx.pending(),
        ctx.handle,
        ctx.sso,
        "/account/security",
    )
    .await
}

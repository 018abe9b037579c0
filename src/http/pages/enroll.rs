//! Enrolling a second factor: an authenticator app (RFC 6238; the first code must
//! verify before the secret is kept) or a passkey (WebAuthn §7.1). Reached from a
//! login whose policy demands a factor the person lacks (`req`), or from the
//! security settings. The first factor enrolled brings ten recovery codes, shown
//! once. Enrolling proves the new factor, so the session steps up too.

use super::mfa::{self, Ctx};
use crate::audit::AuditEvent;
use crate::authn::{self, Acr, amr, factors, recovery, totp, webauthn as passkeys};
use crate::domain::Params;
use crate::http::{client_ip, csrf_token, csrf_valid, see_other};
use crate::state::AppState;
use crate::ui::{Lang, PageError, pages::EnrollPage, pages::RecoveryCodesPage};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

/// How long an unconfirmed TOTP secret waits for its first code.
const PENDING_SECRET_TTL: i64 = 900;

fn pending_secret_key(sid: &str) -> String {
    format!("totp-enroll:{sid}")
}

const PENDING_AAD: &[u8] = b"totp-enroll";

/// Who may enrol: during a login, only a person without a second factor (a person
/// who has one steps up with it instead); in the settings, a person with one must
/// have used it in this session.
async fn guard(state: &AppState, ctx: &Ctx) -> Result<factors::Summary, HttpResponse> {
    let summary = factors::summary(&state.db, &ctx.user.id)
        .await
        .map_err(|_| see_other("/"))?;
    if summary.has_second_factor() && (ctx.ar.is_some() || ctx.level() < Acr::Mfa) {
        return Err(see_other(&if ctx.req_id.is_empty() {
            "/login/mfa".to_owned()
        } else {
            format!("/login/mfa?req={}", ctx.req_id)
        }));
    }
    Ok(summary)
}

/// The secret waiting for confirmation in this session, created on first view.
async fn pending_secret(state: &AppState, ctx: &Ctx, create: bool) -> Option<Vec<u8>> {
    let key = pending_secret_key(&ctx.sso.sid);
    if let Some(sealed) = state.volatile.get(&key).await.ok().flatten() {
        return state.master.decrypt(&sealed, PENDING_AAD).ok();
    }
    if !create {
        return None;
    }
    let secret = totp::new_secret();
    let sealed = state.master.encrypt(&secret, PENDING_AAD);
    state
        .volatile
        .put(&key, &sealed, PENDING_SECRET_TTL)
        .await
        .ok()?;
    Some(secret)
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    status: StatusCode,
    error: Option<&'static str>,
) -> HttpResponse {
    let Some(secret) = pending_secret(state, ctx, true).await else {
        return PageError::Unavailable.page(req, ctx.lang);
    };
    let uri = totp::otpauth_uri("Gapura Kota Bogor", &ctx.user.username, &secret);
    let (csrf, csrf_cookie) = csrf_token(state, req);
    let name = ctx.client_name(state).await;
    let page = EnrollPage {
        t: ctx.lang.texts(),
        m: ctx.lang.mfa(),
        lang: ctx.lang.code(),
        csrf: &csrf,
        req_id: &ctx.req_id,
        client_name: name.as_deref(),
        error,
        required: ctx.ar.is_some(),
        qr: totp::qr_data_uri(&uri).unwrap_or_default(),
        secret: totp::grouped(&totp::base32_encode(&secret)),
        passkeys_available: state.webauthn.is_some(),
    };
    crate::http::render::form_page(
        status,
        &page,
        ctx.ar.as_ref().map(|a| a.redirect_uri.as_str()),
        csrf_cookie,
    )
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match crate::http::page_params(&req, req.query_string().as_bytes()) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    let ctx = match mfa::context(&state, &req, params.get("req").unwrap_or_default()).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if let Err(resp) = guard(&state, &ctx).await {
        return resp;
    }
    render(&state, &req, &ctx, StatusCode::OK, None).await
}

async fn form_context(
    state: &AppState,
    req: &HttpRequest,
    form: &Params,
) -> Result<(Ctx, factors::Summary), HttpResponse> {
    if !csrf_valid(state, req, form.get("csrf")) {
        return Err(PageError::Csrf.page(req, crate::http::lang(req, None)));
    }
    let ctx = mfa::context(state, req, form.get("req").unwrap_or_default()).await?;
    let summary = guard(state, &ctx).await?;
    Ok((ctx, summary))
}

/// Confirms the authenticator app with its first code.
pub async fn totp_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = match crate::http::page_params(&req, &body) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    let (ctx, summary) = match form_context(&state, &req, &form).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let m = ctx.lang.mfa();
    let locked = match mfa::locked_out(&state, &ctx.user.id).await {
        Ok(l) => l,
        Err(_) => return PageError::Unavailable.page(&req, ctx.lang),
    };
    if locked {
        return render(
            &state,
            &req,
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            Some(m.mfa_locked),
        )
        .await;
    }
    let Some(secret) = pending_secret(&state, &ctx, false).await else {
        return render(
            &state,
            &req,
            &ctx,
            StatusCode::BAD_REQUEST,
            Some(m.mfa_failed),
        )
        .await;
    };
    let now = state.now();
    let code = form.get("code").unwrap_or_default();
    match totp::verify(&state.store, &ctx.user.id, &secret, code, now).await {
        Ok(totp::Verdict::Accepted) => {}
        Ok(_) => {
            if mfa::record_failure(&state, &req, &ctx, "totp-enroll")
                .await
                .is_err()
            {
                return PageError::Unavailable.page(&req, ctx.lang);
            }
            return render(
                &state,
                &req,
                &ctx,
                StatusCode::UNAUTHORIZED,
                Some(m.mfa_failed),
            )
            .await;
        }
        Err(_) => return PageError::Unavailable.page(&req, ctx.lang),
    }
    if factors::add_totp(&state.db, &state.master, &ctx.user.id, &secret, now)
        .await
        .is_err()
    {
        return PageError::Unavailable.page(&req, ctx.lang);
    }
    let _ = state
        .volatile
        .delete(&pending_secret_key(&ctx.sso.sid))
        .await;
    enrolled(&state, &req, &ctx, &summary, "totp", "TOTP", &[amr::OTP]).await
}

pub async fn passkey_options(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = match mfa::json_context(&state, &req, &body).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if guard(&state, &ctx).await.is_err() {
        return HttpResponse::Forbidden().json(json!({"error": "step_up_required"}));
    }
    let name = crate::users::display_name(&ctx.user);
    mfa::options_response(
        passkeys::start_registration(&state, &ctx.user.id, &ctx.user.username, &name).await,
    )
}

pub async fn passkey_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = match crate::http::page_params(&req, &body) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    let (ctx, summary) = match form_context(&state, &req, &form).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let result = passkeys::finish_registration(
        &state,
        &ctx.user.id,
        form.get("ceremony").unwrap_or_default(),
        form.get("credential").unwrap_or_default(),
        form.get("label").unwrap_or_default(),
    )
    .await;
    match result {
        // Registration required user verification (WebAuthn §7.1 step 15).
        Ok(f) => {
            enrolled(
                &state,
                &req,
                &ctx,
                &summary,
                "passkey",
                &f.label,
                &[amr::HWK, amr::USER, amr::PIN],
            )
            .await
        }
        Err(e) => {
            tracing::info!(error = %e, "passkey registration refused");
            render(
                &state,
                &req,
                &ctx,
                StatusCode::BAD_REQUEST,
                Some(ctx.lang.mfa().passkey_failed),
            )
            .await
        }
    }
}

/// A factor was added: audit, step the session up, and show recovery codes when
/// this is the person's first second factor (or none are left).
async fn enrolled(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    before: &factors::Summary,
    kind: &str,
    label: &str,
    methods: &[&str],
) -> HttpResponse {
    let now = state.now();
    let e = AuditEvent::new("mfa.enroll", true)
        .actor(ctx.user.id.clone())
        .subject(ctx.user.id.clone())
        .ip(client_ip(req))
        .detail(json!({"kind": kind, "label": label}));
    if state.audit.record(now, e).await.is_err() {
        return PageError::Unavailable.page(req, ctx.lang);
    }
    if authn::notify(
        state,
        &ctx.user.id,
        "factor_added",
        json!({"kind": kind, "label": label}),
    )
    .await
    .is_err()
    {
        return PageError::Unavailable.page(req, ctx.lang);
    }
    let codes = if !before.has_second_factor() || before.recovery_left == 0 {
        match recovery::regenerate(&state.db, &state.master, &ctx.user.id, now).await {
            Ok(c) => Some(c),
            Err(_) => return PageError::Unavailable.page(req, ctx.lang),
        }
    } else {
        None
    };
    let Some(codes) = codes else {
        return mfa::stepped_up(state, req, ctx, methods, kind).await;
    };
    let Ok(started) = mfa::elevate(state, req, ctx, methods).await else {
        return PageError::Unavailable.page(req, ctx.lang);
    };
    let e = AuditEvent::new("recovery_code.generate", true)
        .actor(ctx.user.id.clone())
        .subject(ctx.user.id.clone())
        .detail(json!({"count": codes.len(), "sid": started.session.sid}));
    if state.audit.record(now, e).await.is_err() {
        return PageError::Unavailable.page(req, ctx.lang);
    }
    let target = ctx.ar.as_ref().map(|a| a.redirect_uri.as_str());
    let mut resp = recovery_page(state, req, ctx.lang, &ctx.req_id, codes, target);
    let _ = resp.add_cookie(&crate::http::session_cookie(state, &started.cookie_value));
    resp
}

pub fn recovery_page(
    state: &AppState,
    req: &HttpRequest,
    lang: Lang,
    req_id: &str,
    codes: Vec<String>,
    form_target: Option<&str>,
) -> HttpResponse {
    let (csrf, csrf_cookie) = csrf_token(state, req);
    let page = RecoveryCodesPage {
        t: lang.texts(),
        m: lang.mfa(),
        lang: lang.code(),
        csrf: &csrf,
        req_id,
        codes,
    };
    // "Continue" answers with a redirect to the client: CSP form-action must allow it.
    crate::http::render::form_page(StatusCode::OK, &page, form_target, csrf_cookie)
}

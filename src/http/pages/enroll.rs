//! Enrolling a second factor: an authenticator app (RFC 6238; the first code must
//! verify before the secret is kept) or a passkey (WebAuthn §7.1). Reached from a
//! login whose policy demands a factor the person lacks (`req`), or from the
//! security settings. The first factor enrolled brings ten recovery codes, shown
//! once. Enrolling proves the new factor, so the session steps up too. Who may
//! enrol, the pending secret, the confirmation and what follows it are
//! `authn::enrolment`'s; this page reads the forms, calls it and renders.

use super::mfa::{self, Ctx, unavailable};
use crate::authn::enrolment::{self, Added, Confirmation, Enrolled};
use crate::authn::{amr, factors, totp, webauthn as passkeys};
use crate::domain::{Params, RequestMeta};
use crate::http::{csrf_token, see_other};
use crate::state::AppState;
use crate::ui::{Lang, PageError, pages::EnrollPage, pages::RecoveryCodesPage};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

/// Who may enrol (`enrolment::may_enrol`); one who may not is sent to use the
/// factor they have. The factors the person had until now.
async fn guard(state: &AppState, ctx: &Ctx) -> Result<factors::Summary, HttpResponse> {
    let summary = factors::summary(&state.db, &ctx.user.id)
        .await
        .map_err(|_| see_other("/"))?;
    if !enrolment::may_enrol(summary.has_second_factor(), ctx.ar.is_some(), ctx.level()) {
        return Err(see_other(&if ctx.req_id.is_empty() {
            "/login/mfa".to_owned()
        } else {
            format!("/login/mfa?req={}", ctx.req_id)
        }));
    }
    Ok(summary)
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    status: StatusCode,
    error: Option<&'static str>,
) -> HttpResponse {
    let Some(secret) = enrolment::pending_secret(state, &ctx.sso.sid, true).await else {
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

/// A posted enrolment form: CSRF, the page context, and who may enrol.
async fn form_context(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Params, Ctx, factors::Summary), HttpResponse> {
    let (form, ctx) = mfa::form_context(state, req, body).await?;
    let summary = guard(state, &ctx).await?;
    Ok((form, ctx, summary))
}

/// Confirms the authenticator app with its first code (`enrolment::confirm_totp`).
pub async fn totp_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: web::Bytes,
) -> HttpResponse {
    let (form, ctx, summary) = match form_context(&state, &req, &body).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let m = ctx.lang.mfa();
    let code = form.get("code").unwrap_or_default();
    let (status, error) = match enrolment::confirm_totp(&state, &ctx.attempt(&meta), code).await {
        Ok(Confirmation::Confirmed) => {
            let added = Added {
                kind: "totp",
                label: "TOTP",
                methods: &[amr::OTP],
            };
            return enrolled(&state, &req, &ctx, &meta, &summary, &added).await;
        }
        Ok(Confirmation::Locked) => (StatusCode::TOO_MANY_REQUESTS, m.mfa_locked),
        Ok(Confirmation::NoSecret) => (StatusCode::BAD_REQUEST, m.mfa_failed),
        Ok(Confirmation::Rejected) => (StatusCode::UNAUTHORIZED, m.mfa_failed),
        Err(e) => return unavailable(&req, ctx.lang, e),
    };
    render(&state, &req, &ctx, status, Some(error)).await
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
    meta: RequestMeta,
    body: web::Bytes,
) -> HttpResponse {
    let (form, ctx, summary) = match form_context(&state, &req, &body).await {
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
            let added = Added {
                kind: "passkey",
                label: &f.label,
                methods: &[amr::HWK, amr::USER, amr::PIN],
            };
            enrolled(&state, &req, &ctx, &meta, &summary, &added).await
        }
        Err(e) => {
            tracing::info!(error = %e, "passkey registration refused");
            let failed = Some(ctx.lang.mfa().passkey_failed);
            render(&state, &req, &ctx, StatusCode::BAD_REQUEST, failed).await
        }
    }
}

/// A factor was added (`enrolment::complete`): on with the stepped-up session, or
/// the new recovery codes first (with the raised session's cookie).
async fn enrolled(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    meta: &RequestMeta,
    before: &factors::Summary,
    added: &Added<'_>,
) -> HttpResponse {
    match enrolment::complete(state, &ctx.attempt(meta), before, added).await {
        Ok(Enrolled::SteppedUp(started)) => mfa::proceed(state, req, ctx, started).await,
        Ok(Enrolled::WithCodes { started, codes }) => {
            let target = ctx.ar.as_ref().map(|a| a.redirect_uri.as_str());
            let mut resp = recovery_page(state, req, ctx.lang, &ctx.req_id, codes, target);
            let _ = resp.add_cookie(&crate::http::session_cookie(state, &started.cookie_value));
            resp
        }
        Err(e) => unavailable(req, ctx.lang, e),
    }
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

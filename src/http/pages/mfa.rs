//! Step-up (OIDC Core §3.1.2.3 with `acr_values`/policy): the second factor of a
//! session that is weaker than a login needs — a TOTP code (RFC 6238), a passkey
//! (WebAuthn §7.2) or a recovery code. The checks (attempt limit, verification,
//! failure bookkeeping) and the step-up are `authn::second_factor`'s: success
//! renews the session id and keeps the SSO session (same `sid`, same
//! applications). This page reads the form, calls them and renders; also cancel
//! and continue.

use super::login::continue_request;
pub use super::strong::{
    Ctx, context, form_context, json_context, options_response, proceed, stepped_up, unavailable,
};
use crate::authn::second_factor::{self, Outcome};
use crate::authn::{self, factors, webauthn as passkeys};
use crate::domain::RequestMeta;
use crate::error::{ErrorCode, OAuthError};
use crate::http::{csrf_token, see_other};
use crate::state::AppState;
use crate::ui::{PageError, pages::MfaPage};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

async fn render(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    status: StatusCode,
    error: Option<&'static str>,
) -> HttpResponse {
    let summary = match factors::summary(&state.db, &ctx.user.id).await {
        Ok(s) => s,
        Err(_) => return PageError::Unavailable.page(req, ctx.lang),
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
    crate::http::render::form_page(
        status,
        &page,
        ctx.ar.as_ref().map(|a| a.redirect_uri.as_str()),
        csrf_cookie,
    )
}

pub fn enroll_url(req_id: &str) -> String {
    if req_id.is_empty() {
        "/login/enroll".to_owned()
    } else {
        format!("/login/enroll?req={req_id}")
    }
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match crate::http::page_params(&req, req.query_string().as_bytes()) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    match context(&state, &req, params.get("req").unwrap_or_default()).await {
        Ok(ctx) => render(&state, &req, &ctx, StatusCode::OK, None).await,
        Err(resp) => resp,
    }
}

/// A TOTP or recovery code (`authn::second_factor::verify_code`).
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: web::Bytes,
) -> HttpResponse {
    let (form, ctx) = match form_context(&state, &req, &body).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let method = form.get("method").unwrap_or_default();
    let code = form.get("code").unwrap_or_default();
    let outcome = second_factor::verify_code(&state, &ctx.attempt(&meta), method, code).await;
    let failed = ctx.lang.mfa().mfa_failed;
    answer(&state, &req, &ctx, &meta, outcome, method, failed).await
}

/// The page after a second-factor attempt: on with the stepped-up session, or the
/// form again (401 wrong, 429 attempts used up).
async fn answer(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    meta: &RequestMeta,
    outcome: Result<Outcome, authn::Unavailable>,
    method: &str,
    failed: &'static str,
) -> HttpResponse {
    match outcome {
        Ok(Outcome::Accepted { methods }) => {
            stepped_up(state, req, ctx, meta, &methods, method).await
        }
        Ok(Outcome::Rejected) => {
            render(state, req, ctx, StatusCode::UNAUTHORIZED, Some(failed)).await
        }
        Ok(Outcome::Locked) => {
            let locked = Some(ctx.lang.mfa().mfa_locked);
            render(state, req, ctx, StatusCode::TOO_MANY_REQUESTS, locked).await
        }
        Ok(Outcome::UnknownMethod) => PageError::BadRequest.page(req, ctx.lang),
        Err(e) => unavailable(req, ctx.lang, e),
    }
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
    meta: RequestMeta,
    body: web::Bytes,
) -> HttpResponse {
    let (form, ctx) = match form_context(&state, &req, &body).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let ceremony = form.get("ceremony").unwrap_or_default();
    let credential = form.get("credential").unwrap_or_default();
    let outcome =
        second_factor::verify_passkey(&state, &ctx.attempt(&meta), ceremony, credential).await;
    let failed = ctx.lang.mfa().passkey_failed;
    answer(&state, &req, &ctx, &meta, outcome, "passkey", failed).await
}

/// The person gives up the additional verification: the client hears `access_denied`.
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, crate::http::error::HtmlError> {
    let mut pf = super::pending_form(&state, &req, &body)?;
    let ar = pf.require(&req)?;
    match crate::oidc::pending::mark_answered(&state, &ar).await {
        Ok(true) => {}
        Ok(false) => return Err(PageError::Expired.at(&req, pf.lang)),
        Err(e) => {
            tracing::error!(error = %e, "store unavailable");
            return Err(PageError::Unavailable.at(&req, pf.lang));
        }
    }
    let e = OAuthError::new(
        ErrorCode::AccessDenied,
        "the person did not complete the additional verification",
    );
    Ok(crate::http::oidc::authorize::error_redirect(
        &state,
        &ar.redirect_uri,
        ar.state.as_deref(),
        &e,
    ))
}

/// After the recovery codes were shown: continue the authorization request.
pub async fn continue_after(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = match form_context(&state, &req, &body).await {
        Ok((_, ctx)) => ctx,
        Err(resp) => return resp,
    };
    continue_request(
        &state,
        &req,
        ctx.pending(),
        ctx.handle,
        ctx.sso,
        "/account/security",
    )
    .await
}

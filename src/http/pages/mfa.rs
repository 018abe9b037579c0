//! Step-up (OIDC Core §3.1.2.3 with `acr_values`/policy): the second factor of a
//! session that is weaker than a login needs — a TOTP code (RFC 6238), a passkey
//! (WebAuthn §7.2) or a recovery code. Success renews the session id and keeps the
//! SSO session (same `sid`, same applications). Also cancel and continue.

use super::login::continue_request;
pub use super::strong::{
    Ctx, context, elevate, json_context, locked_out, options_response, record_failure, stepped_up,
};
use crate::audit::AuditEvent;
use crate::authn::{self, factors, recovery, totp, webauthn as passkeys};
use crate::domain::Params;
use crate::error::{ErrorCode, OAuthError};
use crate::http::{client_ip, csrf_token, csrf_valid, see_other};
use crate::state::AppState;
use crate::ui::{PageError, pages::MfaPage};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

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

/// What every second-factor form checks first: the CSRF token, the pending login,
/// and the per-person attempt limit.
async fn checked(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Params, Ctx), HttpResponse> {
    let form = crate::http::page_params(req, body)?;
    if !csrf_valid(state, req, form.get("csrf")) {
        return Err(PageError::Csrf.page(req, crate::http::lang(req, None)));
    }
    let ctx = context(state, req, form.get("req").unwrap_or_default()).await?;
    let locked = match locked_out(state, &ctx.user.id).await {
        Ok(l) => l,
        Err(_) => return Err(PageError::Unavailable.page(req, ctx.lang)),
    };
    if locked {
        let locked = Some(ctx.lang.mfa().mfa_locked);
        return Err(render(state, req, &ctx, StatusCode::TOO_MANY_REQUESTS, locked).await);
    }
    Ok((form, ctx))
}

/// A TOTP or recovery code.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let (form, ctx) = match checked(&state, &req, &body).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let m = ctx.lang.mfa();
    let code = form.get("code").unwrap_or_default();
    let now = state.now();
    let method = form.get("method").unwrap_or_default();
    let accepted = match method {
        "totp" => {
            let Ok(summary) = factors::summary(&state.db, &ctx.user.id).await else {
                return PageError::Unavailable.page(&req, ctx.lang);
            };
            match summary
                .totp
                .as_ref()
                .and_then(|f| factors::totp_secret(&state.master, f).map(|s| (f, s)))
            {
                Some((f, secret)) => {
                    match totp::verify(&state.store, &ctx.user.id, &secret, code, now).await {
                        Ok(totp::Verdict::Accepted) => {
                            if let Err(e) = factors::touch(&state.db, &f.id, now, None).await {
                                tracing::warn!(error = %e, "last use of the factor not recorded");
                            }
                            true
                        }
                        Ok(_) => false,
                        Err(_) => return PageError::Unavailable.page(&req, ctx.lang),
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
                    if state.audit.record(now, e).await.is_err() {
                        return PageError::Unavailable.page(&req, ctx.lang);
                    }
                    if crate::authn::notify(
                        &state,
                        &ctx.user.id,
                        "recovery_code_used",
                        json!({"remaining": left}),
                    )
                    .await
                    .is_err()
                    {
                        return PageError::Unavailable.page(&req, ctx.lang);
                    }
                    true
                }
                Ok(false) => false,
                Err(_) => return PageError::Unavailable.page(&req, ctx.lang),
            }
        }
        _ => return PageError::BadRequest.page(&req, ctx.lang),
    };
    if !accepted {
        if record_failure(&state, &req, &ctx, method).await.is_err() {
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
    stepped_up(&state, &req, &ctx, &[authn::amr::OTP], method).await
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
    let (form, ctx) = match checked(&state, &req, &body).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let m = ctx.lang.mfa();
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
            if record_failure(&state, &req, &ctx, "passkey").await.is_err() {
                return PageError::Unavailable.page(&req, ctx.lang);
            }
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
    let form = match crate::http::page_params(&req, &body) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return PageError::Csrf.page(&req, crate::http::lang(&req, None));
    }
    let ctx = match context(&state, &req, form.get("req").unwrap_or_default()).await {
        Ok(c) => c,
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

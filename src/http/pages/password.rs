//! Choosing a new password when the account's password must be changed (the first
//! administrator's one-time password): reached after the password has verified,
//! from a login with or without a pending authorization request. The gate
//! (`authorize::proceed`) sends every request of such an account here and issues
//! no code until the change is made, so no other page can skip it.

use super::login::continue_request;
use super::strong::{Ctx, context};
use crate::audit::AuditEvent;
use crate::http::{client_ip, csrf_token, csrf_valid, see_other};
use crate::logout::{self, EndReason};
use crate::password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::state::AppState;
use crate::ui::{self, Lang, pages::PasswordChangePage};
use crate::users;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// Why a new password was not accepted.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Mismatch,
    Short,
    Long,
    Same,
}

impl Refusal {
    fn code(self) -> &'static str {
        match self {
            Refusal::Mismatch => "mismatch",
            Refusal::Short => "too_short",
            Refusal::Long => "too_long",
            Refusal::Same => "unchanged",
        }
    }

    fn message(self, lang: Lang) -> String {
        let t = lang.texts();
        match self {
            Refusal::Mismatch => t.err_password_mismatch.to_owned(),
            Refusal::Short => t
                .err_password_short
                .replace("{}", &MIN_PASSWORD_LEN.to_string()),
            Refusal::Long => t.err_password_long.to_owned(),
            Refusal::Same => t.err_password_same.to_owned(),
        }
    }
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    status: StatusCode,
    error: Option<Refusal>,
) -> HttpResponse {
    let (csrf, csrf_cookie) = csrf_token(state, req);
    let name = ctx.client_name(state).await;
    let page = PasswordChangePage {
        t: ctx.lang.texts(),
        lang: ctx.lang.code(),
        csrf: &csrf,
        req_id: &ctx.req_id,
        client_name: name.as_deref(),
        username: &ctx.user.username,
        error: error.map(|e| e.message(ctx.lang)),
        min_len: MIN_PASSWORD_LEN,
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
    let ctx = match context(&state, &req, params.get("req").unwrap_or_default()).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if !ctx.user.password_change_required {
        return see_other("/");
    }
    render(&state, &req, &ctx, StatusCode::OK, None).await
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
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return ui::PageError::Csrf.page(&req, crate::http::lang(&req, None));
    }
    let ctx = match context(&state, &req, form.get("req").unwrap_or_default()).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if !ctx.user.password_change_required {
        return see_other("/");
    }
    let password = SecretString::from(form.get("password").unwrap_or_default().to_owned());
    let confirm = form.get("confirm").unwrap_or_default();
    let refusal = check(&state, &ctx, &password, confirm).await;
    let audit = |success: bool| {
        let mut e = AuditEvent::new("password.change", success)
            .actor(ctx.user.id.clone())
            .subject(ctx.user.id.clone())
            .ip(client_ip(&req));
        if let Some(ar) = &ctx.ar {
            e = e.client(ar.client_id.clone());
        }
        e
    };
    if let Some(why) = refusal {
        tracing::info!(reason = why.code(), "new password refused");
        let e = audit(false).detail(json!({"reason": why.code(), "required": true}));
        if state.audit.record(state.now(), e).await.is_err() {
            return ui::PageError::Unavailable.page(&req, ctx.lang);
        }
        return render(&state, &req, &ctx, StatusCode::BAD_REQUEST, Some(why)).await;
    }
    let id = ctx.user.id.clone();
    if let Err(e) = users::set_password(
        &state.db,
        &state.hasher,
        state.clock.as_ref(),
        ctx.user.clone(),
        &password,
    )
    .await
    {
        tracing::error!(error = %e, "new password not saved");
        return ui::PageError::Unavailable.page(&req, ctx.lang);
    }
    // The gate reads accounts through the cache: this instance sees the change now,
    // the others at their next change-epoch poll.
    state.users_cache.invalidate(&id);
    // Other sessions of the account began with the old password: they end.
    let ended =
        match logout::end_user_sessions(&state, &id, EndReason::PasswordChanged, Some(&ctx.handle))
            .await
        {
            Ok(n) => n,
            Err(_) => return ui::PageError::Unavailable.page(&req, ctx.lang),
        };
    let e = audit(true).detail(json!({"required": true, "sessions_ended": ended}));
    if state.audit.record(state.now(), e).await.is_err() {
        return ui::PageError::Unavailable.page(&req, ctx.lang);
    }
    continue_request(&state, &req, ctx.pending(), ctx.handle, ctx.sso, "/").await
}

/// The same rules as everywhere (`users::check_password_policy`), said in the
/// person's language, plus: typed twice alike, and not the one-time password.
async fn check(
    state: &AppState,
    ctx: &Ctx,
    password: &SecretString,
    confirm: &str,
) -> Option<Refusal> {
    let pw = password.expose_secret();
    if !crate::crypto::ct_eq(pw.as_bytes(), confirm.as_bytes()) {
        return Some(Refusal::Mismatch);
    }
    if pw.len() > MAX_PASSWORD_LEN {
        return Some(Refusal::Long);
    }
    if users::check_password_policy(password).is_err() {
        return Some(Refusal::Short);
    }
    if state
        .hasher
        .verify(password, ctx.user.password_hash.as_deref())
        .await
    {
        return Some(Refusal::Same);
    }
    None
}

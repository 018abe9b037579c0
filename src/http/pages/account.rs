//! "Keamanan akun": the person's own second factors — see them (with last use),
//! remove one, regenerate recovery codes, add another (`enroll`). Changing them
//! needs a session that used the second factor, when the person has one.

use super::enroll::recovery_page;
use super::mfa::{self, Ctx};
use crate::audit::AuditEvent;
use crate::authn::{self, Acr, factors, recovery};
use crate::domain::Params;
use crate::http::{client_ip, csrf_token, csrf_valid, see_other};
use crate::state::AppState;
use crate::ui::{PageError, pages::FactorLine, pages::SecurityPage, wib};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

fn line(f: &factors::Factor, never: &str) -> FactorLine {
    FactorLine {
        id: f.id.clone(),
        label: f.label.clone(),
        added: wib(f.created_at),
        last_used: f.last_used_at.map(wib).unwrap_or_else(|| never.to_owned()),
    }
}

/// Changes need the second factor in this session when the person has one.
fn locked(ctx: &Ctx, summary: &factors::Summary) -> bool {
    summary.has_second_factor() && ctx.level() < Acr::Mfa
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = match mfa::context(&state, &req, "").await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let Ok(summary) = factors::summary(&state.db, &ctx.user.id).await else {
        return PageError::Unavailable.page(&req, ctx.lang);
    };
    let m = ctx.lang.mfa();
    let (csrf, csrf_cookie) = csrf_token(&state, &req);
    let name = crate::users::display_name(&ctx.user);
    let page = SecurityPage {
        t: ctx.lang.texts(),
        m,
        lang: ctx.lang.code(),
        csrf: &csrf,
        user_name: &name,
        level: if ctx.level() >= Acr::Mfa {
            m.level_mfa
        } else {
            m.level_pwd
        },
        locked: locked(&ctx, &summary),
        has_factor: summary.has_second_factor(),
        totp: summary.totp.as_ref().map(|f| line(f, m.never)),
        passkeys: summary.passkeys.iter().map(|f| line(f, m.never)).collect(),
        recovery_left: summary.recovery_left,
    };
    crate::http::render::form_page(StatusCode::OK, &page, None, csrf_cookie)
}

async fn form_context(
    state: &AppState,
    req: &HttpRequest,
    form: &Params,
) -> Result<(Ctx, factors::Summary), HttpResponse> {
    if !csrf_valid(state, req, form.get("csrf")) {
        return Err(PageError::Csrf.page(req, crate::http::lang(req, None)));
    }
    let ctx = mfa::context(state, req, "").await?;
    let summary = factors::summary(&state.db, &ctx.user.id)
        .await
        .map_err(|_| PageError::Unavailable.page(req, ctx.lang))?;
    if locked(&ctx, &summary) {
        return Err(see_other("/login/mfa"));
    }
    Ok((ctx, summary))
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = match crate::http::page_params(&req, &body) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    let (ctx, _) = match form_context(&state, &req, &form).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let id = form.get("id").unwrap_or_default();
    let removed = match factors::remove(&state.db, &ctx.user.id, id).await {
        Ok(Some(f)) => f,
        Ok(None) => return PageError::BadRequest.page(&req, ctx.lang),
        Err(_) => return PageError::Unavailable.page(&req, ctx.lang),
    };
    // Without a second factor, recovery codes would be a password of their own.
    let left = match factors::summary(&state.db, &ctx.user.id).await {
        Ok(s) => s,
        Err(_) => return PageError::Unavailable.page(&req, ctx.lang),
    };
    if !left.has_second_factor() && factors::reset(&state.db, &ctx.user.id).await.is_err() {
        return PageError::Unavailable.page(&req, ctx.lang);
    }
    let e = AuditEvent::new("mfa.remove", true)
        .actor(ctx.user.id.clone())
        .subject(ctx.user.id.clone())
        .ip(client_ip(&req))
        .detail(json!({"kind": removed.kind, "label": removed.label}));
    if state.audit.record(state.now(), e).await.is_err() {
        return PageError::Unavailable.page(&req, ctx.lang);
    }
    if authn::notify(
        &state,
        &ctx.user.id,
        "factor_removed",
        json!({"kind": removed.kind, "label": removed.label}),
    )
    .await
    .is_err()
    {
        return PageError::Unavailable.page(&req, ctx.lang);
    }
    see_other("/account/security")
}

pub async fn regenerate(
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
    if !summary.has_second_factor() {
        return see_other("/account/security");
    }
    let codes =
        match recovery::regenerate(&state.db, &state.master, &ctx.user.id, state.now()).await {
            Ok(c) => c,
            Err(_) => return PageError::Unavailable.page(&req, ctx.lang),
        };
    let e = AuditEvent::new("recovery_code.generate", true)
        .actor(ctx.user.id.clone())
        .subject(ctx.user.id.clone())
        .ip(client_ip(&req))
        .detail(json!({"count": codes.len()}));
    if state.audit.record(state.now(), e).await.is_err() {
        return PageError::Unavailable.page(&req, ctx.lang);
    }
    recovery_page(&state, &req, ctx.lang, "", codes, None)
}

//! "Keamanan akun": the person's own second factors — see them (with last use),
//! remove one, regenerate recovery codes, add another (`enroll`). Changing them
//! needs a session that used the second factor, when the person has one. The
//! changes themselves (and their audit) are `authn::security`'s.

use super::enroll::recovery_page;
use super::mfa::{self, Ctx, unavailable};
use crate::authn::{Acr, factors, security};
use crate::domain::{Params, RequestMeta};
use crate::http::{csrf_token, csrf_valid, see_other};
use crate::state::AppState;
use crate::ui::{PageError, pages::FactorLine, pages::SecurityPage, wib};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

fn line(f: &factors::Factor, never: &str) -> FactorLine {
    FactorLine {
        id: f.id.clone(),
        label: f.label.clone(),
        added: wib(f.created_at),
        last_used: f.last_used_at.map(wib).unwrap_or_else(|| never.to_owned()),
    }
}

/// Changes need the second factor in this session when the person has one
/// (`security::needs_step_up`).
fn locked(ctx: &Ctx, summary: &factors::Summary) -> bool {
    security::needs_step_up(summary.has_second_factor(), ctx.level())
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

/// A posted settings form: readable, its CSRF token, the person's session (never
/// a pending request), and the second factor used when they have one.
async fn form_context(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Params, Ctx, factors::Summary), HttpResponse> {
    let form = crate::http::page_params(req, body)?;
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
    Ok((form, ctx, summary))
}

/// Removes one of the person's factors (`security::remove_factor`).
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: web::Bytes,
) -> HttpResponse {
    let (form, ctx, _) = match form_context(&state, &req, &body).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let id = form.get("id").unwrap_or_default();
    match security::remove_factor(&state, &ctx.user.id, id, &meta).await {
        Ok(true) => see_other("/account/security"),
        Ok(false) => PageError::BadRequest.page(&req, ctx.lang),
        Err(e) => unavailable(&req, ctx.lang, e),
    }
}

/// New recovery codes (`security::new_recovery_codes`), shown this once.
pub async fn regenerate(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: web::Bytes,
) -> HttpResponse {
    let (_, ctx, summary) = match form_context(&state, &req, &body).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    match security::new_recovery_codes(&state, &ctx.user.id, &summary, &meta).await {
        Ok(Some(codes)) => recovery_page(&state, &req, ctx.lang, "", codes, None),
        Ok(None) => see_other("/account/security"),
        Err(e) => unavailable(&req, ctx.lang, e),
    }
}

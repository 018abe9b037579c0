//! Choosing a new password when the account's password must be changed (the first
//! administrator's one-time password): reached after the password has verified,
//! from a login with or without a pending authorization request. The gate
//! (`authorize::proceed`) sends every request of such an account here and issues
//! no code until the change is made, so no other page can skip it. The rules, the
//! change and its audit are `authn::new_password`'s; this page reads the form,
//! calls it and renders.

use super::login::continue_request;
use super::strong::{Ctx, context, form_context, unavailable};
use crate::authn::new_password::{self, Change, Outcome, Refusal};
use crate::domain::RequestMeta;
use crate::http::{csrf_token, see_other};
use crate::password::MIN_PASSWORD_LEN;
use crate::state::AppState;
use crate::ui::{Lang, pages::PasswordChangePage};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;

/// Why a new password was not accepted, in the person's language.
fn message(why: Refusal, lang: Lang) -> String {
    let t = lang.texts();
    match why {
        Refusal::Mismatch => t.err_password_mismatch.to_owned(),
        Refusal::Short => t
            .err_password_short
            .replace("{}", &MIN_PASSWORD_LEN.to_string()),
        Refusal::Long => t.err_password_long.to_owned(),
        Refusal::Same => t.err_password_same.to_owned(),
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
        error: error.map(|e| message(e, ctx.lang)),
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

/// The new password (`authn::new_password::choose`), then on with the request.
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
    if !ctx.user.password_change_required {
        return see_other("/");
    }
    let password = SecretString::from(form.get("password").unwrap_or_default().to_owned());
    let confirm = form.get("confirm").unwrap_or_default();
    let change = Change {
        user: &ctx.user,
        handle: &ctx.handle,
        client_id: ctx.client_id(),
        meta: &meta,
    };
    match new_password::choose(&state, &change, &password, confirm).await {
        Ok(Outcome::Changed) => {
            continue_request(&state, &req, ctx.pending(), ctx.handle, ctx.sso, "/").await
        }
        Ok(Outcome::Refused(why)) => {
            render(&state, &req, &ctx, StatusCode::BAD_REQUEST, Some(why)).await
        }
        Err(e) => unavailable(&req, ctx.lang, e),
    }
}

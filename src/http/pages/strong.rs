//! The shared pieces of the strong-authentication pages: where a page was reached
//! from (a pending authorization request or the settings), going on after a proved
//! factor with the session `authn::second_factor` raised (its new cookie), the
//! answer when a back end is unavailable, and the JSON answers of the WebAuthn
//! option calls.

use super::login::{continue_request, pending};
use crate::authn::{self, Acr, second_factor, webauthn as passkeys};
use crate::domain::{Params, RequestMeta};
use crate::http::{csrf_valid, see_other};
use crate::oidc::auth_request::AuthRequest;
use crate::session::{self, SsoSession};
use crate::state::AppState;
use crate::ui::{Lang, PageError};
use crate::users::User;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

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

    /// The client of the pending authorization request, if any.
    pub fn client_id(&self) -> Option<&str> {
        self.ar.as_ref().map(|a| a.client_id.as_str())
    }

    /// This session as the second-factor services take it.
    pub fn attempt<'a>(&'a self, meta: &'a RequestMeta) -> second_factor::Attempt<'a> {
        second_factor::Attempt {
            user_id: &self.user.id,
            handle: &self.handle,
            session: &self.sso,
            client_id: self.client_id(),
            meta,
        }
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

/// A posted form whose CSRF token checked out, and its page context (the pending
/// request it names); or the response to give instead.
pub async fn form_context(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Params, Ctx), HttpResponse> {
    let form = crate::http::page_params(req, body)?;
    if !csrf_valid(state, req, form.get("csrf")) {
        return Err(PageError::Csrf.page(req, crate::http::lang(req, None)));
    }
    let ctx = context(state, req, form.get("req").unwrap_or_default()).await?;
    Ok((form, ctx))
}

/// The page context, or the response to give instead (expired request, no session).
pub async fn context(
    state: &AppState,
    req: &HttpRequest,
    req_id: &str,
) -> Result<Ctx, HttpResponse> {
    let ar = pending(state, req, Some(req_id));
    let lang = crate::http::lang(req, ar.as_ref().and_then(|a| a.ui_locales.as_deref()));
    if !req_id.is_empty() && ar.is_none() {
        return Err(PageError::Expired.page(req, lang));
    }
    let (handle, sso) = match crate::http::current_session(state, req).await {
        Ok(Some(s)) => s,
        Ok(None) if req_id.is_empty() => return Err(see_other("/login")),
        Ok(None) => return Err(see_other(&format!("/login?req={req_id}"))),
        Err(_) => return Err(PageError::Unavailable.page(req, lang)),
    };
    let user = match crate::users::find_by_id(&state.db, &sso.user_id).await {
        Ok(Some(u)) if crate::users::is_active(&u) => u,
        Ok(_) => return Err(see_other("/login")),
        Err(_) => return Err(PageError::Unavailable.page(req, lang)),
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

/// A back end could not be reached: logged, and the page says the service is
/// unavailable (503).
pub fn unavailable(req: &HttpRequest, lang: Lang, e: authn::Unavailable) -> HttpResponse {
    tracing::error!(error = %e, "page not served: a back end is unavailable");
    PageError::Unavailable.page(req, lang)
}

/// After a proved factor: the session stepped up (`second_factor::step_up`), then
/// on ([`proceed`]).
pub async fn stepped_up(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    meta: &RequestMeta,
    methods: &[&str],
    method: &str,
) -> HttpResponse {
    match second_factor::step_up(state, &ctx.attempt(meta), methods, method).await {
        Ok(started) => proceed(state, req, ctx, started).await,
        Err(e) => unavailable(req, ctx.lang, e),
    }
}

/// With the raised session (its cookie set): back to the authorization request,
/// or to the security settings.
pub async fn proceed(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    started: session::Started,
) -> HttpResponse {
    let mut resp = continue_request(
        state,
        req,
        ctx.pending(),
        started.handle,
        started.session,
        "/account/security",
    )
    .await;
    let _ = resp.add_cookie(&crate::http::session_cookie(state, &started.cookie_value));
    resp
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
        Err(e @ (passkeys::PasskeyError::Store(_) | passkeys::PasskeyError::Db(_))) => {
            tracing::warn!(error = %e, "passkey options");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Err(e) => {
            tracing::info!(error = %e, "passkey options refused");
            json_error(StatusCode::BAD_REQUEST, "no_passkey")
        }
    }
}

/// Checks the CSRF token of a JSON call and gives its context.
pub async fn json_context(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Ctx, HttpResponse> {
    let form =
        Params::parse(body).map_err(|_| json_error(StatusCode::BAD_REQUEST, "bad_request"))?;
    if !csrf_valid(state, req, form.get("csrf")) {
        return Err(json_error(StatusCode::FORBIDDEN, "csrf"));
    }
    context(state, req, form.get("req").unwrap_or_default())
        .await
        .map_err(|_| json_error(StatusCode::UNAUTHORIZED, "no_session"))
}

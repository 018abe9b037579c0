//! The shared pieces of the strong-authentication pages: where a page was reached
//! from (a pending authorization request or the settings), raising the session
//! after a proved factor (new session id, same `sid`), the second-factor attempt
//! limit, and the JSON answers of the WebAuthn option calls.

use super::login::{continue_request, pending};
use crate::audit::AuditEvent;
use crate::authn::{self, Acr, webauthn as passkeys};
use crate::domain::Params;
use crate::http::{client_ip, csrf_valid, see_other};
use crate::oidc::auth_request::AuthRequest;
use crate::session::{self, SsoSession};
use crate::state::AppState;
use crate::ui::{Lang, PageError};
use crate::users::User;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
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

/// Raises the session with the methods just proved: new cookie value, same sid.
pub async fn elevate(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    methods: &[&str],
) -> Result<session::Started, crate::store::StoreError> {
    let (amr, acr) = authn::combine(&ctx.sso.amr, methods);
    session::renew(
        state,
        &crate::http::meta(req),
        &ctx.handle,
        &ctx.sso,
        acr.as_str(),
        amr,
        session::Renewal::StepUp,
    )
    .await
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
        return PageError::Unavailable.page(req, ctx.lang);
    };
    if let Err(e) = state.store.delete(&fail_key(&ctx.user.id)).await {
        tracing::warn!(error = %e, "second-factor failure count not reset");
    }
    let mut e = AuditEvent::new("mfa.verify", true)
        .actor(ctx.user.id.clone())
        .subject(ctx.user.id.clone())
        .ip(client_ip(req))
        .detail(json!({"method": method, "sid": started.session.sid, "acr": started.session.acr, "amr": started.session.amr}));
    if let Some(ar) = &ctx.ar {
        e = e.client(ar.client_id.clone());
    }
    if state.audit.record(state.now(), e).await.is_err() {
        return PageError::Unavailable.page(req, ctx.lang);
    }
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

fn fail_key(user_id: &str) -> String {
    format!("mfa-fail:{user_id}")
}

/// Whether the person used up their second-factor attempts. A store that cannot
/// say is an error, never a "no".
pub async fn locked_out(state: &AppState, user_id: &str) -> Result<bool, crate::store::StoreError> {
    Ok(state
        .store
        .get(&fail_key(user_id))
        .await?
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|n| n >= MAX_FAILURES))
}

/// A failed attempt that could not be counted or audited: the page answers 503.
#[derive(Debug, thiserror::Error)]
pub enum NotRecorded {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

pub async fn record_failure(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    method: &str,
) -> Result<(), NotRecorded> {
    state
        .store
        .incr(&fail_key(&ctx.user.id), FAIL_WINDOW)
        .await?;
    let e = AuditEvent::new("mfa.verify", false)
        .actor(ctx.user.id.clone())
        .subject(ctx.user.id.clone())
        .ip(client_ip(req))
        .detail(json!({"method": method}));
    Ok(state.audit.record(state.now(), e).await?)
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

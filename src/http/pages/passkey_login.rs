//! Username-less login with a passkey (a discoverable credential, WebAuthn §7.2
//! with an empty `allowCredentials`; conditional mediation where the browser has
//! it). A user-verifying passkey is two factors at once (possession + PIN or
//! biometric), so the session starts at the MFA level.

use super::login::{self, establish};
use super::mfa::options_response;
use crate::audit::AuditEvent;
use crate::authn::{self, webauthn as passkeys};
use crate::domain::Params;
use crate::http::{client_ip, csrf_valid};
use crate::state::AppState;
use crate::ui::PageError;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn options(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let Ok(form) = Params::parse(&body) else {
        return HttpResponse::BadRequest().json(serde_json::json!({"error": "bad_request"}));
    };
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return HttpResponse::Forbidden().json(serde_json::json!({"error": "csrf"}));
    }
    options_response(passkeys::start_discoverable(&state).await)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let super::PendingForm {
        form,
        req_id,
        ar,
        lang,
    } = match super::pending_form(&state, &req, &body) {
        Ok(pf) => pf,
        Err(page) => return page.into(),
    };
    let req_id = req_id.as_str();
    let ip = client_ip(&req);
    let client_id = ar.as_ref().map(|a| a.client_id.clone());
    let base = |ok: bool| {
        let e = AuditEvent::new("login", ok).ip(ip.clone());
        match &client_id {
            Some(c) => e.client(c.clone()),
            None => e,
        }
    };
    let verified = passkeys::finish_discoverable(
        &state,
        form.get("ceremony").unwrap_or_default(),
        form.get("credential").unwrap_or_default(),
    )
    .await;
    let user = match verified {
        Ok(v) => match crate::users::find_by_id(&state.db, &v.user_id).await {
            Ok(Some(u)) if crate::users::is_active(&u) => Some((u, v)),
            Ok(_) => None,
            Err(_) => return PageError::Unavailable.page(&req, lang),
        },
        Err(e) => {
            tracing::info!(error = %e, "passkey login refused");
            None
        }
    };
    let Some((user, v)) = user else {
        let e =
            base(false).detail(serde_json::json!({"method": "passkey", "reason": "not_accepted"}));
        if state.audit.record(state.now(), e).await.is_err() {
            return PageError::Unavailable.page(&req, lang);
        }
        return login::render_passkey_failure(&state, &req, lang, req_id, ar.as_ref()).await;
    };
    let (amr, acr) = authn::combine(&[], &v.methods);
    let event = base(true).actor(user.id.clone()).subject(user.id.clone());
    establish(
        &state,
        &req,
        &user,
        acr.as_str(),
        amr,
        event,
        ar.map(|a| (req_id.to_owned(), a)),
        lang,
    )
    .await
}

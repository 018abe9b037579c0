//! Consent page (OIDC Core §3.1.2.4): what the application will receive, approved
//! or denied by the person; approvals are remembered per client.

use crate::audit::AuditEvent;
use crate::domain::Scopes;
use crate::error::{ErrorCode, OAuthError};
use crate::http::error::HtmlError;
use crate::http::{client_ip, csrf_token};
use crate::oidc::auth_request::AuthRequest;
use crate::oidc::authorize;
use crate::state::AppState;
use crate::ui::{
    PageError,
    pages::{ConsentPage, ScopeLine},
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match crate::http::page_params(&req, req.query_string().as_bytes()) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    let req_id = params.get("req").unwrap_or_default();
    let ar: Option<AuthRequest> = crate::http::pages::login::pending(&state, &req, Some(req_id));
    let lang = crate::http::lang(&req, ar.as_ref().and_then(|a| a.ui_locales.as_deref()));
    let Some(ar) = ar else {
        return PageError::Expired.page(&req, lang);
    };
    let (_, sso) = match super::login_session(&state, &req, lang).await {
        Ok(s) => s,
        Err(page) => return page.into(),
    };
    let (client, user) = match (
        crate::clients::find(&state.db, &ar.client_id).await,
        crate::users::find_by_id(&state.db, &sso.user_id).await,
    ) {
        (Ok(Some(client)), Ok(Some(user))) => (client, user),
        (Ok(_), Ok(_)) => return PageError::Expired.page(&req, lang),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "consent page: lookup failed");
            return PageError::Unavailable.page(&req, lang);
        }
    };
    let t = lang.texts();
    let scopes = Scopes::parse(&ar.scope).unwrap_or_default();
    let lines = scopes
        .iter()
        .map(|s| ScopeLine {
            name: s.to_owned(),
            description: t.scope(s),
        })
        .collect();
    let (csrf, csrf_cookie) = csrf_token(&state, &req);
    let user_name = crate::users::display_name(&user);
    let page = ConsentPage {
        t,
        lang: lang.code(),
        csrf: &csrf,
        req_id,
        client_name: &client.name,
        user_name: &user_name,
        scopes: lines,
    };
    crate::http::render::form_page(StatusCode::OK, &page, Some(&ar.redirect_uri), csrf_cookie)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    let mut pf = super::pending_form(&state, &req, &body)?;
    let ar = pf.require(&req)?;
    let (form, lang) = (pf.form, pf.lang);
    let (cookie, sso) = super::login_session(&state, &req, lang).await?;
    let scope = Scopes::parse(&ar.scope).unwrap_or_default();
    let allow = form.get("decision") == Some("allow");
    let event = AuditEvent::new(
        if allow {
            "consent.grant"
        } else {
            "consent.deny"
        },
        true,
    )
    .actor(sso.user_id.clone())
    .subject(sso.user_id.clone())
    .client(ar.client_id.clone())
    .ip(client_ip(&req))
    .detail(serde_json::json!({"scope": ar.scope}));
    if state.audit.record(state.now(), event).await.is_err() {
        return Err(PageError::Unavailable.at(&req, lang));
    }
    if !allow {
        match crate::oidc::pending::mark_answered(&state, &ar).await {
            Ok(true) => {}
            Ok(false) => return Err(PageError::Expired.at(&req, lang)),
            Err(_) => return Err(PageError::Unavailable.at(&req, lang)),
        }
        let e = OAuthError::new(ErrorCode::AccessDenied, "the person denied the request");
        return Ok(crate::http::oidc::authorize::error_redirect(
            &state,
            &ar.redirect_uri,
            ar.state.as_deref(),
            &e,
        ));
    }
    // The approval is remembered; whether a code follows is the gate's decision
    // (login freshness, authentication level, account and client state).
    let (redirect_uri, client_state) = (ar.redirect_uri.clone(), ar.state.clone());
    let result = async {
        crate::consent::remember(&state, &sso.user_id, &ar.client_id, &scope).await?;
        crate::http::oidc::authorize::through_gate(
            &state,
            &req,
            ar,
            Some((cookie, sso)),
            Some(authorize::ConsentDecision::Allow),
        )
        .await
    }
    .await;
    match result {
        Ok(resp) => Ok(resp),
        // A back end is down: say so here (503), as the authorization endpoint does.
        Err(e) if e.code == ErrorCode::TemporarilyUnavailable => {
            Err(PageError::Unavailable.at(&req, lang))
        }
        Err(e) => Ok(crate::http::oidc::authorize::error_redirect(
            &state,
            &redirect_uri,
            client_state.as_deref(),
            &e,
        )),
    }
}

//! Consent page (OIDC Core §3.1.2.4): what the application will receive, approved
//! or denied by the person; approvals are remembered per client.

use crate::audit::AuditEvent;
use crate::domain::Scopes;
use crate::error::{ErrorCode, OAuthError};
use crate::http::{client_ip, csrf_token, csrf_valid};
use crate::oidc::authorize::{self, AuthRequest, pending_key};
use crate::session;
use crate::state::AppState;
use crate::ui::{
    self, Lang,
    pages::{ConsentPage, ScopeLine},
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match crate::ui::page_params(&state, &req, req.query_string().as_bytes()) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let req_id = params.get("req").unwrap_or_default();
    let ar: Option<AuthRequest> = if req_id.len() <= 64 {
        state
            .store
            .get_json(&pending_key(req_id))
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let lang = Lang::detect(&req, ar.as_ref().and_then(|a| a.ui_locales.as_deref()));
    let Some(ar) = ar else {
        return ui::error_page(&state, &req, lang, "expired");
    };
    let Ok(Some((_, sso))) = session::current(&state, &req).await else {
        return ui::error_page(&state, &req, lang, "expired");
    };
    let (Ok(Some(client)), Ok(Some(user))) = (
        crate::clients::find(&state.db, &ar.client_id).await,
        crate::users::find_by_id(&state.db, &sso.user_id).await,
    ) else {
        return ui::error_page(&state, &req, lang, "expired");
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
    let mut resp = ui::render(StatusCode::OK, &page, Some(&ar.redirect_uri));
    if let Some(c) = csrf_cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = match crate::ui::page_params(&state, &req, &body) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let lang = Lang::detect(&req, None);
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return ui::error_page(&state, &req, lang, "csrf");
    }
    let req_id = form.get("req").unwrap_or_default();
    let ar: Option<AuthRequest> = if req_id.len() <= 64 {
        state
            .store
            .take_json(&pending_key(req_id))
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let Some(ar) = ar else {
        return ui::error_page(&state, &req, lang, "expired");
    };
    let Ok(Some((cookie, mut sso))) = session::current(&state, &req).await else {
        return ui::error_page(&state, &req, lang, "expired");
    };
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
    state.audit.record(state.now(), event).await;
    if !allow {
        let e = OAuthError::new(ErrorCode::AccessDenied, "the person denied the request");
        return authorize::error_redirect(&state, &ar.redirect_uri, ar.state.as_deref(), &e);
    }
    let result = async {
        crate::consent::remember(&state, &sso.user_id, &ar.client_id, &scope).await?;
        authorize::issue_code(&state, &ar, &cookie, &mut sso).await
    }
    .await;
    match result {
        Ok(url) => crate::http::see_other(&url),
        Err(e) => authorize::error_redirect(&state, &ar.redirect_uri, ar.state.as_deref(), &e),
    }
}

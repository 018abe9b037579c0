//! Home page (who is logged in) and logout of the Gapura session.

use crate::audit::AuditEvent;
use crate::http::{Params, client_ip, csrf_token, csrf_valid};
use crate::session;
use crate::state::AppState;
use crate::ui::{self, Lang, pages::HomePage};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = Lang::detect(&req, None);
    let user = match session::current(&state, &req).await {
        Ok(Some((_, s))) => crate::users::find_by_id(&state.db, &s.user_id)
            .await
            .ok()
            .flatten(),
        Ok(None) => None,
        Err(_) => return ui::error_page(&state, &req, lang, "unavailable"),
    };
    let (csrf, csrf_cookie) = csrf_token(&state, &req);
    let name = user.as_ref().map(crate::users::display_name);
    let page = HomePage {
        t: lang.texts(),
        lang: lang.code(),
        csrf: &csrf,
        user_name: name.as_deref(),
        username: user.as_ref().map(|u| u.username.as_str()),
    };
    let mut resp = ui::render(StatusCode::OK, &page, None);
    if let Some(c) = csrf_cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let form = Params::parse(&body).unwrap_or_default();
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return ui::error_page(&state, &req, Lang::detect(&req, None), "csrf");
    }
    if let Ok(Some((cookie, s))) = session::current(&state, &req).await {
        let _ = session::end(&state, &cookie).await;
        let e = AuditEvent::new("logout", true)
            .actor(s.user_id.clone())
            .subject(s.user_id)
            .ip(client_ip(&req));
        state.audit.record(state.now(), e).await;
    }
    let mut resp = crate::http::see_other("/");
    let _ = resp.add_cookie(&session::removal_cookie(&state));
    resp
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(ui::STYLESHEET)
}

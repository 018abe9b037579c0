//! Home page: who is logged in, with a logout button.

use crate::http::csrf_token;
use crate::state::AppState;
use crate::ui::{self, PageError, pages::HomePage};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = crate::http::lang(&req, None);
    let user = match crate::http::current_session(&state, &req).await {
        Ok(Some((_, s))) => crate::users::find_by_id(&state.db, &s.user_id)
            .await
            .ok()
            .flatten(),
        Ok(None) => None,
        Err(_) => return PageError::Unavailable.page(&req, lang),
    };
    let (csrf, csrf_cookie) = csrf_token(&state, &req);
    let name = user.as_ref().map(crate::users::display_name);
    let page = HomePage {
        t: lang.texts(),
        lang: lang.code(),
        csrf: &csrf,
        user_name: name.as_deref(),
        username: user.as_ref().map(|u| u.username.as_str()),
        m: lang.mfa(),
    };
    crate::http::render::form_page(StatusCode::OK, &page, None, csrf_cookie)
}

pub async fn webauthn_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(ui::WEBAUTHN_JS)
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(ui::STYLESHEET)
}

//! Pages as HTTP answers: a rendered template with the security headers and CSP
//! (`crate::http::html`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

/// Renders a page; a template failure becomes a plain 500 (it is a bug, never input).
pub fn render<T: Template>(
    status: StatusCode,
    page: &T,
    form_target: Option<&str>,
) -> HttpResponse {
    match page.render() {
        Ok(body) => crate::http::html(status, body, form_target),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Renders a page that carries a form: the CSRF cookie goes with it when the
/// browser had none (`http::csrf_token`).
pub fn form_page<T: Template>(
    status: StatusCode,
    page: &T,
    form_target: Option<&str>,
    csrf_cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> HttpResponse {
    let mut resp = render(status, page, form_target);
    if let Some(c) = csrf_cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

/// Renders the logged-out page, whose CSP lets it frame the front-channel logout URIs.
pub fn render_with_frames<T: Template>(
    status: StatusCode,
    page: &T,
    frame_origins: &[String],
) -> HttpResponse {
    match page.render() {
        Ok(body) => {
            let mut resp = crate::http::html(status, body, None);
            let csp = format!(
                "{}; frame-src {}",
                crate::http::csp(None),
                if frame_origins.is_empty() {
                    "'none'".to_owned()
                } else {
                    frame_origins.join(" ")
                }
            );
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&csp) {
                resp.headers_mut()
                    .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, v);
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

//! The HTTP edge: every actix-web type in Gapura stays under this module. Handlers
//! extract what a request carries (parameters, cookies, headers, the client's
//! address), call a service with plain values, and map its answer or error to
//! HTTP (`error`). Below: the middleware (`guard`, `cors`, `telemetry`), the
//! server (`server`), and the handlers per surface (`oidc`, `pages`, `logout`,
//! `admin`, `scim`, `directory`, `health`). This file holds the helpers they
//! share: strict form parsing, the client's address, cookies, CSRF tokens,
//! security headers and HTML responses.

pub mod admin;
pub mod cors;
pub mod directory;
pub mod error;
pub mod extract;
pub mod guard;
pub mod health;
pub mod logout;
pub mod oidc;
pub mod pages;
pub mod render;
pub mod scim;
pub mod server;
pub mod telemetry;

use crate::crypto::{ct_eq, random_token};
use crate::domain::Params;
use crate::error::OAuthError;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};

/// The client a request authenticated as (or, at `/userinfo`, the client its
/// access token was issued to): what CORS answers for.
#[derive(Debug, Clone)]
pub struct RequestClient(pub crate::domain::ClientId);

/// Records that the request proved it speaks for `client_id` (see [`RequestClient`]).
pub fn note_client(req: &HttpRequest, client_id: &str) {
    crate::telemetry::note_claimed_client(client_id);
    req.extensions_mut().insert(RequestClient(client_id.into()));
}

/// A form body must be `application/x-www-form-urlencoded` (RFC 6749 §3.2).
pub fn form_params(req: &HttpRequest, body: &[u8]) -> Result<Params, OAuthError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "body must be application/x-www-form-urlencoded",
        ));
    }
    Ok(Params::parse(body)?)
}

/// Where the request came from: the TCP peer, or, when that peer is one of the
/// configured `trusted_proxies`, the client named by its `Forwarded` /
/// `X-Forwarded-For` headers (rules in `crate::net`). Every address Gapura records
/// or counts (login guard, audit, sessions) comes from here.
pub fn client_addr(req: &HttpRequest) -> Option<crate::net::ClientAddr> {
    let peer = req.peer_addr()?.ip();
    let state = req.app_data::<actix_web::web::Data<AppState>>();
    let Some(trusted) = state.map(|s| &s.settings.trusted_proxies) else {
        return Some(crate::net::TrustedProxies::default().resolve(peer, &[], &[]));
    };
    let values = |name: header::HeaderName| -> Vec<&[u8]> {
        req.headers().get_all(name).map(|v| v.as_bytes()).collect()
    };
    Some(trusted.resolve(
        peer,
        &values(header::FORWARDED),
        &values(header::X_FORWARDED_FOR),
    ))
}

/// The client's address as text (see `client_addr`).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    client_addr(req).map(|a| a.ip.to_string())
}

/// Longest `User-Agent` kept (sessions list, audit).
const MAX_USER_AGENT: usize = 200;

/// The request's metadata as the services take it.
pub fn meta(req: &HttpRequest) -> crate::domain::RequestMeta {
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| {
            crate::domain::text::quoted(&ua.chars().take(MAX_USER_AGENT).collect::<String>())
        });
    crate::domain::RequestMeta {
        ip: client_ip(req),
        user_agent,
    }
}

pub const CSRF_COOKIE: &str = "gapura_csrf";

/// Every cookie Gapura sets (session, CSRF, language): path `/`, `HttpOnly`,
/// `SameSite=Lax`, host-only, and, when the issuer is https, `Secure` with the
/// `__Host-` prefix (RFC 6265bis §4.1.3.2), so neither a plain-http response nor a
/// sibling subdomain can plant or overwrite it.
pub fn cookie(state: &AppState, base: &str, value: String) -> Cookie<'static> {
    Cookie::build(state.cookie_name(base), value)
        .path("/")
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Lax)
        .finish()
}

/// The cookie that deletes one of Gapura's cookies.
pub fn removal_cookie(state: &AppState, base: &str) -> Cookie<'static> {
    let mut c = cookie(state, base, String::new());
    c.set_max_age(actix_web::cookie::time::Duration::ZERO);
    c
}

/// One of Gapura's cookies as this request carries it, under the name `cookie`
/// gives it (a `__Host-` cookie over https; the bare name is then ignored).
pub fn request_cookie(req: &HttpRequest, base: &str) -> Option<Cookie<'static>> {
    let name = match req.app_data::<actix_web::web::Data<AppState>>() {
        Some(state) => state.cookie_name(base),
        None => base.to_owned(),
    };
    req.cookie(&name)
}

/// The value of one of Gapura's cookies (`base` without the `__Host-` prefix).
pub fn cookie_value(state: &AppState, req: &HttpRequest, base: &str) -> Option<String> {
    req.cookie(&state.cookie_name(base))
        .map(|c| c.value().to_owned())
}

/// This browser's live SSO session, if any (see `session::current`).
pub async fn current_session(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<(String, crate::session::SsoSession)>, crate::store::StoreError> {
    let cookie = cookie_value(state, req, crate::session::COOKIE);
    crate::session::current(state, cookie.as_deref()).await
}

/// The session cookie for a session just started or renewed.
pub fn session_cookie(state: &AppState, value: &str) -> Cookie<'static> {
    cookie(state, crate::session::COOKIE, value.to_owned())
}

pub fn session_removal_cookie(state: &AppState) -> Cookie<'static> {
    removal_cookie(state, crate::session::COOKIE)
}

/// The browser a pending authorization request is bound to.
pub fn browser(state: &AppState, req: &HttpRequest) -> crate::oidc::pending::Browser {
    let value = cookie_value(state, req, crate::oidc::pending::BROWSER_COOKIE);
    crate::oidc::pending::Browser::of(value.as_deref())
}

/// The cookie that names a browser seen for the first time.
pub fn browser_cookie(
    state: &AppState,
    browser: &crate::oidc::pending::Browser,
) -> Option<Cookie<'static>> {
    browser
        .new_cookie()
        .map(|v| cookie(state, crate::oidc::pending::BROWSER_COOKIE, v.to_owned()))
}

/// Opens the sealed pending request `sealed` that this browser presents.
pub fn open_pending(
    state: &AppState,
    req: &HttpRequest,
    sealed: &str,
) -> Result<crate::oidc::auth_request::AuthRequest, crate::oidc::pending::Refused> {
    let browser = cookie_value(state, req, crate::oidc::pending::BROWSER_COOKIE);
    crate::oidc::pending::open(state, browser.as_deref(), sealed)
}

/// The page language: `ui_locales` (first supported tag) > `lang` cookie >
/// `Accept-Language` > Indonesian.
pub fn lang(req: &HttpRequest, ui_locales: Option<&str>) -> crate::ui::Lang {
    let cookie = request_cookie(req, crate::ui::LANG_COOKIE);
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crate::ui::Lang::negotiate(ui_locales, cookie.as_ref().map(|c| c.value()), accept)
}

/// The CSRF token for this browser's forms, and the cookie to set if it had none.
/// Double submit: the form carries HMAC(cookie value), the cookie carries the value.
pub fn csrf_token(state: &AppState, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    if let Some(c) = req.cookie(&state.cookie_name(CSRF_COOKIE))
        && c.value().len() == 43
    {
        return (state.master.csrf_tag(c.value()), None);
    }
    let value = random_token(32);
    let tag = state.master.csrf_tag(&value);
    (tag, Some(cookie(state, CSRF_COOKIE, value)))
}

pub fn csrf_valid(state: &AppState, req: &HttpRequest, presented: Option<&str>) -> bool {
    let Some(presented) = presented else {
        return false;
    };
    let Some(cookie) = req.cookie(&state.cookie_name(CSRF_COOKIE)) else {
        return false;
    };
    ct_eq(
        state.master.csrf_tag(cookie.value()).as_bytes(),
        presented.as_bytes(),
    )
}

/// Strict CSP for Gapura's pages. `form_target` adds the origin a form's answer
/// redirects to (browsers apply `form-action` to redirects after a submission).
pub fn csp(form_target: Option<&str>) -> String {
    let mut form_action = String::from("'self'");
    if let Some(origin) = form_target
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        && origin != "null"
    {
        form_action.push(' ');
        form_action.push_str(&origin);
    }
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; \
         form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Security headers every response carries.
pub fn security_headers(resp: &mut HttpResponseBuilder) {
    resp.insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
}

/// Every HTML page Gapura serves. Pages carry secrets (the CSRF token) next to
/// reflected input (`login_hint`, a typed username), so they are never compressed
/// (BREACH): `Content-Encoding: identity` makes actix's `Compress` leave them alone.
pub fn html(
    status: actix_web::http::StatusCode,
    body: String,
    form_target: Option<&str>,
) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    security_headers(&mut resp);
    resp.insert_header((header::CONTENT_SECURITY_POLICY, csp(form_target)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(header::ContentEncoding::Identity)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

pub fn see_other(location: &str) -> HttpResponse {
    let mut resp = HttpResponse::SeeOther();
    security_headers(&mut resp);
    resp.insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub fn json_no_store<T: serde::Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(value)
}

/// Why an `Authorization` header is not a Bearer credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerHeaderError {
    /// Not readable as text (RFC 9110 §5.5).
    Malformed,
    /// Another scheme, or no token after `Bearer`.
    NotBearer,
}

/// The RFC 6750 §2.1 bearer token of the `Authorization` header, if any; an error
/// for a header that is present but not a Bearer credential. The one reader of
/// Bearer headers (UserInfo, the admin API, SCIM, the directory API).
pub fn bearer_token(req: &HttpRequest) -> Result<Option<String>, BearerHeaderError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| BearerHeaderError::Malformed)?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(BearerHeaderError::NotBearer),
    }
}

/// The parameters of a page's query string or form, or the "bad request" page
/// when they cannot be read (too many, or control characters: `domain::Params`).
/// Repeated and oversized values are left for the handler to judge.
pub fn page_params(req: &HttpRequest, raw: &[u8]) -> Result<Params, error::HtmlError> {
    Params::parse(raw).map_err(|_| crate::ui::PageError::BadRequest.at(req, lang(req, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_adds_form_target_origin() {
        let c = csp(Some("https://app.kotabogor.go.id/cb?x=1"));
        assert!(c.contains("form-action 'self' https://app.kotabogor.go.id;"));
        assert!(csp(None).contains("form-action 'self';"));
    }
}

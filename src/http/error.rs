//! The one place errors become HTTP answers: the status, body and headers of
//! every error kind of every surface, and all actix `ResponseError` impls.
//!
//! | surface                      | error type              | body                                  |
//! |------------------------------|-------------------------|---------------------------------------|
//! | OAuth 2.0 / OIDC endpoints   | `error::OAuthError`     | RFC 6749 §5.2 JSON                    |
//! | admin and directory APIs     | `admin::error::ApiError`| `{"error", "error_description"}` JSON |
//! | SCIM                         | `scim::error::ScimError`| RFC 7644 §3.12 JSON                   |
//! | pages                        | `ui::PageError`         | the HTML error page (`HtmlError`)     |
//!
//! A database or store that cannot be reached is 503 on each surface, with the
//! message [`UNAVAILABLE`] (the page says it in the person's language); a fault in
//! a query is 500 with [`INTERNAL`]. Protocol, admin and SCIM errors are
//! `Cache-Control: no-store`, and every 401 carries `WWW-Authenticate`
//! (RFC 9110 §15.5.2). The error types themselves name no actix type.

use crate::error::{ErrorCode, OAuthError};
use crate::http::admin::error::ApiError;
use crate::scim::error::ScimError;
use crate::ui::{Lang, PageError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use serde::Serialize;
use serde_json::json;

pub use crate::error::{INTERNAL, UNAVAILABLE};

/// `Basic realm="gapura"` or `Bearer realm="gapura"`: a challenge without error.
fn challenge(scheme: &str) -> String {
    format!("{scheme} realm=\"gapura\"")
}

/// A Bearer challenge with an error code (RFC 6750 §3).
fn bearer_challenge(code: &str, description: Option<&str>) -> String {
    let mut v = challenge("Bearer");
    v.push_str(&format!(", error=\"{code}\""));
    if let Some(d) = description {
        v.push_str(&format!(
            ", error_description=\"{}\"",
            d.replace(['"', '\\'], "'")
        ));
    }
    v
}

fn www_authenticate(resp: &mut HttpResponseBuilder, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.insert_header((header::WWW_AUTHENTICATE, v));
    }
}

// --- OAuth 2.0 / OIDC -------------------------------------------------------

pub fn oauth_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

#[derive(Serialize)]
struct OAuthBody<'a> {
    error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        oauth_status(self.code)
    }

    fn error_response(&self) -> HttpResponse {
        // No refusal without a log line (server errors are logged with their cause
        // where they arise).
        if !matches!(
            self.code,
            ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
        ) {
            tracing::info!(
                error = self.code.as_str(),
                description = self.description.as_deref().unwrap_or(""),
                "request refused"
            );
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"));
        match self.challenge {
            // RFC 6750 §3.1: a request without credentials gets no error code.
            Some("Bearer")
                if self.code == ErrorCode::InvalidToken && self.description.is_none() =>
            {
                www_authenticate(&mut resp, challenge("Bearer"))
            }
            Some("Bearer") => www_authenticate(
                &mut resp,
                bearer_challenge(self.code.as_str(), self.description.as_deref()),
            ),
            Some(scheme) => www_authenticate(&mut resp, challenge(scheme)),
            None => {}
        }
        resp.json(OAuthBody {
            error: self.code.as_str(),
            error_description: self.description.as_deref(),
        })
    }
}

// --- admin and directory APIs -----------------------------------------------

pub fn api_status(e: &ApiError) -> StatusCode {
    match e {
        ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        ApiError::InsufficientScope(_) | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        ApiError::NotFound(_) => StatusCode::NOT_FOUND,
        ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
        ApiError::Conflict(_) => StatusCode::CONFLICT,
        ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// What the answer says: the error's own text, never internal detail.
fn api_description(e: &ApiError) -> String {
    match e {
        ApiError::Internal => INTERNAL.into(),
        ApiError::Unavailable => UNAVAILABLE.into(),
        other => other.to_string(),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        api_status(self)
    }

    fn error_response(&self) -> HttpResponse {
        // No refusal without a log line (internal and unavailable errors are logged
        // with their cause where they arise).
        if !matches!(self, ApiError::Internal | ApiError::Unavailable) {
            tracing::info!(
                status = self.status_code().as_u16(),
                error = self.code(),
                description = %self,
                "API request refused"
            );
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            ApiError::Unauthorized(d) => {
                www_authenticate(&mut resp, bearer_challenge("invalid_token", Some(d)))
            }
            ApiError::InsufficientScope(_) => {
                www_authenticate(&mut resp, bearer_challenge("insufficient_scope", None))
            }
            _ => {}
        }
        resp.json(json!({"error": self.code(), "error_description": api_description(self)}))
    }
}

// --- SCIM -------------------------------------------------------------------

/// The admin error kinds as SCIM errors: same status, `invalidValue` for bad input.
impl From<crate::directory::DirectoryError> for ScimError {
    fn from(e: crate::directory::DirectoryError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<sea_orm::DbErr> for ScimError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for ScimError {
    fn from(e: ApiError) -> Self {
        ScimError {
            status: api_status(&e).as_u16(),
            scim_type: matches!(e, ApiError::Invalid(_)).then_some("invalidValue"),
            detail: api_description(&e),
        }
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_client_error() {
            tracing::info!(
                status = status.as_u16(),
                scim_type = self.scim_type.unwrap_or(""),
                detail = %self.detail,
                "SCIM request refused"
            );
        }
        let mut body = json!({
            "schemas": [crate::scim::error::ERROR],
            "status": status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut resp = HttpResponse::build(status);
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
        if status == StatusCode::UNAUTHORIZED {
            www_authenticate(&mut resp, challenge("Bearer"));
        }
        resp.content_type(crate::scim::CONTENT_TYPE)
            .body(body.to_string())
    }
}

// --- pages ------------------------------------------------------------------

pub fn page_status(e: PageError) -> StatusCode {
    match e {
        PageError::Csrf => StatusCode::FORBIDDEN,
        PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        PageError::NotFound => StatusCode::NOT_FOUND,
        PageError::UnknownClient
        | PageError::MissingClient
        | PageError::MissingRedirectUri
        | PageError::BadRedirectUri
        | PageError::Expired
        | PageError::BadLogoutHint
        | PageError::BadPostLogoutRedirectUri
        | PageError::BadRequest => StatusCode::BAD_REQUEST,
    }
}

/// An error page for one request: its kind, language and reference (the request
/// id, also in the log line and the `X-Request-Id` header). Handlers returning
/// `Result<_, HtmlError>` use `?`; others answer `kind.page(req, lang)`.
#[derive(Debug, Clone)]
pub struct HtmlError {
    pub kind: PageError,
    pub lang: Lang,
    pub reference: Option<String>,
}

impl PageError {
    /// This error as the page for `req`, logged as a refusal.
    pub fn at(self, req: &HttpRequest, lang: Lang) -> HtmlError {
        tracing::info!(
            page = self.code(),
            path = req.path(),
            "request refused with an error page"
        );
        HtmlError {
            kind: self,
            lang,
            reference: crate::http::telemetry::RequestId::of(req).map(|id| id.to_string()),
        }
    }

    /// This error as the answer to `req`.
    pub fn page(self, req: &HttpRequest, lang: Lang) -> HttpResponse {
        self.at(req, lang).error_response()
    }
}

impl std::fmt::Display for HtmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error page {}", self.kind.code())
    }
}

impl ResponseError for HtmlError {
    fn status_code(&self) -> StatusCode {
        page_status(self.kind)
    }

    fn error_response(&self) -> HttpResponse {
        let t = self.lang.texts();
        let page = crate::ui::pages::ErrorPage {
            t,
            lang: self.lang.code(),
            message: self.kind.message(t),
            code: self.kind.code(),
            reference: self.reference.clone(),
        };
        crate::http::render::render(self.status_code(), &page, None)
    }
}

impl From<HtmlError> for HttpResponse {
    fn from(e: HtmlError) -> Self {
        e.error_response()
    }
}

#[cfg(test)]
mod tests {
    //! Every error kind of every surface: status, body shape and headers.

    use super::*;
    use sea_orm::{DbErr, RuntimeErr};

    /// The body a surface answers with.
    #[derive(Debug, Clone, Copy)]
    enum Shape {
        /// RFC 6749 §5.2: `error` (and `error_description`), nothing else.
        OAuth(&'static str),
        /// The admin API: `error` and `error_description`.
        Api(&'static str),
        /// RFC 7644 §3.12: `schemas`, `status`, `detail`, and `scimType` if given.
        Scim(Option<&'static str>),
        /// The HTML error page with this `data-error` code.
        Page(&'static str),
    }

    struct Case {
        name: &'static str,
        response: HttpResponse,
        status: u16,
        shape: Shape,
        /// The expected start of `WWW-Authenticate`, if any.
        challenge: Option<&'static str>,
    }

    fn unreachable_db() -> DbErr {
        DbErr::Conn(RuntimeErr::Internal("connection refused".into()))
    }

    fn query_fault() -> DbErr {
        DbErr::Custom("syntax error".into())
    }

    fn page(kind: PageError) -> HttpResponse {
        HtmlError {
            kind,
            lang: Lang::En,
            reference: Some("ref-42".into()),
        }
        .error_response()
    }

    fn cases() -> Vec<Case> {
        let oauth = |e: OAuthError| e.error_response();
        let api = |e: ApiError| e.error_response();
        let scim = |e: ScimError| e.error_response();
        let mut v = vec![
            Case {
                name: "oauth invalid_request",
                response: oauth(OAuthError::invalid_request("bad")),
                status: 400,
                shape: Shape::OAuth("invalid_request"),
                challenge: None,
            },
            Case {
                name: "oauth invalid_grant",
                response: oauth(OAuthError::invalid_grant("used")),
                status: 400,
                shape: Shape::OAuth("invalid_grant"),
                challenge: None,
            },
            Case {
                name: "oauth invalid_client",
                response: oauth(OAuthError::invalid_client("who")),
                status: 401,
                shape: Shape::OAuth("invalid_client"),
                challenge: Some("Basic realm=\"gapura\""),
            },
            Case {
                name: "oauth invalid_token (bearer)",
                response: oauth(OAuthError::invalid_token("expired").with_challenge("Bearer")),
                status: 401,
                shape: Shape::OAuth("invalid_token"),
                challenge: Some("Bearer realm=\"gapura\", error=\"invalid_token\""),
            },
            Case {
                name: "oauth bearer missing",
                response: oauth(OAuthError::bearer_missing()),
                status: 401,
                shape: Shape::OAuth("invalid_token"),
                challenge: Some("Bearer realm=\"gapura\""),
            },
            Case {
                name: "oauth insufficient_scope",
                response: oauth(
                    OAuthError::new(ErrorCode::InsufficientScope, "openid")
                        .with_challenge("Bearer"),
                ),
                status: 403,
                shape: Shape::OAuth("insufficient_scope"),
                challenge: Some("Bearer realm=\"gapura\", error=\"insufficient_scope\""),
            },
            Case {
                name: "oauth unreachable database",
                response: oauth(unreachable_db().into()),
                status: 503,
                shape: Shape::OAuth("temporarily_unavailable"),
                challenge: None,
            },
            Case {
                name: "oauth store outage",
                response: oauth(crate::store::StoreError::Unavailable("down".into()).into()),
                status: 503,
                shape: Shape::OAuth("temporarily_unavailable"),
                challenge: None,
            },
            Case {
                name: "oauth query fault",
                response: oauth(query_fault().into()),
                status: 500,
                shape: Shape::OAuth("server_error"),
                challenge: None,
            },
            Case {
                name: "api unauthorized",
                response: api(ApiError::Unauthorized("no token".into())),
                status: 401,
                shape: Shape::Api("invalid_token"),
                challenge: Some("Bearer realm=\"gapura\", error=\"invalid_token\""),
            },
            Case {
                name: "api insufficient scope",
                response: api(ApiError::InsufficientScope("admin".into())),
                status: 403,
                shape: Shape::Api("insufficient_scope"),
                challenge: Some("Bearer realm=\"gapura\", error=\"insufficient_scope\""),
            },
            Case {
                name: "api forbidden",
                response: api(ApiError::Forbidden("no".into())),
                status: 403,
                shape: Shape::Api("forbidden"),
                challenge: None,
            },
            Case {
                name: "api not found",
                response: api(ApiError::not_found("user")),
                status: 404,
                shape: Shape::Api("not_found"),
                challenge: None,
            },
            Case {
                name: "api invalid",
                response: api(ApiError::Invalid("bad".into())),
                status: 400,
                shape: Shape::Api("invalid_request"),
                challenge: None,
            },
            Case {
                name: "api conflict",
                response: api(ApiError::Conflict("taken".into())),
                status: 409,
                shape: Shape::Api("conflict"),
                challenge: None,
            },
            Case {
                name: "api too large",
                response: api(ApiError::TooLarge("big".into())),
                status: 413,
                shape: Shape::Api("payload_too_large"),
                challenge: None,
            },
            Case {
                name: "api unsupported media type",
                response: api(ApiError::UnsupportedMediaType("xml".into())),
                status: 415,
                shape: Shape::Api("unsupported_media_type"),
                challenge: None,
            },
            Case {
                name: "api unreachable database",
                response: api(unreachable_db().into()),
                status: 503,
                shape: Shape::Api("temporarily_unavailable"),
                challenge: None,
            },
            Case {
                name: "api service outage (directory)",
                response: api(crate::directory::DirectoryError::from(
                    crate::error::BackendError::from(crate::store::StoreError::Unavailable(
                        "down".into(),
                    )),
                )
                .into()),
                status: 503,
                shape: Shape::Api("temporarily_unavailable"),
                challenge: None,
            },
            Case {
                name: "api query fault",
                response: api(query_fault().into()),
                status: 500,
                shape: Shape::Api("server_error"),
                challenge: None,
            },
            Case {
                name: "scim invalid filter",
                response: scim(ScimError::invalid_filter("bad filter")),
                status: 400,
                shape: Shape::Scim(Some("invalidFilter")),
                challenge: None,
            },
            Case {
                name: "scim invalid value",
                response: scim(ApiError::Invalid("bad".into()).into()),
                status: 400,
                shape: Shape::Scim(Some("invalidValue")),
                challenge: None,
            },
            Case {
                name: "scim not found",
                response: scim(ScimError::not_found("no such user")),
                status: 404,
                shape: Shape::Scim(None),
                challenge: None,
            },
            Case {
                name: "scim unauthorized",
                response: scim(ApiError::Unauthorized("no token".into()).into()),
                status: 401,
                shape: Shape::Scim(None),
                challenge: Some("Bearer realm=\"gapura\""),
            },
            Case {
                name: "scim unreachable database",
                response: scim(unreachable_db().into()),
                status: 503,
                shape: Shape::Scim(None),
                challenge: None,
            },
            Case {
                name: "scim query fault",
                response: scim(query_fault().into()),
                status: 500,
                shape: Shape::Scim(None),
                challenge: None,
            },
        ];
        for kind in PageError::ALL {
            v.push(Case {
                name: kind.code(),
                response: page(kind),
                status: match kind {
                    PageError::Csrf => 403,
                    PageError::Unavailable => 503,
                    PageError::NotFound => 404,
                    _ => 400,
                },
                shape: Shape::Page(kind.code()),
                challenge: None,
            });
        }
        v
    }

    fn header(resp: &HttpResponse, name: header::HeaderName) -> Option<&str> {
        resp.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn every_error_kind_maps_to_its_status_body_and_headers() {
        for case in cases() {
            let name = case.name;
            let resp = case.response;
            assert_eq!(resp.status().as_u16(), case.status, "{name}: status");
            let challenge = header(&resp, header::WWW_AUTHENTICATE).map(str::to_owned);
            match case.challenge {
                Some(expected) => {
                    let got = challenge.unwrap_or_else(|| panic!("{name}: no challenge"));
                    assert!(got.starts_with(expected), "{name}: challenge {got}");
                }
                None => assert!(challenge.is_none(), "{name}: unexpected challenge"),
            }
            if case.status == 401 {
                assert!(
                    header(&resp, header::WWW_AUTHENTICATE).is_some(),
                    "{name}: a 401 without a challenge"
                );
            }
            assert_eq!(
                header(&resp, header::CACHE_CONTROL),
                Some("no-store"),
                "{name}: cache"
            );
            let content_type = header(&resp, header::CONTENT_TYPE)
                .unwrap_or_default()
                .to_owned();
            let body = actix_web::body::to_bytes(resp.into_body())
                .await
                .unwrap_or_else(|_| panic!("{name}: body"));
            let text = String::from_utf8_lossy(&body).into_owned();
            match case.shape {
                Shape::OAuth(code) | Shape::Api(code) => {
                    assert_eq!(content_type, "application/json", "{name}");
                    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                    assert_eq!(v["error"], code, "{name}: error code");
                    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
                    assert!(
                        keys.iter()
                            .all(|k| *k == "error" || *k == "error_description"),
                        "{name}: extra members {keys:?}"
                    );
                    if matches!(case.shape, Shape::Api(_)) {
                        assert!(v["error_description"].is_string(), "{name}: description");
                    }
                    let description = v["error_description"].as_str().unwrap_or_default();
                    match case.status {
                        503 => assert_eq!(description, UNAVAILABLE, "{name}"),
                        500 => assert_eq!(description, INTERNAL, "{name}"),
                        _ => assert!(!description.contains("syntax error"), "{name}"),
                    }
                }
                Shape::Scim(scim_type) => {
                    assert_eq!(content_type, crate::scim::CONTENT_TYPE, "{name}");
                    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                    assert_eq!(v["schemas"], serde_json::json!([crate::scim::error::ERROR]));
                    assert_eq!(v["status"], case.status.to_string(), "{name}: status");
                    assert!(v["detail"].is_string(), "{name}: detail");
                    assert_eq!(v["scimType"].as_str(), scim_type, "{name}: scimType");
                    match case.status {
                        503 => assert_eq!(v["detail"], UNAVAILABLE, "{name}"),
                        500 => assert_eq!(v["detail"], INTERNAL, "{name}"),
                        _ => {}
                    }
                }
                Shape::Page(code) => {
                    assert!(content_type.starts_with("text/html"), "{name}");
                    assert!(
                        text.contains(&format!("data-error=\"{code}\"")),
                        "{name}: data-error"
                    );
                    assert!(text.contains("ref-42"), "{name}: request id shown");
                    let kind = PageError::ALL
                        .into_iter()
                        .find(|k| k.code() == code)
                        .expect("kind");
                    assert!(
                        text.contains(kind.message(Lang::En.texts())),
                        "{name}: message"
                    );
                }
            }
        }
    }

    #[test]
    fn page_codes_are_distinct() {
        let mut codes: Vec<&str> = PageError::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), PageError::ALL.len());
    }
}

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

use crate::admin::error::ApiError;
use crate::error::{ErrorCode, OAuthError};
use crate::scim::error::ScimError;
use crate::ui::{Lang, PageError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use serde::Serialize;
use serde_json::json;

/// What every surface says when a database or store cannot be reached (503).
pub const UNAVAILABLE: &str = "a back end is unavailable; try again shortly";
/// What every surface says about an internal fault (500); the detail is logged.
pub const INTERNAL: &str = "the server could not complete the request";

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
            reference: crate::http::RequestId::of(req).map(|id| id.to_string()),
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
        crate::ui::render(self.status_code(), &page, None)
    }
}

impl From<HtmlError> for HttpResponse {
    fn from(e: HtmlError) -> Self {
        e.error_response()
    }
}

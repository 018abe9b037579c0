//! Errors of Gapura's own JSON APIs (admin API, directory API): the body is
//! `{"error": "...", "error_description": "..."}` like RFC 6749 §5.2, with a
//! proper 4xx status; 401 carries `WWW-Authenticate: Bearer` (RFC 6750 §3).
//! Internal detail is logged, never sent. The HTTP form is in `crate::http::error`.

use crate::directory::DirectoryError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 `invalid_token`: no, expired, revoked or foreign token.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `insufficient_scope`: the token lacks the scope.
    #[error("{0}")]
    InsufficientScope(String),
    /// 403 `forbidden`: authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found` (also for what exists outside the caller's reach).
    #[error("{0}")]
    NotFound(String),
    /// 400 `invalid_request`.
    #[error("{0}")]
    Invalid(String),
    /// 409 `conflict`.
    #[error("{0}")]
    Conflict(String),
    /// 413 `payload_too_large` (counted after decompression).
    #[error("{0}")]
    TooLarge(String),
    /// 415 `unsupported_media_type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 500 `server_error`, detail logged.
    #[error("internal error")]
    Internal,
    /// 503 `temporarily_unavailable`.
    #[error("unavailable")]
    Unavailable,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "invalid_token",
            ApiError::InsufficientScope(_) => "insufficient_scope",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Invalid(_) => "invalid_request",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Internal => "server_error",
            ApiError::Unavailable => "temporarily_unavailable",
        }
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Invalid(m) => ApiError::Invalid(m),
            DirectoryError::NotFound(m) => ApiError::NotFound(m),
            DirectoryError::Conflict(m) => ApiError::Conflict(m),
            DirectoryError::Forbidden(m) => ApiError::Forbidden(m),
            DirectoryError::Io(m) => ApiError::Invalid(m),
            DirectoryError::Db(e) => e.into(),
            DirectoryError::Audit(e) => e.into(),
            DirectoryError::Service(e) => e.into(),
        }
    }
}

impl From<crate::audit::AuditError> for ApiError {
    fn from(e: crate::audit::AuditError) -> Self {
        tracing::error!(error = %e, "refused: cannot be audited");
        ApiError::Unavailable
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        // Same rule as the protocol endpoints: unreachable is 503, a query fault 500.
        if crate::error::db_unreachable(&e) {
            tracing::error!(error = %e, "database unavailable");
            ApiError::Unavailable
        } else {
            tracing::error!(error = %e, "internal error");
            ApiError::Internal
        }
    }
}

impl From<crate::error::BackendError> for ApiError {
    fn from(e: crate::error::BackendError) -> Self {
        use crate::error::BackendError;
        match e {
            BackendError::Db(e) => e.into(),
            BackendError::Audit(e) => e.into(),
            BackendError::Store(e) => {
                tracing::error!(error = %e, "store unavailable");
                ApiError::Unavailable
            }
            BackendError::Keys(e) => {
                tracing::error!(error = %e, "internal error");
                ApiError::Internal
            }
        }
    }
}

impl From<crate::error::OAuthError> for ApiError {
    fn from(e: crate::error::OAuthError) -> Self {
        use crate::error::ErrorCode;
        match e.code {
            ErrorCode::TemporarilyUnavailable => ApiError::Unavailable,
            ErrorCode::ServerError => ApiError::Internal,
            ErrorCode::InvalidToken => ApiError::Unauthorized(e.description.unwrap_or_default()),
            _ => ApiError::Invalid(e.description.unwrap_or_default()),
        }
    }
}

/// Query-string parameters, strictly: duplicates and oversized values refused.
pub fn query(req: &actix_web::HttpRequest) -> Result<crate::domain::Params, ApiError> {
    let p = crate::domain::Params::parse(req.query_string().as_bytes())
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    p.ensure_clean().map_err(|e| ApiError::Invalid(e.0))?;
    Ok(p)
}

impl From<crate::http::guard::BodyError> for ApiError {
    fn from(e: crate::http::guard::BodyError) -> Self {
        use crate::http::guard::BodyError;
        match e {
            BodyError::TooLarge(_) => ApiError::TooLarge(e.to_string()),
            BodyError::Malformed(_) => ApiError::Invalid(e.to_string()),
            BodyError::Io(m) => {
                tracing::error!(error = %m, "upload could not be spooled");
                ApiError::Internal
            }
        }
    }
}

/// The request body, read only now (after the caller was authenticated), at most
/// `http::guard::BODY_LIMIT` decoded bytes.
pub async fn body(payload: actix_web::web::Payload) -> Result<actix_web::web::Bytes, ApiError> {
    Ok(crate::http::guard::read_limited(payload, crate::http::guard::BODY_LIMIT).await?)
}

/// A JSON body into `T`, with a clear message for malformed input (never a 500).
/// Strings (keys and values) must not carry control characters other than tab,
/// CR and LF (`domain::text`): PostgreSQL cannot store NUL.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::Invalid(format!("invalid JSON body: {e}")))?;
    if let Some((path, c)) = control_in(&value, &mut String::new()) {
        return Err(ApiError::Invalid(format!(
            "`{path}` contains the control character {}",
            crate::domain::text::describe(c)
        )));
    }
    serde_json::from_value(value).map_err(|e| ApiError::Invalid(format!("invalid JSON body: {e}")))
}

/// The JSON path (`a.b[2]`) and first forbidden control character of any string.
fn control_in(v: &serde_json::Value, path: &mut String) -> Option<(String, char)> {
    use crate::domain::text::forbidden_control;
    use serde_json::Value;
    match v {
        Value::String(s) => forbidden_control(s).map(|c| (path.clone(), c)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = control_in(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let shown: String = k
                .chars()
                .map(|c| {
                    if crate::domain::text::is_forbidden(c) {
                        '?'
                    } else {
                        c
                    }
                })
                .take(64)
                .collect();
            if let Some(c) = forbidden_control(k) {
                return Some((shown, c));
            }
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&shown);
            let found = control_in(item, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

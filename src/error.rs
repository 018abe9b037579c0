//! The protocol error of OAuth 2.0 / OIDC, and how database and store failures
//! become one (unreachable: 503 `temporarily_unavailable`; a query fault: 500).
//!
//! `OAuthError` carries the registered error code of RFC 6749 §4.1.2.1/§5.2,
//! OIDC Core §3.1.2.6, RFC 6750 §3.1 and RFC 7009 §2.2.1. Token-style endpoints
//! answer with the JSON body of RFC 6749 §5.2; the authorization endpoint turns
//! the same value into a redirect (see `oidc::authorize`). Internal detail is
//! logged, never sent. Its HTTP form (status, body, headers) is in `crate::http::error`.

use serde::Serialize;

/// What every surface says when a database or store cannot be reached (503).
pub const UNAVAILABLE: &str = "a back end is unavailable; try again shortly";
/// What every surface says about an internal fault (500); the detail is logged.
pub const INTERNAL: &str = "the server could not complete the request";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    AccountSelectionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    RegistrationNotSupported,
    InvalidToken,
    InsufficientScope,
    UnsupportedTokenType,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidClient => "invalid_client",
            InvalidGrant => "invalid_grant",
            UnauthorizedClient => "unauthorized_client",
            UnsupportedGrantType => "unsupported_grant_type",
            UnsupportedResponseType => "unsupported_response_type",
            InvalidScope => "invalid_scope",
            AccessDenied => "access_denied",
            ServerError => "server_error",
            TemporarilyUnavailable => "temporarily_unavailable",
            LoginRequired => "login_required",
            ConsentRequired => "consent_required",
            InteractionRequired => "interaction_required",
            AccountSelectionRequired => "account_selection_required",
            RequestNotSupported => "request_not_supported",
            RequestUriNotSupported => "request_uri_not_supported",
            RegistrationNotSupported => "registration_not_supported",
            InvalidToken => "invalid_token",
            InsufficientScope => "insufficient_scope",
            UnsupportedTokenType => "unsupported_token_type",
        }
    }
}

/// An OAuth 2.0 / OIDC protocol error.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Option<String>,
    /// `WWW-Authenticate` scheme for 401 answers (`Basic` at the token endpoint
    /// when the client used HTTP Basic, `Bearer` at resource endpoints).
    pub challenge: Option<&'static str>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: Some(description.into()),
            challenge: None,
        }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    /// 401 with `WWW-Authenticate: Basic` (RFC 6749 §5.2; RFC 9110 §15.5.2 wants a
    /// challenge on every 401).
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, d).with_challenge("Basic")
    }
    pub fn invalid_token(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidToken, d)
    }

    pub fn with_challenge(mut self, scheme: &'static str) -> Self {
        self.challenge = Some(scheme);
        self
    }

    /// An internal failure: logged here with its detail, answered without it.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::ServerError, INTERNAL)
    }

    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "dependency unavailable");
        Self::new(ErrorCode::TemporarilyUnavailable, UNAVAILABLE)
    }

    /// RFC 6750 §3.1: a request without credentials gets a challenge with no error code.
    pub fn bearer_missing() -> Self {
        Self {
            code: ErrorCode::InvalidToken,
            description: None,
            challenge: Some("Bearer"),
        }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(d) = &self.description {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// Whether a database error means "the database cannot be reached" (answered 503)
/// rather than a fault in a query (500).
pub fn db_unreachable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, SqlxError};
    let sqlx_down = |r: &RuntimeErr| match r {
        RuntimeErr::SqlxError(inner) => matches!(
            inner.as_ref(),
            SqlxError::Io(_)
                | SqlxError::PoolTimedOut
                | SqlxError::PoolClosed
                | SqlxError::WorkerCrashed
                | SqlxError::Tls(_)
        ),
        _ => false,
    };
    match e {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Exec(r) | DbErr::Query(r) => sqlx_down(r),
        _ => false,
    }
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        crate::metrics::DB_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if db_unreachable(&e) {
            OAuthError::unavailable(e)
        } else {
            OAuthError::internal(e)
        }
    }
}

impl From<crate::domain::params::ParamError> for OAuthError {
    fn from(e: crate::domain::params::ParamError) -> Self {
        Self::invalid_request(e.0)
    }
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(e: crate::store::StoreError) -> Self {
        crate::metrics::STORE_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OAuthError::unavailable(e)
    }
}

/// An action that could not be audited does not happen: 503.
impl From<crate::audit::AuditError> for OAuthError {
    fn from(e: crate::audit::AuditError) -> Self {
        OAuthError::unavailable(e)
    }
}

/// A back end failed under a service that speaks no protocol of its own (grants,
/// consent, sessions' logout, the background jobs): the database, the store, the
/// audit log or the signing keys. Failures are counted for `/metrics` here, where
/// they happen; a protocol endpoint turns one into an `OAuthError` (503 when the
/// back end is unreachable, 500 for a fault).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("database: {0}")]
    Db(sea_orm::DbErr),
    #[error("store: {0}")]
    Store(crate::store::StoreError),
    #[error("audit: {0}")]
    Audit(#[from] crate::audit::AuditError),
    #[error("keys: {0}")]
    Keys(#[from] crate::keys::KeysError),
}

impl From<sea_orm::DbErr> for BackendError {
    fn from(e: sea_orm::DbErr) -> Self {
        crate::metrics::DB_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self::Db(e)
    }
}

impl From<crate::store::StoreError> for BackendError {
    fn from(e: crate::store::StoreError) -> Self {
        crate::metrics::STORE_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self::Store(e)
    }
}

impl From<BackendError> for OAuthError {
    fn from(e: BackendError) -> Self {
        match e {
            // Counted already, when the back end failed.
            BackendError::Db(e) if db_unreachable(&e) => OAuthError::unavailable(e),
            BackendError::Db(e) => OAuthError::internal(e),
            BackendError::Store(e) => OAuthError::unavailable(e),
            BackendError::Audit(e) => e.into(),
            BackendError::Keys(e) => e.into(),
        }
    }
}

impl From<crate::keys::KeysError> for OAuthError {
    fn from(e: crate::keys::KeysError) -> Self {
        OAuthError::internal(e)
    }
}

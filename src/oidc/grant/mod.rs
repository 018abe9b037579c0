//! The grant types of the token endpoint (RFC 6749 §4.1.3, §4.4, §6), without
//! HTTP: each takes the authenticated client, the request's parameters and its
//! metadata, and returns the token response or the protocol error. The handler
//! (`oidc::token`) authenticates the client, picks the grant type and maps the
//! result. Every write transaction ends through [`finish`].

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh;
pub mod request;

use super::grants::Grant;
use super::tokens::{self, GrantContext, TokenResponse};
use crate::audit::AuditEvent;
use crate::clients::Client;
use crate::domain::Params;
use crate::domain::{RequestMeta, Scopes};
use crate::error::{ErrorCode, OAuthError};
use crate::state::AppState;
use crate::users;

/// Runs the grant `grant_type` names for an authenticated client.
pub async fn exchange(
    state: &AppState,
    client: &Client,
    grant_type: &str,
    p: &Params,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    match grant_type {
        "authorization_code" => authorization_code::exchange(state, client, p, meta).await,
        "refresh_token" => refresh::exchange(state, client, p, meta).await,
        "client_credentials" => client_credentials::exchange(state, client, p, meta).await,
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "grant_type is not supported",
        )),
    }
}

/// The client is registered for `grant`.
fn ensure_grant(client: &Client, grant: &str) -> Result<(), OAuthError> {
    if client.allows_grant(grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("client may not use {grant}"),
        ))
    }
}

/// Access token, and ID token when `openid` is in scope, for a person's grant.
async fn mint(
    state: &AppState,
    client: &Client,
    user: &users::User,
    grant: &Grant,
    scope: Scopes,
    nonce: Option<&str>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    let extra = super::claims::load(state, client, user, &scope).await?;
    let ctx = GrantContext {
        extra,
        grant_id: Some(grant.id.clone()),
        scope: scope.clone(),
        sid: grant.sid.clone().map(Into::into),
        auth_time: Some(grant.auth_time),
        acr: Some(grant.acr.clone()),
        amr: grant.amr.split_whitespace().map(str::to_owned).collect(),
    };
    let (access_token, expires_in) = tokens::access_token(state, client, Some(user), &ctx).await?;
    let id_token = if scope.contains("openid") {
        Some(tokens::id_token(state, client, user, &ctx, nonce, &access_token).await?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
        id_token,
        scope: scope.to_string(),
    })
}

/// Commits `txn` when `result` is good, rolls it back otherwise (explicitly: on
/// SQLite a transaction left to its drop would keep the write lock until its
/// connection is next used). A failed commit is the request's failure.
async fn finish<T, E: From<sea_orm::DbErr>>(
    txn: crate::db::WriteTxn,
    result: Result<T, E>,
) -> Result<T, E> {
    match result {
        Ok(v) => {
            txn.commit().await.map_err(E::from)?;
            Ok(v)
        }
        Err(e) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "rollback failed; the connection is dropped");
            }
            Err(e)
        }
    }
}

/// Counts and audits an issued token.
async fn audit_issue(
    state: &AppState,
    meta: &RequestMeta,
    client: &Client,
    subject: Option<&str>,
    grant_type: &str,
    scope: &str,
) -> Result<(), crate::audit::AuditError> {
    state.metrics.token(grant_type);
    let mut e = AuditEvent::new("token.issue", true)
        .client(client.id.clone())
        .ip(meta.ip.clone())
        .detail(serde_json::json!({"grant_type": grant_type, "scope": scope}));
    if let Some(s) = subject {
        e = e.subject(s);
    }
    state.audit.record(state.now(), e).await
}

/// Audits a refused token request (server-side failures are logged where they
/// arise and not counted as refusals).
pub async fn audit_refusal(
    state: &AppState,
    meta: &RequestMeta,
    client: &Client,
    grant_type: &str,
    e: &OAuthError,
) -> Result<(), crate::audit::AuditError> {
    if matches!(
        e.code,
        ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
    ) {
        return Ok(());
    }
    let event = AuditEvent::new("token.issue", false)
        .client(client.id.clone())
        .ip(meta.ip.clone())
        .detail(serde_json::json!({"grant_type": grant_type, "error": e.code.as_str(), "reason": e.description}));
    state.audit.record(state.now(), event).await
}

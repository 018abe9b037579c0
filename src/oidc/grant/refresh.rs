//! Refresh (RFC 6749 §6; OAuth 2.0 Security BCP §4.14): the presented token is used
//! up and its successor stored in one transaction; presenting a used token again
//! is a replay and ends the grant.

use super::{audit_issue, ensure_grant, finish, mint};
use crate::clients::Client;
use crate::domain::Params;
use crate::domain::{RequestMeta, Scopes};
use crate::error::{ErrorCode, OAuthError};
use crate::oidc::grants::{self, Grant};
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;
use crate::users;

/// Why a refresh was refused.
enum Refused {
    /// A rotated token presented again: the grant is to be revoked.
    Replay(String),
    Error(OAuthError),
}

impl From<OAuthError> for Refused {
    fn from(e: OAuthError) -> Self {
        Refused::Error(e)
    }
}

impl From<crate::error::BackendError> for Refused {
    fn from(e: crate::error::BackendError) -> Self {
        Refused::Error(e.into())
    }
}

impl From<sea_orm::DbErr> for Refused {
    fn from(e: sea_orm::DbErr) -> Self {
        Refused::Error(e.into())
    }
}

/// What a successful rotation yields, the new refresh token already stored.
struct Rotated {
    grant: Grant,
    user: users::User,
    scope: Scopes,
    refresh_token: Option<String>,
}

/// Rotates a refresh token and issues fresh tokens for its grant.
pub async fn exchange(
    state: &AppState,
    client: &Client,
    p: &Params,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    ensure_grant(client, "refresh_token")?;
    let presented = p.require("refresh_token")?;
    // The old token is used up and its successor stored in one transaction: a
    // failure anywhere leaves the old one as it was.
    let txn = state.write_txn().await?;
    let rotated = rotate(state, &txn, client, p, presented).await;
    let rotated = match finish(txn, rotated).await {
        Ok(r) => r,
        Err(Refused::Error(e)) => return Err(e),
        Err(Refused::Replay(grant_id)) => {
            grants::revoke_for_replay(
                state,
                &grant_id,
                &client.id,
                "refresh.reuse",
                meta.ip.clone(),
            )
            .await?;
            return Err(OAuthError::invalid_grant(
                "refresh token was already used; the grant is revoked",
            ));
        }
    };
    let response = mint(
        state,
        client,
        &rotated.user,
        &rotated.grant,
        rotated.scope,
        None,
        rotated.refresh_token,
    )
    .await?;
    audit_issue(
        state,
        meta,
        client,
        Some(&rotated.user.id),
        "refresh_token",
        &response.scope,
    )
    .await?;
    Ok(response)
}

async fn rotate(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    client: &Client,
    p: &Params,
    presented: &str,
) -> Result<Rotated, Refused> {
    let rt = match grants::redeem_refresh(state, txn, presented, &client.id).await? {
        grants::Redeemed::Fresh(rt) => rt,
        grants::Redeemed::Used(rt) => return Err(Refused::Replay(rt.grant_id)),
        grants::Redeemed::Unknown => {
            return Err(OAuthError::invalid_grant("unknown refresh token").into());
        }
        grants::Redeemed::OtherClient => {
            return Err(
                OAuthError::invalid_grant("refresh token was issued to another client").into(),
            );
        }
    };
    if rt.expires_at <= state.now() {
        return Err(OAuthError::invalid_grant("refresh token has expired").into());
    }
    let grant = grants::find_in(txn, &rt.grant_id)
        .await?
        .filter(|g| g.revoked_at.is_none())
        .ok_or_else(|| OAuthError::invalid_grant("the grant was revoked"))?;
    let user = users::get(state, &grant.user_id)
        .await?
        .filter(users::is_active)
        .ok_or_else(|| OAuthError::invalid_grant("the account is not active"))?;
    // A grant is a person's: whatever it holds beyond person scopes (a grant made
    // before service scopes were kept out of it) is not handed on, nor what the
    // client may no longer ask for (an administrator narrowed its scopes).
    let granted = Scopes::parse(&rt.scope)
        .unwrap_or_default()
        .grantable_to(crate::domain::scope::Grantee::Person)
        .intersection(&client.allowed_scopes);
    let kept = granted.to_string();
    let scope = match p.get("scope") {
        None => granted,
        Some(s) => {
            let asked = Scopes::parse(s)
                .map_err(|_| OAuthError::new(ErrorCode::InvalidScope, "malformed scope"))?;
            if !asked.is_subset(&granted) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "scope exceeds what was granted",
                )
                .into());
            }
            asked
        }
    };
    // The successor keeps the whole granted scope, even when this request narrows it.
    let refresh_token = if client.allows_grant("refresh_token") {
        Some(grants::issue_refresh(state, txn, &grant, &kept).await?)
    } else {
        None
    };
    Ok(Rotated {
        grant,
        user,
        scope,
        refresh_token,
    })
}

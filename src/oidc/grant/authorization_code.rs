//! The authorization code grant (RFC 6749 §4.1.3; OIDC Core §3.1.3; RFC 7636 §4.6):
//! a code is used once, by the client it was issued to, with the redirect URI and
//! PKCE verifier of its request; a used code presented again by that client ends
//! the grant it gave.

use super::request::{CodeExchange, code_exchange, verifier_matches};
use super::{audit_issue, ensure_grant, finish, mint};
use crate::audit::AuditEvent;
use crate::clients::Client;
use crate::domain::Params;
use crate::domain::{RequestMeta, Scopes};
use crate::error::OAuthError;
use crate::oidc::authorize::{CodeData, code_key, code_used_key};
use crate::oidc::grants::{self, Grant};
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;
use crate::users;

/// Exchanges an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6).
pub async fn exchange(
    state: &AppState,
    client: &Client,
    p: &Params,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    ensure_grant(client, "authorization_code")?;
    let CodeExchange {
        code,
        redirect_uri,
        code_verifier,
    } = code_exchange(p)?;
    let Some(data) = state
        .volatile
        .take_json::<CodeData>(&code_key(code))
        .await?
    else {
        if let Some(grant_id) = state.store.get(&code_used_key(code)).await? {
            return Err(replayed(state, meta, client, &grant_id).await?);
        }
        return Err(OAuthError::invalid_grant("unknown or expired code"));
    };
    let now = state.now();
    // Remember the code as used for as long as its tokens may live, to catch replays.
    state
        .store
        .put(
            &code_used_key(code),
            &data.grant_id,
            state.settings.tokens.refresh_token_ttl.min(86_400),
        )
        .await?;
    if data.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "code was issued to another client",
        ));
    }
    if data.expires_at <= now {
        return Err(OAuthError::invalid_grant("code has expired"));
    }
    if data.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&data.code_challenge, code_verifier) {
        (Some(challenge), Some(verifier)) => {
            if !verifier_matches(challenge, verifier) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required")),
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "no code_challenge was sent for this code",
            ));
        }
        (None, None) => {}
    }
    let user = users::get(state, &data.user_id)
        .await?
        .filter(users::is_active)
        .ok_or_else(|| OAuthError::invalid_grant("the account is not active"))?;
    let grant = Grant {
        id: data.grant_id.clone(),
        user_id: user.id.clone(),
        client_id: client.id.to_string(),
        scope: data.scope.clone(),
        sid: Some(data.sid.to_string()),
        auth_time: data.auth_time,
        acr: data.acr.clone(),
        amr: data.amr.join(" "),
        created_at: now,
        revoked_at: None,
        revoked_reason: None,
    };
    // The grant and its first refresh token are written together.
    let scope = Scopes::parse(&data.scope).unwrap_or_default();
    let txn = state.write_txn().await?;
    let written = async {
        grants::create(&*txn, grant.clone()).await?;
        if client.allows_grant("refresh_token") {
            grants::issue_refresh(state, &*txn, &grant, &scope.to_string())
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    }
    .await;
    let refresh_token = finish(txn, written).await?;
    let response = mint(
        state,
        client,
        &user,
        &grant,
        scope,
        data.nonce.as_deref(),
        refresh_token,
    )
    .await?;
    audit_issue(
        state,
        meta,
        client,
        Some(&user.id),
        "authorization_code",
        &response.scope,
    )
    .await?;
    Ok(response)
}

/// A used code presented again. Only the client it was issued to (authenticated
/// here) proves the code leaked from that client's exchange: then the grant it gave
/// is revoked (RFC 6749 §4.1.2, OAuth 2.0 Security BCP §4.2.4). Any other client
/// merely learns nothing: it cannot end someone else's grant by presenting a code
/// it saw; the attempt is audited.
async fn replayed(
    state: &AppState,
    meta: &RequestMeta,
    client: &Client,
    grant_id: &str,
) -> Result<OAuthError, OAuthError> {
    let grant = grants::find(state, grant_id).await?;
    if grant.as_ref().is_some_and(|g| g.client_id == client.id) {
        grants::revoke_for_replay(state, grant_id, &client.id, "code.replay", meta.ip.clone())
            .await?;
        return Ok(OAuthError::invalid_grant(
            "code was already used; the tokens it gave are revoked",
        ));
    }
    let mut e = AuditEvent::new("code.replay.other_client", false)
        .client(client.id.clone())
        .ip(meta.ip.clone())
        .detail(serde_json::json!({
            "grant_id": grant_id,
            "issued_to": grant.as_ref().map(|g| g.client_id.clone()),
            "action": "refused; nothing revoked",
        }));
    if let Some(g) = &grant {
        e = e.subject(g.user_id.clone());
    }
    state.audit.record(state.now(), e).await?;
    Ok(OAuthError::invalid_grant("unknown or expired code"))
}

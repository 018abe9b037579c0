//! The client credentials grant (RFC 6749 §4.4): a confidential client's token
//! for itself, limited to the service scopes it is registered for.

use super::request::client_scope;
use super::{audit_issue, ensure_grant};
use crate::clients::Client;
use crate::domain::Params;
use crate::domain::RequestMeta;
use crate::error::{ErrorCode, OAuthError};
use crate::oidc::tokens::{self, GrantContext, TokenResponse};
use crate::state::AppState;

/// Issues an access token to a confidential client for itself.
pub async fn exchange(
    state: &AppState,
    client: &Client,
    p: &Params,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    ensure_grant(client, "client_credentials")?;
    if client.is_public() {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "public clients cannot use client_credentials",
        ));
    }
    let scope = client_scope(client, p)?;
    let ctx = GrantContext {
        extra: Default::default(),
        grant_id: None,
        scope: scope.clone(),
        sid: None,
        auth_time: None,
        acr: None,
        amr: Vec::new(),
    };
    let (access_token, expires_in) = tokens::access_token(state, client, None, &ctx).await?;
    audit_issue(
        state,
        meta,
        client,
        None,
        "client_credentials",
        &scope.to_string(),
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: None,
        id_token: None,
        scope: scope.to_string(),
    })
}

//! UserInfo (OIDC Core §5.3) without HTTP: the access token checked as a Bearer
//! credential (RFC 6750; every error carries `WWW-Authenticate: Bearer`, §3), and
//! the claims its scopes and client release. The endpoint is
//! `crate::http::oidc::userinfo`.

use super::claims::UserClaims;
use super::tokens::{self, Verified};
use crate::error::{ErrorCode, OAuthError};
use crate::state::AppState;
use crate::users;

/// An error with the Bearer challenge RFC 6750 §3 asks of a protected resource.
pub fn bearer(e: OAuthError) -> OAuthError {
    e.with_challenge("Bearer")
}

/// The access token presented, checked: active, signed by Gapura, not revoked.
/// A request without one is `bearer_missing` (no error code, §3.1).
pub async fn verify(state: &AppState, token: Option<&str>) -> Result<Verified, OAuthError> {
    let Some(token) = token else {
        return Err(OAuthError::bearer_missing());
    };
    tokens::check_access_token(state, token)
        .await?
        .ok_or_else(|| {
            bearer(OAuthError::invalid_token(
                "the access token is invalid, expired or revoked",
            ))
        })
}

/// The claims about the token's person that its scopes (`openid` required) and
/// its client's claim rules release, for an active account.
pub async fn claims(state: &AppState, v: &Verified) -> Result<UserClaims, OAuthError> {
    let scopes = v.scopes();
    if !scopes.contains("openid") || v.str("gid").is_none() {
        return Err(bearer(OAuthError::new(
            ErrorCode::InsufficientScope,
            "the token does not carry the openid scope",
        )));
    }
    let user = users::get(state, v.str("sub").unwrap_or_default())
        .await?
        .filter(users::is_active)
        .ok_or_else(|| bearer(OAuthError::invalid_token("the account is not active")))?;
    let mut claims = super::claims::user_claims(&user, &scopes);
    if let Some(client) = crate::clients::get(state, v.str("client_id").unwrap_or_default())
        .await?
        .filter(|c| c.active)
    {
        let extra = super::claims::load(state, &client, &user, &scopes).await?;
        super::claims::apply(
            &mut claims,
            &extra,
            &client,
            crate::clients::ClaimTarget::UserInfo,
        );
    }
    Ok(claims)
}

//! Token revocation (RFC 7009). Revoking a refresh token revokes its grant and
//! with it the grant's access tokens (§2.1); revoking an access token ends that
//! token. Unknown tokens and tokens of other clients answer 200 and change nothing.

use super::{grants, tokens};
use crate::audit::AuditEvent;
use crate::clients::Client;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::AppState;

/// Revokes `token` if it is one of `client`'s, and audits it; a token that is not
/// (unknown, expired, another client's) changes nothing and is no error (§2.2).
pub async fn revoke(
    state: &AppState,
    client: &Client,
    token: &str,
    meta: &RequestMeta,
) -> Result<(), OAuthError> {
    let mut revoked = None;
    if token.matches('.').count() == 2 {
        if let Some(v) = tokens::verify_own(state, token, "at+jwt")
            && v.str("client_id") == Some(client.id.as_str())
        {
            tokens::revoke_access_token(state, &v).await?;
            revoked = Some(("access_token", v.str("sub").map(str::to_owned)));
        }
    } else if let Some(rt) = grants::find_refresh(state, token).await?
        && rt.client_id == client.id
    {
        grants::revoke(state, &rt.grant_id, "revoked by client").await?;
        let subject = grants::find(state, &rt.grant_id).await?.map(|g| g.user_id);
        revoked = Some(("refresh_token", subject));
    }
    if let Some((kind, subject)) = revoked {
        let mut e = AuditEvent::new("token.revoke", true)
            .client(client.id.clone())
            .ip(meta.ip.clone())
            .detail(serde_json::json!({"token_type": kind}));
        if let Some(s) = subject {
            e = e.subject(s);
        }
        state.audit.record(state.now(), e).await?;
    }
    Ok(())
}

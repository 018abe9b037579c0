//! Token revocation (RFC 7009). Revoking a refresh token revokes its grant and
//! with it the grant's access tokens (§2.1); revoking an access token ends that
//! token. Unknown tokens and tokens of other clients answer 200 and change nothing.

use super::{grants, tokens};
use crate::audit::AuditEvent;
use crate::error::OAuthError;
use crate::http::{client_ip, form_params};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    let params = form_params(&req, &body)?;
    let client =
        super::client_auth::authenticate(&state, &req, &params, &state.url("/revoke")).await?;
    params.ensure_clean()?;
    let token = params.require("token")?;
    let mut revoked = None;
    if token.matches('.').count() == 2 {
        if let Some(v) = tokens::verify_own(&state, token, "at+jwt")
            && v.str("client_id") == Some(client.id.as_str())
        {
            tokens::revoke_access_token(&state, &v).await?;
            revoked = Some(("access_token", v.str("sub").map(str::to_owned)));
        }
    } else if let Some(rt) = grants::find_refresh(&state, token).await?
        && rt.client_id == client.id
    {
        grants::revoke(&state, &rt.grant_id, "revoked by client").await?;
        let subject = grants::find(&state, &rt.grant_id).await?.map(|g| g.user_id);
        revoked = Some(("refresh_token", subject));
    }
    if let Some((kind, subject)) = revoked {
        let mut e = AuditEvent::new("token.revoke", true)
            .client(client.id.clone())
            .ip(client_ip(&req))
            .detail(serde_json::json!({"token_type": kind}));
        if let Some(s) = subject {
            e = e.subject(s);
        }
        state.audit.record(state.now(), e).await?;
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

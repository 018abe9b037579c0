//! Token introspection (RFC 7662). Callers are authenticated confidential clients;
//! a refresh token is shown active only to the client it was issued to.
//!
//! Who learns what about an active access token:
//! - any authenticated client: `active`, `token_type`, `scope`, `client_id`, `aud`,
//!   `iss`, `exp`, `iat`, `jti`: what the token is and whether it may be honoured;
//! - only the token's own client (`client_id` of the token) also gets the person:
//!   `sub`, `username` (the NIP), `auth_time`, `acr`, `sid` and role claims.
//!   `sub` is Gapura's account id, the same for every client (not pairwise), so it
//!   would let any client correlate a person across applications; RFC 7662 §2.2
//!   makes every member but `active` optional.

use super::{grants, tokens};
use crate::clients::Client;
use crate::domain::Params;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::users;
use serde_json::{Map, Value, json};

/// The introspection answer for `client` about the token in `params` (`token`,
/// `token_type_hint`): what it may learn of an active token, or `active: false`.
/// Public clients may not introspect.
pub async fn introspect(
    state: &AppState,
    client: &Client,
    params: &Params,
) -> Result<Value, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "public clients cannot introspect tokens",
        ));
    }
    params.ensure_clean()?;
    let token = params.require("token")?;
    let hint = params.get("token_type_hint");
    let looks_like_jwt = token.matches('.').count() == 2;
    let order: [bool; 2] = if hint == Some("refresh_token") || !looks_like_jwt {
        [false, true]
    } else {
        [true, false]
    };
    for as_access in order {
        let found = if as_access {
            access(state, &client.id, token).await?
        } else {
            refresh(state, &client.id, token).await?
        };
        if let Some(body) = found {
            return Ok(Value::Object(body));
        }
    }
    Ok(json!({"active": false}))
}

/// Members of an active access token any authenticated client may learn.
const TOKEN_MEMBERS: &[&str] = &["scope", "client_id", "aud", "iss", "exp", "iat", "jti"];
/// Members about the person, for the token's own client only.
const PERSONAL_MEMBERS: &[&str] = &["sub", "auth_time", "acr", "sid"];

async fn access(
    state: &AppState,
    caller: &str,
    token: &str,
) -> Result<Option<Map<String, Value>>, OAuthError> {
    let Some(v) = tokens::check_access_token(state, token).await? else {
        return Ok(None);
    };
    let own = v.str("client_id") == Some(caller);
    let mut out = Map::new();
    out.insert("active".into(), json!(true));
    out.insert("token_type".into(), json!("Bearer"));
    let personal: &[&str] = if own { PERSONAL_MEMBERS } else { &[] };
    for name in TOKEN_MEMBERS.iter().chain(personal) {
        if let Some(value) = v.claims.get(*name) {
            out.insert((*name).into(), value.clone());
        }
    }
    if let Some(user) = users::get(state, v.str("sub").unwrap_or_default()).await? {
        // A suspended person's tokens are inactive for every caller.
        if !users::is_active(&user) {
            return Ok(None);
        }
        if !own {
            return Ok(Some(out));
        }
        out.insert("username".into(), json!(user.username));
        let scopes = v.scopes();
        if scopes.contains(crate::domain::scope::ROLES)
            && let Some(client) =
                crate::clients::get(state, v.str("client_id").unwrap_or_default()).await?
        {
            let extra = super::claims::load(state, &client, &user, &scopes).await?;
            out.extend(super::claims::role_members(
                &extra,
                &client,
                crate::clients::ClaimTarget::Introspection,
            ));
        }
    }
    Ok(Some(out))
}

async fn refresh(
    state: &AppState,
    client_id: &str,
    token: &str,
) -> Result<Option<Map<String, Value>>, OAuthError> {
    let Some(rt) = grants::find_refresh(state, token).await? else {
        return Ok(None);
    };
    if rt.client_id != client_id || rt.used_at.is_some() || rt.expires_at <= state.now() {
        return Ok(None);
    }
    let Some(grant) = grants::find(state, &rt.grant_id)
        .await?
        .filter(|g| g.revoked_at.is_none())
    else {
        return Ok(None);
    };
    let Some(user) = users::get(state, &grant.user_id)
        .await?
        .filter(users::is_active)
    else {
        return Ok(None);
    };
    let mut out = Map::new();
    out.insert("active".into(), json!(true));
    out.insert("token_type".into(), json!("refresh_token"));
    out.insert("scope".into(), json!(rt.scope));
    out.insert("client_id".into(), json!(rt.client_id));
    out.insert("sub".into(), json!(user.id));
    out.insert("username".into(), json!(user.username));
    out.insert("iss".into(), json!(state.issuer));
    out.insert("iat".into(), json!(rt.created_at));
    out.insert("exp".into(), json!(rt.expires_at));
    Ok(Some(out))
}

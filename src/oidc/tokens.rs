//! Minting and checking tokens: ID tokens (OIDC Core §2, §3.1.3.6) and JWT access
//! tokens (RFC 9068, `typ: at+jwt`). Access tokens carry `gid`, the grant they
//! belong to, so revoking a grant ends its access tokens at once. The claims of
//! each are a typed struct ([`AccessTokenClaims`], [`IdTokenClaims`]). Reading a
//! token back ([`Verified`]) stays with its JSON members: introspection passes
//! some through as they are.

use super::claims::UserClaims;
use crate::access::claims::RoleClaims;
use crate::clients::{ClaimTarget, Client};
use crate::crypto::random_token;
use crate::domain::{Scopes, scope};
use crate::error::OAuthError;
use crate::jose::UnverifiedJws;
use crate::state::AppState;
use crate::users::User;
use serde::Serialize;
use serde_json::{Map, Value};

/// What a grant carries into the tokens it yields.
#[derive(Debug, Clone)]
pub struct GrantContext {
    pub grant_id: Option<String>,
    pub scope: Scopes,
    pub sid: Option<crate::domain::Sid>,
    pub auth_time: Option<i64>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    /// Directory claims (ASN data, roles) for this person and client.
    pub extra: super::claims::Extra,
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// The claims of a JWT access token (RFC 9068 §2.2): the person (or, for
/// `client_credentials`, the client) as `sub`, the grant as `gid`, and the
/// client's role claims where it wants them.
#[derive(Debug, Serialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: crate::domain::ClientId,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<crate::domain::Sid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(flatten)]
    pub roles: Option<RoleClaims>,
}

/// The claims of an ID token (OIDC Core §2): its own, and the person's
/// ([`UserClaims`], with the directory claims) flattened in beside them.
#[derive(Debug, Serialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub aud: crate::domain::ClientId,
    pub iat: i64,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<crate::domain::Sid>,
    pub at_hash: String,
    #[serde(flatten)]
    pub person: UserClaims,
}

pub async fn access_token(
    state: &AppState,
    client: &Client,
    user: Option<&User>,
    ctx: &GrantContext,
) -> Result<(String, i64), OAuthError> {
    let now = state.now();
    let ttl = state.settings.tokens.access_token_ttl;
    let claims = AccessTokenClaims {
        iss: state.issuer.clone(),
        sub: user.map_or_else(|| client.id.to_string(), |u| u.id.clone()),
        aud: state.issuer.clone(),
        client_id: client.id.clone(),
        iat: now,
        exp: now + ttl,
        jti: random_token(16),
        scope: (!ctx.scope.is_empty()).then(|| ctx.scope.to_string()),
        auth_time: ctx.auth_time,
        acr: ctx.acr.clone(),
        amr: ctx.amr.clone(),
        sid: ctx.sid.clone(),
        gid: ctx.grant_id.clone(),
        preferred_username: user
            .filter(|_| ctx.scope.contains("profile") || ctx.scope.contains(scope::ASN))
            .map(|u| u.username.clone()),
        roles: ctx
            .extra
            .roles_for(client, ClaimTarget::AccessToken)
            .cloned(),
    };
    let jwt = state.keys.sign(client.alg, now, "at+jwt", claims).await?;
    Ok((jwt, ttl))
}

pub async fn id_token(
    state: &AppState,
    client: &Client,
    user: &User,
    ctx: &GrantContext,
    nonce: Option<&str>,
    access_token: &str,
) -> Result<String, OAuthError> {
    let now = state.now();
    let mut person = super::claims::user_claims(user, &ctx.scope);
    super::claims::apply(&mut person, &ctx.extra, client, ClaimTarget::IdToken);
    let claims = IdTokenClaims {
        iss: state.issuer.clone(),
        aud: client.id.clone(),
        iat: now,
        exp: now + state.settings.tokens.id_token_ttl,
        auth_time: ctx.auth_time,
        nonce: nonce.map(str::to_owned),
        acr: ctx.acr.clone(),
        amr: ctx.amr.clone(),
        sid: ctx.sid.clone(),
        at_hash: client.alg.half_hash(access_token),
        person,
    };
    Ok(state.keys.sign(client.alg, now, "JWT", claims).await?)
}

/// Verified claims of one of Gapura's own JWTs.
#[derive(Debug)]
pub struct Verified {
    pub claims: std::sync::Arc<Map<String, Value>>,
}

impl Verified {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }
    pub fn scopes(&self) -> Scopes {
        Scopes::parse(self.str("scope").unwrap_or_default()).unwrap_or_default()
    }
}

/// Checks signature (our published keys only), issuer and `typ`; not expiry.
pub fn verify_own(state: &AppState, token: &str, typ: &str) -> Option<Verified> {
    let jws = UnverifiedJws::parse(token).ok()?;
    if !jws
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(typ))
        || jws.kid.is_none()
    {
        return None;
    }
    jws.verify(&state.keys.jwks(state.now())).ok()?;
    if jws.claims.get("iss").and_then(Value::as_str) != Some(state.issuer.as_str()) {
        return None;
    }
    Some(Verified {
        claims: std::sync::Arc::new(jws.claims),
    })
}

fn revoked_jti_key(jti: &str) -> String {
    format!("revoked:jti:{jti}")
}

/// The one gate of every bearer access token — UserInfo, introspection, the admin,
/// directory and SCIM APIs: valid signature (our keys), not expired, not revoked
/// itself (durable marker), and its grant still live (the database's word; a grant
/// revoked anywhere, by logout, suspension, reuse detection or an administrator,
/// ends its access tokens here at once).
pub async fn check_access_token(
    state: &AppState,
    token: &str,
) -> Result<Option<Verified>, OAuthError> {
    // A token verified before is not verified again: its signature cannot change.
    // Expiry and revocation are still checked on every use.
    let digest = crate::crypto::token_digest(token);
    let v = match state.verified_cache.get(&digest) {
        Some(claims) => Verified { claims },
        None => {
            let Some(v) = verify_own(state, token, "at+jwt") else {
                return Ok(None);
            };
            state.verified_cache.insert(digest, v.claims.clone());
            v
        }
    };
    if v.int("exp").is_none_or(|exp| exp <= state.now()) {
        return Ok(None);
    }
    if let Some(jti) = v.str("jti")
        && state.store.exists_any(&[revoked_jti_key(jti)]).await?
    {
        return Ok(None);
    }
    if let Some(gid) = v.str("gid")
        && !super::grants::is_live(state, gid).await?
    {
        return Ok(None);
    }
    // A disabled client's tokens (also those of client_credentials, which have no
    // grant) are inactive; the lookup is cached and follows the `client` epoch.
    if let Some(client_id) = v.str("client_id")
        && !crate::clients::get(state, client_id)
            .await?
            .is_some_and(|c| c.active)
    {
        return Ok(None);
    }
    Ok(Some(v))
}

/// Revokes one access token until it would have expired anyway.
pub async fn revoke_access_token(state: &AppState, v: &Verified) -> Result<(), OAuthError> {
    if let (Some(jti), Some(exp)) = (v.str("jti"), v.int("exp")) {
        let ttl = exp - state.now() + 60;
        if ttl > 0 {
            state.store.put(&revoked_jti_key(jti), "1", ttl).await?;
        }
    }
    Ok(())
}

//! Minting and checking tokens: ID tokens (OIDC Core §2, §3.1.3.6) and JWT access
//! tokens (RFC 9068, `typ: at+jwt`). Access tokens carry `gid`, the grant they
//! belong to, so revoking a grant ends its access tokens at once.

use crate::clients::Client;
use crate::crypto::random_token;
use crate::domain::Scopes;
use crate::error::OAuthError;
use crate::jose::UnverifiedJws;
use crate::state::AppState;
use crate::users::User;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// What a grant carries into the tokens it yields.
#[derive(Debug, Clone)]
pub struct GrantContext {
    pub grant_id: Option<String>,
    pub scope: Scopes,
    pub sid: Option<String>,
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

pub async fn access_token(
    state: &AppState,
    client: &Client,
    user: Option<&User>,
    ctx: &GrantContext,
) -> Result<(String, i64), OAuthError> {
    let now = state.now();
    let ttl = state.settings.tokens.access_token_ttl;
    let mut c = Map::new();
    c.insert("iss".into(), json!(state.issuer));
    c.insert(
        "sub".into(),
        json!(user.map(|u| u.id.as_str()).unwrap_or(client.id.as_str())),
    );
    c.insert("aud".into(), json!(state.issuer));
    c.insert("client_id".into(), json!(client.id));
    c.insert("iat".into(), json!(now));
    c.insert("exp".into(), json!(now + ttl));
    c.insert("jti".into(), json!(random_token(16)));
    if !ctx.scope.is_empty() {
        c.insert("scope".into(), json!(ctx.scope.to_string()));
    }
    if let Some(t) = ctx.auth_time {
        c.insert("auth_time".into(), json!(t));
    }
    if let Some(acr) = &ctx.acr {
        c.insert("acr".into(), json!(acr));
    }
    if !ctx.amr.is_empty() {
        c.insert("amr".into(), json!(ctx.amr));
    }
    if let Some(sid) = &ctx.sid {
        c.insert("sid".into(), json!(sid));
    }
    if let Some(gid) = &ctx.grant_id {
        c.insert("gid".into(), json!(gid));
    }
    if let Some(u) = user
        && (ctx.scope.contains("profile") || ctx.scope.contains(crate::domain::scope::ASN))
    {
        c.insert("preferred_username".into(), json!(u.username));
    }
    super::claims::apply(
        &mut c,
        &ctx.extra,
        client,
        crate::clients::ClaimTarget::AccessToken,
    );
    let jwt = state.keys.sign(client.alg, now, "at+jwt", c).await?;
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
    let mut c = super::claims::user_claims(user, &ctx.scope);
    super::claims::apply(
        &mut c,
        &ctx.extra,
        client,
        crate::clients::ClaimTarget::IdToken,
    );
    c.insert("iss".into(), json!(state.issuer));
    c.insert("aud".into(), json!(client.id));
    c.insert("iat".into(), json!(now));
    c.insert(
        "exp".into(),
        json!(now + state.settings.tokens.id_token_ttl),
    );
    if let Some(t) = ctx.auth_time {
        c.insert("auth_time".into(), json!(t));
    }
    if let Some(n) = nonce {
        c.insert("nonce".into(), json!(n));
    }
    if let Some(acr) = &ctx.acr {
        c.insert("acr".into(), json!(acr));
    }
    if !ctx.amr.is_empty() {
        c.insert("amr".into(), json!(ctx.amr));
    }
    if let Some(sid) = &ctx.sid {
        c.insert("sid".into(), json!(sid));
    }
    c.insert("at_hash".into(), json!(client.alg.half_hash(access_token)));
    Ok(state.keys.sign(client.alg, now, "JWT", c).await?)
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

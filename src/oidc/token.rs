//! Token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; OIDC Core §3.1.3, §12; RFC 7636 §4.6).

use super::authorize::{CodeData, code_key, code_used_key};
use super::grants::{self, Grant};
use super::tokens::{self, GrantContext, TokenResponse};
use crate::audit::AuditEvent;
use crate::clients::Client;
use crate::crypto::{b64, ct_eq, sha256};
use crate::domain::Scopes;
use crate::error::{ErrorCode, OAuthError};
use crate::http::{Params, client_ip, form_params, json_no_store};
use crate::state::AppState;
use crate::users;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    let params = form_params(&req, &body)?;
    let client =
        super::client_auth::authenticate(&state, &req, &params, &state.url("/token")).await?;
    params.ensure_clean()?;
    let grant_type = params.require("grant_type")?;
    let response = match grant_type {
        "authorization_code" => authorization_code(&state, &req, &client, &params).await,
        "refresh_token" => super::refresh::refresh(&state, &req, &client, &params).await,
        "client_credentials" => client_credentials(&state, &req, &client, &params).await,
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "grant_type is not supported",
        )),
    };
    match &response {
        Ok(_) => {}
        Err(e)
            if e.code == ErrorCode::ServerError || e.code == ErrorCode::TemporarilyUnavailable => {}
        Err(e) => {
            let event = AuditEvent::new("token.issue", false)
                .client(client.id.clone())
                .ip(client_ip(&req))
                .detail(serde_json::json!({"grant_type": grant_type, "error": e.code.as_str(), "reason": e.description}));
            state.audit.record(state.now(), event).await?;
        }
    }
    Ok(json_no_store(&response?))
}

pub(super) fn ensure_grant(client: &Client, grant: &str) -> Result<(), OAuthError> {
    if client.allows_grant(grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("client may not use {grant}"),
        ))
    }
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// RFC 7636 §4.6: the verifier is well-formed and its S256 digest is the challenge.
pub fn verifier_matches(challenge: &str, verifier: &str) -> bool {
    valid_verifier(verifier)
        && ct_eq(
            b64(&sha256(verifier.as_bytes())).as_bytes(),
            challenge.as_bytes(),
        )
}

/// A token request's parameters, checked without the server: the pure part of the
/// token endpoint (the `token_request` fuzz target drives it; the handlers below use
/// the same pieces after their client checks).
#[derive(Debug)]
pub enum TokenRequest<'a> {
    AuthorizationCode(CodeExchange<'a>),
    RefreshToken {
        refresh_token: &'a str,
        scope: Option<&'a str>,
    },
    ClientCredentials {
        scope: Scopes,
    },
}

/// What an authorization code exchange presents.
#[derive(Debug)]
pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: Option<&'a str>,
}

pub fn parse_request(p: &Params) -> Result<TokenRequest<'_>, OAuthError> {
    p.ensure_clean()?;
    match p.require("grant_type")? {
        "authorization_code" => code_exchange(p).map(TokenRequest::AuthorizationCode),
        "refresh_token" => Ok(TokenRequest::RefreshToken {
            refresh_token: p.require("refresh_token")?,
            scope: p.get("scope"),
        }),
        "client_credentials" => Ok(TokenRequest::ClientCredentials {
            scope: requested_scope(p)?,
        }),
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "grant_type is not supported",
        )),
    }
}

pub fn code_exchange(p: &Params) -> Result<CodeExchange<'_>, OAuthError> {
    let code = p.require("code")?;
    let redirect_uri = p.require("redirect_uri")?;
    if code.len() > 128 {
        return Err(OAuthError::invalid_grant("unknown code"));
    }
    Ok(CodeExchange {
        code,
        redirect_uri,
        code_verifier: p.get("code_verifier"),
    })
}

fn requested_scope(p: &Params) -> Result<Scopes, OAuthError> {
    Scopes::parse(p.get("scope").unwrap_or_default())
        .map_err(|_| OAuthError::new(ErrorCode::InvalidScope, "malformed scope"))
}

/// The scope a client may be given for itself (client credentials): no person scope,
/// nothing it is not registered for.
pub fn client_scope(client: &Client, p: &Params) -> Result<Scopes, OAuthError> {
    let scope = requested_scope(p)?;
    let refused = scope
        .not_grantable(crate::domain::scope::Grantee::Client)
        .or_else(|| scope.difference(&client.allowed_scopes).next());
    if let Some(s) = refused {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{s}` cannot be granted to a client"),
        ));
    }
    Ok(scope)
}

async fn authorization_code(
    state: &AppState,
    req: &HttpRequest,
    client: &Client,
    p: &Params,
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
            return Err(replayed(state, req, client, &grant_id).await?);
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
        client_id: client.id.clone(),
        scope: data.scope.clone(),
        sid: Some(data.sid.clone()),
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
        req,
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
    req: &HttpRequest,
    client: &Client,
    grant_id: &str,
) -> Result<OAuthError, OAuthError> {
    let grant = grants::find(state, grant_id).await?;
    if grant.as_ref().is_some_and(|g| g.client_id == client.id) {
        grants::revoke_for_replay(state, grant_id, &client.id, "code.replay", client_ip(req))
            .await?;
        return Ok(OAuthError::invalid_grant(
            "code was already used; the tokens it gave are revoked",
        ));
    }
    let mut e = AuditEvent::new("code.replay.other_client", false)
        .client(client.id.clone())
        .ip(client_ip(req))
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

pub(super) async fn mint(
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
        sid: grant.sid.clone(),
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
/// connection is next used).
async fn finish<T>(
    txn: crate::db::WriteTxn,
    result: Result<T, OAuthError>,
) -> Result<T, OAuthError> {
    match result {
        Ok(v) => {
            txn.commit().await?;
            Ok(v)
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}

async fn client_credentials(
    state: &AppState,
    req: &HttpRequest,
    client: &Client,
    p: &Params,
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
        req,
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

pub(super) async fn audit_issue(
    state: &AppState,
    req: &HttpRequest,
    client: &Client,
    subject: Option<&str>,
    grant_type: &str,
    scope: &str,
) -> Result<(), crate::audit::AuditError> {
    state.metrics.token(grant_type);
    let mut e = AuditEvent::new("token.issue", true)
        .client(client.id.clone())
        .ip(client_ip(req))
        .detail(serde_json::json!({"grant_type": grant_type, "scope": scope}));
    if let Some(s) = subject {
        e = e.subject(s);
    }
    state.audit.record(state.now(), e).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifier_rules() {
        assert!(super::valid_verifier(&"a".repeat(43)));
        assert!(!super::valid_verifier(&"a".repeat(42)));
        assert!(!super::valid_verifier(&"a".repeat(129)));
        assert!(!super::valid_verifier(&format!("{}+", "a".repeat(43))));
    }
}

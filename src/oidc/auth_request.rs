//! The authorization request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC 7636 §4.3):
//! the client and redirect URI trusted first (RFC 6749 §4.1.2.1: nothing is
//! redirected before), then every parameter checked against the client, with no
//! state but the `id_token_hint` check. What happens to a valid request is the
//! gate's (`oidc::authorize::proceed`).

use crate::clients::{self, Client};
use crate::crypto::random_token;
use crate::domain::Params;
use crate::domain::Scopes;
use crate::domain::scope::Grantee;
use crate::error::{ErrorCode, OAuthError};
use crate::state::AppState;
use crate::ui::PageError;
use serde::{Deserialize, Serialize};

/// A validated authorization request, kept in the store while the person logs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: crate::domain::ClientId,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub id_token_hint_sub: Option<String>,
    pub created_at: i64,
    /// Requested authentication context classes (`acr_values`, or the `claims`
    /// parameter's `id_token.acr`), in order of preference.
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// The `claims` parameter marked `acr` essential.
    #[serde(default)]
    pub acr_essential: bool,
    /// Names this request through its pages (random; marks it used once answered).
    #[serde(default)]
    pub id: String,
    /// The login of the session present when the request demanded a fresh login
    /// (`prompt=login`, `max_age=0`): only another login satisfies it.
    #[serde(default)]
    pub stale_login: Option<String>,
    /// Continued from a sealed `req` value (set by `pending::open`, never sealed).
    #[serde(skip)]
    pub resumed: bool,
}

/// The client and redirect URI, checked before anything may be redirected.
pub async fn trusted_client(state: &AppState, params: &Params) -> Result<Client, PageError> {
    if params.is_dirty("client_id") || params.is_dirty("redirect_uri") {
        return Err(PageError::BadRequest);
    }
    let id = params.get("client_id").ok_or(PageError::MissingClient)?;
    crate::telemetry::note_claimed_client(id);
    let client = match clients::get(state, id).await {
        Ok(Some(c)) if c.active => c,
        Ok(_) => return Err(PageError::UnknownClient),
        Err(e) => {
            tracing::error!(error = %e, "client lookup failed");
            return Err(PageError::Unavailable);
        }
    };
    let uri = params
        .get("redirect_uri")
        .ok_or(PageError::MissingRedirectUri)?;
    if !client.redirect_uris.iter().any(|r| r == uri) {
        let shown: String = uri.chars().take(512).collect();
        tracing::info!(
            redirect_uri = %crate::domain::text::quoted(&shown),
            "redirect_uri is not one this client registered (matching is exact)"
        );
        return Err(PageError::BadRedirectUri);
    }
    Ok(client)
}

/// Checks an authorization request of a trusted client, `id_token_hint` included.
pub fn validate(state: &AppState, client: &Client, p: &Params) -> Result<AuthRequest, OAuthError> {
    let (mut ar, hint) = parse_request(client, p, state.now())?;
    if let Some(hint) = hint {
        let sub = super::tokens::verify_own(state, &hint, "JWT")
            .and_then(|v| v.str("sub").map(str::to_owned))
            .ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::InvalidRequest,
                    "id_token_hint is not an ID token of this issuer",
                )
            })?;
        ar.id_token_hint_sub = Some(sub);
    }
    Ok(ar)
}

/// Checks an authorization request's parameters against `client`, with no server
/// state: everything `validate` does except verifying `id_token_hint`, returned raw
/// for the caller to verify (the `authorize_request` fuzz target drives this).
pub fn parse_request(
    client: &Client,
    p: &Params,
    now: i64,
) -> Result<(AuthRequest, Option<String>), OAuthError> {
    let err = |code, d: &str| OAuthError::new(code, d);
    p.ensure_clean()?;
    if p.get("request").is_some() {
        return Err(err(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if p.get("request_uri").is_some() {
        return Err(err(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    match p.get("response_type") {
        None => return Err(err(ErrorCode::InvalidRequest, "response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(err(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    if p.get("response_mode").is_some_and(|m| m != "query") {
        return Err(err(
            ErrorCode::InvalidRequest,
            "only response_mode=query is supported",
        ));
    }
    if !client.allows_grant("authorization_code") {
        return Err(err(
            ErrorCode::UnauthorizedClient,
            "client may not use the authorization code grant",
        ));
    }
    let scope = Scopes::parse(p.get("scope").unwrap_or_default())
        .map_err(|_| err(ErrorCode::InvalidScope, "malformed scope"))?;
    if scope.is_empty() {
        return Err(err(ErrorCode::InvalidScope, "scope is required"));
    }
    if let Some(s) = scope.difference(&client.allowed_scopes).next() {
        return Err(err(
            ErrorCode::InvalidScope,
            &format!("scope `{s}` is not allowed for this client"),
        ));
    }
    if let Some(s) = scope.not_grantable(Grantee::Person) {
        return Err(err(
            ErrorCode::InvalidScope,
            &format!("scope `{s}` is only for a client acting for itself"),
        ));
    }
    let code_challenge = match (p.get("code_challenge"), p.get("code_challenge_method")) {
        (None, None) if client.is_public() => {
            return Err(err(
                ErrorCode::InvalidRequest,
                "PKCE (S256) is required for public clients",
            ));
        }
        (None, None) => None,
        (None, Some(_)) => {
            return Err(err(ErrorCode::InvalidRequest, "code_challenge is required"));
        }
        (Some(_), m) if m != Some("S256") => {
            return Err(err(
                ErrorCode::InvalidRequest,
                "code_challenge_method must be S256",
            ));
        }
        (Some(c), _) => {
            if c.len() != 43
                || !c
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(err(
                    ErrorCode::InvalidRequest,
                    "code_challenge must be a base64url SHA-256 digest",
                ));
            }
            Some(c.to_owned())
        }
    };
    let prompt: Vec<String> = p
        .get("prompt")
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    for v in &prompt {
        if !matches!(v.as_str(), "none" | "login" | "consent" | "select_account") {
            return Err(err(ErrorCode::InvalidRequest, "unknown prompt value"));
        }
    }
    if prompt.iter().any(|v| v == "none") && prompt.len() > 1 {
        return Err(err(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined",
        ));
    }
    let max_age = match p.get("max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            err(
                ErrorCode::InvalidRequest,
                "max_age must be a non-negative integer",
            )
        })?),
    };
    for (name, limit) in [
        ("state", 2048),
        ("nonce", 512),
        ("login_hint", 254),
        ("ui_locales", 100),
    ] {
        if p.get(name).is_some_and(|v| v.len() > limit) {
            return Err(err(
                ErrorCode::InvalidRequest,
                &format!("`{name}` is too long"),
            ));
        }
    }
    let (acr_values, acr_essential) =
        crate::authn::stepup::requested(p.get("acr_values"), p.get("claims"))?;
    let ar = AuthRequest {
        client_id: client.id.clone(),
        redirect_uri: p.get("redirect_uri").unwrap_or_default().to_owned(),
        scope: scope.to_string(),
        state: p.get("state").map(str::to_owned),
        nonce: p.get("nonce").map(str::to_owned),
        code_challenge,
        prompt,
        max_age,
        login_hint: p.get("login_hint").map(str::to_owned),
        ui_locales: p.get("ui_locales").map(str::to_owned),
        id_token_hint_sub: None,
        created_at: now,
        acr_values,
        acr_essential,
        id: random_token(16),
        stale_login: None,
        resumed: false,
    };
    Ok((ar, p.get("id_token_hint").map(str::to_owned)))
}

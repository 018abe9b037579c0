//! Authorization endpoint, code flow (OIDC Core §3.1.2, RFC 6749 §4.1, RFC 7636).
//!
//! A request whose `client_id` or `redirect_uri` cannot be trusted gets an error
//! page and is never redirected (RFC 6749 §4.1.2.1); every other error goes back
//! to the client's redirect URI with `error`, `state` and `iss` (RFC 9207).

use crate::authn::stepup::Next;
use crate::clients::{self, Client};
use crate::crypto::{random_token, token_digest};
use crate::domain::Params;
use crate::domain::Scopes;
use crate::domain::scope::Grantee;
use crate::error::{ErrorCode, OAuthError};
use crate::oidc::pending::Browser;
use crate::session::{self, SsoSession};
use crate::state::AppState;
use crate::ui::PageError;
use serde::{Deserialize, Serialize};

/// A validated authorization request, kept in the store while the person logs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
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

/// What a code stands for until it is exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeData {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub sid: String,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    pub grant_id: String,
    pub expires_at: i64,
}

pub fn code_key(code: &str) -> String {
    format!("code:{}", token_digest(code))
}

pub fn code_used_key(code: &str) -> String {
    format!("code-used:{}", token_digest(code))
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

/// Where the gate sends the browser when it does not refuse the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Back to the client's redirect URI with a code (RFC 6749 §4.1.2): the URL.
    Code(String),
    /// To the page of the login flow that can satisfy what is missing, with the
    /// request sealed for this browser: the path and query.
    Page(String),
}

/// What the person decided on the consent page for this very request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentDecision {
    Allow,
}

/// The one gate of the authorization endpoint: every code Gapura issues passes
/// here, whichever page continued the request (the authorization endpoint, the
/// login form, a passkey, a second factor, enrolment, the consent page). It checks
/// everything, every time, from the request and the database alone — never from
/// which page called it:
///
/// 1. a session of an active account; `id_token_hint` names its person;
///    an account whose password must be changed (a one-time password) gets no
///    code until it has been (`/login/password`);
/// 2. login freshness: `prompt=login`/`select_account`/`max_age=0` need a login
///    made after the request (a new `login_id`, `auth_time` not before it), and
///    `max_age` one recent enough; a step-up is not a login;
/// 3. the authentication level (`acr_values`, client, city, OPD and role rules);
/// 4. consent (remembered, or given for this request when `prompt=consent`);
/// 5. an active client; then one code, and a continued request is marked used.
///
/// Otherwise the browser goes to the page that can satisfy what is missing, with
/// the request sealed for this browser (`pending`), or the client gets the error.
pub async fn proceed(
    state: &AppState,
    browser: &Browser,
    mut ar: AuthRequest,
    current: Option<(String, SsoSession)>,
    decision: Option<ConsentDecision>,
) -> Result<Verdict, OAuthError> {
    let must_reauthenticate = ar
        .prompt
        .iter()
        .any(|p| p == "login" || p == "select_account")
        || ar.max_age == Some(0);
    // Fresh from the authorization endpoint: the login present now is the one that
    // does not count.
    if must_reauthenticate
        && !ar.resumed
        && ar.stale_login.is_none()
        && let Some((_, s)) = &current
    {
        ar.stale_login = Some(s.login_id.clone());
    }
    let prompt = |v: &str| ar.prompt.iter().any(|p| p == v);
    let mut current = current;
    let mut user = None;
    if let Some((_, s)) = &current {
        user = crate::users::get(state, &s.user_id)
            .await?
            .filter(crate::users::is_active);
        if user.is_none() {
            current = None;
        }
    }
    let now = state.now();
    let needs_login = match &current {
        None => true,
        Some((_, s)) => {
            let logged_in_since = s.auth_time >= ar.created_at
                && ar.stale_login.as_deref() != Some(s.login_id.as_str());
            (must_reauthenticate && !logged_in_since)
                || ar.max_age.is_some_and(|m| now - s.auth_time > m)
        }
    };
    if let (Some(hint), Some((_, s))) = (&ar.id_token_hint_sub, &current)
        && hint != &s.user_id
        && prompt("none")
    {
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "the session belongs to another person",
        ));
    }
    if needs_login {
        if prompt("none") {
            return Err(OAuthError::new(
                ErrorCode::LoginRequired,
                "the person must log in",
            ));
        }
        return Ok(to_page(state, browser, &ar, "/login"));
    }
    let (Some((handle, mut sso)), Some(user)) = (current, user) else {
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "the person must log in",
        ));
    };
    if user.password_change_required {
        if prompt("none") {
            return Err(OAuthError::new(
                ErrorCode::InteractionRequired,
                "the person must choose a new password",
            ));
        }
        return Ok(to_page(state, browser, &ar, "/login/password"));
    }
    let client = clients::get(state, &ar.client_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| {
            OAuthError::new(ErrorCode::UnauthorizedClient, "client is no longer active")
        })?;
    let next = crate::authn::stepup::next_step(state, &ar, &user, &client, &sso).await?;
    if next != Next::Proceed {
        let page = if next == Next::StepUp {
            "/login/mfa"
        } else {
            "/login/enroll"
        };
        return Ok(to_page(state, browser, &ar, page));
    }
    let scope = Scopes::parse(&ar.scope).unwrap_or_default();
    let consented = client.first_party
        || match crate::consent::granted_at(state, &sso.user_id, &client.id, &scope).await? {
            None => false,
            // `prompt=consent`: approved on the consent page for this request.
            Some(at) if prompt("consent") => {
                decision == Some(ConsentDecision::Allow) && at >= ar.created_at
            }
            Some(_) => true,
        };
    if !consented {
        if prompt("none") {
            return Err(OAuthError::new(
                ErrorCode::ConsentRequired,
                "the person must approve this application",
            ));
        }
        return Ok(to_page(state, browser, &ar, "/consent"));
    }
    if !super::pending::mark_answered(state, &ar).await? {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "this authorization request was answered already",
        ));
    }
    let url = issue_code(state, &ar, &handle, &mut sso).await?;
    Ok(Verdict::Code(url))
}

/// To a login page with the request sealed for this browser.
fn to_page(state: &AppState, browser: &Browser, ar: &AuthRequest, page: &str) -> Verdict {
    let sealed = super::pending::seal(state, browser, ar);
    Verdict::Page(format!("{page}?req={sealed}"))
}

/// Mints a single-use code and returns the redirect carrying it. Only the gate
/// (`proceed`) calls this.
async fn issue_code(
    state: &AppState,
    ar: &AuthRequest,
    handle: &str,
    sso: &mut SsoSession,
) -> Result<String, OAuthError> {
    let code = random_token(32);
    let ttl = state.settings.tokens.code_ttl;
    let data = CodeData {
        client_id: ar.client_id.clone(),
        redirect_uri: ar.redirect_uri.clone(),
        user_id: sso.user_id.clone(),
        scope: ar.scope.clone(),
        nonce: ar.nonce.clone(),
        code_challenge: ar.code_challenge.clone(),
        sid: sso.sid.clone(),
        auth_time: sso.auth_time,
        acr: sso.acr.clone(),
        amr: sso.amr.clone(),
        grant_id: super::grants::new_grant_id(),
        expires_at: state.now() + ttl,
    };
    state
        .volatile
        .put_json(&code_key(&code), &data, ttl + 60)
        .await?;
    sso.add_client(&ar.client_id, state.now());
    session::save(state, handle, sso).await?;
    let mut url = url::Url::parse(&ar.redirect_uri).map_err(OAuthError::internal)?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(s) = &ar.state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &state.issuer);
    }
    Ok(url.to_string())
}

/// Where the error response of RFC 6749 §4.1.2.1 sends the browser: the client's
/// redirect URI with `error`, `error_description`, `state` and `iss` (RFC 9207).
/// `None` when the URI cannot be parsed (only a trusted, registered URI gets here).
pub fn error_location(
    state: &AppState,
    redirect_uri: &str,
    client_state: Option<&str>,
    e: &OAuthError,
) -> Option<String> {
    tracing::info!(
        error = e.code.as_str(),
        description = e.description.as_deref().unwrap_or(""),
        "authorization request refused"
    );
    let mut url = url::Url::parse(redirect_uri).ok()?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", e.code.as_str());
        if let Some(d) = &e.description {
            q.append_pair("error_description", d);
        }
        if let Some(s) = client_state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &state.issuer);
    }
    Some(url.to_string())
}

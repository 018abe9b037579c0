//! The one gate of the code flow (OIDC Core §3.1.2, RFC 6749 §4.1): `proceed`
//! decides, for a validated request (`oidc::auth_request`) and the browser's
//! session, whether a single-use code is issued, which page must come first, or
//! which error goes back to the client (with `state` and `iss`, RFC 9207).

use crate::authn::stepup::{Asked, Next};
use crate::clients::{self};
use crate::crypto::{random_token, token_digest};
use crate::domain::Scopes;
use crate::error::{ErrorCode, OAuthError};
use crate::oidc::auth_request::AuthRequest;
use crate::oidc::pending::Browser;
use crate::session::{self, SsoSession};
use crate::state::AppState;
use serde::{Deserialize, Serialize};

/// What a code stands for until it is exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeData {
    pub client_id: crate::domain::ClientId,
    pub redirect_uri: String,
    pub user_id: crate::domain::UserId,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub sid: crate::domain::Sid,
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
    let asked = Asked {
        acr_values: &ar.acr_values,
        essential: ar.acr_essential,
        prompt_none: prompt("none"),
    };
    let next = crate::authn::stepup::next_step(state, asked, &user, &client, &sso).await?;
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

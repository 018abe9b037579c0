//! The SSO session: one per browser, kept in the store under the digest of its
//! cookie value, with idle and absolute timeouts. Its `sid` (a separate random
//! value, never the cookie) is what relying parties see.

use crate::crypto::{random_token, token_digest};
use crate::state::AppState;
use crate::store::StoreError;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "gapura_session";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoSession {
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub last_seen: i64,
    /// Clients that received tokens in this session.
    pub clients: Vec<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

fn key(cookie_value: &str) -> String {
    format!("sess:{}", token_digest(cookie_value))
}

/// The live session of this browser, if any (expired ones are removed).
pub async fn current(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<(String, SsoSession)>, StoreError> {
    let Some(cookie) = req.cookie(&state.cookie_name(COOKIE)) else {
        return Ok(None);
    };
    let value = cookie.value().to_owned();
    if value.len() > 100 {
        return Ok(None);
    }
    let Some(session) = state.store.get_json::<SsoSession>(&key(&value)).await? else {
        return Ok(None);
    };
    let now = state.now();
    let s = &state.settings.session;
    if now - session.last_seen > s.idle_timeout || now - session.created_at > s.absolute_lifetime {
        state.store.delete(&key(&value)).await?;
        return Ok(None);
    }
    Ok(Some((value, session)))
}

fn ttl(state: &AppState, session: &SsoSession) -> i64 {
    let s = &state.settings.session;
    let absolute_left = session.created_at + s.absolute_lifetime - state.now();
    absolute_left.min(s.idle_timeout).max(1)
}

/// Saves the session and refreshes its idle timer.
pub async fn save(
    state: &AppState,
    cookie_value: &str,
    session: &mut SsoSession,
) -> Result<(), StoreError> {
    session.last_seen = state.now();
    let ttl = ttl(state, session);
    state.store.put_json(&key(cookie_value), session, ttl).await
}

/// Starts a fresh session (new cookie value: no fixation) after a successful login,
/// ending the one this browser had.
pub async fn start(
    state: &AppState,
    req: &HttpRequest,
    user_id: &str,
    acr: &str,
    amr: Vec<String>,
) -> Result<(String, SsoSession), StoreError> {
    if let Some((old, _)) = current(state, req).await? {
        state.store.delete(&key(&old)).await?;
    }
    let now = state.now();
    let mut session = SsoSession {
        sid: random_token(16),
        user_id: user_id.to_owned(),
        auth_time: now,
        acr: acr.to_owned(),
        amr,
        created_at: now,
        last_seen: now,
        clients: Vec::new(),
        ip: crate::http::client_ip(req),
        user_agent: req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect()),
    };
    let value = random_token(32);
    save(state, &value, &mut session).await?;
    Ok((value, session))
}

pub async fn end(state: &AppState, cookie_value: &str) -> Result<(), StoreError> {
    state.store.delete(&key(cookie_value)).await
}

pub fn cookie(state: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(state.cookie_name(COOKIE), value.to_owned())
        .path("/")
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Lax)
        .finish()
}

pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = cookie(state, "");
    c.set_max_age(CookieDuration::ZERO);
    c
}

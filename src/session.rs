//! The SSO session: one per browser, kept in the store under the digest of its
//! cookie value (the "handle"), with idle and absolute timeouts. Its `sid` (a
//! separate random value, never the cookie) is what relying parties see.
//!
//! Two indexes make sessions manageable: `user-sessions:<user>` (every session of
//! a person, to end them all) and `session-expiry` (when each one times out, so
//! expiry triggers back-channel logout like any other ending).

use crate::crypto::{random_token, token_digest};
use crate::domain::RequestMeta;
use crate::state::AppState;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "gapura_session";
pub const EXPIRY_INDEX: &str = "session-expiry";
/// How long an ended-by-timeout session is kept so its clients can be told.
const GRACE: i64 = 86_400;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionClient {
    pub client_id: crate::domain::ClientId,
    pub joined_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoSession {
    pub sid: crate::domain::Sid,
    pub user_id: crate::domain::UserId,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub last_seen: i64,
    /// Clients that received a code in this session.
    pub clients: Vec<SessionClient>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Changes at every first-factor login (password, passkey), never at a step-up:
    /// what `prompt=login` and `max_age=0` need to see change.
    #[serde(default)]
    pub login_id: String,
}

impl SsoSession {
    pub fn expires_at(&self, state: &AppState) -> i64 {
        let s = &state.settings.session;
        (self.last_seen + s.idle_timeout).min(self.created_at + s.absolute_lifetime)
    }

    pub fn add_client(&mut self, client_id: &str, now: i64) {
        if !self.clients.iter().any(|c| c.client_id == client_id) {
            self.clients.push(SessionClient {
                client_id: client_id.into(),
                joined_at: now,
            });
        }
    }
}

pub fn key(handle: &str) -> String {
    format!("sess:{handle}")
}

pub fn user_index(user_id: &str) -> String {
    format!("user-sessions:{user_id}")
}

/// A session by handle, whatever its timeouts say.
pub async fn load(state: &AppState, handle: &str) -> Result<Option<SsoSession>, StoreError> {
    state.store.get_json(&key(handle)).await
}

/// The live session of the browser that presented `cookie` (its session cookie's
/// value), if any, as `(handle, session)`.
pub async fn current(
    state: &AppState,
    cookie: Option<&str>,
) -> Result<Option<(String, SsoSession)>, StoreError> {
    let Some(cookie) = cookie else {
        return Ok(None);
    };
    if cookie.len() > 100 {
        return Ok(None);
    }
    let handle = token_digest(cookie);
    let Some(session) = load(state, &handle).await? else {
        return Ok(None);
    };
    if session.expires_at(state) <= state.now() {
        return Ok(None);
    }
    Ok(Some((handle, session)))
}

/// Saves the session, refreshes its idle timer and its index entries.
pub async fn save(
    state: &AppState,
    handle: &str,
    session: &mut SsoSession,
) -> Result<(), StoreError> {
    let now = state.now();
    session.last_seen = now;
    let absolute_end = session.created_at + state.settings.session.absolute_lifetime;
    let ttl = (absolute_end - now).max(1) + GRACE;
    state.store.put_json(&key(handle), session, ttl).await?;
    state
        .store
        .schedule(EXPIRY_INDEX, handle, session.expires_at(state))
        .await?;
    state
        .store
        .set_add(&user_index(&session.user_id), handle, ttl)
        .await?;
    Ok(())
}

pub struct Started {
    pub cookie_value: String,
    pub handle: String,
    pub session: SsoSession,
}

/// Starts a fresh session (new cookie value: no fixation) after a successful login.
pub async fn start(
    state: &AppState,
    meta: &RequestMeta,
    user_id: &str,
    acr: &str,
    amr: Vec<String>,
) -> Result<Started, StoreError> {
    let now = state.now();
    let mut session = SsoSession {
        sid: random_token(16).into(),
        user_id: user_id.into(),
        auth_time: now,
        acr: acr.to_owned(),
        amr,
        created_at: now,
        last_seen: now,
        clients: Vec::new(),
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
        login_id: random_token(16),
    };
    let cookie_value = random_token(32);
    let handle = token_digest(&cookie_value);
    save(state, &handle, &mut session).await?;
    Ok(Started {
        cookie_value,
        handle,
        session,
    })
}

/// How the person proved themselves again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// A first factor again (password, passkey login): new `auth_time`, new login.
    Login,
    /// A further factor on top of the login (step-up): a new `auth_time` (the
    /// person did authenticate), but the same login, so a step-up never satisfies
    /// `prompt=login` or `max_age=0`, which ask for the login itself.
    StepUp,
}

/// A new cookie value (no fixation) for the same logical session: same `sid`, same
/// applications, same start; `acr` and `amr` become those of the authentication
/// just made. The old handle dies.
pub async fn renew(
    state: &AppState,
    meta: &RequestMeta,
    old_handle: &str,
    old: &SsoSession,
    acr: &str,
    amr: Vec<String>,
    how: Renewal,
) -> Result<Started, StoreError> {
    let mut started = start(state, meta, &old.user_id, acr, amr).await?;
    started.session.sid = old.sid.clone();
    started.session.clients = old.clients.clone();
    started.session.created_at = old.created_at;
    if how == Renewal::StepUp {
        started.session.login_id = old.login_id.clone();
    }
    save(state, &started.handle, &mut started.session).await?;
    remove(state, old_handle, old).await?;
    Ok(started)
}

/// Removes a session and its index entries. `true` for the one caller that removed
/// it (several instances may race to end the same expired session).
pub async fn remove(
    state: &AppState,
    handle: &str,
    session: &SsoSession,
) -> Result<bool, StoreError> {
    let first = state.store.take(&key(handle)).await?.is_some();
    state.store.unschedule(EXPIRY_INDEX, handle).await?;
    state
        .store
        .set_remove(&user_index(&session.user_id), handle)
        .await?;
    Ok(first)
}

/// Every live session of a person, as `(handle, session)`.
pub async fn of_user(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<(String, SsoSession)>, StoreError> {
    let mut out = Vec::new();
    for handle in state.store.set_members(&user_index(user_id)).await? {
        match load(state, &handle).await? {
            Some(s) => out.push((handle, s)),
            None => {
                state
                    .store
                    .set_remove(&user_index(user_id), &handle)
                    .await?
            }
        }
    }
    out.sort_by_key(|(_, s)| std::cmp::Reverse(s.last_seen));
    Ok(out)
}

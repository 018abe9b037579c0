//! Ending SSO sessions, whatever the cause: logout by the person or an application
//! (RP-Initiated Logout 1.0), expiry, an administrator, suspension, a password
//! change. Every ending revokes the session's refresh tokens (offline ones survive
//! except on suspension) and tells the session's applications through the
//! back-channel outbox (Back-Channel Logout 1.0); the logout page also loads their
//! front-channel URIs (Front-Channel Logout 1.0).

pub mod backchannel;

use crate::audit::AuditEvent;
use crate::error::BackendError;
use crate::oidc::grants;
use crate::session::{self, EXPIRY_INDEX, SsoSession};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Logout,
    Expired,
    Admin,
    Suspended,
    PasswordChanged,
    Replaced,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Expired => "expired",
            EndReason::Admin => "admin",
            EndReason::Suspended => "suspended",
            EndReason::PasswordChanged => "password_changed",
            EndReason::Replaced => "replaced",
        }
    }
}

/// Ends one session. `false` when it was already gone (another instance ended it).
pub async fn end_session(
    state: &AppState,
    handle: &str,
    s: &SsoSession,
    reason: EndReason,
) -> Result<bool, BackendError> {
    if !session::remove(state, handle, s).await? {
        return Ok(false);
    }
    grants::revoke_for_session(state, &s.sid, reason.as_str()).await?;
    backchannel::enqueue_for_session(state, s, reason).await?;
    let event = AuditEvent::new("session.end", true)
        .subject(s.user_id.clone())
        .detail(serde_json::json!({"reason": reason.as_str(), "sid": s.sid, "clients": s.clients.iter().map(|c| &c.client_id).collect::<Vec<_>>()}));
    state.audit.record(state.now(), event).await?;
    Ok(true)
}

/// Ends every session of a person but `except` (the one changing a password keeps hers).
pub async fn end_user_sessions(
    state: &AppState,
    user_id: &str,
    reason: EndReason,
    except: Option<&str>,
) -> Result<usize, BackendError> {
    let mut ended = 0;
    for (handle, s) in session::of_user(state, user_id).await? {
        if Some(handle.as_str()) == except {
            continue;
        }
        if end_session(state, &handle, &s, reason).await? {
            ended += 1;
        }
    }
    Ok(ended)
}

/// Suspension: sessions end, every grant (offline ones too) is revoked, and clients
/// holding grants outside any session get a `sub`-only logout token.
pub async fn suspend_effects(state: &AppState, user_id: &str) -> Result<(), BackendError> {
    let mut notified: Vec<String> = Vec::new();
    for (_, s) in session::of_user(state, user_id).await? {
        notified.extend(s.clients.iter().map(|c| c.client_id.to_string()));
    }
    end_user_sessions(state, user_id, EndReason::Suspended, None).await?;
    let revoked = grants::revoke_for_user(state, user_id, EndReason::Suspended.as_str()).await?;
    for g in revoked {
        if !notified.contains(&g.client_id) {
            backchannel::enqueue(state, &g.client_id, user_id, None, EndReason::Suspended).await?;
            notified.push(g.client_id);
        }
    }
    Ok(())
}

/// Ends the sessions whose idle or absolute timeout has passed. Safe to run on
/// every instance at once: each session is ended by exactly one of them.
pub async fn sweep_expired(state: &AppState) -> Result<usize, BackendError> {
    let now = state.now();
    let mut ended = 0;
    for handle in state.store.due(EXPIRY_INDEX, now, 200).await? {
        match session::load(state, &handle).await? {
            None => {
                state.store.unschedule(EXPIRY_INDEX, &handle).await?;
            }
            Some(s) if s.expires_at(state) > now => {
                state
                    .store
                    .schedule(EXPIRY_INDEX, &handle, s.expires_at(state))
                    .await?;
            }
            Some(s) => {
                if end_session(state, &handle, &s, EndReason::Expired).await? {
                    ended += 1;
                }
            }
        }
    }
    Ok(ended)
}

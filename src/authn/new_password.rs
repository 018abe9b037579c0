//! Choosing a new password when the account's password must be changed (the first
//! administrator's one-time password), after the old one verified: the same rules
//! as everywhere (`users::check_password_policy`), typed twice alike and not the
//! old one ([`Refusal`]); then the password saved, the account's other sessions
//! ended (they began with the old password) and the change audited
//! (`password.change`, refusals too).

use super::Unavailable;
use crate::audit::AuditEvent;
use crate::domain::RequestMeta;
use crate::logout::{self, EndReason};
use crate::password::MAX_PASSWORD_LEN;
use crate::state::AppState;
use crate::users::{self, User};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// Why a new password was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The two entries differ.
    Mismatch,
    /// Shorter than `password::MIN_PASSWORD_LEN` characters.
    Short,
    /// Longer than `password::MAX_PASSWORD_LEN` bytes.
    Long,
    /// The password it replaces.
    Same,
}

impl Refusal {
    /// The reason in the audit record and the log.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Mismatch => "mismatch",
            Refusal::Short => "too_short",
            Refusal::Long => "too_long",
            Refusal::Same => "unchanged",
        }
    }
}

/// What became of the new password.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Saved; the account's other sessions ended.
    Changed,
    Refused(Refusal),
}

/// The change asked for: by `user`, in the session `handle` (which stays), for the
/// client of the pending authorization request (for the audit record).
pub struct Change<'a> {
    pub user: &'a User,
    pub handle: &'a str,
    pub client_id: Option<&'a str>,
    pub meta: &'a RequestMeta,
}

impl Change<'_> {
    fn event(&self, success: bool) -> AuditEvent {
        let mut e = AuditEvent::new("password.change", success)
            .actor(self.user.id.clone())
            .subject(self.user.id.clone())
            .ip(self.meta.ip.clone());
        if let Some(c) = self.client_id {
            e = e.client(c.to_owned());
        }
        e
    }
}

/// Checks, saves and audits the new `password` (`confirm`: typed again).
pub async fn choose(
    state: &AppState,
    change: &Change<'_>,
    password: &SecretString,
    confirm: &str,
) -> Result<Outcome, Unavailable> {
    if let Some(why) = check(state, change.user, password, confirm).await {
        tracing::info!(reason = why.code(), "new password refused");
        let e = change
            .event(false)
            .detail(json!({"reason": why.code(), "required": true}));
        state
            .audit
            .record(state.now(), e)
            .await
            .map_err(Unavailable::of)?;
        return Ok(Outcome::Refused(why));
    }
    let id = change.user.id.as_str();
    if let Err(e) = users::set_password(
        &state.db,
        &state.hasher,
        state.clock.as_ref(),
        change.user.clone(),
        password,
    )
    .await
    {
        tracing::error!(error = %e, "new password not saved");
        return Err(Unavailable::of(e));
    }
    // The gate reads accounts through the cache: this instance sees the change now,
    // the others at their next change-epoch poll.
    state.users_cache.invalidate(&change.user.id);
    // Other sessions of the account began with the old password: they end.
    let ended =
        logout::end_user_sessions(state, id, EndReason::PasswordChanged, Some(change.handle))
            .await
            .map_err(Unavailable::of)?;
    let e = change
        .event(true)
        .detail(json!({"required": true, "sessions_ended": ended}));
    state
        .audit
        .record(state.now(), e)
        .await
        .map_err(Unavailable::of)?;
    Ok(Outcome::Changed)
}

/// The rules on the text alone: typed twice alike, not too long, long enough.
fn rules(password: &SecretString, confirm: &str) -> Option<Refusal> {
    let pw = password.expose_secret();
    if !crate::crypto::ct_eq(pw.as_bytes(), confirm.as_bytes()) {
        return Some(Refusal::Mismatch);
    }
    if pw.len() > MAX_PASSWORD_LEN {
        return Some(Refusal::Long);
    }
    if users::check_password_policy(password).is_err() {
        return Some(Refusal::Short);
    }
    None
}

/// [`rules`], then: not the password it replaces.
async fn check(
    state: &AppState,
    user: &User,
    password: &SecretString,
    confirm: &str,
) -> Option<Refusal> {
    if let Some(why) = rules(password, confirm) {
        return Some(why);
    }
    if state
        .hasher
        .verify(password, user.password_hash.as_deref())
        .await
    {
        return Some(Refusal::Same);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::MIN_PASSWORD_LEN;

    fn refusal(password: &str, confirm: &str) -> Option<Refusal> {
        rules(&SecretString::from(password.to_owned()), confirm)
    }

    #[test]
    fn the_rules_on_the_text() {
        let ok = "k".repeat(MIN_PASSWORD_LEN);
        assert_eq!(refusal(&ok, &ok), None);
        assert_eq!(refusal(&ok, "other"), Some(Refusal::Mismatch));
        let short = "k".repeat(MIN_PASSWORD_LEN - 1);
        assert_eq!(refusal(&short, &short), Some(Refusal::Short));
        let long = "k".repeat(MAX_PASSWORD_LEN + 1);
        assert_eq!(refusal(&long, &long), Some(Refusal::Long));
        // A mismatch is said first, whatever else is wrong.
        assert_eq!(refusal(&short, &ok), Some(Refusal::Mismatch));
    }
}

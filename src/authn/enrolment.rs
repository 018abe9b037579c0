//! Adding a second factor: who may ([`may_enrol`]), the TOTP secret waiting in
//! the volatile store for its first code ([`pending_secret`], RFC 6238: the secret
//! is kept only once a code verifies, [`confirm_totp`]), and what follows any new
//! factor ([`complete`]): its audit record and notice, the session stepped up, and
//! ten recovery codes when it is the person's first factor (or none are left).

use super::second_factor::{self, Attempt};
use super::{Acr, Unavailable, factors, recovery, totp};
use crate::session::Started;
use crate::state::AppState;
use serde_json::json;

/// How long an unconfirmed TOTP secret waits for its first code.
const PENDING_SECRET_TTL: i64 = 900;

const PENDING_AAD: &[u8] = b"totp-enroll";

fn pending_secret_key(sid: &str) -> String {
    format!("totp-enroll:{sid}")
}

/// Who may enrol: during a login (`during_login`), only a person without a second
/// factor (a person who has one steps up with it instead); in the settings, a
/// person with one must have used it in this session (`level`).
pub fn may_enrol(has_second_factor: bool, during_login: bool, level: Acr) -> bool {
    !(has_second_factor && (during_login || super::security::needs_step_up(true, level)))
}

/// The secret waiting for confirmation in the session `sid`, sealed with the master
/// key; created on first view when `create`. `None` when there is none (or the
/// store could not keep a new one).
pub async fn pending_secret(state: &AppState, sid: &str, create: bool) -> Option<Vec<u8>> {
    let key = pending_secret_key(sid);
    if let Some(sealed) = state.volatile.get(&key).await.ok().flatten() {
        return state.master.decrypt(&sealed, PENDING_AAD).ok();
    }
    if !create {
        return None;
    }
    let secret = totp::new_secret();
    let sealed = state.master.encrypt(&secret, PENDING_AAD);
    state
        .volatile
        .put(&key, &sealed, PENDING_SECRET_TTL)
        .await
        .ok()?;
    Some(secret)
}

/// What became of a first TOTP code.
#[derive(Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// The code verified: the secret is the person's TOTP factor now.
    Confirmed,
    /// Wrong (or replayed): counted and audited as `totp-enroll`.
    Rejected,
    /// No secret waits in this session (expired, or never shown).
    NoSecret,
    /// The second-factor attempts are used up for now.
    Locked,
}

/// Confirms the authenticator app with its first code: under the second-factor
/// attempt limit, the code verified against the pending secret, which is then
/// stored (replacing any earlier one) and no longer pending.
pub async fn confirm_totp(
    state: &AppState,
    attempt: &Attempt<'_>,
    code: &str,
) -> Result<Confirmation, Unavailable> {
    if second_factor::locked_out(state, attempt.user_id).await? {
        return Ok(Confirmation::Locked);
    }
    let sid = attempt.session.sid.as_str();
    let Some(secret) = pending_secret(state, sid, false).await else {
        return Ok(Confirmation::NoSecret);
    };
    let now = state.now();
    match totp::verify(&state.store, attempt.user_id, &secret, code, now)
        .await
        .map_err(Unavailable::of)?
    {
        totp::Verdict::Accepted => {}
        totp::Verdict::Wrong | totp::Verdict::Replayed => {
            second_factor::record_failure(state, attempt, "totp-enroll").await?;
            return Ok(Confirmation::Rejected);
        }
    }
    factors::add_totp(&state.db, &state.master, attempt.user_id, &secret, now)
        .await
        .map_err(Unavailable::of)?;
    let _ = state.volatile.delete(&pending_secret_key(sid)).await;
    Ok(Confirmation::Confirmed)
}

/// The session after a new factor.
pub enum Enrolled {
    /// Stepped up as after any proved factor (`second_factor::step_up`).
    SteppedUp(Started),
    /// The person's first factor (or no recovery codes were left): the session is
    /// raised and these new recovery codes must be shown, this once.
    WithCodes {
        started: Started,
        codes: Vec<String>,
    },
}

/// A factor just added.
#[derive(Clone, Copy)]
pub struct Added<'a> {
    /// `totp` or `passkey`.
    pub kind: &'a str,
    pub label: &'a str,
    /// The RFC 8176 methods adding it proved.
    pub methods: &'a [&'a str],
}

/// A factor was added: audited (`mfa.enroll`) and told to the person, then the
/// session steps up. `before` is what the person had until now: without a second
/// factor or recovery codes, ten new codes come with it (`recovery_code.generate`).
pub async fn complete(
    state: &AppState,
    attempt: &Attempt<'_>,
    before: &factors::Summary,
    added: &Added<'_>,
) -> Result<Enrolled, Unavailable> {
    let Added {
        kind,
        label,
        methods,
    } = *added;
    let now = state.now();
    let enrolled = attempt
        .event("mfa.enroll", true)
        .detail(json!({"kind": kind, "label": label}));
    state
        .audit
        .record(now, enrolled)
        .await
        .map_err(Unavailable::of)?;
    super::notify(
        state,
        attempt.user_id,
        "factor_added",
        json!({"kind": kind, "label": label}),
    )
    .await
    .map_err(Unavailable::of)?;
    if before.has_second_factor() && before.recovery_left > 0 {
        let started = second_factor::step_up(state, attempt, methods, kind).await?;
        return Ok(Enrolled::SteppedUp(started));
    }
    let codes = recovery::regenerate(&state.db, &state.master, attempt.user_id, now)
        .await
        .map_err(Unavailable::of)?;
    let started = second_factor::elevate(state, attempt, methods).await?;
    let generated = attempt
        .event("recovery_code.generate", true)
        .detail(json!({"count": codes.len(), "sid": started.session.sid}));
    state
        .audit
        .record(now, generated)
        .await
        .map_err(Unavailable::of)?;
    Ok(Enrolled::WithCodes { started, codes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_enrol() {
        // Without a second factor: always (a login demanding one leads here).
        assert!(may_enrol(false, true, Acr::Pwd));
        assert!(may_enrol(false, false, Acr::Pwd));
        // With one, during a login: step up with it instead.
        assert!(!may_enrol(true, true, Acr::Mfa));
        // With one, in the settings: only after using it in this session.
        assert!(!may_enrol(true, false, Acr::Pwd));
        assert!(may_enrol(true, false, Acr::Mfa));
    }
}

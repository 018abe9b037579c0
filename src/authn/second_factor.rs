//! Proving a second factor in a session that has a first one (OIDC Core
//! §3.1.2.3 with `acr_values`/policy), in stages with names of their own.
//!
//! 1. **Lockout** ([`locked_out`]): a person who used up their attempts
//!    ([`MAX_FAILURES`] in [`FAIL_WINDOW`] seconds) is refused before any factor
//!    is checked. A store that cannot say is unavailable, never a "no".
//! 2. **Verify** ([`verify_code`], [`verify_passkey`]): a TOTP code (RFC 6238,
//!    each step once), a recovery code (single use, audited and notified), or a
//!    passkey assertion (WebAuthn §7.2).
//! 3. **Record** ([`record_failure`]): a failure counts toward the limit and is
//!    audited (`mfa.verify`, failed, with the method).
//!
//! Then [`step_up`] raises the session (new session id, same `sid`), clears the
//! failure count and audits `mfa.verify`. Every audit record is written or the
//! attempt fails as [`Unavailable`].

use super::{Unavailable, amr, factors, recovery, totp, webauthn};
use crate::audit::AuditEvent;
use crate::domain::RequestMeta;
use crate::session::{self, SsoSession, Started};
use crate::state::AppState;
use serde_json::json;

/// Wrong second-factor attempts allowed per person in `FAIL_WINDOW` seconds.
pub const MAX_FAILURES: i64 = 5;
pub const FAIL_WINDOW: i64 = 300;

/// The session a factor is proved in: whose it is, its handle and state, the
/// client of the pending authorization request (for the audit record) and where
/// the request came from.
pub struct Attempt<'a> {
    pub user_id: &'a str,
    pub handle: &'a str,
    pub session: &'a SsoSession,
    pub client_id: Option<&'a str>,
    pub meta: &'a RequestMeta,
}

impl Attempt<'_> {
    /// An audit record by this person about themselves, from this address.
    pub fn event(&self, event: &'static str, success: bool) -> AuditEvent {
        AuditEvent::new(event, success)
            .actor(self.user_id.to_owned())
            .subject(self.user_id.to_owned())
            .ip(self.meta.ip.clone())
    }
}

/// What became of an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Proved by these RFC 8176 methods: the session steps up with them
    /// ([`step_up`]).
    Accepted { methods: Vec<&'static str> },
    /// Not proved; the failure is counted and audited.
    Rejected,
    /// The attempts are used up for now; nothing was checked.
    Locked,
    /// A code of a kind Gapura does not know (neither `totp` nor `recovery`).
    UnknownMethod,
}

fn fail_key(user_id: &str) -> String {
    format!("mfa-fail:{user_id}")
}

/// Whether a stored failure count has reached the limit.
fn over_limit(count: Option<&str>) -> bool {
    count
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|n| n >= MAX_FAILURES)
}

/// Stage 1: whether the person used up their second-factor attempts.
pub async fn locked_out(state: &AppState, user_id: &str) -> Result<bool, Unavailable> {
    let count = state
        .store
        .get(&fail_key(user_id))
        .await
        .map_err(Unavailable::of)?;
    Ok(over_limit(count.as_deref()))
}

/// A TOTP code (`method` `totp`) or a recovery code (`recovery`), all stages.
pub async fn verify_code(
    state: &AppState,
    attempt: &Attempt<'_>,
    method: &str,
    code: &str,
) -> Result<Outcome, Unavailable> {
    if locked_out(state, attempt.user_id).await? {
        return Ok(Outcome::Locked);
    }
    let now = state.now();
    let accepted = match method {
        "totp" => totp_code(state, attempt.user_id, code, now).await?,
        "recovery" => recovery_code(state, attempt, code, now).await?,
        _ => return Ok(Outcome::UnknownMethod),
    };
    if !accepted {
        record_failure(state, attempt, method).await?;
        return Ok(Outcome::Rejected);
    }
    Ok(Outcome::Accepted {
        methods: vec![amr::OTP],
    })
}

/// Stage 2, TOTP: the person's authenticator app, each step accepted once; its
/// last use is recorded (a failure to record it only warns).
async fn totp_code(
    state: &AppState,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<bool, Unavailable> {
    let summary = factors::summary(&state.db, user_id)
        .await
        .map_err(Unavailable::of)?;
    let Some((factor, secret)) = summary
        .totp
        .as_ref()
        .and_then(|f| factors::totp_secret(&state.master, f).map(|s| (f, s)))
    else {
        return Ok(false);
    };
    match totp::verify(&state.store, user_id, &secret, code, now)
        .await
        .map_err(Unavailable::of)?
    {
        totp::Verdict::Accepted => {
            if let Err(e) = factors::touch(&state.db, &factor.id, now, None).await {
                tracing::warn!(error = %e, "last use of the factor not recorded");
            }
            Ok(true)
        }
        totp::Verdict::Wrong | totp::Verdict::Replayed => Ok(false),
    }
}

/// Stage 2, a recovery code: spent once, its use audited (`recovery_code.use`
/// with the codes left) and told to the person.
async fn recovery_code(
    state: &AppState,
    attempt: &Attempt<'_>,
    code: &str,
    now: i64,
) -> Result<bool, Unavailable> {
    let user_id = attempt.user_id;
    if !recovery::redeem(&state.db, &state.master, user_id, code, now)
        .await
        .map_err(Unavailable::of)?
    {
        return Ok(false);
    }
    let left = recovery::remaining(&state.db, user_id).await.unwrap_or(0);
    let used = attempt
        .event("recovery_code.use", true)
        .detail(json!({"remaining": left}));
    state
        .audit
        .record(now, used)
        .await
        .map_err(Unavailable::of)?;
    super::notify(
        state,
        user_id,
        "recovery_code_used",
        json!({"remaining": left}),
    )
    .await
    .map_err(Unavailable::of)?;
    Ok(true)
}

/// A passkey assertion (`ceremony`, `credential`: what the browser answered), all
/// stages. Any refusal of the assertion is a failure.
pub async fn verify_passkey(
    state: &AppState,
    attempt: &Attempt<'_>,
    ceremony: &str,
    credential: &str,
) -> Result<Outcome, Unavailable> {
    if locked_out(state, attempt.user_id).await? {
        return Ok(Outcome::Locked);
    }
    match webauthn::finish_authentication(state, attempt.user_id, ceremony, credential).await {
        Ok(v) => Ok(Outcome::Accepted { methods: v.methods }),
        Err(e) => {
            tracing::info!(error = %e, "passkey step-up refused");
            record_failure(state, attempt, "passkey").await?;
            Ok(Outcome::Rejected)
        }
    }
}

/// Stage 3: a failed attempt with `method`, counted toward the limit and audited.
pub async fn record_failure(
    state: &AppState,
    attempt: &Attempt<'_>,
    method: &str,
) -> Result<(), Unavailable> {
    state
        .store
        .incr(&fail_key(attempt.user_id), FAIL_WINDOW)
        .await
        .map_err(Unavailable::of)?;
    let failed = attempt
        .event("mfa.verify", false)
        .detail(json!({"method": method}));
    state
        .audit
        .record(state.now(), failed)
        .await
        .map_err(Unavailable::of)
}

/// Raises the session with the methods just proved: new cookie value, same sid.
pub async fn elevate(
    state: &AppState,
    attempt: &Attempt<'_>,
    methods: &[&str],
) -> Result<Started, Unavailable> {
    let (amr, acr) = super::combine(&attempt.session.amr, methods);
    session::renew(
        state,
        attempt.meta,
        attempt.handle,
        attempt.session,
        acr.as_str(),
        amr,
        session::Renewal::StepUp,
    )
    .await
    .map_err(Unavailable::of)
}

/// After a proved factor (`method` names it in the audit record): the session
/// raised ([`elevate`]), the failure count cleared (a failure to clear it only
/// warns), and `mfa.verify` audited with the new session's `sid`, `acr`, `amr`.
pub async fn step_up(
    state: &AppState,
    attempt: &Attempt<'_>,
    methods: &[&str],
    method: &str,
) -> Result<Started, Unavailable> {
    let started = elevate(state, attempt, methods).await?;
    if let Err(e) = state.store.delete(&fail_key(attempt.user_id)).await {
        tracing::warn!(error = %e, "second-factor failure count not reset");
    }
    let s = &started.session;
    let mut verified = attempt
        .event("mfa.verify", true)
        .detail(json!({"method": method, "sid": s.sid, "acr": s.acr, "amr": s.amr}));
    if let Some(client) = attempt.client_id {
        verified = verified.client(client.to_owned());
    }
    state
        .audit
        .record(state.now(), verified)
        .await
        .map_err(Unavailable::of)?;
    Ok(started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_reached_at_max_failures() {
        assert!(!over_limit(None));
        assert!(!over_limit(Some("4")));
        assert!(over_limit(Some("5")));
        assert!(over_limit(Some("6")));
        // A value that is not a count locks nothing.
        assert!(!over_limit(Some("x")));
    }
}

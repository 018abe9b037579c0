//! The first factor: a login name and password, in three stages with names of
//! their own.
//!
//! 1. **Lockout** ([`lockout`]): a locked account, or account and address pair
//!    (`crate::login_guard`), is refused before any password is checked.
//! 2. **Verify** ([`verify`]): argon2id off the executor, with a dummy
//!    verification for unknown accounts so timing says nothing; an unknown
//!    account, a wrong password and a suspended account are one failure to the
//!    person, three reasons in the audit log.
//! 3. **Record** ([`record_failure`], or the success kept for the session):
//!    failures count toward the locks, slow the next answer from the address and
//!    are audited, locks too.
//!
//! Then [`open_session`] starts (or renews) the SSO session and audits the login
//! with its `sid`. Every audit record is written or the attempt fails as
//! unavailable: nothing is refused or granted without its record.

use super::Unavailable;
use crate::audit::AuditEvent;
use crate::domain::RequestMeta;
use crate::login_guard::{self, Verdict};
use crate::metrics::LoginResult;
use crate::session::{self, SsoSession, Started};
use crate::state::AppState;
use crate::users::{self, User};
use secrecy::SecretString;

fn unavailable(e: impl std::fmt::Display) -> Unavailable {
    Unavailable::of(e)
}

/// One login attempt: what the person typed, the client of the pending request
/// (for the audit record) and where the request came from.
pub struct Attempt<'a> {
    pub login: &'a str,
    pub password: &'a SecretString,
    pub client_id: Option<&'a str>,
    pub meta: &'a RequestMeta,
}

impl Attempt<'_> {
    fn ip(&self) -> String {
        self.meta.ip.clone().unwrap_or_else(|| "unknown".into())
    }

    /// The `login` audit record of this attempt, for `subject` if known.
    fn event(&self, success: bool, subject: Option<&str>) -> AuditEvent {
        let mut e = AuditEvent::new("login", success)
            .actor(self.login.chars().take(64).collect::<String>())
            .ip(Some(self.ip()));
        if let Some(s) = subject {
            e = e.subject(s.to_owned());
        }
        if let Some(c) = self.client_id {
            e = e.client(c.to_owned());
        }
        e
    }
}

/// What became of an attempt.
pub enum Outcome {
    /// The password is right and the account active. `event` is the login's
    /// audit record, written with the session it opens ([`open_session`]).
    Verified { user: Box<User>, event: AuditEvent },
    /// Wrong password, unknown or suspended account: one answer for all.
    Failed,
    /// Locked for about this many more minutes.
    Locked { minutes: i64 },
}

/// The account a lock counts against: the account's id, or the name typed for an
/// account that does not exist (so guessing names is locked too).
fn account_key(login: &str, user: Option<&User>) -> String {
    match user {
        Some(u) => u.id.clone(),
        None => format!(
            "unknown:{}",
            login.to_lowercase().chars().take(64).collect::<String>()
        ),
    }
}

/// A password login, all three stages.
pub async fn password(state: &AppState, attempt: &Attempt<'_>) -> Result<Outcome, Unavailable> {
    let user = users::find_by_login(&state.db, attempt.login)
        .await
        .map_err(unavailable)?;
    let account = account_key(attempt.login, user.as_ref());
    let subject = user.as_ref().map(|u| u.id.as_str());
    if let Some(minutes) = lockout(state, attempt, &account, subject).await? {
        return Ok(Outcome::Locked { minutes });
    }
    if let Some(reason) = verify(state, attempt.password, user.as_ref()).await {
        record_failure(state, attempt, &account, subject, reason).await?;
        return Ok(Outcome::Failed);
    }
    let Some(user) = user else {
        // `verify` fails every unknown account; this is only the type's proof.
        return Ok(Outcome::Failed);
    };
    if let Err(e) = login_guard::success(state, &account, &attempt.ip()).await {
        tracing::warn!(error = %e, "failure count of the address not reset after a login");
    }
    state.metrics.login(LoginResult::Success);
    let event = attempt.event(true, Some(&user.id)).actor(user.id.clone());
    Ok(Outcome::Verified {
        user: Box::new(user),
        event,
    })
}

/// Stage 1: the minutes left of a lock on the account or on this account and
/// address, after auditing the refusal; `None` when open.
async fn lockout(
    state: &AppState,
    attempt: &Attempt<'_>,
    account: &str,
    subject: Option<&str>,
) -> Result<Option<i64>, Unavailable> {
    let until = match login_guard::check(state, account, &attempt.ip())
        .await
        .map_err(unavailable)?
    {
        Verdict::Open => return Ok(None),
        Verdict::Locked(until) => until,
    };
    state.metrics.login(LoginResult::Locked);
    let locked = attempt
        .event(false, subject)
        .detail(serde_json::json!({"reason": "locked", "method": "pwd", "locked_until": until}));
    state
        .audit
        .record(state.now(), locked)
        .await
        .map_err(unavailable)?;
    Ok(Some(
        ((until - state.now()) as f64 / 60.0).ceil().max(1.0) as i64
    ))
}

/// Stage 2: why the attempt fails (`unknown_account`, `bad_password`,
/// `suspended`), or `None` for a right password of an active account. The hash is
/// always verified, against a dummy for an unknown account.
async fn verify(
    state: &AppState,
    password: &SecretString,
    user: Option<&User>,
) -> Option<&'static str> {
    let verified = state
        .hasher
        .verify(password, user.and_then(|u| u.password_hash.as_deref()))
        .await;
    match user {
        None => Some("unknown_account"),
        Some(_) if !verified => Some("bad_password"),
        Some(u) if !users::is_active(u) => Some("suspended"),
        Some(_) => None,
    }
}

/// Stage 3, a failure: audited with its reason, counted toward the locks (a lock
/// it sets is audited too), the address remembered for the account, and the
/// answer delayed a little more for each failure from the address.
async fn record_failure(
    state: &AppState,
    attempt: &Attempt<'_>,
    account: &str,
    subject: Option<&str>,
    reason: &'static str,
) -> Result<(), Unavailable> {
    let ip = attempt.ip();
    state.metrics.login(LoginResult::Failure);
    let failed = attempt
        .event(false, subject)
        .detail(serde_json::json!({"reason": reason, "method": "pwd"}));
    state
        .audit
        .record(state.now(), failed)
        .await
        .map_err(unavailable)?;
    let (lock, count) = login_guard::failure(state, account, &ip)
        .await
        .map_err(unavailable)?;
    login_guard::remember_address(state, account, &ip)
        .await
        .map_err(unavailable)?;
    if let Some((scope, until)) = lock {
        let mut e = AuditEvent::new("login.lock", true)
            .actor("system")
            .ip(Some(ip.clone()))
            .detail(serde_json::json!({"scope": scope, "until": until, "account": account}));
        if let Some(s) = subject {
            e = e.subject(s.to_owned());
        }
        state
            .audit
            .record(state.now(), e)
            .await
            .map_err(unavailable)?;
    }
    // Progressive delay: each failure from this address slows the next answer.
    tokio::time::sleep(std::time::Duration::from_millis(
        (count.clamp(1, 5) as u64) * 150,
    ))
    .await;
    Ok(())
}

/// After a first factor: a new session (a new cookie value: no fixation), and the
/// login's audit record with its `sid`. The same person logging in again keeps the
/// logical session (sid, applications); another person's session in this browser
/// ends first.
pub async fn open_session(
    state: &AppState,
    meta: &RequestMeta,
    previous: Option<(String, SsoSession)>,
    user: &User,
    acr: &str,
    amr: Vec<String>,
    event: AuditEvent,
) -> Result<Started, Unavailable> {
    let method = amr.join(" ");
    let started = match previous {
        Some((old_handle, old)) if old.user_id == user.id => {
            session::renew(
                state,
                meta,
                &old_handle,
                &old,
                acr,
                amr,
                session::Renewal::Login,
            )
            .await
        }
        previous => {
            if let Some((old_handle, old)) = previous {
                crate::logout::end_session(
                    state,
                    &old_handle,
                    &old,
                    crate::logout::EndReason::Replaced,
                )
                .await
                .map_err(unavailable)?;
            }
            session::start(state, meta, &user.id, acr, amr).await
        }
    }
    .map_err(unavailable)?;
    let event = event.detail(serde_json::json!({
        "method": method,
        "sid": started.session.sid,
        "acr": started.session.acr,
    }));
    state
        .audit
        .record(state.now(), event)
        .await
        .map_err(unavailable)?;
    Ok(started)
}

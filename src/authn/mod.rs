//! Strong authentication: authentication levels (OIDC Core §2 `acr`), methods
//! (RFC 8176 `amr`), second factors (TOTP, passkeys, recovery codes), the policy
//! that says which level a login needs, and the step-up that raises a session.
//! Framework-free services: handlers live in `crate::http::pages`.
//!
//! - [`login`]: the password login and the session it opens;
//! - [`second_factor`]: proving a second factor in a session (attempt limit,
//!   TOTP and recovery codes, passkeys) and the step-up that follows;
//! - [`enrolment`]: adding a factor (the TOTP secret waiting for its first code,
//!   the first recovery codes);
//! - [`security`]: the person's own changes (removing a factor, new recovery codes);
//! - [`new_password`]: choosing a new password when it must be changed;
//! - [`stepup`]: what a login still needs; [`policy`], [`factors`], [`recovery`],
//!   [`totp`], [`webauthn`]: the rules and stores beneath.

pub mod enrolment;
pub mod factors;
pub mod login;
pub mod new_password;
pub mod policy;
pub mod recovery;
pub mod second_factor;
pub mod security;
pub mod stepup;
pub mod totp;
pub mod webauthn;

pub use crate::domain::acr::{Acr, amr, combine, level_of};

/// A back end (database, store, audit log) could not be reached while proving,
/// adding or changing a factor or a password: the person is told the service is
/// unavailable. Every audit record is written or the step fails with this.
#[derive(Debug, thiserror::Error)]
#[error("authentication unavailable: {0}")]
pub struct Unavailable(String);

impl Unavailable {
    pub(crate) fn of(e: impl std::fmt::Display) -> Self {
        Unavailable(e.to_string())
    }
}

/// Tells the person about a security event on their account (a factor reset, a
/// recovery code used). Mail delivery comes with the mail work; until then the
/// notice is an audit record `person.notice` (topic and detail) that it will read.
pub async fn notify(
    state: &crate::state::AppState,
    user_id: &str,
    topic: &'static str,
    detail: serde_json::Value,
) -> Result<(), crate::audit::AuditError> {
    let e = crate::audit::AuditEvent::new("person.notice", true)
        .actor("system")
        .subject(user_id.to_owned())
        .detail(serde_json::json!({"topic": topic, "detail": detail}));
    state.audit.record(state.now(), e).await
}

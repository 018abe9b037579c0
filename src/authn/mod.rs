//! Strong authentication: authentication levels (OIDC Core §2 `acr`), methods
//! (RFC 8176 `amr`), second factors (TOTP, passkeys, recovery codes), the policy
//! that says which level a login needs, and the step-up that raises a session.
//! Framework-free services: handlers live in `crate::http::pages`.

pub mod factors;
pub mod login;
pub mod policy;
pub mod recovery;
pub mod stepup;
pub mod totp;
pub mod webauthn;

pub use crate::domain::acr::{Acr, amr, combine, level_of};

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

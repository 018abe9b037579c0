//! The person's own second factors, changed from the security settings: the rule
//! that changes need the second factor in this session ([`needs_step_up`]),
//! removing a factor ([`remove_factor`]) and new recovery codes
//! ([`new_recovery_codes`]). Each change is audited; a removal is also told to
//! the person.

use super::{Acr, Unavailable, factors, recovery};
use crate::audit::AuditEvent;
use crate::domain::RequestMeta;
use crate::state::AppState;
use serde_json::json;

/// Changes need the second factor in this session (`level`) when the person has
/// one.
pub fn needs_step_up(has_second_factor: bool, level: Acr) -> bool {
    has_second_factor && level < Acr::Mfa
}

fn event(user_id: &str, event: &'static str, meta: &RequestMeta) -> AuditEvent {
    AuditEvent::new(event, true)
        .actor(user_id.to_owned())
        .subject(user_id.to_owned())
        .ip(meta.ip.clone())
}

/// Removes the factor `factor_id` of this person; `false` when it is not theirs.
/// When it was the last second factor, the recovery codes go too: without a
/// second factor they would be a password of their own. Audited (`mfa.remove`)
/// and told to the person.
pub async fn remove_factor(
    state: &AppState,
    user_id: &str,
    factor_id: &str,
    meta: &RequestMeta,
) -> Result<bool, Unavailable> {
    let Some(removed) = factors::remove(&state.db, user_id, factor_id)
        .await
        .map_err(Unavailable::of)?
    else {
        return Ok(false);
    };
    let left = factors::summary(&state.db, user_id)
        .await
        .map_err(Unavailable::of)?;
    if !left.has_second_factor() {
        factors::reset(&state.db, user_id)
            .await
            .map_err(Unavailable::of)?;
    }
    let what = json!({"kind": removed.kind, "label": removed.label});
    let e = event(user_id, "mfa.remove", meta).detail(what.clone());
    state
        .audit
        .record(state.now(), e)
        .await
        .map_err(Unavailable::of)?;
    super::notify(state, user_id, "factor_removed", what)
        .await
        .map_err(Unavailable::of)?;
    Ok(true)
}

/// Ten new recovery codes in place of the old ones, in clear this once, audited
/// (`recovery_code.generate`); `None` for a person without a second factor
/// (`summary`), whom codes would not serve.
pub async fn new_recovery_codes(
    state: &AppState,
    user_id: &str,
    summary: &factors::Summary,
    meta: &RequestMeta,
) -> Result<Option<Vec<String>>, Unavailable> {
    if !summary.has_second_factor() {
        return Ok(None);
    }
    let codes = recovery::regenerate(&state.db, &state.master, user_id, state.now())
        .await
        .map_err(Unavailable::of)?;
    let e = event(user_id, "recovery_code.generate", meta).detail(json!({"count": codes.len()}));
    state
        .audit
        .record(state.now(), e)
        .await
        .map_err(Unavailable::of)?;
    Ok(Some(codes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_need_the_second_factor_only_of_a_person_with_one() {
        assert!(needs_step_up(true, Acr::Pwd));
        assert!(!needs_step_up(true, Acr::Mfa));
        assert!(!needs_step_up(false, Acr::Pwd));
    }
}

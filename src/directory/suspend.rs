//! Suspension: accounts are never deleted. Suspending ends access at once: every
//! grant of the person is revoked (refresh tokens die; access tokens are refused by
//! UserInfo and introspection), SSO sessions end with back-channel logout, and
//! `users::is_active` refuses login and refresh.

use super::DirectoryError;
use crate::audit::AuditEvent;
use crate::state::AppState;
use entity::user_account::AccountStatus;
use entity::{grant, user_account};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

/// Revokes every live grant of `user_id` and records the suspension.
pub async fn end_access(
    state: &AppState,
    user_id: &str,
    reason: &str,
    actor: &str,
) -> Result<usize, DirectoryError> {
    let ids: Vec<String> = grant::Entity::find()
        .select_only()
        .column(grant::Column::Id)
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::RevokedAt.is_null())
        .into_tuple()
        .all(&state.db)
        .await?;
    // Sessions end (with back-channel logout to their applications), every grant is
    // revoked, and applications holding grants outside a session are told too.
    crate::logout::suspend_effects(state, user_id).await?;
    state.users_cache.invalidate(&user_id.to_owned());
    let e = AuditEvent::new("account.suspend", true)
        .actor(actor)
        .subject(user_id)
        .detail(serde_json::json!({"reason": reason, "grants_revoked": ids.len()}));
    state.audit.record(state.now(), e).await?;
    Ok(ids.len())
}

/// Suspends an account (admin action) and ends its access.
pub async fn suspend(
    state: &AppState,
    user: user_account::Model,
    reason: &str,
    actor: &str,
) -> Result<user_account::Model, DirectoryError> {
    let id = user.id.clone();
    let mut a: user_account::ActiveModel = user.into();
    a.status = Set(AccountStatus::Suspended);
    a.suspended_at = Set(Some(state.now()));
    a.suspended_reason = Set(Some(reason.to_owned()));
    a.updated_at = Set(state.now());
    let row = a.update(&state.db).await?;
    end_access(state, &id, reason, actor).await?;
    Ok(row)
}

/// Lifts a suspension; history stays in the audit log.
pub async fn reactivate(
    state: &AppState,
    user: user_account::Model,
    actor: &str,
) -> Result<user_account::Model, DirectoryError> {
    let id = user.id.clone();
    let mut a: user_account::ActiveModel = user.into();
    a.status = Set(AccountStatus::Active);
    a.suspended_at = Set(None);
    a.suspended_reason = Set(None);
    a.updated_at = Set(state.now());
    let row = a.update(&state.db).await?;
    state.users_cache.invalidate(&row.id);
    let e = AuditEvent::new("account.reactivate", true)
        .actor(actor)
        .subject(id);
    state.audit.record(state.now(), e).await?;
    Ok(row)
}

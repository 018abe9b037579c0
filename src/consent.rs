//! Remembered consent per person and client: the union of scopes approved so far.

use crate::domain::Scopes;
use crate::error::BackendError;
use crate::state::AppState;
use entity::consent;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

/// When the person last approved this client, if what they approved covers `scope`.
pub async fn granted_at(
    state: &AppState,
    user_id: &str,
    client_id: &str,
    scope: &Scopes,
) -> Result<Option<i64>, BackendError> {
    let row = consent::Entity::find_by_id((user_id.to_owned(), client_id.to_owned()))
        .one(&state.db)
        .await?;
    Ok(row
        .filter(|r| Scopes::parse(&r.scope).is_ok_and(|granted| scope.is_subset(&granted)))
        .map(|r| r.granted_at))
}

pub async fn remember(
    state: &AppState,
    user_id: &str,
    client_id: &str,
    scope: &Scopes,
) -> Result<(), BackendError> {
    let now = state.now();
    let existing = consent::Entity::find_by_id((user_id.to_owned(), client_id.to_owned()))
        .one(&state.db)
        .await?;
    match existing {
        Some(row) => {
            let merged = format!("{} {}", row.scope, scope);
            let merged = Scopes::parse(&merged)
                .unwrap_or_else(|_| scope.clone())
                .to_string();
            let mut active: consent::ActiveModel = row.into();
            active.scope = Set(merged);
            active.granted_at = Set(now);
            active.update(&state.db).await?;
        }
        None => {
            consent::ActiveModel {
                user_id: Set(user_id.to_owned()),
                client_id: Set(client_id.to_owned()),
                scope: Set(scope.to_string()),
                granted_at: Set(now),
            }
            .insert(&state.db)
            .await?;
        }
    }
    Ok(())
}

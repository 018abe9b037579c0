//! Role claims (issue #3): the requesting application's live assignments, as
//! structured `roles` (`[{"role":"verifikator","opd":"DINKES","scope":"subtree"}]`)
//! and as the flat `roles_flat` strings (`"verifikator@DINKES"`, `"admin@*"` for the
//! city) for applications that only read strings. One indexed query per token.

use super::roles::live_at;
use crate::directory::DirectoryError;
use entity::role_assignment;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleClaims {
    pub structured: Vec<Value>,
    pub flat: Vec<String>,
}

pub async fn for_client<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<RoleClaims, DirectoryError> {
    let rows: Vec<(String, Option<String>, String)> = role_assignment::Entity::find()
        .select_only()
        .column(role_assignment::Column::Role)
        .column(role_assignment::Column::OpdCode)
        .column(role_assignment::Column::ScopeKind)
        .filter(role_assignment::Column::UserId.eq(user_id))
        .filter(role_assignment::Column::ClientId.eq(client_id))
        .filter(live_at(now))
        .order_by_asc(role_assignment::Column::Role)
        .order_by_asc(role_assignment::Column::OpdCode)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = RoleClaims::default();
    for (role, opd, scope) in rows {
        let flat = format!("{role}@{}", opd.as_deref().unwrap_or("*"));
        if out.flat.contains(&flat) && scope != "subtree" {
            continue;
        }
        out.structured
            .push(json!({"role": role, "opd": opd, "scope": scope}));
        if !out.flat.contains(&flat) {
            out.flat.push(flat);
        }
    }
    Ok(out)
}

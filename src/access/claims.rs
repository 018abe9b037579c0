//! Role claims (issue #3): the requesting application's live assignments, as
//! structured `roles` (`[{"role":"verifikator","opd":"DINKES","scope":"subtree"}]`)
//! and as the flat `roles_flat` strings (`"verifikator@DINKES"`, `"admin@*"` for the
//! city) for applications that only read strings.
//!
//! Token minting is on the hot path: one indexed query that returns a single
//! aggregated row (`group_concat` / `string_agg`), so 50 assignments cost one round
//! trip instead of 50 row transfers.

use super::roles::live_at;
use crate::directory::DirectoryError;
use entity::role_assignment;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde_json::{Value, json};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleClaims {
    pub structured: Vec<Value>,
    pub flat: Vec<String>,
}

/// Unit and record separators: never in role names or unit codes (both validated).
const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';

fn aggregate_sql(backend: DbBackend) -> Option<&'static str> {
    match backend {
        DbBackend::Sqlite => Some(
            "SELECT group_concat(role || char(31) || coalesce(opd_code, '') || char(31) || scope_kind, char(30)) AS v \
             FROM role_assignment WHERE user_id = ? AND client_id = ? AND ended_at IS NULL \
             AND (valid_from IS NULL OR valid_from <= ?) AND (valid_until IS NULL OR valid_until > ?)",
        ),
        DbBackend::Postgres => Some(
            "SELECT string_agg(role || chr(31) || coalesce(opd_code, '') || chr(31) || scope_kind, chr(30)) AS v \
             FROM role_assignment WHERE user_id = $1 AND client_id = $2 AND ended_at IS NULL \
             AND (valid_from IS NULL OR valid_from <= $3) AND (valid_until IS NULL OR valid_until > $4)",
        ),
        _ => None,
    }
}

async fn live_rows<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<Vec<(String, Option<String>, String)>, DirectoryError> {
    let backend = db.get_database_backend();
    let Some(sql) = aggregate_sql(backend) else {
        return Ok(role_assignment::Entity::find()
            .select_only()
            .column(role_assignment::Column::Role)
            .column(role_assignment::Column::OpdCode)
            .column(role_assignment::Column::ScopeKind)
            .filter(role_assignment::Column::UserId.eq(user_id))
            .filter(role_assignment::Column::ClientId.eq(client_id))
            .filter(live_at(now))
            .order_by_asc(role_assignment::Column::Role)
            .into_tuple()
            .all(db)
            .await?);
    };
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [user_id.into(), client_id.into(), now.into(), now.into()],
    );
    let joined: Option<String> = match db.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "v")?,
        None => None,
    };
    Ok(joined
        .unwrap_or_default()
        .split(RECORD)
        .filter(|r| !r.is_empty())
        .filter_map(|r| {
            let mut f = r.split(UNIT);
            let (role, opd, scope) = (f.next()?, f.next()?, f.next()?);
            let opd = (!opd.is_empty()).then(|| opd.to_owned());
            Some((role.to_owned(), opd, scope.to_owned()))
        })
        .collect())
}

pub async fn for_client<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<RoleClaims, DirectoryError> {
    let mut rows = live_rows(db, user_id, client_id, now).await?;
    rows.sort();
    let mut out = RoleClaims::default();
    for (role, opd, scope) in rows {
        let flat = format!("{role}@{}", opd.as_deref().unwrap_or("*"));
        let item = json!({"role": role, "opd": opd, "scope": scope});
        if !out.structured.contains(&item) {
            out.structured.push(item);
        }
        if !out.flat.contains(&flat) {
            out.flat.push(flat);
        }
    }
    Ok(out)
}

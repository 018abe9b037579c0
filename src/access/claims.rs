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
use serde::Serialize;

/// The `roles` and `roles_flat` claims, serialized as those two members (a token
/// or answer flattens them in beside its other claims).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RoleClaims {
    #[serde(rename = "roles")]
    pub structured: Vec<RoleClaim>,
    #[serde(rename = "roles_flat")]
    pub flat: Vec<String>,
}

/// One live assignment in `roles`: `opd` is `null` for the city.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleClaim {
    pub role: String,
    pub opd: Option<String>,
    pub scope: String,
}

/// Unit and record separators: never in role names or unit codes (both validated).
const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// One statement, one row: the person's unit (`name` US `path`) and the client's
/// live roles (`role` US `opd` US `scope`, RS-separated). Parameters: unit code,
/// user id, client id, now, now.
fn combined_sql(backend: DbBackend) -> Option<&'static str> {
    match backend {
        DbBackend::Sqlite => Some(
            "SELECT (SELECT name || char(31) || path FROM opd WHERE code = ?) AS unit, \
             (SELECT group_concat(role || char(31) || coalesce(opd_code, '') || char(31) || scope_kind, char(30)) \
              FROM role_assignment WHERE user_id = ? AND client_id = ? AND ended_at IS NULL \
              AND (valid_from IS NULL OR valid_from <= ?) AND (valid_until IS NULL OR valid_until > ?)) AS v",
        ),
        DbBackend::Postgres => Some(
            "SELECT (SELECT name || chr(31) || path FROM opd WHERE code = $1) AS unit, \
             (SELECT string_agg(role || chr(31) || coalesce(opd_code, '') || chr(31) || scope_kind, chr(30)) \
              FROM role_assignment WHERE user_id = $2 AND client_id = $3 AND ended_at IS NULL \
              AND (valid_from IS NULL OR valid_from <= $4) AND (valid_until IS NULL OR valid_until > $5)) AS v",
        ),
        _ => None,
    }
}

/// The unit of a person, as the `opd` claim shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitClaim {
    pub code: String,
    pub name: String,
    pub path: String,
}

/// What a token needs from the directory, in one round trip: the person's unit
/// (when `opd_code` is given) and the client's live roles (when `client_id` is).
pub async fn for_token<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    opd_code: Option<&str>,
    client_id: Option<&str>,
    now: i64,
) -> Result<(Option<UnitClaim>, Option<RoleClaims>), DirectoryError> {
    if opd_code.is_none() && client_id.is_none() {
        return Ok((None, None));
    }
    let backend = db.get_database_backend();
    let Some(sql) = combined_sql(backend) else {
        let unit = match opd_code {
            Some(c) => crate::directory::opd::get(db, c).await?.map(|u| UnitClaim {
                code: u.code,
                name: u.name,
                path: u.path,
            }),
            None => None,
        };
        let roles = match client_id {
            Some(c) => Some(for_client(db, user_id, c, now).await?),
            None => None,
        };
        return Ok((unit, roles));
    };
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [
            opd_code.map(str::to_owned).into(),
            user_id.into(),
            client_id.unwrap_or_default().into(),
            now.into(),
            now.into(),
        ],
    );
    let (unit, joined): (Option<String>, Option<String>) = match db.query_one_raw(stmt).await? {
        Some(row) => (row.try_get("", "unit")?, row.try_get("", "v")?),
        None => (None, None),
    };
    let unit = match (opd_code, unit) {
        (Some(code), Some(u)) => u.split_once(UNIT).map(|(name, path)| UnitClaim {
            code: code.to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
        }),
        _ => None,
    };
    let roles = client_id.map(|_| build(parse_rows(joined)));
    Ok((unit, roles))
}

fn parse_rows(joined: Option<String>) -> Vec<(String, Option<String>, String)> {
    joined
        .unwrap_or_default()
        .split(RECORD)
        .filter(|r| !r.is_empty())
        .filter_map(|r| {
            let mut f = r.split(UNIT);
            let (role, opd, scope) = (f.next()?, f.next()?, f.next()?);
            let opd = (!opd.is_empty()).then(|| opd.to_owned());
            Some((role.to_owned(), opd, scope.to_owned()))
        })
        .collect()
}

async fn live_rows<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<Vec<(String, Option<String>, String)>, DirectoryError> {
    let backend = db.get_database_backend();
    let Some(sql) = combined_sql(backend) else {
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
    let none: Option<String> = None;
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [
            none.into(),
            user_id.into(),
            client_id.into(),
            now.into(),
            now.into(),
        ],
    );
    let joined: Option<String> = match db.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "v")?,
        None => None,
    };
    Ok(parse_rows(joined))
}

fn build(mut rows: Vec<(String, Option<String>, String)>) -> RoleClaims {
    rows.sort();
    let mut out = RoleClaims::default();
    for (role, opd, scope) in rows {
        let flat = format!("{role}@{}", opd.as_deref().unwrap_or("*"));
        let item = RoleClaim { role, opd, scope };
        if !out.structured.contains(&item) {
            out.structured.push(item);
        }
        if !out.flat.contains(&flat) {
            out.flat.push(flat);
        }
    }
    out
}

pub async fn for_client<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<RoleClaims, DirectoryError> {
    Ok(build(live_rows(db, user_id, client_id, now).await?))
}

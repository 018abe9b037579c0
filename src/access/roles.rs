//! Application roles and role assignments: declaring, assigning, ending (never
//! deleting), listing. The built-in application `gapura` has the roles `opd-admin`
//! (administers accounts and assignments in its scope) and `nik-reader` (may see
//! NIK unmasked in its scope).

use crate::clients::GAPURA_APP;
use crate::directory::{DirectoryError, invalid, opd};
use entity::{app_role, role_assignment};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

pub const OPD_ADMIN: &str = "opd-admin";
pub const NIK_READER: &str = "nik-reader";
pub const GAPURA_ROLES: [&str; 2] = [OPD_ADMIN, NIK_READER];

/// Where an assignment applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    /// The one unit.
    Opd,
    /// The unit and everything under it.
    Subtree,
    /// The whole city.
    City,
}

impl ScopeKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "opd" => Some(Self::Opd),
            "subtree" => Some(Self::Subtree),
            "city" => Some(Self::City),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opd => "opd",
            Self::Subtree => "subtree",
            Self::City => "city",
        }
    }
}

/// `verifikator`, `opd-admin`: lower-case letters, digits, `-`, `_`, `.`.
pub fn valid_role(role: &str) -> bool {
    !role.is_empty()
        && role.len() <= 64
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleView {
    pub client_id: String,
    pub role: String,
    pub description: String,
}

pub async fn declare<C: ConnectionTrait>(
    db: &C,
    now: i64,
    client_id: &str,
    role: &str,
    description: &str,
) -> Result<RoleView, DirectoryError> {
    if client_id == GAPURA_APP {
        return Err(invalid("the roles of `gapura` are built in"));
    }
    if crate::clients::find_any(db, client_id).await?.is_none() {
        return Err(DirectoryError::NotFound(format!(
            "no application `{client_id}`"
        )));
    }
    if !valid_role(role) {
        return Err(invalid(format!(
            "role `{role}` must be lower-case letters, digits, - _ ."
        )));
    }
    if roles_of(db, client_id)
        .await?
        .iter()
        .any(|r| r.role == role)
    {
        return Err(DirectoryError::Conflict(format!(
            "`{client_id}` already declares `{role}`"
        )));
    }
    let row = app_role::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        client_id: Set(client_id.to_owned()),
        role: Set(role.to_owned()),
        description: Set(description.trim().chars().take(500).collect()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(RoleView {
        client_id: row.client_id,
        role: row.role,
        description: row.description,
    })
}

pub async fn roles_of<C: ConnectionTrait>(
    db: &C,
    client_id: &str,
) -> Result<Vec<RoleView>, DirectoryError> {
    if client_id == GAPURA_APP {
        return Ok(GAPURA_ROLES
            .iter()
            .map(|r| RoleView {
                client_id: GAPURA_APP.into(),
                role: (*r).into(),
                description: "built in".into(),
            })
            .collect());
    }
    Ok(app_role::Entity::find()
        .filter(app_role::Column::ClientId.eq(client_id))
        .order_by_asc(app_role::Column::Role)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RoleView {
            client_id: r.client_id,
            role: r.role,
            description: r.description,
        })
        .collect())
}

#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub user_id: String,
    pub client_id: String,
    pub role: String,
    pub opd_code: Option<String>,
    pub scope: ScopeKind,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentView {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub role: String,
    pub opd: Option<String>,
    pub scope: String,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub ended_at: Option<i64>,
    pub ended_reason: Option<String>,
}

impl From<role_assignment::Model> for AssignmentView {
    fn from(a: role_assignment::Model) -> Self {
        AssignmentView {
            id: a.id,
            user_id: a.user_id,
            client_id: a.client_id,
            role: a.role,
            opd: a.opd_code,
            scope: a.scope_kind,
            valid_from: a.valid_from,
            valid_until: a.valid_until,
            created_at: a.created_at,
            created_by: a.created_by,
            ended_at: a.ended_at,
            ended_reason: a.ended_reason,
        }
    }
}

/// Checks the role is declared, the unit exists and is open, and the dates make sense.
pub async fn assign<C: ConnectionTrait>(
    db: &C,
    now: i64,
    new: NewAssignment,
) -> Result<role_assignment::Model, DirectoryError> {
    if !roles_of(db, &new.client_id)
        .await?
        .iter()
        .any(|r| r.role == new.role)
    {
        return Err(invalid(format!(
            "application `{}` declares no role `{}`",
            new.client_id, new.role
        )));
    }
    match (&new.opd_code, new.scope) {
        (None, ScopeKind::City) => {}
        (Some(_), ScopeKind::City) => {
            return Err(invalid("a city-wide assignment names no OPD"));
        }
        (None, _) => return Err(invalid("an OPD or sub-tree assignment needs `opd`")),
        (Some(code), _) => {
            let unit = opd::require(db, code).await?;
            if unit.closed_at.is_some() {
                return Err(DirectoryError::Conflict(format!("unit `{code}` is closed")));
            }
        }
    }
    if let (Some(f), Some(u)) = (new.valid_from, new.valid_until)
        && u <= f
    {
        return Err(invalid("valid_until must be after valid_from"));
    }
    if new.valid_until.is_some_and(|u| u <= now) {
        return Err(invalid("valid_until is in the past"));
    }
    Ok(role_assignment::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        user_id: Set(new.user_id),
        client_id: Set(new.client_id),
        role: Set(new.role),
        opd_code: Set(new.opd_code),
        scope_kind: Set(new.scope.as_str().to_owned()),
        valid_from: Set(new.valid_from),
        valid_until: Set(new.valid_until),
        created_at: Set(now),
        created_by: Set(new.created_by),
        ended_at: Set(None),
        ended_reason: Set(None),
    }
    .insert(db)
    .await?)
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<Option<role_assignment::Model>, DirectoryError> {
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    Ok(role_assignment::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?)
}

/// Ends an assignment (kept for history).
pub async fn end<C: ConnectionTrait>(
    db: &C,
    now: i64,
    id: &str,
    reason: &str,
) -> Result<(), DirectoryError> {
    role_assignment::Entity::update_many()
        .col_expr(role_assignment::Column::EndedAt, Expr::value(now))
        .col_expr(
            role_assignment::Column::EndedReason,
            Expr::value(reason.to_owned()),
        )
        .filter(role_assignment::Column::Id.eq(id))
        .filter(role_assignment::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Live at `now`: not ended, inside its validity period.
pub fn live_at(now: i64) -> Condition {
    Condition::all()
        .add(role_assignment::Column::EndedAt.is_null())
        .add(
            Condition::any()
                .add(role_assignment::Column::ValidFrom.is_null())
                .add(role_assignment::Column::ValidFrom.lte(now)),
        )
        .add(
            Condition::any()
                .add(role_assignment::Column::ValidUntil.is_null())
                .add(role_assignment::Column::ValidUntil.gt(now)),
        )
}

/// A person's assignments (all applications), live ones only unless `history`.
pub async fn of_user<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    client_id: Option<&str>,
    now: i64,
    history: bool,
) -> Result<Vec<role_assignment::Model>, DirectoryError> {
    let mut q = role_assignment::Entity::find().filter(role_assignment::Column::UserId.eq(user_id));
    if let Some(c) = client_id {
        q = q.filter(role_assignment::Column::ClientId.eq(c));
    }
    if !history {
        q = q.filter(live_at(now));
    }
    Ok(q.order_by_asc(role_assignment::Column::CreatedAt)
        .order_by_asc(role_assignment::Column::Id)
        .all(db)
        .await?)
}

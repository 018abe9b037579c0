//! Which authentication level a login needs: the strongest of the client's
//! minimum, the city-wide rule, the rules of the person's OPD and every OPD above
//! it, and the rules of the person's roles in the application. The request's own
//! `acr_values` are combined with this in `stepup`.

use super::Acr;
use crate::clients::Client;
use crate::crypto::random_token;
use crate::state::AppState;
use crate::users::User;
use entity::{acr_policy, opd};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

pub use acr_policy::Model as Rule;

pub const KIND_CITY: &str = "city";
pub const KIND_OPD: &str = "opd";
pub const KIND_ROLE: &str = "role";
pub const CITY_TARGET: &str = "*";

/// Where a rule applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    City,
    /// An OPD and its whole sub-tree.
    Opd(String),
    /// A role of an application: (client id, role name).
    Role(String, String),
}

impl Scope {
    fn kind_target(&self) -> (&'static str, String) {
        match self {
            Scope::City => (KIND_CITY, CITY_TARGET.to_owned()),
            Scope::Opd(code) => (KIND_OPD, code.clone()),
            Scope::Role(client, role) => (KIND_ROLE, format!("{client} {role}")),
        }
    }
}

/// The level `user` needs to use `client`, by policy alone.
pub async fn required_acr_for(
    state: &AppState,
    user: &User,
    client: &Client,
) -> Result<Acr, DbErr> {
    let mut level = client.min_acr.unwrap_or(Acr::Pwd);
    let rules = acr_policy::Entity::find().all(&state.db).await?;
    if rules.is_empty() {
        return Ok(level);
    }
    let opds = match &user.opd_code {
        Some(code) => opd_ancestors(&state.db, code).await?,
        None => Vec::new(),
    };
    let roles: Vec<String> = roles_of(state, user, client)
        .await?
        .into_iter()
        .map(|r| format!("{} {r}", client.id))
        .collect();
    for rule in rules {
        let applies = match rule.kind.as_str() {
            KIND_CITY => true,
            KIND_OPD => opds.contains(&rule.target),
            KIND_ROLE => roles.contains(&rule.target),
            _ => false,
        };
        if applies && let Some(acr) = Acr::parse(&rule.min_acr) {
            level = level.max(acr);
        }
    }
    Ok(level)
}

/// The roles the person holds in the application now (live assignments, any scope).
pub async fn roles_of(
    state: &AppState,
    user: &User,
    client: &Client,
) -> Result<Vec<String>, DbErr> {
    let claims = crate::access::claims::for_client(&state.db, &user.id, &client.id, state.now())
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let mut roles: Vec<String> = claims.structured.into_iter().map(|r| r.role).collect();
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// The OPD itself and every OPD above it, walking `parent_code` (cycles and
/// runaway depth stop the walk).
pub async fn opd_ancestors(db: &DatabaseConnection, code: &str) -> Result<Vec<String>, DbErr> {
    let mut out = vec![code.to_owned()];
    let mut current = code.to_owned();
    for _ in 0..32 {
        let Some(row) = opd::Entity::find_by_id(current.clone()).one(db).await? else {
            break;
        };
        match row.parent_code {
            Some(parent) if !out.contains(&parent) => {
                out.push(parent.clone());
                current = parent;
            }
            _ => break,
        }
    }
    Ok(out)
}

/// Sets (or replaces) the rule for a scope.
pub async fn set(
    db: &DatabaseConnection,
    scope: &Scope,
    acr: Acr,
    actor: &str,
    now: i64,
) -> Result<(), DbErr> {
    remove(db, scope).await?;
    let (kind, target) = scope.kind_target();
    acr_policy::ActiveModel {
        id: Set(random_token(12)),
        kind: Set(kind.to_owned()),
        target: Set(target),
        min_acr: Set(acr.as_str().to_owned()),
        created_at: Set(now),
        created_by: Set(actor.to_owned()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Removes the rule for a scope; `true` when there was one.
pub async fn remove(db: &DatabaseConnection, scope: &Scope) -> Result<bool, DbErr> {
    let (kind, target) = scope.kind_target();
    let res = acr_policy::Entity::delete_many()
        .filter(acr_policy::Column::Kind.eq(kind))
        .filter(acr_policy::Column::Target.eq(target))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<Rule>, DbErr> {
    acr_policy::Entity::find().all(db).await
}

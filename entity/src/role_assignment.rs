//! A role assignment: (person, application, role, scope), with an optional
//! validity period. Ended (with a reason), never deleted.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_assignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub role: String,
    /// `None` for the whole city.
    pub opd_code: Option<String>,
    /// `opd`, `subtree` or `city`.
    pub scope_kind: String,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub ended_at: Option<i64>,
    pub ended_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

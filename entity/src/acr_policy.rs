//! A minimum authentication level set by an administrator.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "acr_policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `city` (target `*`), `opd` (target: OPD code, the whole sub-tree) or
    /// `role` (target: `client_id role`).
    pub kind: String,
    pub target: String,
    /// `urn:gapura:acr:mfa` or `urn:gapura:acr:cert`.
    pub min_acr: String,
    pub created_at: i64,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A single-use recovery code, stored as a keyed digest only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_code")]
pub struct Model {
    /// HMAC-SHA-256 of the code under a key derived from the master key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    pub user_id: String,
    pub created_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

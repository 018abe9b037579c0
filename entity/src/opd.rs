//! An OPD (perangkat daerah) or one of its units, in a tree of any depth.
//! `path` is the materialized path (`/DINKES/PKM-01/`): a sub-tree is a prefix.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opd")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `/ROOT/…/CODE/`, maintained on moves.
    pub path: String,
    /// 0 for a top-level OPD.
    pub depth: i32,
    /// Closed units keep their history; they take no new staff.
    pub closed_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

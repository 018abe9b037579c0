//! Authentication-level rules set by administrators: for the whole city, an OPD
//! sub-tree, or a role of an application.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AcrPolicy {
    Table,
    Id,
    Kind,
    Target,
    MinAcr,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AcrPolicy::Table)
                    .col(string(AcrPolicy::Id).primary_key())
                    .col(string(AcrPolicy::Kind))
                    .col(string(AcrPolicy::Target))
                    .col(string(AcrPolicy::MinAcr))
                    .col(big_integer(AcrPolicy::CreatedAt))
                    .col(string(AcrPolicy::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_acr_policy_target")
                    .table(AcrPolicy::Table)
                    .col(AcrPolicy::Kind)
                    .col(AcrPolicy::Target)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AcrPolicy::Table).to_owned())
            .await
    }
}

//! Single-use recovery codes, stored as keyed digests.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecoveryCode {
    Table,
    Digest,
    UserId,
    CreatedAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCode::Table)
                    .col(string(RecoveryCode::Digest).primary_key())
                    .col(string(RecoveryCode::UserId))
                    .col(big_integer(RecoveryCode::CreatedAt))
                    .col(big_integer_null(RecoveryCode::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_code_user")
                    .table(RecoveryCode::Table)
                    .col(RecoveryCode::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecoveryCode::Table).to_owned())
            .await
    }
}

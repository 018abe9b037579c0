use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Consent {
    Table,
    UserId,
    ClientId,
    Scope,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Consent::Table)
                    .col(string(Consent::UserId))
                    .col(string(Consent::ClientId))
                    .col(text(Consent::Scope))
                    .col(big_integer(Consent::GrantedAt))
                    .primary_key(Index::create().col(Consent::UserId).col(Consent::ClientId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Consent::Table).to_owned())
            .await
    }
}

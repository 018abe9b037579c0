use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKey {
    Table,
    Kid,
    Alg,
    PublicJwk,
    PrivateKeyEnc,
    CreatedAt,
    ActivatesAt,
    RetiresAt,
    RemoveAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKey::Table)
                    .col(string(SigningKey::Kid).primary_key())
                    .col(string(SigningKey::Alg))
                    .col(text(SigningKey::PublicJwk))
                    .col(text(SigningKey::PrivateKeyEnc))
                    .col(big_integer(SigningKey::CreatedAt))
                    .col(big_integer(SigningKey::ActivatesAt))
                    .col(big_integer_null(SigningKey::RetiresAt))
                    .col(big_integer_null(SigningKey::RemoveAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SigningKey::Table).to_owned())
            .await
    }
}

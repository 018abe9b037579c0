//! Second factors of a person: TOTP secrets (sealed) and WebAuthn passkeys.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuthnFactor {
    Table,
    Id,
    UserId,
    Kind,
    Label,
    Data,
    CredentialId,
    CreatedAt,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuthnFactor::Table)
                    .col(string(AuthnFactor::Id).primary_key())
                    .col(string(AuthnFactor::UserId))
                    .col(string(AuthnFactor::Kind))
                    .col(string(AuthnFactor::Label))
                    .col(text(AuthnFactor::Data))
                    .col(string_null(AuthnFactor::CredentialId).unique_key())
                    .col(big_integer(AuthnFactor::CreatedAt))
                    .col(big_integer_null(AuthnFactor::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_authn_factor_user")
                    .table(AuthnFactor::Table)
                    .col(AuthnFactor::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuthnFactor::Table).to_owned())
            .await
    }
}

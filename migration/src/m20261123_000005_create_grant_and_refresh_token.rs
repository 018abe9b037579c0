use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuthGrant {
    Table,
    Id,
    UserId,
    ClientId,
    Scope,
    Sid,
    AuthTime,
    Acr,
    Amr,
    CreatedAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    Digest,
    GrantId,
    ClientId,
    Scope,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuthGrant::Table)
                    .col(string(AuthGrant::Id).primary_key())
                    .col(string(AuthGrant::UserId))
                    .col(string(AuthGrant::ClientId))
                    .col(text(AuthGrant::Scope))
                    .col(string_null(AuthGrant::Sid))
                    .col(big_integer(AuthGrant::AuthTime))
                    .col(string(AuthGrant::Acr))
                    .col(string(AuthGrant::Amr))
                    .col(big_integer(AuthGrant::CreatedAt))
                    .col(big_integer_null(AuthGrant::RevokedAt))
                    .col(string_null(AuthGrant::RevokedReason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_grant_user")
                    .table(AuthGrant::Table)
                    .col(AuthGrant::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_grant_sid")
                    .table(AuthGrant::Table)
                    .col(AuthGrant::Sid)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshToken::Table)
                    .col(string(RefreshToken::Digest).primary_key())
                    .col(string(RefreshToken::GrantId))
                    .col(string(RefreshToken::ClientId))
                    .col(text(RefreshToken::Scope))
                    .col(big_integer(RefreshToken::CreatedAt))
                    .col(big_integer(RefreshToken::ExpiresAt))
                    .col(big_integer_null(RefreshToken::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_token_grant")
                            .from(RefreshToken::Table, RefreshToken::GrantId)
                            .to(AuthGrant::Table, AuthGrant::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_token_grant")
                    .table(RefreshToken::Table)
                    .col(RefreshToken::GrantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshToken::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AuthGrant::Table).to_owned())
            .await
    }
}

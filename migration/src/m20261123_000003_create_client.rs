use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)]
enum Client {
    Table,
    ClientId,
    Name,
    SecretDigest,
    TokenEndpointAuthMethod,
    RedirectUris,
    PostLogoutRedirectUris,
    GrantTypes,
    AllowedScopes,
    FirstParty,
    IdTokenSignedResponseAlg,
    Jwks,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Client::Table)
                    .col(string(Client::ClientId).primary_key())
                    .col(string(Client::Name))
                    .col(string_null(Client::SecretDigest))
                    .col(string(Client::TokenEndpointAuthMethod))
                    .col(text(Client::RedirectUris))
                    .col(text(Client::PostLogoutRedirectUris))
                    .col(string(Client::GrantTypes))
                    .col(string(Client::AllowedScopes))
                    .col(boolean(Client::FirstParty))
                    .col(string(Client::IdTokenSignedResponseAlg))
                    .col(text_null(Client::Jwks))
                    .col(string(Client::Status))
                    .col(big_integer(Client::CreatedAt))
                    .col(big_integer(Client::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Client::Table).to_owned())
            .await
    }
}

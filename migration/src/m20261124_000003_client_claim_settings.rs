//! Per-client claim settings: whether an administrator allowed the `nik` claim,
//! and where role claims go (ID token, UserInfo, access token, introspection).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Client {
    Table,
    NikAllowed,
    RoleClaims,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Client::Table)
                    .add_column(boolean(Client::NikAllowed).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Client::Table)
                    .add_column(
                        string(Client::RoleClaims)
                            .default("id_token userinfo access_token introspection"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Client::NikAllowed, Client::RoleClaims] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Client::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

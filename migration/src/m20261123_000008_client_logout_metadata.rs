//! OpenID Connect Front-Channel and Back-Channel Logout client metadata.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Client {
    Table,
    BackchannelLogoutUri,
    BackchannelLogoutSessionRequired,
    FrontchannelLogoutUri,
    FrontchannelLogoutSessionRequired,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite applies one ALTER TABLE option per statement.
        for column in [
            text_null(Client::BackchannelLogoutUri),
            boolean(Client::BackchannelLogoutSessionRequired)
                .default(false)
                .take(),
            text_null(Client::FrontchannelLogoutUri),
            boolean(Client::FrontchannelLogoutSessionRequired)
                .default(false)
                .take(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Client::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Client::BackchannelLogoutUri,
            Client::BackchannelLogoutSessionRequired,
            Client::FrontchannelLogoutUri,
            Client::FrontchannelLogoutSessionRequired,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Client::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

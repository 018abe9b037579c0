//! The durable outbox of back-channel logout deliveries.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BackchannelDelivery {
    Table,
    Id,
    ClientId,
    Uri,
    LogoutToken,
    UserId,
    Sid,
    Reason,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BackchannelDelivery::Table)
                    .col(string(BackchannelDelivery::Id).primary_key())
                    .col(string(BackchannelDelivery::ClientId))
                    .col(text(BackchannelDelivery::Uri))
                    .col(text(BackchannelDelivery::LogoutToken))
                    .col(string(BackchannelDelivery::UserId))
                    .col(string_null(BackchannelDelivery::Sid))
                    .col(string(BackchannelDelivery::Reason))
                    .col(string(BackchannelDelivery::Status))
                    .col(integer(BackchannelDelivery::Attempts))
                    .col(big_integer(BackchannelDelivery::NextAttemptAt))
                    .col(big_integer_null(BackchannelDelivery::LockedUntil))
                    .col(text_null(BackchannelDelivery::LastError))
                    .col(big_integer(BackchannelDelivery::CreatedAt))
                    .col(big_integer_null(BackchannelDelivery::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_backchannel_due")
                    .table(BackchannelDelivery::Table)
                    .col(BackchannelDelivery::Status)
                    .col(BackchannelDelivery::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BackchannelDelivery::Table).to_owned())
            .await
    }
}

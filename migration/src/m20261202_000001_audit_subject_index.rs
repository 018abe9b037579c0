//! The audit log read by person: an account's recent events (`gapura user show`,
//! the admin console's profile) are `WHERE subject = ? ORDER BY at DESC LIMIT n`,
//! which this index answers without scanning the log.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Subject,
    At,
}

const NAME: &str = "idx_audit_event_subject_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(AuditEvent::Table)
                    .col(AuditEvent::Subject)
                    .col(AuditEvent::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(AuditEvent::Table).to_owned())
            .await
    }
}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Opd {
    Table,
    Code,
    Name,
    Kind,
    ParentCode,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Opd::Table)
                    .col(string(Opd::Code).primary_key())
                    .col(string(Opd::Name))
                    .col(string(Opd::Kind))
                    .col(string_null(Opd::ParentCode))
                    .col(big_integer(Opd::CreatedAt))
                    .col(big_integer(Opd::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_opd_parent")
                    .table(Opd::Table)
                    .col(Opd::ParentCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Opd::Table).to_owned())
            .await
    }
}

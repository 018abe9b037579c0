//! OPD tree: materialized path (`/DINKES/PKM-01/`) and depth for sub-tree queries
//! without recursion, and `closed_at` (a unit with staff is closed, not deleted).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Opd {
    Table,
    Path,
    Depth,
    ClosedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one ALTER TABLE option per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Opd::Table)
                    .add_column(string(Opd::Path).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Opd::Table)
                    .add_column(integer(Opd::Depth).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Opd::Table)
                    .add_column(big_integer_null(Opd::ClosedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_opd_path")
                    .table(Opd::Table)
                    .col(Opd::Path)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_opd_path")
                    .table(Opd::Table)
                    .to_owned(),
            )
            .await?;
        for col in [Opd::Path, Opd::Depth, Opd::ClosedAt] {
            manager
                .alter_table(Table::alter().table(Opd::Table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! ASN record fields on accounts (SIASN export columns), review flags, suspension
//! history, and the indexes for prefix search by NIP, name or e-mail.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum UserAccount {
    Table,
    Nik,
    BirthDate,
    Sex,
    JenisPegawai,
    Kedudukan,
    UnitKerja,
    JenisJabatan,
    Eselon,
    Golongan,
    Review,
    NameSearch,
    SuspendedAt,
    SuspendedReason,
    OpdCode,
    Username,
}

const TEXT_COLUMNS: [UserAccount; 12] = [
    UserAccount::Nik,
    UserAccount::BirthDate,
    UserAccount::Sex,
    UserAccount::JenisPegawai,
    UserAccount::Kedudukan,
    UserAccount::UnitKerja,
    UserAccount::JenisJabatan,
    UserAccount::Eselon,
    UserAccount::Golongan,
    UserAccount::Review,
    UserAccount::NameSearch,
    UserAccount::SuspendedReason,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in TEXT_COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(UserAccount::Table)
                        .add_column(string_null(col))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(UserAccount::Table)
                    .add_column(big_integer_null(UserAccount::SuspendedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_opd")
                    .table(UserAccount::Table)
                    .col(UserAccount::OpdCode)
                    .to_owned(),
            )
            .await?;
        // An OPD administrator's name search: per unit, already in order.
        manager
            .create_index(
                Index::create()
                    .name("idx_user_opd_name")
                    .table(UserAccount::Table)
                    .col(UserAccount::OpdCode)
                    .col(UserAccount::NameSearch)
                    .col(UserAccount::Username)
                    .to_owned(),
            )
            .await?;
        // Name search orders by (name_search, username): one index serves both.
        manager
            .create_index(
                Index::create()
                    .name("idx_user_name_search")
                    .table(UserAccount::Table)
                    .col(UserAccount::NameSearch)
                    .col(UserAccount::Username)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_user_opd", "idx_user_opd_name", "idx_user_name_search"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(UserAccount::Table)
                        .to_owned(),
                )
                .await?;
        }
        for col in TEXT_COLUMNS.into_iter().chain([UserAccount::SuspendedAt]) {
            manager
                .alter_table(
                    Table::alter()
                        .table(UserAccount::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

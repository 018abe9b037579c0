use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserAccount {
    Table,
    Id,
    Username,
    Nip,
    Email,
    EmailVerified,
    Phone,
    Name,
    GelarDepan,
    GelarBelakang,
    OpdCode,
    Jabatan,
    PasswordHash,
    IsAdmin,
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
                    .table(UserAccount::Table)
                    .col(string(UserAccount::Id).primary_key())
                    .col(string_uniq(UserAccount::Username))
                    .col(string_null(UserAccount::Nip).unique_key())
                    .col(string_null(UserAccount::Email).unique_key())
                    .col(boolean(UserAccount::EmailVerified))
                    .col(string_null(UserAccount::Phone))
                    .col(string(UserAccount::Name))
                    .col(string_null(UserAccount::GelarDepan))
                    .col(string_null(UserAccount::GelarBelakang))
                    .col(string_null(UserAccount::OpdCode))
                    .col(string_null(UserAccount::Jabatan))
                    .col(text_null(UserAccount::PasswordHash))
                    .col(boolean(UserAccount::IsAdmin))
                    .col(string(UserAccount::Status))
                    .col(big_integer(UserAccount::CreatedAt))
                    .col(big_integer(UserAccount::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserAccount::Table).to_owned())
            .await
    }
}

//! Application roles (declared per OIDC client) and role assignments:
//! (person, application, role, scope = one OPD, an OPD sub-tree or the city),
//! with an optional validity period; ended, never deleted.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppRole {
    Table,
    Id,
    ClientId,
    Role,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoleAssignment {
    Table,
    Id,
    UserId,
    ClientId,
    Role,
    OpdCode,
    ScopeKind,
    ValidFrom,
    ValidUntil,
    CreatedAt,
    CreatedBy,
    EndedAt,
    EndedReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppRole::Table)
                    .col(string(AppRole::Id).primary_key())
                    .col(string(AppRole::ClientId))
                    .col(string(AppRole::Role))
                    .col(string(AppRole::Description))
                    .col(big_integer(AppRole::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_app_role_unique")
                    .table(AppRole::Table)
                    .col(AppRole::ClientId)
                    .col(AppRole::Role)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleAssignment::Table)
                    .col(string(RoleAssignment::Id).primary_key())
                    .col(string(RoleAssignment::UserId))
                    .col(string(RoleAssignment::ClientId))
                    .col(string(RoleAssignment::Role))
                    .col(string_null(RoleAssignment::OpdCode))
                    .col(string(RoleAssignment::ScopeKind))
                    .col(big_integer_null(RoleAssignment::ValidFrom))
                    .col(big_integer_null(RoleAssignment::ValidUntil))
                    .col(big_integer(RoleAssignment::CreatedAt))
                    .col(string_null(RoleAssignment::CreatedBy))
                    .col(big_integer_null(RoleAssignment::EndedAt))
                    .col(string_null(RoleAssignment::EndedReason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_assignment_user_client")
                    .table(RoleAssignment::Table)
                    .col(RoleAssignment::UserId)
                    .col(RoleAssignment::ClientId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_assignment_opd")
                    .table(RoleAssignment::Table)
                    .col(RoleAssignment::OpdCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RoleAssignment::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AppRole::Table).to_owned())
            .await
    }
}

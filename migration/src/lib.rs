//! Database schema of Gapura, one migration per file. Applied by `gapura migrate`
//! and automatically at `gapura serve`.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_opd;
mod m20261123_000002_create_user_account;
mod m20261123_000003_create_client;
mod m20261123_000004_create_signing_key;
mod m20261123_000005_create_grant_and_refresh_token;
mod m20261123_000006_create_consent;
mod m20261123_000007_create_audit_event;
mod m20261123_000008_client_logout_metadata;
mod m20261123_000009_create_backchannel_delivery;
mod m20261124_000001_opd_tree;
mod m20261124_000002_user_account_asn;
mod m20261124_000003_client_claim_settings;
mod m20261124_000004_create_roles;
mod m20261125_000001_create_authn_factor;
mod m20261125_000002_create_recovery_code;
mod m20261125_000003_client_min_acr;
mod m20261125_000004_create_acr_policy;
mod m20261129_000001_durable_store;
mod m20261201_000001_password_change_required;
mod m20261202_000001_audit_subject_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_opd::Migration),
            Box::new(m20261123_000002_create_user_account::Migration),
            Box::new(m20261123_000003_create_client::Migration),
            Box::new(m20261123_000004_create_signing_key::Migration),
            Box::new(m20261123_000005_create_grant_and_refresh_token::Migration),
            Box::new(m20261123_000006_create_consent::Migration),
            Box::new(m20261123_000007_create_audit_event::Migration),
            Box::new(m20261123_000008_client_logout_metadata::Migration),
            Box::new(m20261123_000009_create_backchannel_delivery::Migration),
            Box::new(m20261124_000001_opd_tree::Migration),
            Box::new(m20261124_000002_user_account_asn::Migration),
            Box::new(m20261124_000003_client_claim_settings::Migration),
            Box::new(m20261124_000004_create_roles::Migration),
            Box::new(m20261125_000001_create_authn_factor::Migration),
            Box::new(m20261125_000002_create_recovery_code::Migration),
            Box::new(m20261125_000003_client_min_acr::Migration),
            Box::new(m20261125_000004_create_acr_policy::Migration),
            Box::new(m20261129_000001_durable_store::Migration),
            Box::new(m20261201_000001_password_change_required::Migration),
            Box::new(m20261202_000001_audit_subject_index::Migration),
        ]
    }
}

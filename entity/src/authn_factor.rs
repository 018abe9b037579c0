//! A second factor of a person: a TOTP secret or a WebAuthn passkey.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authn_factor")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    /// `totp` or `passkey`.
    pub kind: String,
    /// The person's name for it ("Ponsel kantor", "YubiKey").
    pub label: String,
    /// `totp`: the secret sealed with the master key (AES-GCM). `passkey`: the
    /// credential's public part (webauthn-rs `Passkey`, JSON): no secret.
    pub data: String,
    /// Base64url credential id of a passkey (unique across accounts).
    #[sea_orm(unique)]
    pub credential_id: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

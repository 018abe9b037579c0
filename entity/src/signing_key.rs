//! A token-signing key; the private part is encrypted with the key-encryption key.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    /// `RS256`, `ES256` or `EdDSA`.
    pub alg: String,
    /// Public JWK as JSON.
    pub public_jwk: String,
    /// AES-256-GCM(nonce || ciphertext) of the PKCS#8 DER private key, base64url.
    pub private_key_enc: String,
    pub created_at: i64,
    /// Tokens are signed with it from this time on.
    pub activates_at: i64,
    /// Replaced by a newer key from this time on (no new signatures).
    pub retires_at: Option<i64>,
    /// Dropped from the JWKS from this time on.
    pub remove_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A registered OAuth 2.0 / OpenID Connect client (relying party).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub name: String,
    /// Keyed digest (HMAC-SHA-256) of the secret; never the secret itself.
    pub secret_digest: Option<String>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none`.
    pub token_endpoint_auth_method: String,
    /// JSON array of exact redirect URIs.
    pub redirect_uris: String,
    /// JSON array of exact post-logout redirect URIs.
    pub post_logout_redirect_uris: String,
    /// Space-separated grant types.
    pub grant_types: String,
    /// Space-separated scopes the client may request.
    pub allowed_scopes: String,
    pub first_party: bool,
    pub id_token_signed_response_alg: String,
    /// JSON Web Key Set for `private_key_jwt`.
    pub jwks: Option<String>,
    /// Back-Channel Logout 1.0 §2.2.
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Front-Channel Logout 1.0 §2.
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    /// Minimum authentication level (`urn:gapura:acr:*`); `None`: the password level.
    pub min_acr: Option<String>,
    /// `active` or `disabled` (by an administrator: refused everywhere).
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// An administrator allowed this client the `nik` claim.
    pub nik_allowed: bool,
    /// Space-separated: where role claims go (`id_token userinfo access_token introspection`).
    pub role_claims: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

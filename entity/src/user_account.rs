//! A person who can log in: an ASN (login name = NIP) or an operator account.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_account")]
pub struct Model {
    /// Stable opaque identifier, the `sub` claim.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Login name: the NIP for ASN; `preferred_username`.
    #[sea_orm(unique)]
    pub username: String,
    #[sea_orm(unique)]
    pub nip: Option<String>,
    /// Lower-cased e-mail address, also a login name.
    #[sea_orm(unique)]
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub name: String,
    pub gelar_depan: Option<String>,
    pub gelar_belakang: Option<String>,
    pub opd_code: Option<String>,
    pub jabatan: Option<String>,
    /// PHC string (argon2id); `None` for accounts that cannot use a password.
    pub password_hash: Option<String>,
    pub is_admin: bool,
    /// `active` or `suspended`: accounts are never deleted.
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

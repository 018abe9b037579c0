//! A person who can log in: an ASN (login name = NIP) or an operator account.
use sea_orm::entity::prelude::*;

/// Whether an account may be used (stored as `active` / `suspended`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum AccountStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "suspended")]
    Suspended,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

impl std::fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the stored spelling (reports, tests).
impl PartialEq<&str> for AccountStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// `Debug` is written by hand: the NIK and the password hash never reach a log.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
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
    /// Accounts are never deleted: they are suspended.
    pub status: AccountStatus,
    pub created_at: i64,
    pub updated_at: i64,
    /// NIK: personal data, masked everywhere but for permitted administrators.
    pub nik: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// `L` or `P`.
    pub sex: Option<String>,
    /// `PNS`, `CPNS` or `PPPK`.
    pub jenis_pegawai: Option<String>,
    /// SIASN kedudukan code (`01` Aktif … `99` Pensiun).
    pub kedudukan: Option<String>,
    pub unit_kerja: Option<String>,
    pub jenis_jabatan: Option<String>,
    pub eselon: Option<String>,
    pub golongan: Option<String>,
    /// Space-separated review flags (e.g. `nik_birth_date`): flagged, not rejected.
    pub review: Option<String>,
    /// Lower-cased name without titles, for prefix search.
    pub name_search: Option<String>,
    pub suspended_at: Option<i64>,
    pub suspended_reason: Option<String>,
    /// The password must be changed at the next login (a one-time password): the
    /// authorization gate issues no code until it has been.
    pub password_change_required: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAccount")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("opd_code", &self.opd_code)
            .field("status", &self.status)
            .field("is_admin", &self.is_admin)
            .field("nik", &self.nik.as_ref().map(|_| "[redacted]"))
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

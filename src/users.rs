//! Accounts: creation, lookup by login name (NIP, e-mail or username), and the
//! display name with academic titles. Accounts are suspended, never deleted.

use crate::clock::Clock;
use crate::domain::Nip;
use crate::password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, PasswordHasher};
use entity::user_account;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use secrecy::{ExposeSecret, SecretString};

pub use user_account::AccountStatus;
pub use user_account::Model as User;

#[derive(Debug, Default)]
pub struct NewUser {
    /// The NIP for ASN; otherwise a login name for operators.
    pub username: String,
    pub email: Option<String>,
    pub name: String,
    pub gelar_depan: Option<String>,
    pub gelar_belakang: Option<String>,
    pub phone: Option<String>,
    pub opd_code: Option<String>,
    pub jabatan: Option<String>,
    pub password: Option<SecretString>,
    pub is_admin: bool,
    /// A one-time password: it must be changed at the first login.
    pub password_change_required: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("an account with this {0} already exists")]
    Duplicate(&'static str),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("password hashing: {0}")]
    Hash(#[from] crate::password::PasswordError),
}

pub fn check_password_policy(password: &SecretString) -> Result<(), UserError> {
    let n = password.expose_secret().chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(UserError::Invalid(format!(
            "password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if password.expose_secret().len() > MAX_PASSWORD_LEN {
        return Err(UserError::Invalid(format!(
            "password must be at most {MAX_PASSWORD_LEN} bytes"
        )));
    }
    Ok(())
}

pub fn normalise_email(email: &str) -> Result<String, UserError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !e.contains(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(UserError::Invalid(format!(
            "`{email}` is not an e-mail address"
        )))
    }
}

pub async fn create(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    clock: &dyn Clock,
    new: NewUser,
) -> Result<User, UserError> {
    let username = new.username.trim().to_owned();
    if username.is_empty() || username.len() > 64 || username.contains(char::is_whitespace) {
        return Err(UserError::Invalid(
            "login name must be 1 to 64 characters without spaces".into(),
        ));
    }
    let nip = if username.bytes().all(|b| b.is_ascii_digit()) {
        Some(
            Nip::parse(&username)
                .map_err(|e| UserError::Invalid(e.to_string()))?
                .to_string(),
        )
    } else {
        None
    };
    let email = new
        .email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .map(normalise_email)
        .transpose()?;
    if new.name.trim().is_empty() {
        return Err(UserError::Invalid("name is required".into()));
    }
    if let Some(code) = &new.opd_code {
        check_opd(db, code).await?;
    }
    if find_by_login(db, &username).await?.is_some() {
        return Err(UserError::Duplicate("login name"));
    }
    if let Some(e) = &email
        && find_by_login(db, e).await?.is_some()
    {
        return Err(UserError::Duplicate("e-mail address"));
    }
    let password_hash = match &new.password {
        Some(pw) => {
            check_password_policy(pw)?;
            Some(hasher.hash(pw).await?)
        }
        None => None,
    };
    let now = clock.now();
    let row = user_account::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        username: Set(username),
        nip: Set(nip),
        email: Set(email),
        email_verified: Set(false),
        phone: Set(new.phone.filter(|p| !p.trim().is_empty())),
        name: Set(new.name.trim().to_owned()),
        gelar_depan: Set(new.gelar_depan.filter(|g| !g.trim().is_empty())),
        gelar_belakang: Set(new.gelar_belakang.filter(|g| !g.trim().is_empty())),
        opd_code: Set(new.opd_code),
        jabatan: Set(new.jabatan),
        password_hash: Set(password_hash),
        is_admin: Set(new.is_admin),
        password_change_required: Set(new.password_change_required && new.password.is_some()),
        status: Set(AccountStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        name_search: Set(Some(search_key(&new.name))),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row)
}

/// An account may only be placed in an OPD unit that exists and is not closed.
pub async fn check_opd(db: &DatabaseConnection, code: &str) -> Result<(), UserError> {
    let unit = if crate::directory::opd::valid_code(code) {
        entity::opd::Entity::find_by_id(code.to_owned())
            .one(db)
            .await?
    } else {
        None
    };
    match unit {
        None => Err(UserError::Invalid(format!(
            "no OPD `{}` (see `gapura opd list`)",
            code.chars().take(64).collect::<String>()
        ))),
        Some(u) if u.closed_at.is_some() => {
            Err(UserError::Invalid(format!("OPD `{code}` is closed")))
        }
        Some(_) => Ok(()),
    }
}

/// Finds an account by NIP, e-mail (case-insensitive) or login name.
pub async fn find_by_login(db: &DatabaseConnection, login: &str) -> Result<Option<User>, DbErr> {
    let login = login.trim();
    if login.is_empty()
        || login.len() > 254
        || crate::domain::text::forbidden_control(login).is_some()
    {
        return Ok(None);
    }
    let condition = if login.contains('@') {
        user_account::Column::Email.eq(login.to_lowercase())
    } else {
        user_account::Column::Username.eq(login)
    };
    user_account::Entity::find().filter(condition).one(db).await
}

pub async fn find_by_id(db: &DatabaseConnection, id: &str) -> Result<Option<User>, DbErr> {
    if crate::domain::text::forbidden_control(id).is_some() {
        return Ok(None);
    }
    user_account::Entity::find_by_id(id.to_owned())
        .one(db)
        .await
}

/// `find_by_id`, through the instance's short-lived cache (the hot paths use this).
pub async fn get(state: &crate::state::AppState, id: &str) -> Result<Option<User>, DbErr> {
    if let Some(hit) = state.users_cache.get(&id.to_owned()) {
        return Ok(hit);
    }
    let generation = state.users_cache.generation();
    let found = find_by_id(&state.db, id).await?;
    if id.len() <= 64 {
        state
            .users_cache
            .insert_at(generation, id.to_owned(), found.clone());
    }
    Ok(found)
}

/// Sets a new password; a pending "must change the password" ends with it.
pub async fn set_password(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    clock: &dyn Clock,
    user: User,
    password: &SecretString,
) -> Result<(), UserError> {
    check_password_policy(password)?;
    let hash = hasher.hash(password).await?;
    let mut active: user_account::ActiveModel = user.into();
    active.password_hash = Set(Some(hash));
    active.password_change_required = Set(false);
    active.updated_at = Set(clock.now());
    active.update(db).await?;
    Ok(())
}

/// Marks the account's password as one to replace at the next login: until then
/// the authorization gate issues no code for it.
pub async fn require_password_change(db: &DatabaseConnection, id: &str) -> Result<(), DbErr> {
    user_account::Entity::update_many()
        .col_expr(
            user_account::Column::PasswordChangeRequired,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(user_account::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// "Dr. Siti Aminah, S.Kom., M.T.": front titles, name, then back titles after a comma.
pub fn display_name(user: &User) -> String {
    let mut s = String::new();
    if let Some(front) = user
        .gelar_depan
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        s.push_str(front);
        s.push(' ');
    }
    s.push_str(user.name.trim());
    if let Some(back) = user
        .gelar_belakang
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        s.push_str(", ");
        s.push_str(back);
    }
    s
}

/// The lower-cased name used for prefix search.
pub fn search_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub fn is_active(user: &User) -> bool {
    user.status == AccountStatus::Active
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_titles() {
        let mut u = User {
            id: "x".into(),
            username: "u".into(),
            nip: None,
            email: None,
            email_verified: false,
            phone: None,
            name: "Siti Aminah".into(),
            gelar_depan: Some("Dr.".into()),
            gelar_belakang: Some("S.Kom., M.T.".into()),
            opd_code: None,
            jabatan: None,
            password_hash: None,
            is_admin: false,
            status: AccountStatus::Active,
            created_at: 0,
            updated_at: 0,
            nik: None,
            birth_date: None,
            sex: None,
            jenis_pegawai: None,
            kedudukan: None,
            unit_kerja: None,
            jenis_jabatan: None,
            eselon: None,
            golongan: None,
            review: None,
            name_search: None,
            suspended_at: None,
            suspended_reason: None,
            password_change_required: false,
        };
        assert_eq!(display_name(&u), "Dr. Siti Aminah, S.Kom., M.T.");
        u.nik = Some("3271025712939430".into());
        assert!(
            !format!("{u:?}").contains("3271025712939430"),
            "NIK never in Debug"
        );
        u.gelar_depan = None;
        u.gelar_belakang = Some(" ".into());
        assert_eq!(display_name(&u), "Siti Aminah");
        assert!(normalise_email("Siti@KotaBogor.go.id").is_ok_and(|e| e == "siti@kotabogor.go.id"));
        assert!(normalise_email("no-at-sign").is_err());
    }
}

//! The store of second factors: which a person has, adding, removing, touching
//! (last use) and resetting them. TOTP secrets are sealed with the master key
//! (AES-256-GCM, the factor id as associated data); passkeys hold no secret.

use crate::crypto::{MasterKeys, random_token};
use entity::{authn_factor, recovery_code};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

pub use authn_factor::Model as Factor;

pub const KIND_TOTP: &str = "totp";
pub const KIND_PASSKEY: &str = "passkey";

/// What a person has set up, for pages, the CLI and the policy.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub totp: Option<Factor>,
    pub passkeys: Vec<Factor>,
    pub recovery_left: u64,
}

impl Summary {
    /// A factor that can complete a login after the password.
    pub fn has_second_factor(&self) -> bool {
        self.totp.is_some() || !self.passkeys.is_empty()
    }
}

pub async fn list(db: &DatabaseConnection, user_id: &str) -> Result<Vec<Factor>, DbErr> {
    authn_factor::Entity::find()
        .filter(authn_factor::Column::UserId.eq(user_id))
        .order_by_asc(authn_factor::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn summary(db: &DatabaseConnection, user_id: &str) -> Result<Summary, DbErr> {
    let mut s = Summary::default();
    for f in list(db, user_id).await? {
        match f.kind.as_str() {
            KIND_TOTP => s.totp = Some(f),
            KIND_PASSKEY => s.passkeys.push(f),
            _ => {}
        }
    }
    s.recovery_left = super::recovery::remaining(db, user_id).await?;
    Ok(s)
}

fn totp_aad(id: &str) -> Vec<u8> {
    format!("totp:{id}").into_bytes()
}

/// Stores a confirmed TOTP secret (replacing any earlier one).
pub async fn add_totp(
    db: &DatabaseConnection,
    master: &MasterKeys,
    user_id: &str,
    secret: &[u8],
    now: i64,
) -> Result<Factor, DbErr> {
    authn_factor::Entity::delete_many()
        .filter(authn_factor::Column::UserId.eq(user_id))
        .filter(authn_factor::Column::Kind.eq(KIND_TOTP))
        .exec(db)
        .await?;
    let id = random_token(12);
    authn_factor::ActiveModel {
        data: Set(master.encrypt(secret, &totp_aad(&id))),
        id: Set(id),
        user_id: Set(user_id.to_owned()),
        kind: Set(KIND_TOTP.to_owned()),
        label: Set("TOTP".to_owned()),
        credential_id: Set(None),
        created_at: Set(now),
        last_used_at: Set(None),
    }
    .insert(db)
    .await
}

/// The TOTP secret in clear, for verification only.
pub fn totp_secret(master: &MasterKeys, f: &Factor) -> Option<Vec<u8>> {
    master.decrypt(&f.data, &totp_aad(&f.id)).ok()
}

pub async fn add_passkey(
    db: &DatabaseConnection,
    user_id: &str,
    label: &str,
    credential_id: &str,
    passkey_json: String,
    now: i64,
) -> Result<Factor, DbErr> {
    authn_factor::ActiveModel {
        id: Set(random_token(12)),
        user_id: Set(user_id.to_owned()),
        kind: Set(KIND_PASSKEY.to_owned()),
        label: Set(label.to_owned()),
        data: Set(passkey_json),
        credential_id: Set(Some(credential_id.to_owned())),
        created_at: Set(now),
        last_used_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn by_credential_id(
    db: &DatabaseConnection,
    credential_id: &str,
) -> Result<Option<Factor>, DbErr> {
    authn_factor::Entity::find()
        .filter(authn_factor::Column::CredentialId.eq(credential_id))
        .one(db)
        .await
}

/// Records a use; `data` replaces the stored data when given (a passkey's counter).
pub async fn touch(
    db: &DatabaseConnection,
    id: &str,
    now: i64,
    data: Option<String>,
) -> Result<(), DbErr> {
    let mut q = authn_factor::Entity::update_many()
        .col_expr(authn_factor::Column::LastUsedAt, Expr::value(now))
        .filter(authn_factor::Column::Id.eq(id));
    if let Some(d) = data {
        q = q.col_expr(authn_factor::Column::Data, Expr::value(d));
    }
    q.exec(db).await?;
    Ok(())
}

/// Removes one factor of this person; `None` when it is not theirs.
pub async fn remove(
    db: &DatabaseConnection,
    user_id: &str,
    id: &str,
) -> Result<Option<Factor>, DbErr> {
    let Some(f) = authn_factor::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .filter(|f| f.user_id == user_id)
    else {
        return Ok(None);
    };
    authn_factor::Entity::delete_by_id(f.id.clone())
        .exec(db)
        .await?;
    Ok(Some(f))
}

/// Removes every factor and recovery code of a person; returns (factors, codes).
pub async fn reset(db: &DatabaseConnection, user_id: &str) -> Result<(u64, u64), DbErr> {
    let f = authn_factor::Entity::delete_many()
        .filter(authn_factor::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let r = recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok((f.rows_affected, r.rows_affected))
}

/// Ids of every person with at least one second factor.
pub async fn users_with_second_factor(
    db: &DatabaseConnection,
) -> Result<std::collections::HashSet<String>, DbErr> {
    Ok(authn_factor::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.user_id)
        .collect())
}

/// Per OPD code (`""` for people without one): (active people, of whom without a
/// second factor). What `gapura mfa report` shows.
pub async fn coverage_per_opd(
    db: &DatabaseConnection,
) -> Result<std::collections::BTreeMap<String, (u64, u64)>, DbErr> {
    let with = users_with_second_factor(db).await?;
    let mut counts: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for u in entity::user_account::Entity::find().all(db).await? {
        if !crate::users::is_active(&u) {
            continue;
        }
        let entry = counts
            .entry(u.opd_code.clone().unwrap_or_default())
            .or_default();
        entry.0 += 1;
        if !with.contains(&u.id) {
            entry.1 += 1;
        }
    }
    Ok(counts)
}

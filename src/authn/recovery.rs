//! Recovery codes: ten single-use codes of 50 random bits each (`xxxxx-xxxxx`),
//! shown once, stored as keyed digests (HMAC-SHA-256 under a master-derived key:
//! they are high-entropy, so a slow hash would add nothing), regenerable. A code
//! completes a login like any second factor; its use is audited by the caller.

use crate::crypto::{MasterKeys, random_bytes};
use entity::recovery_code;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

pub const COUNT: usize = 10;
/// Lower-case letters and digits without look-alikes (no 0/o, 1/l/i): 31 symbols,
/// so ten of them carry about 49.5 bits.
const ALPHABET: &[u8; 31] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn one_code() -> String {
    let alphabet = ALPHABET;
    let mut out = String::with_capacity(11);
    let mut produced = 0;
    while produced < 10 {
        for b in random_bytes(16) {
            // Rejection sampling keeps every symbol equally likely.
            if (b as usize) < 31 * 8 && produced < 10 {
                out.push(alphabet[(b as usize) % 31] as char);
                produced += 1;
                if produced == 5 {
                    out.push('-');
                }
            }
        }
    }
    out
}

/// What the person typed, normalised: lower case, no spaces or dashes.
pub fn normalise(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn digest(master: &MasterKeys, user_id: &str, code: &str) -> String {
    master.secret_digest(&format!("recovery-code:{user_id}:{}", normalise(code)))
}

/// Replaces the person's codes with ten new ones, returned in clear this once.
pub async fn regenerate(
    db: &DatabaseConnection,
    master: &MasterKeys,
    user_id: &str,
    now: i64,
) -> Result<Vec<String>, DbErr> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let mut codes = Vec::with_capacity(COUNT);
    while codes.len() < COUNT {
        let code = one_code();
        if codes.contains(&code) {
            continue;
        }
        recovery_code::ActiveModel {
            digest: Set(digest(master, user_id, &code)),
            user_id: Set(user_id.to_owned()),
            created_at: Set(now),
            used_at: Set(None),
        }
        .insert(db)
        .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// Spends a code: `true` for the one request that used it.
pub async fn redeem(
    db: &DatabaseConnection,
    master: &MasterKeys,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<bool, DbErr> {
    let n = normalise(code);
    if n.len() != 10 {
        return Ok(false);
    }
    let res = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::Digest.eq(digest(master, user_id, &n)))
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn remaining(db: &DatabaseConnection, user_id: &str) -> Result<u64, DbErr> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_expected_shape() {
        for _ in 0..50 {
            let c = one_code();
            assert_eq!(c.len(), 11);
            assert_eq!(&c[5..6], "-");
            assert_eq!(normalise(&c).len(), 10);
        }
        assert_eq!(normalise(" ABCDE-fghjk "), "abcdefghjk");
    }
}

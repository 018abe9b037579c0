//! The importer's storage side: the directory loaded once for comparison (keyset
//! pages, a compact fingerprint per NIP instead of full rows), batched upserts and
//! the batched suspension of accounts missing from a `--sync` file.

use super::DirectoryError;
use super::asn_row::AsnRecord;
use crate::state::AppState;
use entity::user_account;
use entity::user_account::AccountStatus;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Rows per INSERT: 500 rows × ~30 columns stays under SQLite's and PostgreSQL's
/// bind-parameter limits.
pub const BATCH: usize = 500;
/// Accounts loaded per query when building the comparison map.
const LOAD_CHUNK: u64 = 5_000;

#[derive(Debug, FromQueryResult)]
struct Row {
    id: String,
    username: String,
    nip: Option<String>,
    nik: Option<String>,
    name: String,
    gelar_depan: Option<String>,
    gelar_belakang: Option<String>,
    birth_date: Option<String>,
    sex: Option<String>,
    email: Option<String>,
    email_verified: bool,
    phone: Option<String>,
    jenis_pegawai: Option<String>,
    kedudukan: Option<String>,
    opd_code: Option<String>,
    unit_kerja: Option<String>,
    jenis_jabatan: Option<String>,
    jabatan: Option<String>,
    eselon: Option<String>,
    golongan: Option<String>,
    review: Option<String>,
    is_admin: bool,
    status: AccountStatus,
    created_at: i64,
    suspended_at: Option<i64>,
    suspended_reason: Option<String>,
}

/// What the comparison needs of an existing account, without its full row.
pub struct Known {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub opd_code: Option<String>,
    pub is_admin: bool,
    pub status: AccountStatus,
    pub created_at: i64,
    pub suspended_at: Option<i64>,
    pub suspended_reason: Option<String>,
    pub fingerprint: u64,
}
fn fingerprint(fields: [Option<&str>; 18]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    fields.hash(&mut h);
    h.finish()
}

pub fn record_fingerprint(r: &AsnRecord) -> u64 {
    fingerprint([
        Some(&r.nip),
        r.nik.as_deref(),
        Some(&r.name),
        r.gelar_depan.as_deref(),
        r.gelar_belakang.as_deref(),
        r.birth_date.as_deref(),
        r.sex.as_deref(),
        r.email.as_deref(),
        r.phone.as_deref(),
        r.jenis_pegawai.as_deref(),
        Some(&r.kedudukan),
        Some(&r.opd_code),
        r.unit_kerja.as_deref(),
        r.jenis_jabatan.as_deref(),
        r.jabatan.as_deref(),
        r.eselon.as_deref(),
        r.golongan.as_deref(),
        r.review.as_deref(),
    ])
}

fn row_fingerprint(r: &Row) -> u64 {
    fingerprint([
        r.nip.as_deref(),
        r.nik.as_deref(),
        Some(&r.name),
        r.gelar_depan.as_deref(),
        r.gelar_belakang.as_deref(),
        r.birth_date.as_deref(),
        r.sex.as_deref(),
        r.email.as_deref(),
        r.phone.as_deref(),
        r.jenis_pegawai.as_deref(),
        r.kedudukan.as_deref(),
        r.opd_code.as_deref(),
        r.unit_kerja.as_deref(),
        r.jenis_jabatan.as_deref(),
        r.jabatan.as_deref(),
        r.eselon.as_deref(),
        r.golongan.as_deref(),
        r.review.as_deref(),
    ])
}

/// Every account, by NIP (ASN) and by e-mail (everyone), loaded in keyset pages.
pub async fn load_known(
    state: &AppState,
) -> Result<(HashMap<String, Known>, HashMap<String, String>), DirectoryError> {
    let mut by_nip = HashMap::new();
    let mut emails = HashMap::new();
    let mut after = String::new();
    loop {
        let page: Vec<Row> = user_account::Entity::find()
            .filter(user_account::Column::Username.gt(after.clone()))
            .order_by_asc(user_account::Column::Username)
            .limit(LOAD_CHUNK)
            .into_model::<Row>()
            .all(&state.db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.username.clone();
        for r in page {
            if let Some(e) = &r.email {
                emails.insert(e.clone(), r.username.clone());
            }
            if let Some(nip) = r.nip.clone() {
                let fingerprint = row_fingerprint(&r);
                by_nip.insert(
                    nip,
                    Known {
                        id: r.id,
                        username: r.username,
                        email: r.email,
                        email_verified: r.email_verified,
                        opd_code: r.opd_code,
                        is_admin: r.is_admin,
                        status: r.status,
                        created_at: r.created_at,
                        suspended_at: r.suspended_at,
                        suspended_reason: r.suspended_reason,
                        fingerprint,
                    },
                );
            }
        }
    }
    Ok((by_nip, emails))
}

/// A pending write: the full row, for a batched upsert.
pub fn active_model(
    r: &AsnRecord,
    known: Option<&Known>,
    status: AccountStatus,
    reason: Option<String>,
    suspended_at: Option<i64>,
    now: i64,
) -> user_account::ActiveModel {
    let email_verified =
        known.is_some_and(|k| k.email_verified && k.email.as_deref() == r.email.as_deref());
    user_account::ActiveModel {
        id: Set(known.map_or_else(|| uuid::Uuid::new_v4().to_string(), |k| k.id.clone())),
        username: Set(known.map_or_else(|| r.nip.clone(), |k| k.username.clone())),
        nip: Set(Some(r.nip.clone())),
        email: Set(r.email.clone()),
        email_verified: Set(email_verified),
        phone: Set(r.phone.clone()),
        name: Set(r.name.clone()),
        gelar_depan: Set(r.gelar_depan.clone()),
        gelar_belakang: Set(r.gelar_belakang.clone()),
        opd_code: Set(Some(r.opd_code.clone())),
        jabatan: Set(r.jabatan.clone()),
        is_admin: Set(known.is_some_and(|k| k.is_admin)),
        status: Set(status),
        created_at: Set(known.map_or(now, |k| k.created_at)),
        updated_at: Set(now),
        nik: Set(r.nik.clone()),
        birth_date: Set(r.birth_date.clone()),
        sex: Set(r.sex.clone()),
        jenis_pegawai: Set(r.jenis_pegawai.clone()),
        kedudukan: Set(Some(r.kedudukan.clone())),
        unit_kerja: Set(r.unit_kerja.clone()),
        jenis_jabatan: Set(r.jenis_jabatan.clone()),
        eselon: Set(r.eselon.clone()),
        golongan: Set(r.golongan.clone()),
        review: Set(r.review.clone()),
        name_search: Set(Some(crate::users::search_key(&r.name))),
        suspended_at: Set(suspended_at),
        suspended_reason: Set(reason),
        password_hash: sea_orm::NotSet,
        password_change_required: sea_orm::NotSet,
    }
}

/// Writes the pending rows of `batch` (emptied) as one upsert keyed by account id.
pub async fn flush(
    txn: &DatabaseTransaction,
    batch: &mut Vec<user_account::ActiveModel>,
) -> Result<(), DirectoryError> {
    if batch.is_empty() {
        return Ok(());
    }
    use user_account::Column as C;
    let rows = std::mem::take(batch);
    user_account::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(C::Id)
                .update_columns([
                    C::Email,
                    C::EmailVerified,
                    C::Phone,
                    C::Name,
                    C::GelarDepan,
                    C::GelarBelakang,
                    C::OpdCode,
                    C::Jabatan,
                    C::Status,
                    C::UpdatedAt,
                    C::Nik,
                    C::BirthDate,
                    C::Sex,
                    C::JenisPegawai,
                    C::Kedudukan,
                    C::UnitKerja,
                    C::JenisJabatan,
                    C::Eselon,
                    C::Golongan,
                    C::Review,
                    C::NameSearch,
                    C::SuspendedAt,
                    C::SuspendedReason,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Suspends the accounts `ids` with `reason` at `now`, in batches, inside the
/// importer's transaction.
pub async fn suspend_all(
    txn: &DatabaseTransaction,
    ids: &[&str],
    reason: &str,
    now: i64,
) -> Result<(), DirectoryError> {
    for chunk in ids.chunks(BATCH) {
        user_account::Entity::update_many()
            .col_expr(
                user_account::Column::Status,
                Expr::value(AccountStatus::Suspended.as_str()),
            )
            .col_expr(user_account::Column::SuspendedAt, Expr::value(now))
            .col_expr(user_account::Column::SuspendedReason, Expr::value(reason))
            .col_expr(user_account::Column::UpdatedAt, Expr::value(now))
            .filter(user_account::Column::Id.is_in(chunk.iter().map(|id| id.to_string())))
            .exec(txn)
            .await?;
    }
    Ok(())
}

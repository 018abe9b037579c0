//! ASN import and sync (issue #3): streams a SIASN-style CSV, validates every row,
//! compares against the directory loaded once (keyed by NIP), and writes created and
//! changed records in batched upserts inside one transaction: any rejected row means
//! nothing is written. `--sync` suspends accounts missing from the file or whose
//! kedudukan is 04/66/99 and revokes their grants; a change of OPD (mutasi) ends the
//! role assignments scoped to the old OPD. Both are audited.

use super::asn_row::{self, AsnRecord};
use super::csv_in::{self, Columns};
use super::report::ImportReport;
use super::{DirectoryError, suspend};
use crate::audit::AuditEvent;
use crate::state::AppState;
use entity::{opd, role_assignment, user_account};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Read;

/// Rows per INSERT: 500 rows × ~30 columns stays under SQLite's and PostgreSQL's
/// bind-parameter limits.
const BATCH: usize = 500;
/// Accounts loaded per query when building the comparison map.
const LOAD_CHUNK: u64 = 20_000;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub sync: bool,
    /// Who asked (`cli`, or the admin's account id), for the audit log.
    pub actor: String,
}

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
    status: String,
    created_at: i64,
    suspended_at: Option<i64>,
    suspended_reason: Option<String>,
}

/// What the comparison needs of an existing account, without its full row.
struct Known {
    id: String,
    username: String,
    email: Option<String>,
    email_verified: bool,
    opd_code: Option<String>,
    is_admin: bool,
    status: String,
    created_at: i64,
    suspended_at: Option<i64>,
    suspended_reason: Option<String>,
    fingerprint: u64,
}

/// Prefix of the suspension reasons the importer sets (and may lift again).
pub const SYNC_REASON: &str = "sync:";

fn fingerprint(fields: [Option<&str>; 18]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    fields.hash(&mut h);
    h.finish()
}

fn record_fingerprint(r: &AsnRecord) -> u64 {
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
async fn load_known(
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
fn active_model(
    r: &AsnRecord,
    known: Option<&Known>,
    status: &str,
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
        status: Set(status.to_owned()),
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
    }
}

async fn flush(
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

/// Imports `input`. Returns the report; `report.written` says whether anything changed.
pub async fn import<R: Read>(
    state: &AppState,
    input: R,
    opts: &ImportOptions,
) -> Result<ImportReport, DirectoryError> {
    let now = state.now();
    let mut report = ImportReport::new("asn", opts.dry_run, opts.sync);
    let mut reader = csv_in::reader(input).map_err(|e| DirectoryError::Io(e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| DirectoryError::Invalid(format!("the file is not CSV: {e}")))?
        .clone();
    let cols = Columns::map(&headers, asn_row::ALIASES, asn_row::REQUIRED)
        .map_err(DirectoryError::Invalid)?;
    let units: HashMap<String, (String, bool)> = opd::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.path, u.closed_at.is_some())))
        .collect();
    let (known, emails) = load_known(state).await?;
    let txn = if opts.dry_run {
        None
    } else {
        Some(state.db.begin().await?)
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut seen_email: HashMap<String, u64> = HashMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut mutasi: Vec<(String, String, String)> = Vec::new();
    let mut suspended: Vec<(String, String)> = Vec::new();
    for (i, result) in reader.records().enumerate() {
        report.rows += 1;
        let line = 2 + i as u64;
        let row = match result {
            Ok(r) => r,
            Err(e) => {
                report.reject(line, "", vec![format!("unreadable CSV row: {e}")]);
                continue;
            }
        };
        let line = csv_in::line_of(&row, line);
        let key = cols.get(&row, "nip").unwrap_or_default().to_owned();
        let rec = match asn_row::parse(&cols, &row) {
            Ok(r) => r,
            Err(reasons) => {
                report.reject(line, &key, reasons);
                continue;
            }
        };
        let mut why = Vec::new();
        if let Some(first) = seen.get(&rec.nip) {
            why.push(format!("NIP {} already appears on line {first}", rec.nip));
        }
        match units.get(&rec.opd_code) {
            None => why.push(format!("unknown OPD `{}`", rec.opd_code)),
            Some((_, true)) => why.push(format!("OPD `{}` is closed", rec.opd_code)),
            Some(_) => {}
        }
        let mut rec = rec;
        if let Some(email) = rec.email.clone()
            && (seen_email.contains_key(&email)
                || emails.get(&email).is_some_and(|owner| *owner != rec.nip))
        {
            // An e-mail is a login name: the first holder keeps it, this row is
            // accepted without it and flagged for review.
            rec.email = None;
            let flags = rec.review.take().unwrap_or_default();
            rec.review = Some(format!("{flags} email_duplicate").trim().to_owned());
        }
        if !why.is_empty() {
            report.reject(line, &key, why);
            continue;
        }
        seen.insert(rec.nip.clone(), line);
        if let Some(e) = &rec.email {
            seen_email.insert(e.clone(), line);
        }
        if rec.review.is_some() {
            report.flagged += 1;
        }
        let ends = rec.kedudukan().is_some_and(|k| k.ends_access());
        let ked_reason = || {
            let name = rec.kedudukan().map(|k| k.name()).unwrap_or_default();
            format!("{SYNC_REASON} kedudukan {} {name}", rec.kedudukan)
        };
        let old = known.get(&rec.nip);
        let (status, reason, at) = match old {
            None if ends => ("suspended", Some(ked_reason()), Some(now)),
            None => ("active", None, None),
            Some(k) if k.status == "active" && ends && opts.sync => {
                suspended.push((k.id.clone(), ked_reason()));
                report.suspended += 1;
                ("suspended", Some(ked_reason()), Some(now))
            }
            Some(k)
                if k.status != "active"
                    && !ends
                    && k.suspended_reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with(SYNC_REASON)) =>
            {
                report.reactivated += 1;
                ("active", None, None)
            }
            Some(k) => (
                if k.status == "active" {
                    "active"
                } else {
                    "suspended"
                },
                k.suspended_reason.clone(),
                k.suspended_at,
            ),
        };
        let changed_status = old.is_some_and(|k| k.status != status);
        match old {
            None => {
                report.created += 1;
                if report.preview.len() < 20 && opts.dry_run {
                    report
                        .preview
                        .push(format!("create {} {}", rec.nip, rec.name));
                }
            }
            Some(k) if k.fingerprint != record_fingerprint(&rec) || changed_status => {
                if k.fingerprint != record_fingerprint(&rec) {
                    report.updated += 1;
                }
                if k.opd_code.as_deref() != Some(rec.opd_code.as_str()) {
                    report.mutasi += 1;
                    mutasi.push((
                        k.id.clone(),
                        k.opd_code.clone().unwrap_or_default(),
                        rec.opd_code.clone(),
                    ));
                }
                if report.preview.len() < 20 && opts.dry_run {
                    report
                        .preview
                        .push(format!("update {} {}", rec.nip, rec.name));
                }
            }
            Some(_) => {
                report.unchanged += 1;
                continue;
            }
        }
        if let Some(txn) = &txn
            && report.rejected.is_empty()
        {
            batch.push(active_model(&rec, old, status, reason, at, now));
            if batch.len() >= BATCH {
                flush(txn, &mut batch).await?;
            }
        }
    }
    if opts.sync {
        for (nip, k) in &known {
            if k.status == "active" && !k.is_admin && !seen.contains_key(nip) {
                suspended.push((k.id.clone(), format!("{SYNC_REASON} missing from the file")));
                report.suspended += 1;
                if report.preview.len() < 40 && opts.dry_run {
                    report
                        .preview
                        .push(format!("suspend {nip} (missing from the file)"));
                }
            }
        }
    }
    let ended = ended_by_mutasi(state, &units, &mutasi).await?;
    report.assignments_ended = ended.len() as u64;
    let Some(txn) = txn else { return Ok(report) };
    if !report.rejected.is_empty() || report.changes() == 0 {
        txn.rollback().await?;
        return Ok(report);
    }
    flush(&txn, &mut batch).await?;
    let missing: Vec<&(String, String)> = suspended
        .iter()
        .filter(|(_, r)| r.ends_with("missing from the file"))
        .collect();
    for chunk in missing.chunks(BATCH) {
        user_account::Entity::update_many()
            .col_expr(user_account::Column::Status, Expr::value("suspended"))
            .col_expr(user_account::Column::SuspendedAt, Expr::value(now))
            .col_expr(
                user_account::Column::SuspendedReason,
                Expr::value(format!("{SYNC_REASON} missing from the file")),
            )
            .col_expr(user_account::Column::UpdatedAt, Expr::value(now))
            .filter(user_account::Column::Id.is_in(chunk.iter().map(|(id, _)| id.clone())))
            .exec(&txn)
            .await?;
    }
    for chunk in ended.chunks(BATCH) {
        role_assignment::Entity::update_many()
            .col_expr(role_assignment::Column::EndedAt, Expr::value(now))
            .col_expr(role_assignment::Column::EndedReason, Expr::value("mutasi"))
            .filter(role_assignment::Column::Id.is_in(chunk.iter().map(|(id, _)| id.clone())))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    report.written = true;
    for (user_id, reason) in &suspended {
        suspend::end_access(state, user_id, reason, &opts.actor).await?;
    }
    for (user_id, from, to) in &mutasi {
        let ids: Vec<&String> = ended
            .iter()
            .filter(|(_, u)| u == user_id)
            .map(|(id, _)| id)
            .collect();
        let e = AuditEvent::new("asn.mutasi", true)
            .actor(opts.actor.clone())
            .subject(user_id.clone())
            .detail(serde_json::json!({"from": from, "to": to, "assignments_ended": ids}));
        state.audit.record(now, e).await;
    }
    let e = AuditEvent::new("directory.import.asn", true)
        .actor(opts.actor.clone())
        .detail(serde_json::json!({
            "rows": report.rows, "created": report.created, "updated": report.updated,
            "suspended": report.suspended, "reactivated": report.reactivated,
            "mutasi": report.mutasi, "sync": opts.sync,
        }));
    state.audit.record(now, e).await;
    Ok(report)
}

/// Assignments `(id, user_id)` that covered the old unit but not the new one.
async fn ended_by_mutasi(
    state: &AppState,
    units: &HashMap<String, (String, bool)>,
    mutasi: &[(String, String, String)],
) -> Result<Vec<(String, String)>, DirectoryError> {
    let mut out = Vec::new();
    let moves: HashMap<&str, (&str, &str)> = mutasi
        .iter()
        .map(|(u, from, to)| (u.as_str(), (from.as_str(), to.as_str())))
        .collect();
    let path = |code: &str| units.get(code).map(|(p, _)| p.as_str()).unwrap_or("");
    let ids: Vec<String> = moves.keys().map(|s| (*s).to_owned()).collect();
    let mut done = HashSet::new();
    for chunk in ids.chunks(BATCH) {
        let rows = role_assignment::Entity::find()
            .filter(role_assignment::Column::UserId.is_in(chunk.to_vec()))
            .filter(role_assignment::Column::EndedAt.is_null())
            .all(&state.db)
            .await?;
        for a in rows {
            let (Some(unit), Some((from, to))) = (&a.opd_code, moves.get(a.user_id.as_str()))
            else {
                continue;
            };
            let covers = |code: &str| match a.scope_kind.as_str() {
                "opd" => code == unit,
                "subtree" => !path(code).is_empty() && path(code).starts_with(path(unit)),
                _ => false,
            };
            if covers(from) && !covers(to) && done.insert(a.id.clone()) {
                out.push((a.id, a.user_id));
            }
        }
    }
    Ok(out)
}

/// Ends, now, the assignments a mutasi takes away (admin API edits); returns their ids.
pub async fn end_for_mutasi(
    state: &AppState,
    mutasi: &[(String, String, String)],
) -> Result<Vec<String>, DirectoryError> {
    let units: HashMap<String, (String, bool)> = opd::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.path, u.closed_at.is_some())))
        .collect();
    let ended = ended_by_mutasi(state, &units, mutasi).await?;
    let ids: Vec<String> = ended.into_iter().map(|(id, _)| id).collect();
    for id in &ids {
        crate::access::roles::end(&state.db, state.now(), id, "mutasi").await?;
    }
    Ok(ids)
}

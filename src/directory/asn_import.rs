//! ASN import and sync (issue #3): streams a SIASN-style CSV, validates every row,
//! compares against the directory loaded once (keyed by NIP), and writes created and
//! changed records in batched upserts inside one transaction: any rejected row means
//! nothing is written. `--sync` suspends accounts missing from the file or whose
//! kedudukan is 04/66/99 and revokes their grants; a change of OPD (mutasi) ends the
//! role assignments scoped to the old OPD. Both are audited.

use super::asn_row;
use super::asn_store::{BATCH, active_model, flush, load_known, record_fingerprint};
use super::csv_in::{self, Columns};
use super::report::ImportReport;
use super::{DirectoryError, suspend};
use crate::audit::AuditEvent;
use crate::state::AppState;
use entity::user_account::AccountStatus;
use entity::{opd, role_assignment, user_account};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::collections::HashMap;
use std::io::Read;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub sync: bool,
    /// Who asked (`cli`, or the admin's account id), for the audit log.
    pub actor: String,
}

/// Prefix of the suspension reasons the importer sets (and may lift again).
pub const SYNC_REASON: &str = "sync:";

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
        if let Some(why) = csv_in::control_characters(&headers, &row) {
            report.reject(line, &key, vec![why]);
            continue;
        }
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
            None if ends => (AccountStatus::Suspended, Some(ked_reason()), Some(now)),
            None => (AccountStatus::Active, None, None),
            Some(k) if k.status == AccountStatus::Active && ends && opts.sync => {
                suspended.push((k.id.clone(), ked_reason()));
                report.suspended += 1;
                if report.preview.len() < 40 && opts.dry_run {
                    report
                        .preview
                        .push(format!("suspend {} (kedudukan {})", rec.nip, rec.kedudukan));
                }
                (AccountStatus::Suspended, Some(ked_reason()), Some(now))
            }
            Some(k)
                if k.status != AccountStatus::Active
                    && !ends
                    && k.suspended_reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with(SYNC_REASON)) =>
            {
                report.reactivated += 1;
                (AccountStatus::Active, None, None)
            }
            Some(k) => (k.status, k.suspended_reason.clone(), k.suspended_at),
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
            if k.status == AccountStatus::Active && !k.is_admin && !seen.contains_key(nip) {
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
    let ended = super::mutasi::ended_by_mutasi(state, &units, &mutasi).await?;
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
            .col_expr(
                user_account::Column::Status,
                Expr::value(AccountStatus::Suspended.as_str()),
            )
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
        state.audit.record(now, e).await?;
    }
    let e = AuditEvent::new("directory.import.asn", true)
        .actor(opts.actor.clone())
        .detail(serde_json::json!({
            "rows": report.rows, "created": report.created, "updated": report.updated,
            "suspended": report.suspended, "reactivated": report.reactivated,
            "mutasi": report.mutasi, "sync": opts.sync,
        }));
    state.audit.record(now, e).await?;
    Ok(report)
}

pub use super::mutasi::end_for_mutasi;

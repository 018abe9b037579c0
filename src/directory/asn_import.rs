//! ASN import and sync (issue #3): streams a SIASN-style CSV, validates every row,
//! compares against the directory loaded once (keyed by NIP), and writes created and
//! changed records in batched upserts inside one transaction: any rejected row means
//! nothing is written. `--sync` suspends accounts missing from the file or whose
//! kedudukan is 04/66/99 and revokes their grants; a change of OPD (mutasi) ends the
//! role assignments scoped to the old OPD. Both are audited.
//!
//! The stages, row by row: parse (`csv_in::Input::rows`, `asn_row::parse`), admit
//! (`Seen::admit`: duplicates, the OPD, shared e-mails), diff (`diff`, plain values
//! in), count (`tally`), write (`Writer`: batches in the transaction, committed by
//! `Writer::finish`), then after the commit `end_access` and `audit`. The SQL is in
//! `asn_store` and `mutasi`.

use super::asn_row::{self, AsnRecord};
use super::asn_store::{self, BATCH, Known, active_model, flush, load_known, record_fingerprint};
use super::csv_in::Input;
use super::report::ImportReport;
use super::{DirectoryError, mutasi, suspend};
use crate::audit::AuditEvent;
use crate::state::AppState;
use entity::user_account;
use entity::user_account::AccountStatus;
use sea_orm::{DatabaseTransaction, TransactionTrait};
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
/// How the suspension reason of an account missing from a `--sync` file ends.
const MISSING: &str = "missing from the file";

/// Imports `input`. Returns the report; `report.written` says whether anything changed.
pub async fn import<R: Read>(
    state: &AppState,
    input: R,
    opts: &ImportOptions,
) -> Result<ImportReport, DirectoryError> {
    let now = state.now();
    let mut report = ImportReport::new("asn", opts.dry_run, opts.sync);
    let file = Input::open(input, asn_row::ALIASES, asn_row::REQUIRED)?;
    let cols = file.cols.clone();
    let dir = Directory::load(state).await?;
    let mut writer = Writer::begin(state, opts.dry_run).await?;
    let mut seen = Seen::default();
    let mut effects = Effects::default();
    for row in file.rows("nip") {
        report.rows += 1;
        let row = match row {
            Ok(row) => row,
            Err(refused) => {
                report.refuse(refused);
                continue;
            }
        };
        let admitted = asn_row::parse(&cols, &row.record)
            .and_then(|rec| seen.admit(rec, row.line, &dir.units, &dir.emails));
        let rec = match admitted {
            Ok(rec) => rec,
            Err(why) => {
                report.reject(row.line, &row.key, why);
                continue;
            }
        };
        if rec.review.is_some() {
            report.flagged += 1;
        }
        let old = dir.known.get(&rec.nip);
        let change = diff(&rec, old, opts.sync, now);
        tally(&mut report, &mut effects, &rec, &change);
        if change.action != Action::Unchanged && report.rejected.is_empty() {
            let model = active_model(&rec, old, change.status, change.reason, change.at, now);
            writer.push(model).await?;
        }
    }
    if opts.sync {
        for (nip, k) in missing(&dir.known, &seen) {
            tally_missing(&mut report, &mut effects, nip, &k.id);
        }
    }
    let ended = mutasi::ended_by_mutasi(state, &dir.units, &effects.mutasi).await?;
    report.assignments_ended = ended.len() as u64;
    report.written = writer.finish(&report, &effects, &ended, now).await?;
    if report.written {
        end_access(state, &effects, &opts.actor).await?;
        audit(state, now, opts, &report, &effects, &ended).await?;
    }
    Ok(report)
}

/// The directory as the import compares against it, loaded once.
struct Directory {
    /// Unit code → (path, closed).
    units: HashMap<String, (String, bool)>,
    /// ASN accounts by NIP.
    known: HashMap<String, Known>,
    /// Every account's e-mail → its username.
    emails: HashMap<String, String>,
}

impl Directory {
    /// Loads the units and the accounts (`asn_store::load_known`).
    async fn load(state: &AppState) -> Result<Self, DirectoryError> {
        let units = mutasi::unit_paths(state).await?;
        let (known, emails) = load_known(state).await?;
        Ok(Self {
            units,
            known,
            emails,
        })
    }
}

/// What the file has listed so far: the line of each NIP and of each e-mail kept.
#[derive(Default)]
struct Seen {
    nips: HashMap<String, u64>,
    emails: HashMap<String, u64>,
}

impl Seen {
    /// Admits a parsed row on `line`: refused (with every reason) when its NIP
    /// appeared earlier or its OPD is unknown or closed. An e-mail already listed, or
    /// held by another account, is dropped from the row and flagged for review.
    fn admit(
        &mut self,
        mut rec: AsnRecord,
        line: u64,
        units: &HashMap<String, (String, bool)>,
        emails: &HashMap<String, String>,
    ) -> Result<AsnRecord, Vec<String>> {
        let mut why = Vec::new();
        if let Some(first) = self.nips.get(&rec.nip) {
            why.push(format!("NIP {} already appears on line {first}", rec.nip));
        }
        match units.get(&rec.opd_code) {
            None => why.push(format!("unknown OPD `{}`", rec.opd_code)),
            Some((_, true)) => why.push(format!("OPD `{}` is closed", rec.opd_code)),
            Some(_) => {}
        }
        if let Some(email) = rec.email.clone()
            && (self.emails.contains_key(&email)
                || emails.get(&email).is_some_and(|owner| *owner != rec.nip))
        {
            // An e-mail is a login name: the first holder keeps it, this row is
            // accepted without it and flagged for review.
            rec.email = None;
            let flags = rec.review.take().unwrap_or_default();
            rec.review = Some(format!("{flags} email_duplicate").trim().to_owned());
        }
        if !why.is_empty() {
            return Err(why);
        }
        self.nips.insert(rec.nip.clone(), line);
        if let Some(e) = &rec.email {
            self.emails.insert(e.clone(), line);
        }
        Ok(rec)
    }
}

/// What an admitted row does to its account.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    action: Action,
    /// The account's status, suspension reason and time as written.
    status: AccountStatus,
    reason: Option<String>,
    at: Option<i64>,
    /// The row suspends an active account or lifts the importer's suspension.
    turn: Option<Turn>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Create,
    /// `fields`: the record differs (not only its status); `mutasi`: the account
    /// moves OPD, as (account id, old code, new code).
    Update {
        fields: bool,
        mutasi: Option<(String, String, String)>,
    },
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Turn {
    /// `--sync` and a kedudukan that ends access: the account `id` is suspended.
    Suspend { id: String, reason: String },
    /// The kedudukan no longer ends access: the importer's suspension is lifted.
    Reactivate,
}

/// Decides what `rec` does to its account `old` (`None`: a new one): its status
/// (kedudukan 04/66/99 suspends; a suspension the importer set is lifted when the
/// kedudukan no longer ends access) and whether anything is written.
fn diff(rec: &AsnRecord, old: Option<&Known>, sync: bool, now: i64) -> Change {
    let ends = rec.kedudukan().is_some_and(|k| k.ends_access());
    let ked_reason = || {
        let name = rec.kedudukan().map(|k| k.name()).unwrap_or_default();
        format!("{SYNC_REASON} kedudukan {} {name}", rec.kedudukan)
    };
    let (status, reason, at, turn) = match old {
        None if ends => (
            AccountStatus::Suspended,
            Some(ked_reason()),
            Some(now),
            None,
        ),
        None => (AccountStatus::Active, None, None, None),
        Some(k) if k.status == AccountStatus::Active && ends && sync => {
            let turn = Turn::Suspend {
                id: k.id.clone(),
                reason: ked_reason(),
            };
            (
                AccountStatus::Suspended,
                Some(ked_reason()),
                Some(now),
                Some(turn),
            )
        }
        Some(k)
            if k.status != AccountStatus::Active
                && !ends
                && k.suspended_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with(SYNC_REASON)) =>
        {
            (AccountStatus::Active, None, None, Some(Turn::Reactivate))
        }
        Some(k) => (k.status, k.suspended_reason.clone(), k.suspended_at, None),
    };
    let action = match old {
        None => Action::Create,
        Some(k) => {
            let fields = k.fingerprint != record_fingerprint(rec);
            if !fields && k.status == status {
                Action::Unchanged
            } else {
                let moved = k.opd_code.as_deref() != Some(rec.opd_code.as_str());
                let mutasi = moved.then(|| {
                    let from = k.opd_code.clone().unwrap_or_default();
                    (k.id.clone(), from, rec.opd_code.clone())
                });
                Action::Update { fields, mutasi }
            }
        }
    };
    Change {
        action,
        status,
        reason,
        at,
        turn,
    }
}

/// What is carried out after the write: suspensions (account id, reason) and moves
/// (account id, old OPD, new OPD).
#[derive(Default)]
struct Effects {
    suspended: Vec<(String, String)>,
    mutasi: Vec<(String, String, String)>,
}

/// Adds `line` to a dry run's preview while it holds fewer than `limit` lines.
fn preview(report: &mut ImportReport, limit: usize, line: impl FnOnce() -> String) {
    if report.preview.len() < limit && report.dry_run {
        report.preview.push(line());
    }
}

/// Counts one row's change in the report (and a dry run's preview) and keeps its
/// effects.
fn tally(report: &mut ImportReport, effects: &mut Effects, rec: &AsnRecord, change: &Change) {
    match &change.turn {
        Some(Turn::Suspend { id, reason }) => {
            effects.suspended.push((id.clone(), reason.clone()));
            report.suspended += 1;
            preview(report, 40, || {
                format!("suspend {} (kedudukan {})", rec.nip, rec.kedudukan)
            });
        }
        Some(Turn::Reactivate) => report.reactivated += 1,
        None => {}
    }
    match &change.action {
        Action::Create => {
            report.created += 1;
            preview(report, 20, || format!("create {} {}", rec.nip, rec.name));
        }
        Action::Update { fields, mutasi } => {
            if *fields {
                report.updated += 1;
            }
            if let Some(m) = mutasi {
                report.mutasi += 1;
                effects.mutasi.push(m.clone());
            }
            preview(report, 20, || format!("update {} {}", rec.nip, rec.name));
        }
        Action::Unchanged => report.unchanged += 1,
    }
}

/// `--sync`: the active accounts, admins aside, whose NIP the file did not list.
fn missing<'k>(
    known: &'k HashMap<String, Known>,
    seen: &Seen,
) -> impl Iterator<Item = (&'k String, &'k Known)> {
    known.iter().filter(|(nip, k)| {
        k.status == AccountStatus::Active && !k.is_admin && !seen.nips.contains_key(*nip)
    })
}

/// Counts the suspension of the account `id` (`nip`), missing from the file.
fn tally_missing(report: &mut ImportReport, effects: &mut Effects, nip: &str, id: &str) {
    effects
        .suspended
        .push((id.to_owned(), format!("{SYNC_REASON} {MISSING}")));
    report.suspended += 1;
    preview(report, 40, || format!("suspend {nip} ({MISSING})"));
}

/// The write stage: the transaction (none on a dry run) and the rows waiting for
/// their batched upsert.
struct Writer {
    txn: Option<DatabaseTransaction>,
    batch: Vec<user_account::ActiveModel>,
}

impl Writer {
    /// Opens the transaction, unless this is a dry run.
    async fn begin(state: &AppState, dry_run: bool) -> Result<Self, DirectoryError> {
        let txn = if dry_run {
            None
        } else {
            Some(state.db.begin().await?)
        };
        Ok(Self {
            txn,
            batch: Vec::with_capacity(BATCH),
        })
    }

    /// Queues a row (nothing on a dry run); a full batch is written at once.
    async fn push(&mut self, row: user_account::ActiveModel) -> Result<(), DirectoryError> {
        if let Some(txn) = &self.txn {
            self.batch.push(row);
            if self.batch.len() >= BATCH {
                flush(txn, &mut self.batch).await?;
            }
        }
        Ok(())
    }

    /// Writes the last batch, suspends the accounts missing from the file, ends the
    /// `ended` assignments and commits; whether it committed. A dry run writes
    /// nothing; a rejected row, or no change at all, rolls everything back.
    async fn finish(
        mut self,
        report: &ImportReport,
        effects: &Effects,
        ended: &[(String, String)],
        now: i64,
    ) -> Result<bool, DirectoryError> {
        let Some(txn) = self.txn else {
            return Ok(false);
        };
        if !report.rejected.is_empty() || report.changes() == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        flush(&txn, &mut self.batch).await?;
        let missing: Vec<&str> = effects
            .suspended
            .iter()
            .filter(|(_, r)| r.ends_with(MISSING))
            .map(|(id, _)| id.as_str())
            .collect();
        let reason = format!("{SYNC_REASON} {MISSING}");
        asn_store::suspend_all(&txn, &missing, &reason, now).await?;
        mutasi::end_assignments(&txn, ended, now).await?;
        txn.commit().await?;
        Ok(true)
    }
}

/// After the commit: every suspended account loses its access (sessions, grants),
/// each suspension audited by `suspend::end_access`.
async fn end_access(
    state: &AppState,
    effects: &Effects,
    actor: &str,
) -> Result<(), DirectoryError> {
    for (user_id, reason) in &effects.suspended {
        suspend::end_access(state, user_id, reason, actor).await?;
    }
    Ok(())
}

/// After the commit: each mutasi (with the assignments it ended) and the import's
/// counts go to the audit log.
async fn audit(
    state: &AppState,
    now: i64,
    opts: &ImportOptions,
    report: &ImportReport,
    effects: &Effects,
    ended: &[(String, String)],
) -> Result<(), DirectoryError> {
    for (user_id, from, to) in &effects.mutasi {
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
    Ok(())
}

pub use super::mutasi::end_for_mutasi;

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn rec(nip: &str, opd: &str, kedudukan: &str) -> AsnRecord {
        AsnRecord {
            nip: nip.to_owned(),
            nik: None,
            name: "Siti Hermawan".to_owned(),
            gelar_depan: None,
            gelar_belakang: None,
            birth_date: None,
            sex: None,
            email: Some(format!("{nip}@kotabogor.go.id")),
            phone: None,
            jenis_pegawai: None,
            kedudukan: kedudukan.to_owned(),
            opd_code: opd.to_owned(),
            unit_kerja: None,
            jenis_jabatan: None,
            jabatan: None,
            eselon: None,
            golongan: None,
            review: None,
        }
    }

    /// The account as stored for `r`, with `status` and suspension `reason`.
    fn known(r: &AsnRecord, status: AccountStatus, reason: Option<&str>) -> Known {
        Known {
            id: format!("id-{}", r.nip),
            username: r.nip.clone(),
            email: r.email.clone(),
            email_verified: false,
            opd_code: Some(r.opd_code.clone()),
            is_admin: false,
            status,
            created_at: 1,
            suspended_at: reason.map(|_| 5),
            suspended_reason: reason.map(str::to_owned),
            fingerprint: record_fingerprint(r),
        }
    }

    #[test]
    fn diff_new_accounts() {
        let c = diff(&rec("1", "DINKES", "01"), None, false, NOW);
        assert_eq!(c.action, Action::Create);
        assert_eq!(
            (c.status, c.reason, c.at, c.turn),
            (AccountStatus::Active, None, None, None)
        );
        // Retired on arrival: created suspended, nothing to revoke.
        let c = diff(&rec("1", "DINKES", "99"), None, true, NOW);
        assert_eq!(c.action, Action::Create);
        assert_eq!(c.status, AccountStatus::Suspended);
        assert_eq!(c.reason.as_deref(), Some("sync: kedudukan 99 Pensiun"));
        assert_eq!((c.at, c.turn), (Some(NOW), None));
    }

    #[test]
    fn diff_same_record_is_unchanged_and_a_field_change_is_an_update() {
        let r = rec("1", "DINKES", "01");
        let k = known(&r, AccountStatus::Active, None);
        assert_eq!(diff(&r, Some(&k), true, NOW).action, Action::Unchanged);
        let mut renamed = r.clone();
        renamed.name = "Siti H.".to_owned();
        let c = diff(&renamed, Some(&k), true, NOW);
        let update = Action::Update {
            fields: true,
            mutasi: None,
        };
        assert_eq!((c.action, c.turn), (update, None));
    }

    #[test]
    fn diff_opd_change_is_a_mutasi() {
        let k = known(&rec("1", "DINKES", "01"), AccountStatus::Active, None);
        let c = diff(&rec("1", "PKM-24", "01"), Some(&k), false, NOW);
        let moved = ("id-1".to_owned(), "DINKES".to_owned(), "PKM-24".to_owned());
        let update = Action::Update {
            fields: true,
            mutasi: Some(moved),
        };
        assert_eq!(c.action, update);
    }

    #[test]
    fn diff_kedudukan_suspends_only_with_sync() {
        let active = known(&rec("1", "DINKES", "01"), AccountStatus::Active, None);
        let retired = rec("1", "DINKES", "04");
        let c = diff(&retired, Some(&active), true, NOW);
        let reason = "sync: kedudukan 04 Pemberhentian Sementara".to_owned();
        assert_eq!(c.status, AccountStatus::Suspended);
        assert_eq!((c.reason.clone(), c.at), (Some(reason.clone()), Some(NOW)));
        let id = "id-1".to_owned();
        assert_eq!(c.turn, Some(Turn::Suspend { id, reason }));
        assert!(matches!(c.action, Action::Update { fields: true, .. }));
        // Without --sync the record is updated but the account stays active.
        let c = diff(&retired, Some(&active), false, NOW);
        assert_eq!((c.status, c.turn), (AccountStatus::Active, None));
    }

    #[test]
    fn diff_lifts_only_the_importers_own_suspension() {
        let r = rec("1", "DINKES", "01");
        let by_sync = known(&r, AccountStatus::Suspended, Some("sync: kedudukan 04 x"));
        let c = diff(&r, Some(&by_sync), false, NOW);
        assert_eq!(
            (c.status, c.reason, c.at),
            (AccountStatus::Active, None, None)
        );
        assert_eq!(c.turn, Some(Turn::Reactivate));
        // A status change alone is an update that does not count as a field change.
        let update = Action::Update {
            fields: false,
            mutasi: None,
        };
        assert_eq!(c.action, update);
        let by_admin = known(&r, AccountStatus::Suspended, Some("disciplinary"));
        let c = diff(&r, Some(&by_admin), true, NOW);
        assert_eq!((c.status, c.turn), (AccountStatus::Suspended, None));
        assert_eq!((c.reason.as_deref(), c.at), (Some("disciplinary"), Some(5)));
        assert_eq!(c.action, Action::Unchanged);
    }

    fn units() -> HashMap<String, (String, bool)> {
        HashMap::from([
            ("DINKES".to_owned(), ("/DINKES/".to_owned(), false)),
            ("OLD".to_owned(), ("/OLD/".to_owned(), true)),
        ])
    }

    #[test]
    fn admit_refuses_repeated_nips_and_unknown_or_closed_units() {
        let (units, emails) = (units(), HashMap::new());
        let mut seen = Seen::default();
        assert!(
            seen.admit(rec("1", "DINKES", "01"), 2, &units, &emails)
                .is_ok()
        );
        let why = seen.admit(rec("1", "NOPE", "01"), 3, &units, &emails);
        let expected = ["NIP 1 already appears on line 2", "unknown OPD `NOPE`"];
        assert_eq!(why.unwrap_err(), expected);
        let why = seen.admit(rec("2", "OLD", "01"), 4, &units, &emails);
        assert_eq!(why.unwrap_err(), ["OPD `OLD` is closed"]);
        // Refused rows are not remembered.
        assert_eq!(seen.nips.keys().collect::<Vec<_>>(), ["1"]);
    }

    #[test]
    fn admit_drops_an_email_held_elsewhere_and_flags_the_row() {
        let units = units();
        let emails = HashMap::from([("x@kotabogor.go.id".to_owned(), "someone".to_owned())]);
        let mut seen = Seen::default();
        let mut taken = rec("1", "DINKES", "01");
        taken.email = Some("x@kotabogor.go.id".to_owned());
        taken.review = Some("nik_mismatch".to_owned());
        let r = seen.admit(taken, 2, &units, &emails).unwrap();
        assert_eq!(r.email, None);
        assert_eq!(r.review.as_deref(), Some("nik_mismatch email_duplicate"));
        let mut first = rec("2", "DINKES", "01");
        first.email = Some("y@kotabogor.go.id".to_owned());
        let mut second = rec("3", "DINKES", "01");
        second.email = first.email.clone();
        assert_eq!(seen.admit(first, 3, &units, &emails).unwrap().review, None);
        let r = seen.admit(second, 4, &units, &emails).unwrap();
        assert_eq!(
            (r.email, r.review.as_deref()),
            (None, Some("email_duplicate"))
        );
    }

    #[test]
    fn tally_counts_and_previews_a_dry_run() {
        let mut report = ImportReport::new("asn", true, true);
        let mut effects = Effects::default();
        let active = known(&rec("1", "DINKES", "01"), AccountStatus::Active, None);
        let moved = rec("1", "PKM-24", "99");
        let change = diff(&moved, Some(&active), true, NOW);
        tally(&mut report, &mut effects, &moved, &change);
        assert_eq!((report.suspended, report.updated, report.mutasi), (1, 1, 1));
        assert_eq!(
            report.preview,
            ["suspend 1 (kedudukan 99)", "update 1 Siti Hermawan"]
        );
        let suspended = ("id-1".to_owned(), "sync: kedudukan 99 Pensiun".to_owned());
        assert_eq!(effects.suspended, [suspended]);
        assert_eq!(effects.mutasi.len(), 1);
        tally_missing(&mut report, &mut effects, "2", "id-2");
        assert_eq!(report.suspended, 2);
        assert_eq!(report.preview[2], "suspend 2 (missing from the file)");
        let missing = ("id-2".to_owned(), "sync: missing from the file".to_owned());
        assert_eq!(effects.suspended[1], missing);
    }

    #[test]
    fn missing_skips_listed_inactive_and_admin_accounts() {
        let mut known_map = HashMap::new();
        for (nip, status, admin) in [
            ("1", AccountStatus::Active, false),
            ("2", AccountStatus::Active, false),
            ("3", AccountStatus::Suspended, false),
            ("4", AccountStatus::Active, true),
        ] {
            let mut k = known(&rec(nip, "DINKES", "01"), status, None);
            k.is_admin = admin;
            known_map.insert(nip.to_owned(), k);
        }
        let mut seen = Seen::default();
        seen.nips.insert("1".to_owned(), 2);
        let gone: Vec<&String> = missing(&known_map, &seen).map(|(nip, _)| nip).collect();
        assert_eq!(gone, ["2"]);
    }
}

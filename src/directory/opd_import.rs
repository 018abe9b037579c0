//! OPD import (`gapura import opd FILE`): `code,name,kind,parent_code` rows, parents
//! before or after their children, upserted by code in one transaction; any rejected
//! row means nothing is written. Renames and moves are audited.

use super::DirectoryError;
use super::csv_in::{self, Columns};
use super::opd::{compute_paths, valid_code, valid_kind};
use super::report::ImportReport;
use crate::audit::AuditEvent;
use crate::state::AppState;
use entity::opd;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use std::collections::HashMap;
use std::io::Read;

const ALIASES: &[(&str, &[&str])] = &[
    ("code", &["code", "kode", "opdkode", "kodeunit"]),
    ("name", &["name", "nama", "namaunit"]),
    ("kind", &["kind", "jenis", "tipe"]),
    ("parent", &["parentcode", "parent", "induk", "kodeinduk"]),
];

struct Incoming {
    line: u64,
    code: String,
    name: String,
    kind: String,
    parent: Option<String>,
}

pub async fn import<R: Read>(
    state: &AppState,
    input: R,
    dry_run: bool,
    actor: &str,
) -> Result<ImportReport, DirectoryError> {
    let now = state.now();
    let mut report = ImportReport::new("opd", dry_run, false);
    let mut reader = csv_in::reader(input).map_err(|e| DirectoryError::Io(e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| DirectoryError::Invalid(format!("the file is not CSV: {e}")))?
        .clone();
    let cols =
        Columns::map(&headers, ALIASES, &["code", "name"]).map_err(DirectoryError::Invalid)?;
    let existing: HashMap<String, opd::Model> = opd::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    let mut incoming: Vec<Incoming> = Vec::new();
    let mut lines: HashMap<String, u64> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        report.rows += 1;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                report.reject(2 + i as u64, "", vec![format!("unreadable CSV row: {e}")]);
                continue;
            }
        };
        let line = csv_in::line_of(&row, 2 + i as u64);
        let code = cols.get(&row, "code").unwrap_or_default().to_owned();
        if let Some(why) = csv_in::control_characters(&headers, &row) {
            report.reject(line, &code, vec![why]);
            continue;
        }
        let name = cols.get(&row, "name").unwrap_or_default().to_owned();
        let kind = cols
            .get(&row, "kind")
            .unwrap_or("unit")
            .to_ascii_lowercase();
        let parent = cols.get(&row, "parent").map(str::to_owned);
        let mut why = Vec::new();
        if !valid_code(&code) {
            why.push(format!(
                "unit code `{code}` must be upper-case letters, digits, - _ ."
            ));
        }
        if name.is_empty() {
            why.push("name is empty".to_owned());
        }
        if !valid_kind(&kind) {
            why.push(format!("kind `{kind}` must be a lower-case word"));
        }
        if let Some(first) = lines.get(&code) {
            why.push(format!("unit {code} already appears on line {first}"));
        }
        if !why.is_empty() {
            report.reject(line, &code, why);
            continue;
        }
        lines.insert(code.clone(), line);
        incoming.push(Incoming {
            line,
            code,
            name,
            kind,
            parent,
        });
    }
    let mut parents: HashMap<String, Option<String>> = existing
        .values()
        .map(|u| (u.code.clone(), u.parent_code.clone()))
        .collect();
    for u in &incoming {
        parents.insert(u.code.clone(), u.parent.clone());
    }
    for u in &incoming {
        if let Some(p) = &u.parent
            && !parents.contains_key(p)
        {
            report.reject(u.line, &u.code, vec![format!("unknown parent unit `{p}`")]);
        }
    }
    if !report.rejected.is_empty() {
        report.rejected.sort_by_key(|r| r.line);
        return Ok(report);
    }
    let paths = match compute_paths(&parents) {
        Ok(p) => p,
        Err((code, e)) => {
            report.reject(lines.get(&code).copied().unwrap_or(0), &code, vec![e]);
            return Ok(report);
        }
    };
    let txn = state.db.begin().await?;
    let mut events = Vec::new();
    for u in &incoming {
        let (path, depth) = paths.get(&u.code).cloned().unwrap_or_default();
        match existing.get(&u.code) {
            None => {
                report.created += 1;
                if !dry_run {
                    opd::ActiveModel {
                        code: Set(u.code.clone()),
                        name: Set(u.name.clone()),
                        kind: Set(u.kind.clone()),
                        parent_code: Set(u.parent.clone()),
                        created_at: Set(now),
                        updated_at: Set(now),
                        path: Set(path),
                        depth: Set(depth),
                        closed_at: Set(None),
                    }
                    .insert(&txn)
                    .await?;
                }
            }
            Some(old) => {
                let same = old.name == u.name
                    && old.kind == u.kind
                    && old.parent_code == u.parent
                    && old.path == path
                    && old.depth == depth;
                if same {
                    report.unchanged += 1;
                    continue;
                }
                report.updated += 1;
                if old.parent_code != u.parent {
                    report.mutasi += 1;
                }
                events.push(serde_json::json!({
                    "code": u.code, "name": [old.name, u.name],
                    "parent": [old.parent_code, u.parent], "kind": [old.kind, u.kind],
                }));
                if !dry_run {
                    let mut a: opd::ActiveModel = old.clone().into();
                    a.name = Set(u.name.clone());
                    a.kind = Set(u.kind.clone());
                    a.parent_code = Set(u.parent.clone());
                    a.path = Set(path);
                    a.depth = Set(depth);
                    a.updated_at = Set(now);
                    a.update(&txn).await?;
                }
            }
        }
    }
    // Units not in the file whose ancestors moved get their new paths too.
    let listed: std::collections::HashSet<&str> =
        incoming.iter().map(|u| u.code.as_str()).collect();
    for old in existing
        .values()
        .filter(|u| !listed.contains(u.code.as_str()))
    {
        if let Some((path, depth)) = paths.get(&old.code)
            && (old.path != *path || old.depth != *depth)
            && !dry_run
        {
            let mut a: opd::ActiveModel = old.clone().into();
            a.path = Set(path.clone());
            a.depth = Set(*depth);
            a.update(&txn).await?;
        }
    }
    if dry_run || report.changes() == 0 {
        txn.rollback().await?;
        return Ok(report);
    }
    txn.commit().await?;
    report.written = true;
    for detail in events {
        let e = AuditEvent::new("opd.change", true)
            .actor(actor)
            .detail(detail);
        state.audit.record(now, e).await?;
    }
    let e = AuditEvent::new("directory.import.opd", true)
        .actor(actor)
        .detail(serde_json::json!({"rows": report.rows, "created": report.created, "updated": report.updated}));
    state.audit.record(now, e).await?;
    Ok(report)
}

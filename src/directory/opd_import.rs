//! OPD import (`gapura import opd FILE`): `code,name,kind,parent_code` rows, parents
//! before or after their children, upserted by code in one transaction; any rejected
//! row means nothing is written. Renames and moves are audited.
//!
//! The stages: parse (`csv_in::Input::rows`, `parse_unit`), the tree (`parents`,
//! `unknown_parents`, `opd::compute_paths`), diff (`diff` per unit, `plan` for the
//! file, `replaced` for the units under a moved one), write (`write`, through the
//! `opd` store functions) and, after the commit, `audit`.

use super::DirectoryError;
use super::csv_in::{Columns, Input};
use super::opd::{self, UnitFields, UnitRow, compute_paths, valid_code, valid_kind};
use super::report::ImportReport;
use crate::audit::AuditEvent;
use crate::state::AppState;
use sea_orm::TransactionTrait;
use std::collections::{HashMap, HashSet};
use std::io::Read;

const ALIASES: &[(&str, &[&str])] = &[
    ("code", &["code", "kode", "opdkode", "kodeunit"]),
    ("name", &["name", "nama", "namaunit"]),
    ("kind", &["kind", "jenis", "tipe"]),
    ("parent", &["parentcode", "parent", "induk", "kodeinduk"]),
];

/// An accepted row: the unit and the line it came from.
struct Incoming {
    line: u64,
    unit: UnitFields,
}

pub async fn import<R: Read>(
    state: &AppState,
    input: R,
    dry_run: bool,
    actor: &str,
) -> Result<ImportReport, DirectoryError> {
    let now = state.now();
    let mut report = ImportReport::new("opd", dry_run, false);
    let file = Input::open(input, ALIASES, &["code", "name"])?;
    let cols = file.cols.clone();
    let existing: HashMap<String, UnitRow> = opd::all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    let mut incoming: Vec<Incoming> = Vec::new();
    let mut lines: HashMap<String, u64> = HashMap::new();
    for row in file.rows("code") {
        report.rows += 1;
        let row = match row {
            Ok(row) => row,
            Err(refused) => {
                report.refuse(refused);
                continue;
            }
        };
        match parse_unit(&cols, &row.record, &lines) {
            Ok(unit) => {
                lines.insert(unit.code.clone(), row.line);
                incoming.push(Incoming {
                    line: row.line,
                    unit,
                });
            }
            Err(why) => report.reject(row.line, &row.key, why),
        }
    }
    let parents = parents(&existing, &incoming);
    for (line, code, why) in unknown_parents(&incoming, &parents) {
        report.reject(line, code, vec![why]);
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
    let (mut writes, events) = plan(&incoming, &existing, &paths, &mut report);
    writes.extend(replaced(&incoming, &existing, &paths));
    report.written = write(state, &writes, dry_run, report.changes(), now).await?;
    if report.written {
        audit(state, now, actor, &report, events).await?;
    }
    Ok(report)
}

/// Reads one row into a unit; `Err` holds every reason it is refused (a code seen
/// earlier in the file, by `lines`, among them). The kind defaults to `unit`.
fn parse_unit(
    cols: &Columns,
    row: &csv::StringRecord,
    lines: &HashMap<String, u64>,
) -> Result<UnitFields, Vec<String>> {
    let code = cols.get(row, "code").unwrap_or_default().to_owned();
    let name = cols.get(row, "name").unwrap_or_default().to_owned();
    let kind = cols.get(row, "kind").unwrap_or("unit").to_ascii_lowercase();
    let parent = cols.get(row, "parent").map(str::to_owned);
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
        return Err(why);
    }
    Ok(UnitFields {
        code,
        name,
        kind,
        parent,
    })
}

/// The tree after the import: each unit's parent, the file's over the stored ones.
fn parents(
    existing: &HashMap<String, UnitRow>,
    incoming: &[Incoming],
) -> HashMap<String, Option<String>> {
    let mut parents: HashMap<String, Option<String>> = existing
        .values()
        .map(|u| (u.code.clone(), u.parent_code.clone()))
        .collect();
    for u in incoming {
        parents.insert(u.unit.code.clone(), u.unit.parent.clone());
    }
    parents
}

/// The file's units whose parent is neither stored nor in the file, as
/// (line, code, reason).
fn unknown_parents<'a>(
    incoming: &'a [Incoming],
    parents: &HashMap<String, Option<String>>,
) -> Vec<(u64, &'a str, String)> {
    incoming
        .iter()
        .filter_map(|u| {
            let p = u.unit.parent.as_ref()?;
            let why = format!("unknown parent unit `{p}`");
            (!parents.contains_key(p)).then_some((u.line, u.unit.code.as_str(), why))
        })
        .collect()
}

/// What a unit of the file does to the stored one.
#[derive(Debug, PartialEq, Eq)]
enum Diff<'a> {
    Create,
    /// `moved`: its parent changes.
    Update {
        old: &'a UnitRow,
        moved: bool,
    },
    Unchanged,
}

/// Compares `unit`, placed at `path`/`depth`, with the stored `old` (if any).
fn diff<'a>(unit: &UnitFields, old: Option<&'a UnitRow>, path: &str, depth: i32) -> Diff<'a> {
    let Some(old) = old else { return Diff::Create };
    let same = old.name == unit.name
        && old.kind == unit.kind
        && old.parent_code == unit.parent
        && old.path == path
        && old.depth == depth;
    if same {
        Diff::Unchanged
    } else {
        let moved = old.parent_code != unit.parent;
        Diff::Update { old, moved }
    }
}

/// One write of the import, made in this order.
#[derive(Debug, PartialEq, Eq)]
enum Write<'a> {
    Insert {
        unit: &'a UnitFields,
        path: &'a str,
        depth: i32,
    },
    Update {
        old: &'a UnitRow,
        unit: &'a UnitFields,
        path: &'a str,
        depth: i32,
    },
    /// A unit not in the file, placed anew because an ancestor moved.
    Place {
        old: &'a UnitRow,
        path: &'a str,
        depth: i32,
    },
}

/// Diffs every unit of the file, counting in `report`: the writes, and the audit
/// detail of each change to a stored unit.
fn plan<'a>(
    incoming: &'a [Incoming],
    existing: &'a HashMap<String, UnitRow>,
    paths: &'a HashMap<String, (String, i32)>,
    report: &mut ImportReport,
) -> (Vec<Write<'a>>, Vec<serde_json::Value>) {
    let mut writes = Vec::new();
    let mut events = Vec::new();
    for Incoming { unit, .. } in incoming {
        let (path, depth) = paths
            .get(&unit.code)
            .map_or(("", 0), |(p, d)| (p.as_str(), *d));
        match diff(unit, existing.get(&unit.code), path, depth) {
            Diff::Create => {
                report.created += 1;
                writes.push(Write::Insert { unit, path, depth });
            }
            Diff::Unchanged => report.unchanged += 1,
            Diff::Update { old, moved } => {
                report.updated += 1;
                if moved {
                    report.mutasi += 1;
                }
                events.push(serde_json::json!({
                    "code": unit.code, "name": [old.name, unit.name],
                    "parent": [old.parent_code, unit.parent], "kind": [old.kind, unit.kind],
                }));
                writes.push(Write::Update {
                    old,
                    unit,
                    path,
                    depth,
                });
            }
        }
    }
    (writes, events)
}

/// Units not in the file whose place changes because an ancestor moved.
fn replaced<'a>(
    incoming: &[Incoming],
    existing: &'a HashMap<String, UnitRow>,
    paths: &'a HashMap<String, (String, i32)>,
) -> Vec<Write<'a>> {
    let listed: HashSet<&str> = incoming.iter().map(|u| u.unit.code.as_str()).collect();
    existing
        .values()
        .filter(|u| !listed.contains(u.code.as_str()))
        .filter_map(|old| {
            let (path, depth) = paths.get(&old.code)?;
            (old.path != *path || old.depth != *depth).then_some(Write::Place {
                old,
                path,
                depth: *depth,
            })
        })
        .collect()
}

/// Makes `writes` in one transaction (none on a dry run) and commits it unless this
/// is a dry run or nothing `changes`; whether it committed.
async fn write(
    state: &AppState,
    writes: &[Write<'_>],
    dry_run: bool,
    changes: u64,
    now: i64,
) -> Result<bool, DirectoryError> {
    let txn = state.db.begin().await?;
    if !dry_run {
        for w in writes {
            match *w {
                Write::Insert { unit, path, depth } => {
                    opd::insert_fields(&txn, now, unit, path, depth).await?
                }
                Write::Update {
                    old,
                    unit,
                    path,
                    depth,
                } => opd::update_fields(&txn, now, old, unit, path, depth).await?,
                Write::Place { old, path, depth } => opd::set_place(&txn, old, path, depth).await?,
            }
        }
    }
    if dry_run || changes == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    txn.commit().await?;
    Ok(true)
}

/// After the commit: each change to a stored unit, and the import's counts.
async fn audit(
    state: &AppState,
    now: i64,
    actor: &str,
    report: &ImportReport,
    events: Vec<serde_json::Value>,
) -> Result<(), DirectoryError> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, name: &str, parent: Option<&str>) -> UnitFields {
        UnitFields {
            code: code.to_owned(),
            name: name.to_owned(),
            kind: "dinas".to_owned(),
            parent: parent.map(str::to_owned),
        }
    }

    fn row(code: &str, name: &str, parent: Option<&str>, path: &str, depth: i32) -> UnitRow {
        UnitRow {
            code: code.to_owned(),
            name: name.to_owned(),
            kind: "dinas".to_owned(),
            parent_code: parent.map(str::to_owned),
            created_at: 1,
            updated_at: 1,
            path: path.to_owned(),
            depth,
            closed_at: None,
        }
    }

    fn parse(line: &str, lines: &HashMap<String, u64>) -> Result<UnitFields, Vec<String>> {
        let headers = csv::StringRecord::from(vec!["kode", "nama", "jenis", "induk"]);
        let cols = Columns::map(&headers, ALIASES, &["code", "name"]).unwrap();
        parse_unit(
            &cols,
            &csv::StringRecord::from(line.split(',').collect::<Vec<_>>()),
            lines,
        )
    }

    #[test]
    fn parse_unit_reads_and_refuses_with_every_reason() {
        let none = HashMap::new();
        let u = parse("PKM-01,Puskesmas Satu,PUSKESMAS,DINKES", &none).unwrap();
        assert_eq!(u.kind, "puskesmas");
        assert_eq!(u.parent.as_deref(), Some("DINKES"));
        assert_eq!(parse("DINKES,Dinas,,", &none).unwrap().kind, "unit");
        let why = parse("dinkes,,bad kind,", &none).unwrap_err();
        assert_eq!(
            why,
            [
                "unit code `dinkes` must be upper-case letters, digits, - _ .",
                "name is empty",
                "kind `bad kind` must be a lower-case word",
            ]
        );
        let seen = HashMap::from([("DINKES".to_owned(), 2)]);
        let why = parse("DINKES,Dinas,,", &seen).unwrap_err();
        assert_eq!(why, ["unit DINKES already appears on line 2"]);
    }

    #[test]
    fn unknown_parents_are_named_with_their_line() {
        let existing =
            HashMap::from([("DINKES".to_owned(), row("DINKES", "D", None, "/DINKES/", 0))]);
        let incoming = vec![
            Incoming {
                line: 2,
                unit: unit("PKM-01", "P", Some("DINKES")),
            },
            Incoming {
                line: 3,
                unit: unit("SEKSI", "S", Some("PKM-01")),
            },
            Incoming {
                line: 4,
                unit: unit("LOST", "L", Some("NOWHERE")),
            },
        ];
        let parents = parents(&existing, &incoming);
        let why = "unknown parent unit `NOWHERE`".to_owned();
        assert_eq!(unknown_parents(&incoming, &parents), [(4, "LOST", why)]);
    }

    #[test]
    fn diff_tells_create_rename_move_and_unchanged() {
        let old = row("PKM-01", "Puskesmas", Some("DINKES"), "/DINKES/PKM-01/", 1);
        let same = unit("PKM-01", "Puskesmas", Some("DINKES"));
        assert_eq!(diff(&same, None, "/DINKES/PKM-01/", 1), Diff::Create);
        assert_eq!(
            diff(&same, Some(&old), "/DINKES/PKM-01/", 1),
            Diff::Unchanged
        );
        let renamed = unit("PKM-01", "Puskesmas Satu", Some("DINKES"));
        let d = diff(&renamed, Some(&old), "/DINKES/PKM-01/", 1);
        assert_eq!(
            d,
            Diff::Update {
                old: &old,
                moved: false
            }
        );
        let moved = unit("PKM-01", "Puskesmas", Some("DINSOS"));
        let d = diff(&moved, Some(&old), "/DINSOS/PKM-01/", 1);
        assert_eq!(
            d,
            Diff::Update {
                old: &old,
                moved: true
            }
        );
    }

    #[test]
    fn plan_counts_and_orders_the_writes() {
        let existing = HashMap::from([
            ("DINKES".to_owned(), row("DINKES", "D", None, "/DINKES/", 0)),
            (
                "PKM-01".to_owned(),
                row("PKM-01", "P", Some("DINKES"), "/DINKES/PKM-01/", 1),
            ),
            (
                "SEKSI".to_owned(),
                row("SEKSI", "S", Some("PKM-01"), "/DINKES/PKM-01/SEKSI/", 2),
            ),
        ]);
        // PKM-01 moves under a new DINSOS; DINKES is listed unchanged; SEKSI follows.
        let incoming = vec![
            Incoming {
                line: 2,
                unit: unit("DINSOS", "Dinas Sosial", None),
            },
            Incoming {
                line: 3,
                unit: unit("PKM-01", "P", Some("DINSOS")),
            },
            Incoming {
                line: 4,
                unit: unit("DINKES", "D", None),
            },
        ];
        let paths = compute_paths(&parents(&existing, &incoming)).unwrap();
        let mut report = ImportReport::new("opd", false, false);
        let (writes, events) = plan(&incoming, &existing, &paths, &mut report);
        let counts = (
            report.created,
            report.updated,
            report.mutasi,
            report.unchanged,
        );
        assert_eq!(counts, (1, 1, 1, 1));
        assert_eq!(
            writes,
            [
                Write::Insert {
                    unit: &incoming[0].unit,
                    path: "/DINSOS/",
                    depth: 0
                },
                Write::Update {
                    old: &existing["PKM-01"],
                    unit: &incoming[1].unit,
                    path: "/DINSOS/PKM-01/",
                    depth: 1,
                },
            ]
        );
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["parent"], serde_json::json!(["DINKES", "DINSOS"]));
        let placed = replaced(&incoming, &existing, &paths);
        let seksi = Write::Place {
            old: &existing["SEKSI"],
            path: "/DINSOS/PKM-01/SEKSI/",
            depth: 2,
        };
        assert_eq!(placed, [seksi]);
    }
}

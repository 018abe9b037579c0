//! The OPD tree: units of any depth (OPD → bidang → seksi; Kecamatan → Kelurahan;
//! Dinas Kesehatan → Puskesmas) with a materialized path (`/DINKES/PKM-01/`) kept
//! on moves, so a sub-tree is one indexed range query. Renames and moves are
//! audited; a unit with staff is closed, never deleted.

use super::{DirectoryError, invalid, prefix_upper};
use entity::{opd, role_assignment, user_account};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use std::collections::HashMap;

pub use opd::Model as UnitRow;

/// Deepest tree accepted (cycles show up as runaway depth).
pub const MAX_DEPTH: usize = 32;

/// A unit as the APIs show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
    pub path: String,
    pub depth: i32,
    pub closed: bool,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Self {
        Unit {
            closed: r.closed_at.is_some(),
            code: r.code,
            name: r.name,
            kind: r.kind,
            parent: r.parent_code,
            path: r.path,
            depth: r.depth,
        }
    }
}

/// `DINKES`, `KEL-BOGOR-UTARA-04`, `PKM-24`: upper-case letters, digits, `-`, `_`, `.`.
pub fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

pub fn valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 32
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
}

/// Paths and depths for every unit of a `code → parent` map; `Err` names a unit
/// (code, reason) whose parent is unknown or which is its own ancestor.
pub fn compute_paths(
    parents: &HashMap<String, Option<String>>,
) -> Result<HashMap<String, (String, i32)>, (String, String)> {
    let mut out: HashMap<String, (String, i32)> = HashMap::with_capacity(parents.len());
    for start in parents.keys() {
        if out.contains_key(start) {
            continue;
        }
        let mut chain = vec![start.clone()];
        let mut base: Option<(String, i32)> = None;
        while let Some(current) = chain.last() {
            let parent = match parents.get(current) {
                Some(p) => p.clone(),
                None => {
                    return Err((current.clone(), format!("unknown parent unit `{current}`")));
                }
            };
            match parent {
                None => break,
                Some(p) => {
                    if let Some(known) = out.get(&p) {
                        base = Some(known.clone());
                        break;
                    }
                    if chain.contains(&p) || chain.len() > MAX_DEPTH {
                        return Err((p.clone(), format!("unit `{p}` would be its own ancestor")));
                    }
                    chain.push(p);
                }
            }
        }
        let (mut path, mut depth) = base.unwrap_or_else(|| ("/".to_owned(), -1));
        for code in chain.iter().rev() {
            path = format!("{path}{code}/");
            depth += 1;
            out.insert(code.clone(), (path.clone(), depth));
        }
    }
    Ok(out)
}

pub async fn get<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> Result<Option<UnitRow>, DirectoryError> {
    if !valid_code(code) {
        return Ok(None);
    }
    Ok(opd::Entity::find_by_id(code.to_owned()).one(db).await?)
}

pub async fn require<C: ConnectionTrait>(db: &C, code: &str) -> Result<UnitRow, DirectoryError> {
    get(db, code)
        .await?
        .ok_or_else(|| DirectoryError::NotFound(format!("no OPD unit `{code}`")))
}

/// The unit and everything under it, in path order: one range query on the path index.
pub async fn subtree<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> Result<Vec<UnitRow>, DirectoryError> {
    let root = require(db, code).await?;
    subtree_of_path(db, &root.path).await
}

pub async fn subtree_of_path<C: ConnectionTrait>(
    db: &C,
    path: &str,
) -> Result<Vec<UnitRow>, DirectoryError> {
    Ok(opd::Entity::find()
        .filter(opd::Column::Path.gte(path))
        .filter(opd::Column::Path.lt(prefix_upper(path)))
        .order_by_asc(opd::Column::Path)
        .all(db)
        .await?)
}

pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<UnitRow>, DirectoryError> {
    Ok(opd::Entity::find()
        .order_by_asc(opd::Column::Path)
        .all(db)
        .await?)
}

/// Recomputes every path (after the migration that introduced them, or a repair).
pub async fn rebuild_paths<C: ConnectionTrait>(db: &C) -> Result<usize, DirectoryError> {
    let rows = opd::Entity::find().all(db).await?;
    let parents: HashMap<String, Option<String>> = rows
        .iter()
        .map(|r| (r.code.clone(), r.parent_code.clone()))
        .collect();
    let paths = compute_paths(&parents).map_err(|(_, e)| DirectoryError::Conflict(e))?;
    let mut changed = 0;
    for row in rows {
        if let Some((path, depth)) = paths.get(&row.code)
            && (row.path != *path || row.depth != *depth)
        {
            set_place(db, &row, path, *depth).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Paths missing (units created before the tree migration): rebuild them once.
pub async fn ensure_paths<C: ConnectionTrait>(db: &C) -> Result<(), DirectoryError> {
    let missing = opd::Entity::find()
        .filter(opd::Column::Path.eq(""))
        .count(db)
        .await?;
    if missing > 0 {
        rebuild_paths(db).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct UnitChange {
    pub name: Option<String>,
    pub kind: Option<String>,
    /// `Some(None)`: make it a top-level OPD.
    pub parent: Option<Option<String>>,
    pub closed: Option<bool>,
}

/// Creates a unit under an existing, open parent.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    now: i64,
    code: &str,
    name: &str,
    kind: &str,
    parent: Option<&str>,
) -> Result<UnitRow, DirectoryError> {
    if !valid_code(code) {
        return Err(invalid(format!(
            "`{code}` is not a unit code (upper-case letters, digits, - _ .)"
        )));
    }
    let (name, kind) = (name.trim(), kind.trim());
    if name.is_empty() || name.len() > 200 {
        return Err(invalid("name must be 1 to 200 characters"));
    }
    if !valid_kind(kind) {
        return Err(invalid(
            "kind must be a lower-case word (dinas, kelurahan, bidang ...)",
        ));
    }
    if get(db, code).await?.is_some() {
        return Err(DirectoryError::Conflict(format!(
            "unit `{code}` already exists"
        )));
    }
    let (path, depth) = match parent {
        None => (format!("/{code}/"), 0),
        Some(p) => {
            let parent = require(db, p).await?;
            if parent.closed_at.is_some() {
                return Err(DirectoryError::Conflict(format!("unit `{p}` is closed")));
            }
            (format!("{}{code}/", parent.path), parent.depth + 1)
        }
    };
    Ok(opd::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        kind: Set(kind.to_owned()),
        parent_code: Set(parent.map(str::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
        path: Set(path),
        depth: Set(depth),
        closed_at: Set(None),
    }
    .insert(db)
    .await?)
}

/// Renames, re-kinds, moves (paths of the whole sub-tree follow) or closes/reopens.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    now: i64,
    code: &str,
    change: UnitChange,
) -> Result<UnitRow, DirectoryError> {
    let row = require(db, code).await?;
    let mut active: opd::ActiveModel = row.clone().into();
    if let Some(name) = &change.name {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(invalid("name must be 1 to 200 characters"));
        }
        active.name = Set(name.to_owned());
    }
    if let Some(kind) = &change.kind {
        if !valid_kind(kind) {
            return Err(invalid("kind must be a lower-case word"));
        }
        active.kind = Set(kind.clone());
    }
    if let Some(closed) = change.closed {
        if closed && row.closed_at.is_none() {
            let open_children = opd::Entity::find()
                .filter(opd::Column::ParentCode.eq(code))
                .filter(opd::Column::ClosedAt.is_null())
                .count(db)
                .await?;
            if open_children > 0 {
                return Err(DirectoryError::Conflict(format!(
                    "unit `{code}` has {open_children} open sub-units: close or move them first"
                )));
            }
            active.closed_at = Set(Some(now));
        } else if !closed {
            active.closed_at = Set(None);
        }
    }
    let mut moved: Option<(String, String, i32)> = None;
    if let Some(parent) = &change.parent
        && parent.as_deref() != row.parent_code.as_deref()
    {
        let (new_path, new_depth) = match parent {
            None => (format!("/{code}/"), 0),
            Some(p) => {
                let target = require(db, p).await?;
                if target.path.starts_with(&row.path) {
                    return Err(DirectoryError::Conflict(format!(
                        "`{p}` is inside `{code}`: a unit cannot move under itself"
                    )));
                }
                (format!("{}{code}/", target.path), target.depth + 1)
            }
        };
        active.parent_code = Set(parent.clone());
        moved = Some((row.path.clone(), new_path, new_depth - row.depth));
    }
    active.updated_at = Set(now);
    let updated = active.update(db).await?;
    if let Some((old_prefix, new_prefix, delta)) = moved {
        for unit in subtree_of_path(db, &old_prefix).await? {
            let path = format!("{new_prefix}{}", &unit.path[old_prefix.len()..]);
            let depth = unit.depth + delta;
            let mut a: opd::ActiveModel = unit.into();
            a.path = Set(path);
            a.depth = Set(depth);
            a.update(db).await?;
        }
        return require(db, code).await;
    }
    Ok(updated)
}

/// Deletes a unit that never held anything; otherwise it must be closed instead.
pub async fn delete<C: ConnectionTrait>(db: &C, code: &str) -> Result<(), DirectoryError> {
    let row = require(db, code).await?;
    let staff = user_account::Entity::find()
        .filter(user_account::Column::OpdCode.eq(code))
        .count(db)
        .await?;
    if staff > 0 {
        return Err(DirectoryError::Conflict(format!(
            "unit `{code}` has {staff} staff: it can only be closed"
        )));
    }
    let children = opd::Entity::find()
        .filter(opd::Column::ParentCode.eq(code))
        .count(db)
        .await?;
    let assignments = role_assignment::Entity::find()
        .filter(role_assignment::Column::OpdCode.eq(code))
        .count(db)
        .await?;
    if children > 0 || assignments > 0 {
        return Err(DirectoryError::Conflict(format!(
            "unit `{code}` has sub-units or role assignments: it can only be closed"
        )));
    }
    opd::Entity::delete_by_id(row.code).exec(db).await?;
    Ok(())
}

/// A unit's own fields as an import file gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFields {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
}

/// Inserts an imported unit at its computed place (`path`, `depth`) in the tree.
pub async fn insert_fields<C: ConnectionTrait>(
    db: &C,
    now: i64,
    unit: &UnitFields,
    path: &str,
    depth: i32,
) -> Result<(), DirectoryError> {
    opd::ActiveModel {
        code: Set(unit.code.clone()),
        name: Set(unit.name.clone()),
        kind: Set(unit.kind.clone()),
        parent_code: Set(unit.parent.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        path: Set(path.to_owned()),
        depth: Set(depth),
        closed_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Rewrites the unit `old` with an import's fields and its computed place.
pub async fn update_fields<C: ConnectionTrait>(
    db: &C,
    now: i64,
    old: &UnitRow,
    unit: &UnitFields,
    path: &str,
    depth: i32,
) -> Result<(), DirectoryError> {
    let mut a: opd::ActiveModel = old.clone().into();
    a.name = Set(unit.name.clone());
    a.kind = Set(unit.kind.clone());
    a.parent_code = Set(unit.parent.clone());
    a.path = Set(path.to_owned());
    a.depth = Set(depth);
    a.updated_at = Set(now);
    a.update(db).await?;
    Ok(())
}

/// Moves `row` to a recomputed place in the tree (an ancestor moved).
pub async fn set_place<C: ConnectionTrait>(
    db: &C,
    row: &UnitRow,
    path: &str,
    depth: i32,
) -> Result<(), DirectoryError> {
    let mut a: opd::ActiveModel = row.clone().into();
    a.path = Set(path.to_owned());
    a.depth = Set(depth);
    a.update(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Option<&str>)]) -> HashMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(c, p)| (c.to_string(), p.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn paths_and_cycles() {
        let p = compute_paths(&map(&[
            ("DINKES", None),
            ("PKM-01", Some("DINKES")),
            ("PKM-01-UMUM", Some("PKM-01")),
        ]))
        .unwrap();
        assert_eq!(p["PKM-01-UMUM"], ("/DINKES/PKM-01/PKM-01-UMUM/".into(), 2));
        assert_eq!(p["DINKES"], ("/DINKES/".into(), 0));
        assert!(compute_paths(&map(&[("A", Some("B")), ("B", Some("A"))])).is_err());
        assert!(compute_paths(&map(&[("A", Some("Z"))])).is_err());
        assert!(valid_code("KEL-BOGOR-UTARA-04") && !valid_code("dinkes") && !valid_code(""));
    }
}

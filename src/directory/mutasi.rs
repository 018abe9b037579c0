//! Mutasi (a change of OPD): the role assignments that covered the old unit but do
//! not cover the new one end, and the move is audited by the caller.

use super::DirectoryError;
use super::asn_store::BATCH;
use crate::state::AppState;
use entity::{opd, role_assignment};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};

/// Every unit's path and whether it is closed, by code.
pub async fn unit_paths(
    state: &AppState,
) -> Result<HashMap<String, (String, bool)>, DirectoryError> {
    Ok(opd::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.path, u.closed_at.is_some())))
        .collect())
}

/// Ends the assignments `ended` (`(id, user_id)`, from [`ended_by_mutasi`]) at
/// `now`, in batches, inside the importer's transaction.
pub async fn end_assignments(
    txn: &DatabaseTransaction,
    ended: &[(String, String)],
    now: i64,
) -> Result<(), DirectoryError> {
    for chunk in ended.chunks(BATCH) {
        role_assignment::Entity::update_many()
            .col_expr(role_assignment::Column::EndedAt, Expr::value(now))
            .col_expr(role_assignment::Column::EndedReason, Expr::value("mutasi"))
            .filter(role_assignment::Column::Id.is_in(chunk.iter().map(|(id, _)| id.clone())))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Assignments `(id, user_id)` that covered the old unit but not the new one.
pub async fn ended_by_mutasi(
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
    let units = unit_paths(state).await?;
    let ended = ended_by_mutasi(state, &units, mutasi).await?;
    let ids: Vec<String> = ended.into_iter().map(|(id, _)| id).collect();
    for id in &ids {
        crate::access::roles::end(&state.db, state.now(), id, "mutasi").await?;
    }
    Ok(ids)
}

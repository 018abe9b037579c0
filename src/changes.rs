//! Change epochs: how a change made anywhere reaches every running instance.
//!
//! Database triggers (migration `m20261129_000001_durable_store`) bump a counter in
//! `cache_epoch` whenever a cached table changes — clients, accounts, grant
//! revocations, signing keys — whoever made the change: this instance, another
//! one, the CLI, an import, or an operator's SQL. Every instance polls the four
//! counters (one indexed read) every `POLL`, and drops the matching cache when a
//! counter moved. So an administrative action takes effect everywhere within
//! `POLL` plus one query, with nothing to remember at the places that write.

use crate::state::AppState;
use sea_orm::{ConnectionTrait, DbErr, Statement};
use std::collections::HashMap;
use std::time::Duration;

pub const POLL: Duration = Duration::from_millis(250);

/// The counters as they are now.
pub async fn epochs(db: &impl ConnectionTrait) -> Result<HashMap<String, i64>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT kind, version FROM cache_epoch",
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "kind")?, r.try_get("", "version")?)))
        .collect()
}

/// Drops what the moved counters cover.
async fn apply(state: &AppState, kind: &str) {
    match kind {
        "client" => {
            state.clients_cache.clear();
            state.origins_cache.clear();
        }
        "user" => state.users_cache.clear(),
        "grant" => state.grants_cache.clear(),
        "keys" => {
            if let Err(e) = state.keys.reload(state.now()).await {
                tracing::warn!(error = %e, "signing keys could not be reloaded after a change");
            }
        }
        other => tracing::warn!(kind = other, "unknown change epoch"),
    }
}

/// Compares the counters with the last seen ones and applies what moved; returns
/// the kinds that moved.
pub async fn check(
    state: &AppState,
    seen: &mut HashMap<String, i64>,
) -> Result<Vec<String>, DbErr> {
    let now = epochs(&state.db).await?;
    let mut moved = Vec::new();
    for (kind, version) in &now {
        if seen.get(kind) != Some(version) {
            moved.push(kind.clone());
        }
    }
    for kind in &moved {
        apply(state, kind).await;
    }
    *seen = now;
    Ok(moved)
}

/// Runs for the life of the server. The first read only takes the baseline (the
/// caches start empty).
pub fn spawn_watcher(state: std::sync::Arc<AppState>) {
    tokio::spawn(async move {
        let mut seen = match epochs(&state.db).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "change epochs unreadable at start; caches cleared on first read");
                HashMap::new()
            }
        };
        let mut failing = false;
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match check(&state, &mut seen).await {
                Ok(moved) => {
                    if failing {
                        tracing::info!("change epochs readable again");
                        failing = false;
                    }
                    if !moved.is_empty() {
                        tracing::debug!(?moved, "caches dropped after a change");
                    }
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "change epochs unreadable; caches cleared until they are");
                        failing = true;
                    }
                    // Without the signal, nothing cached can be trusted.
                    state.clients_cache.clear();
                    state.origins_cache.clear();
                    state.users_cache.clear();
                    state.grants_cache.clear();
                    seen.clear();
                }
            }
        }
    });
}

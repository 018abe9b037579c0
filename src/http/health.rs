//! Liveness and readiness. Ready says which dependency is down. The database must
//! accept a write, not only a read: a database that cannot be written cannot keep
//! the audit log, and Gapura refuses what it cannot audit.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use sea_orm::ConnectionTrait;
use serde_json::json;

pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let db_ok = writable(&state).await;
    let store_ok = state.volatile.ping().await.is_ok();
    let keys_ok = state
        .keys
        .signer(crate::jose::Alg::Rs256, state.now())
        .is_ok();
    let status = |ok: bool| if ok { "up" } else { "down" };
    let body = json!({
        "status": if db_ok && store_ok && keys_ok { "ready" } else { "unavailable" },
        "checks": {
            "database": status(db_ok),
            "store": status(store_ok),
            "signing_keys": status(keys_ok),
        }
    });
    if db_ok && store_ok && keys_ok {
        HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Cache-Control", "no-store"))
            .json(body)
    }
}

/// One write to a one-row table: fails on a read-only or unreachable database.
async fn writable(state: &AppState) -> bool {
    let backend = state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE health_probe SET at = $1 WHERE id = 1",
        _ => "UPDATE health_probe SET at = ? WHERE id = 1",
    };
    match state
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [state.now().into()],
        ))
        .await
    {
        Ok(r) if r.rows_affected() == 1 => true,
        Ok(_) => {
            tracing::error!("readiness: the health probe row is missing");
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness: the database cannot be written");
            false
        }
    }
}

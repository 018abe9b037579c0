//! Liveness and readiness. Ready says which dependency is down.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use sea_orm::ConnectionTrait;
use serde_json::json;

pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let db_ok = state.db.execute_unprepared("SELECT 1").await.is_ok();
    let store_ok = state.store.ping().await.is_ok();
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

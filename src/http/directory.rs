//! The directory API for applications: with a client-credentials token carrying
//! `directory.read`, `GET /directory/v1/people/{nip}` (public fields only: never
//! NIK, phone or birth data) and `GET /directory/v1/opd/{code}/subtree`.

use crate::directory::{opd, people};
use crate::domain::scope::DIRECTORY_READ;
use crate::http::admin::auth::token_with_scope;
use crate::http::admin::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/directory/v1")
            .wrap(actix_web::middleware::from_fn(crate::http::guard::no_store))
            .route("/people/{nip}", web::get().to(person))
            .route("/opd/{code}/subtree", web::get().to(subtree)),
    );
}

async fn person(
    req: HttpRequest,
    state: web::Data<AppState>,
    nip: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    token_with_scope(&state, &req, DIRECTORY_READ).await?;
    let u = people::by_nip(&state.db, &nip)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("ASN `{nip}`")))?;
    let unit = match &u.opd_code {
        Some(c) => opd::get(&state.db, c).await?,
        None => None,
    };
    Ok(HttpResponse::Ok().json(people::public(&u, unit.as_ref())))
}

async fn subtree(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    token_with_scope(&state, &req, DIRECTORY_READ).await?;
    let items: Vec<opd::Unit> = opd::subtree(&state.db, &code)
        .await?
        .into_iter()
        .map(opd::Unit::from)
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items})))
}

//! The admin JSON API, `/admin/api/v1/...` (issue #3): OPDs, ASN, application roles,
//! role assignments and imports, for Diskominfo super-admins and OPD administrators
//! (scoped on the server for every call). Documented by `openapi.json`, served at
//! `/admin/api/v1/openapi.json`. Handlers are thin: authenticate, call the service.

pub mod asn;
pub mod auth;
pub mod error;
pub mod import;
pub mod multipart;
pub mod opd;
pub mod roles;

use actix_web::{HttpResponse, web};

pub const OPENAPI: &str = include_str!("openapi.json");
/// Largest accepted import upload, decoded (about 300,000 SIASN rows).
pub const MAX_UPLOAD: usize = crate::http::guard::MAX_DECODED;

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api/v1")
            .wrap(actix_web::middleware::from_fn(crate::http::guard::no_store))
            .route("/openapi.json", web::get().to(openapi))
            .route("/opd", web::get().to(opd::list))
            .route("/opd", web::post().to(opd::create))
            .route("/opd/{code}", web::get().to(opd::get))
            .route("/opd/{code}", web::patch().to(opd::update))
            .route("/opd/{code}", web::delete().to(opd::delete))
            .route("/opd/{code}/subtree", web::get().to(opd::subtree))
            .route("/asn", web::get().to(asn::list))
            .route("/asn/{nip}", web::get().to(asn::get))
            .route("/asn/{nip}", web::patch().to(asn::update))
            .route("/asn/{nip}/suspend", web::post().to(asn::suspend))
            .route("/asn/{nip}/reactivate", web::post().to(asn::reactivate))
            .route("/asn/{nip}/assignments", web::get().to(roles::of_person))
            .route("/apps/{client_id}/roles", web::get().to(roles::list_roles))
            .route("/apps/{client_id}/roles", web::post().to(roles::declare))
            .route("/assignments", web::get().to(roles::list))
            .route("/assignments", web::post().to(roles::assign))
            .route("/assignments/{id}", web::get().to(roles::get))
            .route("/assignments/{id}", web::delete().to(roles::end))
            .route("/import/{kind}", web::post().to(import::upload)),
    );
}

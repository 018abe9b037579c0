//! The provider metadata (OIDC Discovery 1.0 §4, RFC 8414 §3) and the JWK Set,
//! public and cacheable for five minutes.

use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(crate::oidc::discovery::metadata(&state))
}

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .content_type("application/jwk-set+json")
        .json(state.keys.jwks(state.now()))
}

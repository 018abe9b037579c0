//! The OpenID Connect / OAuth 2.0 endpoints, their logic in `crate::oidc`:
//! discovery (OIDC Discovery 1.0, RFC 8414), JWKS, authorization (OIDC Core
//! §3.1.2), token (§3.1.3, RFC 6749 §4.1.3, §4.4, §6), UserInfo (§5.3, RFC 6750),
//! introspection (RFC 7662) and revocation (RFC 7009).

pub mod authorize;
pub mod discovery;
pub mod introspect;
pub mod revoke;
pub mod token;
pub mod userinfo;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::http::cors;
    use actix_web::middleware::from_fn;
    cfg.service(
        web::resource("/.well-known/openid-configuration")
            .wrap(from_fn(cors::public))
            .route(web::get().to(discovery::openid_configuration)),
    )
    .service(
        web::resource("/.well-known/oauth-authorization-server")
            .wrap(from_fn(cors::public))
            .route(web::get().to(discovery::openid_configuration)),
    )
    .service(
        web::resource("/jwks")
            .wrap(from_fn(cors::public))
            .route(web::get().to(discovery::jwks)),
    )
    .route("/authorize", web::get().to(authorize::authorize_get))
    .route("/authorize", web::post().to(authorize::authorize_post))
    .service(
        web::resource("/token")
            .wrap(from_fn(cors::api))
            .route(web::post().to(token::token)),
    )
    .service(
        web::resource("/userinfo")
            .wrap(from_fn(cors::api))
            .route(web::get().to(userinfo::userinfo_get))
            .route(web::post().to(userinfo::userinfo_post)),
    )
    .service(
        web::resource("/introspect")
            .wrap(from_fn(cors::api))
            .route(web::post().to(introspect::introspect)),
    )
    .service(
        web::resource("/revoke")
            .wrap(from_fn(cors::api))
            .route(web::post().to(revoke::revoke)),
    );
}

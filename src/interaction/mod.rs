//! The person-facing side of a login: the login form, the consent page, the
//! home page (logout lives in `crate::logout`). Forms carry CSRF tokens.

pub mod consent;
pub mod home;
pub mod login;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/login", web::get().to(login::show))
        .route("/login", web::post().to(login::submit))
        .route("/consent", web::get().to(consent::show))
        .route("/consent", web::post().to(consent::submit))
        .route("/static/gapura.css", web::get().to(home::stylesheet));
}

//! The person-facing side of a login: the login form, the consent page, the
//! home page, the second factor (step-up, enrolment, passkey login), the new
//! password of an account whose password must be changed, and the person's
//! security settings (logout lives in `crate::logout`). Forms carry CSRF tokens.

pub mod account;
pub mod consent;
pub mod enroll;
pub mod home;
pub mod login;
pub mod mfa;
pub mod passkey_login;
pub mod password;
pub mod strong;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/login", web::get().to(login::show))
        .route("/login", web::post().to(login::submit))
        .route("/consent", web::get().to(consent::show))
        .route("/consent", web::post().to(consent::submit))
        .route(
            "/login/passkey/options",
            web::post().to(passkey_login::options),
        )
        .route("/login/passkey", web::post().to(passkey_login::submit))
        .route("/login/mfa", web::get().to(mfa::show))
        .route("/login/mfa", web::post().to(mfa::submit))
        .route(
            "/login/mfa/passkey/options",
            web::post().to(mfa::passkey_options),
        )
        .route("/login/mfa/passkey", web::post().to(mfa::passkey_submit))
        .route("/login/enroll", web::get().to(enroll::show))
        .route("/login/enroll/totp", web::post().to(enroll::totp_submit))
        .route(
            "/login/enroll/passkey/options",
            web::post().to(enroll::passkey_options),
        )
        .route(
            "/login/enroll/passkey",
            web::post().to(enroll::passkey_submit),
        )
        .route("/login/password", web::get().to(password::show))
        .route("/login/password", web::post().to(password::submit))
        .route("/login/cancel", web::post().to(mfa::cancel))
        .route("/login/continue", web::post().to(mfa::continue_after))
        .route("/account/security", web::get().to(account::show))
        .route("/account/security/remove", web::post().to(account::remove))
        .route(
            "/account/security/recovery",
            web::post().to(account::regenerate),
        )
        .route("/static/gapura.css", web::get().to(home::stylesheet))
        .route("/static/webauthn.js", web::get().to(home::webauthn_js));
}

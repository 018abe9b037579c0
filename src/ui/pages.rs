//! Page models: one askama template each, sharing `base.html`.

use super::{MfaTexts, Texts};
use askama::Template;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub req_id: &'a str,
    pub client_name: Option<&'a str>,
    pub username: &'a str,
    pub error: Option<String>,
    pub switch_id: String,
    pub switch_en: String,
    pub m: &'static MfaTexts,
    /// Offer username-less passkey login (the issuer has a domain name).
    pub passkeys: bool,
}

pub struct ScopeLine {
    pub name: String,
    pub description: &'static str,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub req_id: &'a str,
    pub client_name: &'a str,
    pub user_name: &'a str,
    pub scopes: Vec<ScopeLine>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub user_name: Option<&'a str>,
    pub username: Option<&'a str>,
    pub m: &'static MfaTexts,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub message: &'static str,
    pub code: &'static str,
    /// The request id, also in the log line and the `X-Request-Id` header.
    pub reference: Option<String>,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage<'a> {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub logout_id: &'a str,
    pub client_name: Option<&'a str>,
}

pub struct FrontChannelFrame {
    pub src: String,
    pub origin: String,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub frames: Vec<FrontChannelFrame>,
    /// Where to continue (the client's post-logout redirect URI, with `state`).
    pub target: Option<String>,
}

#[derive(Template)]
#[template(path = "mfa.html")]
pub struct MfaPage<'a> {
    pub t: &'static Texts,
    pub m: &'static MfaTexts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub req_id: &'a str,
    pub client_name: Option<&'a str>,
    pub error: Option<&'static str>,
    pub has_totp: bool,
    pub has_passkey: bool,
    pub recovery_left: u64,
}

#[derive(Template)]
#[template(path = "enroll.html")]
pub struct EnrollPage<'a> {
    pub t: &'static Texts,
    pub m: &'static MfaTexts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub req_id: &'a str,
    pub client_name: Option<&'a str>,
    pub error: Option<&'static str>,
    /// Enrolment is demanded before continuing (login), not chosen (account).
    pub required: bool,
    /// The QR code as a `data:` URI.
    pub qr: String,
    /// The secret in base32, grouped by four.
    pub secret: String,
    pub passkeys_available: bool,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage<'a> {
    pub t: &'static Texts,
    pub m: &'static MfaTexts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub req_id: &'a str,
    pub codes: Vec<String>,
}

pub struct FactorLine {
    pub id: String,
    pub label: String,
    pub added: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "security.html")]
pub struct SecurityPage<'a> {
    pub t: &'static Texts,
    pub m: &'static MfaTexts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub user_name: &'a str,
    pub level: &'static str,
    /// The person has a second factor but this session has not used it: read only.
    pub locked: bool,
    pub has_factor: bool,
    pub totp: Option<FactorLine>,
    pub passkeys: Vec<FactorLine>,
    pub recovery_left: u64,
}

#[derive(Template)]
#[template(path = "password_change.html")]
pub struct PasswordChangePage<'a> {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub csrf: &'a str,
    pub req_id: &'a str,
    pub client_name: Option<&'a str>,
    /// The login name, for password managers (a hidden `username` field).
    pub username: &'a str,
    pub error: Option<String>,
    pub min_len: usize,
}

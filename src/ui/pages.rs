//! Page models: one askama template each, sharing `base.html`.

use super::Texts;
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
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub message: &'static str,
    pub code: &'static str,
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

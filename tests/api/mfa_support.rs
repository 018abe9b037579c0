//! Shared steps of the strong-authentication tests: start an authorization, log in
//! with the password, enrol TOTP, read the pages, exchange the code through the
//! `openidconnect` RP and return the verified ID token claims.
#![allow(dead_code)]

use crate::helpers::*;
use gapura::clients::Client;
use openidconnect::core::CoreIdTokenClaims;
use openidconnect::{AuthorizationCode, Nonce, PkceCodeVerifier, TokenResponse};
use std::sync::Arc;

pub const NIP: &str = "198609262015052001";

pub fn auth_url(app: &TestApp, client: &Client, extra: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=s1&nonce=n1&code_challenge={}&code_challenge_method=S256{extra}",
        app.issuer,
        enc(&client.id),
        enc(&client.redirect_uris[0]),
        challenge(VERIFIER)
    )
}

/// GET /authorize: where the browser is sent.
pub async fn start(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &Client,
    extra: &str,
) -> String {
    location(
        &browser
            .get(auth_url(app, client, extra))
            .send()
            .await
            .unwrap(),
    )
}

pub async fn page(app: &TestApp, browser: &reqwest::Client, location: &str) -> String {
    let resp = browser.get(app.url(location)).send().await.unwrap();
    assert_eq!(resp.status(), 200, "GET {location}");
    resp.text().await.unwrap()
}

pub async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser.post(app.url(path)).form(form).send().await.unwrap()
}

/// Fills the login form at `location` (`/login?req=...`) with the password.
pub async fn password(
    app: &TestApp,
    browser: &reqwest::Client,
    location: &str,
    login: &str,
) -> String {
    assert!(location.starts_with("/login?"), "{location}");
    let html = page(app, browser, location).await;
    let resp = post(
        app,
        browser,
        "/login",
        &[
            ("csrf", &hidden(&html, "csrf")),
            ("req", &hidden(&html, "req")),
            ("username", login),
            ("password", PASSWORD),
        ],
    )
    .await;
    location_of(resp)
}

pub fn location_of(resp: reqwest::Response) -> String {
    location(&resp)
}

pub fn between(html: &str, start: &str, end: &str) -> Vec<String> {
    html.split(start)
        .skip(1)
        .map(|rest| rest[..rest.find(end).unwrap()].to_owned())
        .collect()
}

pub fn totp_secret(html: &str) -> Vec<u8> {
    let grouped = &between(html, "id=\"totp-secret\">", "</code>")[0];
    gapura::authn::totp::base32_decode(grouped).unwrap()
}

pub fn recovery_codes(html: &str) -> Vec<String> {
    between(html, "class=\"recovery-code\">", "</code>")
}

/// The TOTP code at the app's clock, shifted by `steps` time steps.
pub fn code(app: &TestApp, secret: &[u8], steps: i64) -> String {
    gapura::authn::totp::code_at(secret, app.state.now() + steps * gapura::authn::totp::STEP)
}

/// Enrols TOTP from an enrolment page; returns the secret, the recovery codes and
/// where the browser goes after "continue".
pub async fn enroll_totp(
    app: &TestApp,
    browser: &reqwest::Client,
    location: &str,
) -> (Vec<u8>, Vec<String>, String) {
    assert!(location.starts_with("/login/enroll"), "{location}");
    let html = page(app, browser, location).await;
    assert!(
        html.contains("<img src=\"data:image/svg+xml;base64,"),
        "QR code inline"
    );
    let secret = totp_secret(&html);
    let csrf = hidden(&html, "csrf");
    let req = hidden(&html, "req");
    let wrong = post(
        app,
        browser,
        "/login/enroll/totp",
        &[("csrf", &csrf), ("req", &req), ("code", "000000")],
    )
    .await;
    assert_eq!(wrong.status(), 401, "a wrong first code does not activate");
    let resp = post(
        app,
        browser,
        "/login/enroll/totp",
        &[
            ("csrf", &csrf),
            ("req", &req),
            ("code", &code(app, &secret, 0)),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    if !req.is_empty() {
        let csp = resp.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("form-action 'self' http://127.0.0.1:9"),
            "continue may redirect to the client: {csp}"
        );
    }
    let html = resp.text().await.unwrap();
    let codes = recovery_codes(&html);
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    let next = if req.is_empty() {
        "/account/security".to_owned()
    } else {
        location_of(
            post(
                app,
                browser,
                "/login/continue",
                &[("csrf", &hidden(&html, "csrf")), ("req", &req)],
            )
            .await,
        )
    };
    (secret, codes, next)
}

/// Submits a second-factor form on the step-up page at `location`.
pub async fn second_factor(
    app: &TestApp,
    browser: &reqwest::Client,
    location: &str,
    method: &str,
    value: &str,
) -> reqwest::Response {
    assert!(location.starts_with("/login/mfa"), "{location}");
    let html = page(app, browser, location).await;
    post(
        app,
        browser,
        "/login/mfa",
        &[
            ("csrf", &hidden(&html, "csrf")),
            ("req", &hidden(&html, "req")),
            ("method", method),
            ("code", value),
        ],
    )
    .await
}

/// Exchanges the code in `back` and verifies the ID token with the RP library.
pub async fn claims(
    app: &TestApp,
    client: &Client,
    secret: &str,
    back: &str,
) -> (CoreIdTokenClaims, serde_json::Value) {
    assert!(back.starts_with(&client.redirect_uris[0]), "{back}");
    let code = query_param(back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let rp = app.rp(client, Some(secret)).await;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new(VERIFIER.into()))
        .request_async(&app.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let claims = id_token
        .claims(&rp.id_token_verifier(), &Nonce::new("n1".into()))
        .unwrap()
        .clone();
    let raw = gapura::jose::UnverifiedJws::parse(&id_token.to_string()).unwrap();
    (claims, serde_json::Value::Object(raw.claims))
}

pub fn amr(claims: &CoreIdTokenClaims) -> Vec<String> {
    claims
        .auth_method_refs()
        .map(|v| v.iter().map(|a| a.as_str().to_owned()).collect())
        .unwrap_or_default()
}

pub fn acr(claims: &CoreIdTokenClaims) -> String {
    claims.auth_context_ref().unwrap().as_str().to_owned()
}

pub fn session_cookie(app: &TestApp, jar: &Arc<reqwest::cookie::Jar>) -> String {
    use reqwest::cookie::CookieStore;
    let url = url::Url::parse(&app.issuer).unwrap();
    let header = jar
        .cookies(&url)
        .map(|h| h.to_str().unwrap().to_owned())
        .unwrap_or_default();
    header
        .split("; ")
        .find_map(|c| c.strip_prefix("gapura_session="))
        .unwrap_or_default()
        .to_owned()
}

/// A confidential first-party client that needs `min` (via the admin function).
pub async fn client_needing(
    app: &TestApp,
    name: &str,
    min: Option<gapura::authn::Acr>,
) -> (Client, String) {
    let (c, s) = app
        .add_client(gapura::clients::NewClient {
            name: name.into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            min_acr: min,
            ..Default::default()
        })
        .await;
    (c, s.unwrap())
}

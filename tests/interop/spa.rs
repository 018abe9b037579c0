//! A browser application (public client, PKCE, `none`) in real Chromium: a plain-JS
//! page (tests/interop/spa/) served from `http://localhost:P` while Gapura is at
//! `http://127.0.0.1:Q`, so every call it makes is cross-origin. The same page served
//! from an origin Gapura does not know, or from another application's origin, must be
//! refused by the browser (CORS). The headers themselves: tests/api/browser_apps.rs.

use crate::helpers::*;
use crate::support::*;
use crate::webdriver::{Browser, CHROMEDRIVER, CHROMIUM};
use gapura::clients::NewClient;
use std::path::Path;

const INDEX: &str = include_str!("spa/index.html");
const APP_JS: &str = include_str!("spa/app.js");
const CSS: &str = include_str!("spa/spa.css");

/// Serves the SPA's files on three ports of `localhost` (three origins); returns them.
fn serve_spa() -> (u16, u16, u16) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    fn file(body: &'static str, kind: &'static str) -> HttpResponse {
        HttpResponse::Ok()
            .content_type(kind)
            .insert_header(("Cache-Control", "no-store"))
            .body(body)
    }
    let registered = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let foreign = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ports = (
        registered.local_addr().unwrap().port(),
        foreign.local_addr().unwrap().port(),
        other.local_addr().unwrap().port(),
    );
    let server = HttpServer::new(|| {
        App::new()
            .route(
                "/",
                web::get().to(|| async { file(INDEX, "text/html; charset=utf-8") }),
            )
            .route(
                "/app.js",
                web::get().to(|| async { file(APP_JS, "text/javascript; charset=utf-8") }),
            )
            .route(
                "/spa.css",
                web::get().to(|| async { file(CSS, "text/css") }),
            )
    })
    .workers(1)
    .listen(registered)
    .unwrap()
    .listen(foreign)
    .unwrap()
    .listen(other)
    .unwrap()
    .run();
    tokio::spawn(server);
    ports
}

/// The JSON after a result's prefix ("200 {…}", "valid {…}").
fn json_after(text: &str, prefix: &str) -> serde_json::Value {
    let rest = text
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("expected `{prefix}…`, got {text}"));
    serde_json::from_str(rest).unwrap_or_else(|e| panic!("{e}: {rest}"))
}

#[tokio::test]
async fn spa_in_chromium_public_client_with_cors() {
    if !have("chromium", Path::new(CHROMIUM)) || !have("chromium-driver", Path::new(CHROMEDRIVER)) {
        return;
    }
    let (port, foreign_port, other_port) = serve_spa();
    let origin = format!("http://localhost:{port}");
    let foreign = format!("http://localhost:{foreign_port}");
    // The origin of another application: known to Gapura, but not this client's.
    let other = format!("http://localhost:{other_port}");
    let (app, client, secret) = city(NewClient {
        name: "Satu Data (SPA)".into(),
        redirect_uris: vec![format!("{origin}/")],
        public: true,
        ..NewClient::default()
    })
    .await;
    assert!(secret.is_none(), "a public client has no secret");
    app.add_client(NewClient {
        name: "Bogor Single Window".into(),
        redirect_uris: vec![format!("{other}/")],
        public: true,
        ..NewClient::default()
    })
    .await;
    let shots = artifacts("spa");
    println!("SPA screenshots: {}", shots.display());
    let b = Browser::start().await;

    // Discovery and JWKS are open to any origin; the app then sends the browser to Gapura.
    b.goto(&format!(
        "{origin}/?issuer={}&client_id={}",
        enc(&app.issuer),
        enc(&client.id)
    ))
    .await;
    assert_eq!(
        b.wait_text("#discovery").await,
        format!("ok {}", app.issuer)
    );
    assert!(b.wait_text("#jwks").await.starts_with("ok "));
    b.screenshot(&shots.join("1-start.png")).await;
    b.click("#login").await;

    // Gapura's own pages: login, then consent (not a first-party app).
    b.fill("#username", NIP).await;
    b.fill("#password", PASSWORD).await;
    b.screenshot(&shots.join("2-login.png")).await;
    b.click("button[type=submit]").await;
    b.find("button[value=allow]").await;
    b.screenshot(&shots.join("3-consent.png")).await;
    b.click("button[value=allow]").await;

    // Back in the app: code exchanged with fetch(), ID token verified, UserInfo read.
    let token = b.wait_text("#token").await;
    assert!(token.starts_with("200 "), "token: {token}");
    assert!(
        token.contains("access_token") && token.contains("id_token"),
        "{token}"
    );
    assert!(b.current_url().await.starts_with(&origin));
    let id = json_after(&b.wait_text("#id-token").await, "valid ");
    assert_euis(&id, "SPA ID token");
    assert_eq!(id["aud"], client.id.as_str());
    let userinfo = json_after(&b.wait_text("#userinfo").await, "200 ");
    assert_euis(&userinfo, "SPA UserInfo");
    // Errors carry CORS too: the app can read why its request was refused.
    let bad = json_after(&b.wait_text("#bad-code").await, "400 ");
    assert_eq!(bad["error"], "invalid_grant", "{bad}");
    b.screenshot(&shots.join("4-signed-in.png")).await;
    let access_token = b
        .script("return document.getElementById('access-token').textContent")
        .await;
    let access_token = access_token.as_str().unwrap().to_owned();
    assert!(!access_token.is_empty());

    // The same page on an origin Gapura does not know: discovery and JWKS still load,
    // but the browser withholds Gapura's answers from /userinfo and /token.
    b.goto(&format!(
        "{foreign}/?mode=probe&issuer={}&client_id={}&token={}",
        enc(&app.issuer),
        enc(&client.id),
        enc(&access_token)
    ))
    .await;
    assert_eq!(
        b.wait_text("#discovery").await,
        format!("ok {}", app.issuer)
    );
    assert!(b.wait_text("#jwks").await.starts_with("ok "));
    let ui = b.wait_text("#userinfo").await;
    assert!(ui.starts_with("blocked: "), "UserInfo from {foreign}: {ui}");
    let tok = b.wait_text("#bad-code").await;
    assert!(tok.starts_with("blocked: "), "/token from {foreign}: {tok}");
    b.screenshot(&shots.join("5-foreign-origin.png")).await;

    // Another application's origin cannot read this application's answers either.
    b.goto(&format!(
        "{other}/?mode=probe&issuer={}&client_id={}&token={}",
        enc(&app.issuer),
        enc(&client.id),
        enc(&access_token)
    ))
    .await;
    assert_eq!(
        b.wait_text("#discovery").await,
        format!("ok {}", app.issuer)
    );
    let ui = b.wait_text("#userinfo").await;
    assert!(ui.starts_with("blocked: "), "UserInfo from {other}: {ui}");
    let tok = b.wait_text("#bad-code").await;
    assert!(tok.starts_with("blocked: "), "/token from {other}: {tok}");

    // Back on its own origin, the app revokes its access token; UserInfo then says 401.
    b.goto(&format!("{origin}/?mode=revoke")).await;
    let revoke = b.wait_text("#revoke").await;
    assert_eq!(revoke.trim(), "200", "revoke: {revoke}");
    let after = b.wait_text("#after-revoke").await;
    assert!(
        after.starts_with("401"),
        "UserInfo after revocation: {after}"
    );
    b.screenshot(&shots.join("6-revoked.png")).await;
}

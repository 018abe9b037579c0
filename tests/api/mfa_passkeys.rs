//! Passkeys with a software authenticator (tests/api/softkey.rs), verified for real
//! by webauthn-rs: registration during a login that needs MFA, then the passkey as
//! second factor after the password, and as first factor without a login name.

use crate::helpers::*;
use crate::mfa_support::*;
use crate::softkey::SoftKey;
use gapura::authn::Acr;

async fn options(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    csrf: &str,
    req: &str,
) -> (String, serde_json::Value) {
    let resp = post(app, browser, path, &[("csrf", csrf), ("req", req)]).await;
    assert_eq!(resp.status(), 200, "{path}");
    let v = json(resp).await;
    (
        v["ceremony"].as_str().unwrap().to_owned(),
        v["options"].clone(),
    )
}

#[tokio::test]
async fn passkey_as_second_and_as_first_factor() {
    let app = spawn_app_localhost().await;
    assert!(app.issuer.starts_with("http://localhost:"));
    let siti = app.siti().await;
    let (strong, secret) = client_needing(&app, "TNDE", Some(Acr::Mfa)).await;
    let mut key = SoftKey::new(&app.issuer);

    // Registration, during a login that needs MFA.
    let browser = app.new_browser();
    let next = password(
        &app,
        &browser,
        &start(&app, &browser, &strong, "").await,
        NIP,
    )
    .await;
    assert!(next.starts_with("/login/enroll?req="), "{next}");
    let html = page(&app, &browser, &next).await;
    assert!(html.contains("data-webauthn=\"create\""));
    assert!(html.contains("<script src=\"/static/webauthn.js\""));
    let (csrf, req) = (hidden(&html, "csrf"), hidden(&html, "req"));
    let bad = post(
        &app,
        &browser,
        "/login/enroll/passkey/options",
        &[("csrf", "forged"), ("req", &req)],
    )
    .await;
    assert_eq!(bad.status(), 403, "CSRF on the JSON calls too");
    let (ceremony, opts) =
        options(&app, &browser, "/login/enroll/passkey/options", &csrf, &req).await;
    assert_eq!(
        opts["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    let credential = key.register(&opts).to_string();
    let resp = post(
        &app,
        &browser,
        "/login/enroll/passkey",
        &[
            ("csrf", &csrf),
            ("req", &req),
            ("ceremony", &ceremony),
            ("credential", &credential),
            ("label", "YubiKey kantor"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200, "recovery codes page");
    let html = resp.text().await.unwrap();
    assert_eq!(recovery_codes(&html).len(), 10);
    let back = location_of(
        post(
            &app,
            &browser,
            "/login/continue",
            &[("csrf", &hidden(&html, "csrf")), ("req", &req)],
        )
        .await,
    );
    let (c, _) = claims(&app, &strong, &secret, &back).await;
    assert_eq!(acr(&c), "urn:gapura:acr:mfa");
    assert_eq!(amr(&c), vec!["pwd", "hwk", "user", "pin", "mfa"]);
    // The ceremony state was single use.
    let again = post(
        &app,
        &browser,
        "/login/enroll/passkey",
        &[
            ("csrf", &csrf),
            ("ceremony", &ceremony),
            ("credential", &credential),
            ("label", "x"),
        ],
    )
    .await;
    assert_ne!(again.status(), 200);

    // Second factor after the password, in a new browser.
    app.clock.advance(60);
    let b = app.new_browser();
    let next = password(&app, &b, &start(&app, &b, &strong, "").await, NIP).await;
    assert!(next.starts_with("/login/mfa?req="), "{next}");
    let html = page(&app, &b, &next).await;
    assert!(html.contains("data-webauthn=\"get\""));
    let (csrf, req) = (hidden(&html, "csrf"), hidden(&html, "req"));
    // A key that is not Siti's is refused.
    let (ceremony, opts) = options(&app, &b, "/login/mfa/passkey/options", &csrf, &req).await;
    let mut stranger = SoftKey::new(&app.issuer);
    stranger.cred_id = key.cred_id.clone();
    let forged = stranger.assert(&opts).to_string();
    let resp = post(
        &app,
        &b,
        "/login/mfa/passkey",
        &[
            ("csrf", &csrf),
            ("req", &req),
            ("ceremony", &ceremony),
            ("credential", &forged),
        ],
    )
    .await;
    assert_eq!(resp.status(), 401, "a signature by another key is refused");
    let (ceremony, opts) = options(&app, &b, "/login/mfa/passkey/options", &csrf, &req).await;
    let assertion = key.assert(&opts).to_string();
    let resp = post(
        &app,
        &b,
        "/login/mfa/passkey",
        &[
            ("csrf", &csrf),
            ("req", &req),
            ("ceremony", &ceremony),
            ("credential", &assertion),
        ],
    )
    .await;
    let back = location(&resp);
    let (c, _) = claims(&app, &strong, &secret, &back).await;
    assert_eq!(amr(&c), vec!["pwd", "hwk", "user", "pin", "mfa"]);

    // First factor: no login name, no password (a discoverable credential).
    app.clock.advance(60);
    let b = app.new_browser();
    let login = start(&app, &b, &strong, "").await;
    let html = page(&app, &b, &login).await;
    assert!(
        html.contains("autocomplete=\"username webauthn\""),
        "conditional UI"
    );
    let (csrf, req) = (hidden(&html, "csrf"), hidden(&html, "req"));
    let (ceremony, opts) = options(&app, &b, "/login/passkey/options", &csrf, &req).await;
    assert_eq!(opts["mediation"], "conditional");
    assert!(
        opts["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    );
    let assertion = key.assert(&opts).to_string();
    let resp = post(
        &app,
        &b,
        "/login/passkey",
        &[
            ("csrf", &csrf),
            ("req", &req),
            ("ceremony", &ceremony),
            ("credential", &assertion),
        ],
    )
    .await;
    let back = location(&resp);
    let (c, raw) = claims(&app, &strong, &secret, &back).await;
    assert_eq!(c.subject().as_str(), siti.id);
    assert_eq!(acr(&c), "urn:gapura:acr:mfa");
    assert_eq!(amr(&c), vec!["hwk", "user", "pin", "mfa"]);
    assert!(raw["auth_time"].as_i64().unwrap() >= app.state.now() - 5);
    // A replayed assertion (same ceremony) is refused.
    let resp = post(
        &app,
        &b,
        "/login/passkey",
        &[
            ("csrf", &csrf),
            ("req", &req),
            ("ceremony", &ceremony),
            ("credential", &assertion),
        ],
    )
    .await;
    assert_ne!(resp.status(), 303);

    // The settings page lists the key by name, with its last use.
    let html = page(&app, &b, "/account/security").await;
    assert!(html.contains("YubiKey kantor"));
    assert!(
        !html.contains("belum pernah)"),
        "last use is recorded: {html}"
    );
    let logins = app.audit_events("login").await;
    assert!(logins.iter().any(|e| e.detail.contains("hwk")));
}

#[tokio::test]
async fn the_browser_glue_is_served_from_gapura() {
    let app = spawn_app().await;
    let resp = app
        .http
        .get(app.url("/static/webauthn.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("navigator.credentials.create")
    );
    // An IP-address issuer cannot offer passkeys: the login page does not show them.
    app.siti().await;
    let (client, _) = client_needing(&app, "Presensi", None).await;
    let b = app.new_browser();
    let login = start(&app, &b, &client, "").await;
    let html = page(&app, &b, &login).await;
    assert!(!html.contains("data-webauthn"));
}

#[tokio::test]
async fn a_synchronised_passkey_added_in_the_settings_is_a_software_key() {
    let app = spawn_app_localhost().await;
    app.siti().await;
    let (plain, secret) = client_needing(&app, "Presensi", None).await;
    let mut key = SoftKey::new(&app.issuer);
    key.synced = true;

    // From the settings: a password session may add the first factor.
    let browser = app.new_browser();
    password(
        &app,
        &browser,
        &start(&app, &browser, &plain, "").await,
        NIP,
    )
    .await;
    let html = page(&app, &browser, "/login/enroll").await;
    assert!(
        !html.contains("/login/cancel"),
        "no client to cancel back to"
    );
    let csrf = hidden(&html, "csrf");
    let (ceremony, opts) =
        options(&app, &browser, "/login/enroll/passkey/options", &csrf, "").await;
    let credential = key.register(&opts).to_string();
    let resp = post(
        &app,
        &browser,
        "/login/enroll/passkey",
        &[
            ("csrf", &csrf),
            ("ceremony", &ceremony),
            ("credential", &credential),
            ("label", "Ponsel"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(recovery_codes(&resp.text().await.unwrap()).len(), 10);
    let html = page(&app, &browser, "/account/security").await;
    assert!(html.contains("Ponsel") && html.contains("dua langkah"));

    // Username-less login with it: `swk`, not `hwk`.
    let b = app.new_browser();
    let login = start(&app, &b, &plain, "").await;
    let html = page(&app, &b, &login).await;
    let (csrf, req) = (hidden(&html, "csrf"), hidden(&html, "req"));
    let (ceremony, opts) = options(&app, &b, "/login/passkey/options", &csrf, &req).await;
    let assertion = key.assert(&opts).to_string();
    let resp = post(
        &app,
        &b,
        "/login/passkey",
        &[
            ("csrf", &csrf),
            ("req", &req),
            ("ceremony", &ceremony),
            ("credential", &assertion),
        ],
    )
    .await;
    let (c, _) = claims(&app, &plain, &secret, &location(&resp)).await;
    assert_eq!(amr(&c), vec!["swk", "user", "pin", "mfa"]);
}

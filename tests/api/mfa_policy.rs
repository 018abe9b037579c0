//! Who needs MFA: a client's minimum, an OPD sub-tree, the whole city; and the
//! administrator's reset.

use crate::helpers::*;
use crate::mfa_support::*;
use gapura::authn::policy::{self, Scope};
use gapura::authn::{Acr, factors};
use gapura::users::{self, NewUser};
use secrecy::SecretString;

async fn opd(app: &TestApp, code: &str, parent: Option<&str>) {
    gapura::directory::opd::create(
        &app.state.db,
        0,
        code,
        &format!("Unit {code}"),
        "dinas",
        parent,
    )
    .await
    .unwrap();
}

async fn person(app: &TestApp, nip: &str, opd: &str) {
    users::create(
        &app.state.db,
        &app.state.hasher,
        app.state.clock.as_ref(),
        NewUser {
            username: nip.into(),
            name: format!("ASN {nip}"),
            opd_code: Some(opd.into()),
            password: Some(SecretString::from(PASSWORD)),
            ..NewUser::default()
        },
    )
    .await
    .unwrap();
}

/// Where a fresh password login of `nip` to `client` lands.
async fn after_password(app: &TestApp, client: &gapura::clients::Client, nip: &str) -> String {
    let b = app.new_browser();
    password(app, &b, &start(app, &b, client, "").await, nip).await
}

#[tokio::test]
async fn opd_subtree_and_city_policies() {
    let app = spawn_app().await;
    opd(&app, "DINKES", None).await;
    opd(&app, "PKM-TS", Some("DINKES")).await;
    opd(&app, "PKM-TS-1", Some("PKM-TS")).await;
    opd(&app, "DISHUB", None).await;
    // NIPs with real dates (born 1990-05-14, TMT 2015-03).
    person(&app, "199005142015031001", "PKM-TS-1").await;
    person(&app, "199005142015031002", "DISHUB").await;
    let (client, _) = client_needing(&app, "Presensi", None).await;
    assert!(
        after_password(&app, &client, "199005142015031001")
            .await
            .starts_with(REDIRECT)
    );

    // Dinas Kesehatan and everything below it.
    policy::set(
        &app.state.db,
        &Scope::Opd("DINKES".into()),
        Acr::Mfa,
        "test",
        0,
    )
    .await
    .unwrap();
    let deep = after_password(&app, &client, "199005142015031001").await;
    assert!(
        deep.starts_with("/login/enroll?req="),
        "a Puskesmas unit is in the sub-tree: {deep}"
    );
    assert!(
        after_password(&app, &client, "199005142015031002")
            .await
            .starts_with(REDIRECT),
        "Dishub is not"
    );

    // The whole city.
    policy::set(&app.state.db, &Scope::City, Acr::Mfa, "test", 0)
        .await
        .unwrap();
    assert!(
        after_password(&app, &client, "199005142015031002")
            .await
            .starts_with("/login/enroll?req=")
    );
    assert!(policy::remove(&app.state.db, &Scope::City).await.unwrap());
    assert!(
        after_password(&app, &client, "199005142015031002")
            .await
            .starts_with(REDIRECT)
    );

    // The report: per OPD, people and those without a second factor.
    let b = app.new_browser();
    let next = password(
        &app,
        &b,
        &start(&app, &b, &client, "").await,
        "199005142015031001",
    )
    .await;
    enroll_totp(&app, &b, &next).await;
    let counts = factors::coverage_per_opd(&app.state.db).await.unwrap();
    assert_eq!(counts["PKM-TS-1"], (1, 0));
    assert_eq!(counts["DISHUB"], (1, 1));

    // A role rule is stored; it binds once roles exist (the directory work).
    policy::set(
        &app.state.db,
        &Scope::Role(client.id.to_string(), "verifikator".into()),
        Acr::Mfa,
        "test",
        0,
    )
    .await
    .unwrap();
    assert_eq!(policy::list(&app.state.db).await.unwrap().len(), 2);
}

#[tokio::test]
async fn client_minimum_and_admin_reset() {
    let app = spawn_app().await;
    let siti = app.siti().await;
    let (client, secret) = client_needing(&app, "SIMPEG", None).await;
    assert!(
        after_password(&app, &client, NIP)
            .await
            .starts_with(REDIRECT)
    );
    gapura::clients::set_min_acr(&app.state, &client.id, Some(Acr::Mfa))
        .await
        .unwrap();
    let browser = app.new_browser();
    let next = password(
        &app,
        &browser,
        &start(&app, &browser, &client, "").await,
        NIP,
    )
    .await;
    let (_, _, back) = enroll_totp(&app, &browser, &next).await;
    let (c, _) = claims(&app, &client, &secret, &back).await;
    assert_eq!(acr(&c), "urn:gapura:acr:mfa");
    assert!(
        after_password(&app, &client, NIP)
            .await
            .starts_with("/login/mfa?req="),
        "now she steps up"
    );

    // The administrator resets her factors: gone, sessions ended, audited, she is told.
    gapura::cli::mfa::reset(&app.state, &siti).await.unwrap();
    let s = factors::summary(&app.state.db, &siti.id).await.unwrap();
    assert!(!s.has_second_factor());
    assert_eq!(s.recovery_left, 0);
    assert!(
        gapura::session::of_user(&app.state, &siti.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.audit_events("admin.mfa.reset").await.len(), 1);
    assert!(
        app.audit_events("person.notice")
            .await
            .iter()
            .any(|n| n.detail.contains("factors_reset"))
    );
    let loc = start(&app, &browser, &client, "").await;
    assert!(loc.starts_with("/login?req="), "her session ended: {loc}");
    assert!(
        password(&app, &browser, &loc, NIP)
            .await
            .starts_with("/login/enroll?req="),
        "enrolment again"
    );
}

#[tokio::test]
async fn discovery_lists_the_three_levels_and_pages_speak_english() {
    let app = spawn_app().await;
    let doc = json(
        app.http
            .get(app.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        doc["acr_values_supported"],
        serde_json::json!([
            "urn:gapura:acr:pwd",
            "urn:gapura:acr:mfa",
            "urn:gapura:acr:cert"
        ])
    );
    app.siti().await;
    let (client, _) = client_needing(&app, "TNDE", Some(Acr::Mfa)).await;
    let b = app.new_browser();
    let next = password(
        &app,
        &b,
        &start(&app, &b, &client, "&ui_locales=en").await,
        NIP,
    )
    .await;
    let html = page(&app, &b, &next).await;
    assert!(html.contains("Set up two-step verification"), "{html}");
    let html = b
        .get(app.url("/account/security"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Account security"));
}

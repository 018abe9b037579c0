//! TOTP enrolment and step-up, with codes computed here (RFC 6238): replay and
//! clock skew, recovery codes, the session kept across a step-up, and the errors
//! when a level cannot be reached.

use crate::helpers::*;
use crate::mfa_support::*;
use gapura::authn::Acr;

#[tokio::test]
async fn step_up_to_mfa_keeps_the_sso_session_and_renews_its_id() {
    let app = spawn_app().await;
    app.siti().await;
    let (plain, plain_secret) = client_needing(&app, "Presensi", None).await;
    let (strong, strong_secret) = client_needing(&app, "e-Kinerja", Some(Acr::Mfa)).await;
    let (browser, jar) = app.browser_with_jar();

    // A password session for an application that asks for nothing more.
    let login = start(&app, &browser, &plain, "").await;
    let back = password(&app, &browser, &login, NIP).await;
    let (first, first_raw) = claims(&app, &plain, &plain_secret, &back).await;
    assert_eq!(acr(&first), "urn:gapura:acr:pwd");
    assert_eq!(amr(&first), vec!["pwd"]);
    let cookie_before = session_cookie(&app, &jar);

    // The MFA application: the same session must step up; Siti has no factor yet,
    // so she is led through enrolment, then on to the application.
    app.clock.advance(5);
    let next = start(&app, &browser, &strong, "").await;
    assert!(next.starts_with("/login/enroll?req="), "{next}");
    let (_, _, back) = enroll_totp(&app, &browser, &next).await;
    let (second, second_raw) = claims(&app, &strong, &strong_secret, &back).await;
    assert_eq!(acr(&second), "urn:gapura:acr:mfa");
    assert_eq!(amr(&second), vec!["pwd", "otp", "mfa"]);
    assert_eq!(second_raw["sid"], first_raw["sid"], "same SSO session");
    assert!(
        second.auth_time().unwrap() > first.auth_time().unwrap(),
        "auth_time is the step-up's"
    );
    let cookie_after = session_cookie(&app, &jar);
    assert!(
        !cookie_after.is_empty() && cookie_after != cookie_before,
        "session id renewed"
    );

    // The old cookie value no longer opens the session.
    let (stale, stale_jar) = app.browser_with_jar();
    stale_jar.add_cookie_str(
        &format!("gapura_session={cookie_before}; Path=/"),
        &url::Url::parse(&app.issuer).unwrap(),
    );
    let loc = start(&app, &stale, &plain, "&prompt=none").await;
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("login_required")
    );

    // Both applications stay in the one session.
    let sessions = gapura::session::of_user(&app.state, &first.subject().to_string())
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    let clients: Vec<_> = sessions[0]
        .1
        .clients
        .iter()
        .map(|c| c.client_id.clone())
        .collect();
    assert!(
        clients.contains(&plain.id) && clients.contains(&strong.id),
        "{clients:?}"
    );

    // Now at MFA level, the plain application gets MFA claims without a prompt.
    let back = start(&app, &browser, &plain, "&prompt=none").await;
    let (third, _) = claims(&app, &plain, &plain_secret, &back).await;
    assert_eq!(acr(&third), "urn:gapura:acr:mfa");
    assert!(!app.audit_events("mfa.enroll").await.is_empty());
}

/// A new browser: password, then the step-up page.
async fn step_up(app: &TestApp, client: &gapura::clients::Client) -> (reqwest::Client, String) {
    let browser = app.new_browser();
    let next = password(app, &browser, &start(app, &browser, client, "").await, NIP).await;
    assert!(next.starts_with("/login/mfa?req="), "{next}");
    (browser, next)
}

#[tokio::test]
async fn replay_is_refused_and_skew_of_one_step_is_accepted() {
    let app = spawn_app().await;
    app.siti().await;
    let (strong, secret_s) = client_needing(&app, "SIMPEG", Some(Acr::Mfa)).await;
    let (browser, _) = app.browser_with_jar();
    let next = password(
        &app,
        &browser,
        &start(&app, &browser, &strong, "").await,
        NIP,
    )
    .await;
    let (secret, _, _) = enroll_totp(&app, &browser, &next).await;
    app.clock.advance(300);

    for steps in [-2, 2] {
        let (b, next) = step_up(&app, &strong).await;
        let resp = second_factor(&app, &b, &next, "totp", &code(&app, &secret, steps)).await;
        assert_eq!(resp.status(), 401, "{steps} steps away is refused");
    }
    let (b, next) = step_up(&app, &strong).await;
    let early = code(&app, &secret, -1);
    let resp = second_factor(&app, &b, &next, "totp", &early).await;
    assert_eq!(resp.status(), 303, "one step behind is accepted");
    let (c, _) = claims(&app, &strong, &secret_s, &location(&resp)).await;
    assert_eq!(amr(&c), vec!["pwd", "otp", "mfa"]);

    let (b, next) = step_up(&app, &strong).await;
    let late = code(&app, &secret, 1);
    assert_eq!(
        second_factor(&app, &b, &next, "totp", &late).await.status(),
        303,
        "one step ahead is accepted"
    );
    let (b, next) = step_up(&app, &strong).await;
    let replay = second_factor(&app, &b, &next, "totp", &late).await;
    assert_eq!(
        replay.status(),
        401,
        "a code accepted once is never accepted again"
    );
    assert!(
        replay
            .text()
            .await
            .unwrap()
            .contains("sudah pernah dipakai")
    );
    let failures = app.audit_events("mfa.verify").await;
    assert!(failures.iter().any(|e| e.outcome == "failure"));
}

#[tokio::test]
async fn recovery_codes_work_once_and_are_audited() {
    let app = spawn_app().await;
    app.siti().await;
    let (strong, secret_s) = client_needing(&app, "TNDE", Some(Acr::Mfa)).await;
    let browser = app.new_browser();
    let next = password(
        &app,
        &browser,
        &start(&app, &browser, &strong, "").await,
        NIP,
    )
    .await;
    let (_, codes, _) = enroll_totp(&app, &browser, &next).await;

    let b = app.new_browser();
    let next = password(&app, &b, &start(&app, &b, &strong, "").await, NIP).await;
    let resp = second_factor(&app, &b, &next, "recovery", &codes[3].to_uppercase()).await;
    assert_eq!(resp.status(), 303);
    let (c, _) = claims(&app, &strong, &secret_s, &location(&resp)).await;
    assert_eq!(acr(&c), "urn:gapura:acr:mfa");

    let b = app.new_browser();
    let next = password(&app, &b, &start(&app, &b, &strong, "").await, NIP).await;
    assert_eq!(
        second_factor(&app, &b, &next, "recovery", &codes[3])
            .await
            .status(),
        401,
        "single use"
    );
    assert_eq!(app.audit_events("recovery_code.use").await.len(), 1);
    let notices = app.audit_events("person.notice").await;
    assert!(
        notices
            .iter()
            .any(|n| n.detail.contains("recovery_code_used")),
        "the person is told"
    );
    let remaining = gapura::authn::recovery::remaining(&app.state.db, &c.subject().to_string())
        .await
        .unwrap();
    assert_eq!(remaining, 9);
}

#[tokio::test]
async fn levels_that_cannot_be_met_are_errors_never_weaker_tokens() {
    let app = spawn_app().await;
    app.siti().await;
    let (client, _) = client_needing(&app, "e-Budgeting", None).await;
    let browser = app.new_browser();
    let back = password(
        &app,
        &browser,
        &start(&app, &browser, &client, "").await,
        NIP,
    )
    .await;
    assert!(back.starts_with(REDIRECT));

    // prompt=none and a stronger level asked: interaction is needed.
    let mfa = enc("urn:gapura:acr:mfa");
    let loc = start(
        &app,
        &browser,
        &client,
        &format!("&prompt=none&acr_values={mfa}"),
    )
    .await;
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("interaction_required"),
        "{loc}"
    );
    assert!(query_param(&loc, "error_description").is_some());
    assert_eq!(query_param(&loc, "state").as_deref(), Some("s1"));

    // The certificate level does not exist yet: access_denied, whatever the session.
    let cert = enc("urn:gapura:acr:cert");
    let loc = start(&app, &browser, &client, &format!("&acr_values={cert}")).await;
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("access_denied"),
        "{loc}"
    );

    // An essential acr (claims parameter) with no value Gapura knows.
    let claims_param =
        enc(r#"{"id_token":{"acr":{"essential":true,"values":["urn:other:loa:4"]}}}"#);
    let loc = start(&app, &browser, &client, &format!("&claims={claims_param}")).await;
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("access_denied"),
        "{loc}"
    );

    // acr_values asking for MFA of a person without a factor: enrolment, or cancel.
    let loc = start(&app, &browser, &client, &format!("&acr_values={mfa}")).await;
    assert!(loc.starts_with("/login/enroll?req="), "{loc}");
    let html = page(&app, &browser, &loc).await;
    let resp = post(
        &app,
        &browser,
        "/login/cancel",
        &[
            ("csrf", &hidden(&html, "csrf")),
            ("req", &hidden(&html, "req")),
        ],
    )
    .await;
    let back = location(&resp);
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
}

#[tokio::test]
async fn account_security_page_manages_factors_after_the_second_factor() {
    let app = spawn_app().await;
    app.siti().await;
    let (strong, _) = client_needing(&app, "SIMPEG", Some(Acr::Mfa)).await;
    let browser = app.new_browser();
    // Without a session: to the login page.
    let resp = browser
        .get(app.url("/account/security"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/login");
    let next = password(
        &app,
        &browser,
        &start(&app, &browser, &strong, "").await,
        NIP,
    )
    .await;
    let (secret, _, _) = enroll_totp(&app, &browser, &next).await;
    let html = page(&app, &browser, "/account/security").await;
    assert!(html.contains("Aplikasi autentikator aktif"));
    assert!(html.contains("id=\"recovery-left\">10<"));
    assert!(html.contains("dua langkah"), "{html}");

    // A password-only session of the same person sees the page read-only.
    let other = app.new_browser();
    let (plain, _) = client_needing(&app, "Presensi", None).await;
    password(&app, &other, &start(&app, &other, &plain, "").await, NIP).await;
    let html = page(&app, &other, "/account/security").await;
    assert!(html.contains("verifikasi dua langkah terlebih dahulu"));
    assert!(!html.contains("/account/security/remove"));
    let id = gapura::authn::factors::summary(
        &app.state.db,
        &gapura::users::find_by_login(&app.state.db, NIP)
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap()
    .totp
    .unwrap()
    .id;
    let csrf = hidden(&page(&app, &other, "/").await, "csrf");
    let resp = post(
        &app,
        &other,
        "/account/security/remove",
        &[("csrf", &csrf), ("id", &id)],
    )
    .await;
    assert_eq!(
        location(&resp),
        "/login/mfa",
        "removing needs the second factor first"
    );

    // Step up from the settings, then remove the factor.
    app.clock.advance(60);
    let resp = second_factor(&app, &other, "/login/mfa", "totp", &code(&app, &secret, 0)).await;
    assert_eq!(location(&resp), "/account/security");
    let html = page(&app, &other, "/account/security").await;
    let resp = post(
        &app,
        &other,
        "/account/security/remove",
        &[("csrf", &hidden(&html, "csrf")), ("id", &id)],
    )
    .await;
    assert_eq!(location(&resp), "/account/security");
    let html = page(&app, &other, "/account/security").await;
    assert!(html.contains("belum diaktifkan"), "{html}");
    assert_eq!(app.audit_events("mfa.remove").await.len(), 1);
}

#[tokio::test]
async fn max_age_reauthenticates_then_steps_up_in_the_same_session() {
    let app = spawn_app().await;
    app.siti().await;
    let (strong, secret_s) = client_needing(&app, "SIMPEG", Some(Acr::Mfa)).await;
    let browser = app.new_browser();
    let next = password(
        &app,
        &browser,
        &start(&app, &browser, &strong, "").await,
        NIP,
    )
    .await;
    let (secret, _, back) = enroll_totp(&app, &browser, &next).await;
    let (first, first_raw) = claims(&app, &strong, &secret_s, &back).await;

    // Ten minutes later the application wants an authentication at most 60 s old.
    app.clock.advance(600);
    let login = start(&app, &browser, &strong, "&max_age=60").await;
    assert!(login.starts_with("/login?req="), "{login}");
    let next = password(&app, &browser, &login, NIP).await;
    assert!(
        next.starts_with("/login/mfa?req="),
        "the password alone is not MFA: {next}"
    );
    let resp = second_factor(&app, &browser, &next, "totp", &code(&app, &secret, 0)).await;
    let (again, again_raw) = claims(&app, &strong, &secret_s, &location(&resp)).await;
    assert_eq!(again_raw["sid"], first_raw["sid"], "same SSO session");
    assert_eq!(amr(&again), vec!["pwd", "otp", "mfa"]);
    let auth_time = again.auth_time().unwrap().timestamp();
    assert!(auth_time >= app.state.now() - 5, "fresh auth_time");
    assert!(again.auth_time().unwrap() > first.auth_time().unwrap());
}

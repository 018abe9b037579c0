use crate::helpers::*;
use gapura::login_guard;

async fn try_login(app: &TestApp, password: &str) -> reqwest::Response {
    let (c, _) = app.web_client().await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    let browser = app.new_browser();
    let loc = location(&browser.get(url).send().await.unwrap());
    let page = browser
        .get(app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("req", hidden(&page, "req").as_str()),
            ("username", "198609262015052001"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn repeated_failures_lock_the_address_then_admin_unlocks() {
    let app = spawn_app().await;
    let siti = app.siti().await;
    for _ in 0..5 {
        assert_eq!(try_login(&app, "wrong-password").await.status(), 401);
    }
    let locked = try_login(&app, PASSWORD).await;
    assert_eq!(locked.status(), 429, "locked even with the right password");
    assert!(locked.text().await.unwrap().contains("dikunci sementara"));
    assert!(!app.audit_events("login.lock").await.is_empty());
    login_guard::unlock(&app.state, &siti.id).await.unwrap();
    assert_eq!(try_login(&app, PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn one_address_cannot_lock_the_account_everywhere_but_many_can() {
    let app = spawn_app().await;
    let siti = app.siti().await;
    let state = &app.state;
    for _ in 0..5 {
        login_guard::failure(state, &siti.id, "10.0.0.1")
            .await
            .unwrap();
    }
    assert!(matches!(
        login_guard::check(state, &siti.id, "10.0.0.1")
            .await
            .unwrap(),
        login_guard::Verdict::Locked(_)
    ));
    assert_eq!(
        login_guard::check(state, &siti.id, "10.0.0.2")
            .await
            .unwrap(),
        login_guard::Verdict::Open,
        "other addresses still work"
    );
    for i in 3..12 {
        login_guard::failure(state, &siti.id, &format!("10.0.0.{i}"))
            .await
            .unwrap();
    }
    assert!(
        matches!(
            login_guard::check(state, &siti.id, "10.9.9.9")
                .await
                .unwrap(),
            login_guard::Verdict::Locked(_)
        ),
        "failures from many addresses lock the account"
    );
    // Locks lapse by themselves.
    app.clock.advance(61);
    assert_eq!(
        login_guard::check(state, &siti.id, "10.9.9.9")
            .await
            .unwrap(),
        login_guard::Verdict::Open
    );
}

#[tokio::test]
async fn sessions_are_listed_with_their_applications() {
    let app = spawn_app().await;
    let siti = app.siti().await;
    let (c, _) = app.web_client().await;
    app.code_for(&c, "openid", VERIFIER).await;
    let sessions = gapura::session::of_user(&app.state, &siti.id)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    let (_, s) = &sessions[0];
    assert_eq!(s.clients[0].client_id, c.id);
    assert_eq!(s.ip.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn idle_and_absolute_timeouts() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, _) = app.web_client().await;
    app.code_for(&c, "openid", VERIFIER).await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&prompt=none&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    // Activity every 20 minutes keeps the session alive past the idle timeout...
    for _ in 0..3 {
        app.clock.advance(1200);
        assert!(location(&app.browser.get(&url).send().await.unwrap()).contains("code="));
    }
    // ...but not past 30 idle minutes.
    app.clock.advance(1801);
    assert!(
        location(&app.browser.get(&url).send().await.unwrap()).contains("error=login_required")
    );
    // And never past the absolute lifetime.
    app.code_for(&c, "openid", VERIFIER).await;
    for _ in 0..22 {
        app.clock.advance(1700);
        app.browser.get(&url).send().await.unwrap();
    }
    assert!(
        location(&app.browser.get(&url).send().await.unwrap()).contains("error=login_required")
    );
}

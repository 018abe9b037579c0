use crate::helpers::*;

async fn login_page(
    app: &TestApp,
    browser: &reqwest::Client,
    extra: &str,
    accept_language: Option<&str>,
) -> reqwest::Response {
    let (c, _) = app.web_client().await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256{extra}",
        app.issuer,
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    let mut req = browser.get(url);
    if let Some(l) = accept_language {
        req = req.header("accept-language", l);
    }
    let loc = location(&req.send().await.unwrap());
    let mut req = browser.get(app.url(&loc));
    if let Some(l) = accept_language {
        req = req.header("accept-language", l);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn login_page_is_indonesian_by_default_and_english_on_request() {
    let app = spawn_app().await;
    let resp = login_page(&app, &app.new_browser(), "", None).await;
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("lang=\"id\"") && html.contains("Kata sandi") && html.contains("e-Kinerja")
    );

    let en = login_page(&app, &app.new_browser(), "&ui_locales=en", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(en.contains("lang=\"en\"") && en.contains("Password"));
    let en = login_page(&app, &app.new_browser(), "", Some("en-US,en;q=0.9"))
        .await
        .text()
        .await
        .unwrap();
    assert!(en.contains("Password"));
}

#[tokio::test]
async fn wrong_password_is_refused_and_audited() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, _) = app.web_client().await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    assert_eq!(
        app.authorize(&app.browser, &url, "198609262015052001", "wrong-password")
            .await,
        "login-failed"
    );
    assert_eq!(
        app.authorize(&app.browser, &url, "199999999999999999", "wrong-password")
            .await,
        "login-failed"
    );
    let events = app.audit_events("login").await;
    let reasons: Vec<String> = events
        .iter()
        .filter(|e| e.outcome == "failure")
        .map(|e| e.detail.clone())
        .collect();
    assert!(reasons.iter().any(|d| d.contains("bad_password")));
    assert!(reasons.iter().any(|d| d.contains("unknown_account")));
    assert!(
        events.iter().all(|e| !e.detail.contains("wrong-password")),
        "no secrets in the audit log"
    );
}

#[tokio::test]
async fn login_without_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.siti().await;
    let browser = app.new_browser();
    let page = login_page(&app, &browser, "", None)
        .await
        .text()
        .await
        .unwrap();
    let resp = browser
        .post(app.url("/login"))
        .form(&[
            ("req", hidden(&page, "req").as_str()),
            ("username", "198609262015052001"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // A different browser (no CSRF cookie) posting a valid-looking token is refused too.
    let resp = app
        .new_browser()
        .post(app.url("/login"))
        .form(&[
            ("req", hidden(&page, "req").as_str()),
            ("username", "198609262015052001"),
            ("password", PASSWORD),
            ("csrf", hidden(&page, "csrf").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn session_cookie_is_httponly_lax_and_renewed_at_login() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, _) = app.web_client().await;
    let browser = app.new_browser();
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    let loc = location(&browser.get(&url).send().await.unwrap());
    let page = browser
        .get(app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("req", hidden(&page, "req").as_str()),
            ("username", "198609262015052001"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let set_cookie: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("gapura_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );
    let first_value = session.split(';').next().unwrap().to_owned();

    // Logging in again (prompt=login) issues a new session id.
    let loc = location(
        &browser
            .get(format!("{url}&prompt=login"))
            .send()
            .await
            .unwrap(),
    );
    let page = browser
        .get(app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("req", hidden(&page, "req").as_str()),
            ("username", "siti.aminah@kotabogor.go.id"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        location(&resp).starts_with(REDIRECT),
        "login by e-mail works"
    );
    let renewed = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gapura_session="))
        .unwrap();
    assert_ne!(renewed.split(';').next().unwrap(), first_value);
}

#[tokio::test]
async fn suspended_accounts_cannot_log_in() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = spawn_app().await;
    let siti = app.siti().await;
    let mut active: entity::user_account::ActiveModel = siti.into();
    active.status = Set(gapura::users::AccountStatus::Suspended);
    active.update(&app.state.db).await.unwrap();
    let (c, _) = app.web_client().await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    assert_eq!(
        app.authorize(&app.browser, &url, "198609262015052001", PASSWORD)
            .await,
        "login-failed"
    );
    assert!(
        app.audit_events("login")
            .await
            .iter()
            .any(|e| e.detail.contains("suspended"))
    );
}

#[tokio::test]
async fn expired_login_request_shows_a_page() {
    let app = spawn_app().await;
    let resp = app
        .browser
        .get(app.url("/login?req=unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("kedaluwarsa"));
}

//! A one-time password (the first administrator's, printed to the console) is
//! replaced at the first login before anything else happens: the "new password"
//! page in Bahasa Indonesia or English, its rules, the audit record, and the
//! authorization request continuing only after the change.
use crate::helpers::*;
use crate::mfa_support::{self, page, post};
use entity::user_account;
use gapura::users::{self, NewUser};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::SecretString;

const ONE_TIME: &str = "satu-kali-pakai-123";
const NEW: &str = "kata-sandi-baru-yang-kuat";
const LOGIN: &str = "operator";

async fn account_with_one_time_password(app: &TestApp) -> users::User {
    users::create(
        &app.state.db,
        &app.state.hasher,
        app.state.clock.as_ref(),
        NewUser {
            username: LOGIN.into(),
            name: "Operator Diskominfo".into(),
            password: Some(SecretString::from(ONE_TIME)),
            password_change_required: true,
            ..NewUser::default()
        },
    )
    .await
    .unwrap()
}

async fn flag(app: &TestApp, id: &str) -> bool {
    user_account::Entity::find_by_id(id.to_owned())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .password_change_required
}

/// The login form at `location`, filled with `password`; where it sends the browser.
async fn log_in(
    app: &TestApp,
    browser: &reqwest::Client,
    location: &str,
    password: &str,
) -> reqwest::Response {
    let html = page(app, browser, location).await;
    post(
        app,
        browser,
        "/login",
        &[
            ("csrf", &hidden(&html, "csrf")),
            ("req", &hidden(&html, "req")),
            ("username", LOGIN),
            ("password", password),
        ],
    )
    .await
}

#[tokio::test]
async fn the_first_administrator_gets_a_one_time_password_only_without_a_configured_one() {
    let app = spawn_app_with(|s| s.admin_password = None).await;
    let admin = user_account::Entity::find()
        .filter(user_account::Column::Username.eq("admin"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        admin.password_change_required,
        "printed password: change it"
    );
    let events = app.audit_events("admin.bootstrap").await;
    let detail: serde_json::Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(detail["one_time_password"], true);

    let configured = spawn_app().await; // GAPURA_ADMIN_PASSWORD set
    let admin = user_account::Entity::find()
        .filter(user_account::Column::Username.eq("admin"))
        .one(&configured.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!admin.password_change_required, "the operator chose it");
}

#[tokio::test]
async fn a_one_time_password_is_replaced_before_the_login_continues() {
    let app = spawn_app().await;
    let user = account_with_one_time_password(&app).await;
    let (client, secret) = mfa_support::client_needing(&app, "e-Kinerja", None).await;
    let browser = app.new_browser();
    let start = mfa_support::start(&app, &browser, &client, "").await;
    let resp = log_in(&app, &browser, &start, ONE_TIME).await;
    let to_change = location(&resp);
    assert!(to_change.starts_with("/login/password?req="), "{to_change}");

    // The page, in Indonesian by default and in English when asked.
    let html = page(&app, &browser, &to_change).await;
    assert!(html.contains("Buat kata sandi baru"), "{html}");
    assert!(html.contains(r#"autocomplete="new-password""#));
    let english = browser
        .get(app.url(&to_change))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Choose a new password"), "{english}");

    let (csrf, req) = (hidden(&html, "csrf"), hidden(&html, "req"));
    let submit = |password: &'static str, confirm: &'static str| {
        let (csrf, req, browser, app) = (csrf.clone(), req.clone(), browser.clone(), &app);
        async move {
            post(
                app,
                &browser,
                "/login/password",
                &[
                    ("csrf", csrf.as_str()),
                    ("req", req.as_str()),
                    ("password", password),
                    ("confirm", confirm),
                ],
            )
            .await
        }
    };
    // Without a valid CSRF token nothing happens.
    let forged = post(
        &app,
        &browser,
        "/login/password",
        &[
            ("csrf", "x"),
            ("req", &req),
            ("password", NEW),
            ("confirm", NEW),
        ],
    )
    .await;
    assert!(forged.status().is_client_error(), "{}", forged.status());
    // The rules, each said in the page's language.
    for (password, confirm, expected) in [
        (
            NEW,
            "kata-sandi-lain-sekali",
            "Kedua kata sandi tidak sama.",
        ),
        ("pendek", "pendek", "minimal 10 karakter"),
        (ONE_TIME, ONE_TIME, "harus berbeda"),
    ] {
        let resp = submit(password, confirm).await;
        assert_eq!(resp.status(), 400);
        let body = resp.text().await.unwrap();
        assert!(body.contains(expected), "{expected}: {body}");
    }
    assert!(flag(&app, &user.id).await, "nothing changed yet");
    let refused = app.audit_events("password.change").await;
    assert_eq!(refused.len(), 3);
    assert!(refused.iter().all(|e| e.outcome == "failure"));

    // A good one: the request continues to the client with a code.
    let back = location(&submit(NEW, NEW).await);
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    assert!(!flag(&app, &user.id).await);
    let changed: Vec<_> = app
        .audit_events("password.change")
        .await
        .into_iter()
        .filter(|e| e.outcome == "success")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].subject.as_deref(), Some(user.id.as_str()));
    assert_eq!(changed[0].client_id.as_deref(), Some(client.id.as_str()));
    let token = app
        .token(
            &client,
            &secret,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(token.status(), 200);

    // The one-time password is gone; the new one logs in straight through.
    let other = app.new_browser();
    let start = mfa_support::start(&app, &other, &client, "").await;
    assert_eq!(log_in(&app, &other, &start, ONE_TIME).await.status(), 401);
    let back = location(&log_in(&app, &other, &start, NEW).await);
    assert!(query_param(&back, "code").is_some(), "{back}");
}

#[tokio::test]
async fn a_login_without_an_application_also_changes_the_one_time_password_first() {
    let app = spawn_app().await;
    let user = account_with_one_time_password(&app).await;
    let browser = app.new_browser();
    let resp = log_in(&app, &browser, "/login", ONE_TIME).await;
    assert_eq!(location(&resp), "/login/password");
    let html = page(&app, &browser, "/login/password").await;
    let resp = post(
        &app,
        &browser,
        "/login/password",
        &[
            ("csrf", &hidden(&html, "csrf")),
            ("req", ""),
            ("password", NEW),
            ("confirm", NEW),
        ],
    )
    .await;
    assert_eq!(location(&resp), "/");
    assert!(!flag(&app, &user.id).await);
    // Once changed, the page is not offered again.
    let again = browser
        .get(app.url("/login/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&again), "/");
}

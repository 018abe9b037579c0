//! Adversarial tests of the paths that issue codes and of security state: every
//! page that can continue an authorization request is tried with requests it must
//! not complete (a second factor skipped, a fresh login skipped, another browser's
//! request, a request answered twice), and security state is checked across a
//! restart and across interfaces (the CLI acting on the running server).
use crate::helpers::*;
use crate::mfa_support::{self, NIP};
use gapura::authn::Acr;
use sea_orm::{ConnectionTrait, Statement};

/// Every page that continues a pending request, posted directly with `req`.
async fn try_every_continuation(
    app: &TestApp,
    browser: &reqwest::Client,
    req: &str,
    csrf: &str,
) -> Vec<(String, u16, String)> {
    let mut out = Vec::new();
    for (path, extra) in [
        ("/consent", Some(("decision", "allow"))),
        ("/login/continue", None),
        ("/login/mfa", Some(("method", "totp"))),
        ("/login/mfa", Some(("method", "recovery"))),
        ("/login/enroll/totp", Some(("code", "123456"))),
        ("/login/passkey", Some(("credential", "{}"))),
    ] {
        let mut form = vec![("csrf", csrf), ("req", req)];
        if let Some(e) = extra {
            form.push(e);
        }
        let resp = browser
            .post(app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let loc = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        out.push((path.to_owned(), status, loc));
    }
    out
}

fn assert_no_code(results: &[(String, u16, String)]) {
    for (path, status, loc) in results {
        assert!(
            query_param(loc, "code").is_none(),
            "{path} issued a code ({status}): {loc}"
        );
        assert!(*status < 500, "{path} answered {status}");
    }
}

fn csrf_of(html: &str) -> String {
    hidden(html, "csrf")
}

#[tokio::test]
async fn a_required_second_factor_cannot_be_skipped_from_any_page() {
    let app = spawn_app().await;
    app.siti().await;
    let (client, _) = mfa_support::client_needing(&app, "Perizinan", Some(Acr::Mfa)).await;
    let browser = app.new_browser();
    let start = mfa_support::start(&app, &browser, &client, "").await;
    let after_password = mfa_support::password(&app, &browser, &start, NIP).await;
    assert!(
        after_password.starts_with("/login/enroll") || after_password.starts_with("/login/mfa"),
        "{after_password}"
    );
    let html = mfa_support::page(&app, &browser, &after_password).await;
    let results =
        try_every_continuation(&app, &browser, &hidden(&html, "req"), &csrf_of(&html)).await;
    assert_no_code(&results);
    let consent = &results[0];
    assert!(
        consent.2.starts_with("/login/enroll") || consent.2.starts_with("/login/mfa"),
        "the gate sends the person to the second factor: {consent:?}"
    );
}

#[tokio::test]
async fn a_required_password_change_cannot_be_skipped_from_any_page() {
    let app = spawn_app().await;
    let user = app.siti().await;
    gapura::users::require_password_change(&app.state.db, &user.id)
        .await
        .unwrap();
    let (client, _) = mfa_support::client_needing(&app, "Absensi", None).await;
    let browser = app.new_browser();
    let start = mfa_support::start(&app, &browser, &client, "").await;
    let after_password = mfa_support::password(&app, &browser, &start, NIP).await;
    assert!(
        after_password.starts_with("/login/password?req="),
        "{after_password}"
    );
    let html = mfa_support::page(&app, &browser, &after_password).await;
    let results =
        try_every_continuation(&app, &browser, &hidden(&html, "req"), &csrf_of(&html)).await;
    assert_no_code(&results);
    assert!(
        results[0].2.starts_with("/login/password"),
        "the gate sends the person to the new password: {:?}",
        results[0]
    );
    // A new authorization request with the live session: still no code.
    let again = mfa_support::start(&app, &browser, &client, "").await;
    assert!(again.starts_with("/login/password?req="), "{again}");
    // Nor silently: prompt=none is an error for the client.
    let silent = mfa_support::start(&app, &browser, &client, "&prompt=none").await;
    assert_eq!(
        query_param(&silent, "error").as_deref(),
        Some("interaction_required"),
        "{silent}"
    );
}

#[tokio::test]
async fn prompt_login_and_max_age_zero_need_a_new_login() {
    let app = spawn_app().await;
    app.siti().await;
    let (client, secret) = mfa_support::client_needing(&app, "Absensi", None).await;
    let browser = app.new_browser();
    // A live session first.
    let start = mfa_support::start(&app, &browser, &client, "").await;
    let back = mfa_support::password(&app, &browser, &start, NIP).await;
    assert!(query_param(&back, "code").is_some(), "{back}");
    for extra in ["&prompt=login", "&max_age=0"] {
        let start = mfa_support::start(&app, &browser, &client, extra).await;
        assert!(start.starts_with("/login?"), "{extra}: {start}");
        let html = mfa_support::page(&app, &browser, &start).await;
        let results =
            try_every_continuation(&app, &browser, &hidden(&html, "req"), &csrf_of(&html)).await;
        assert_no_code(&results);
        // The password satisfies it; the code's ID token is fresh.
        let back = mfa_support::password(&app, &browser, &start, NIP).await;
        assert!(query_param(&back, "code").is_some(), "{extra}: {back}");
        let (claims, _) = mfa_support::claims(&app, &client, &secret, &back).await;
        assert!(
            claims.auth_time().unwrap().timestamp() >= claims.issue_time().timestamp() - 1,
            "{extra}: auth_time is the new login"
        );
    }
}

#[tokio::test]
async fn a_pending_request_belongs_to_the_browser_that_started_it() {
    let app = spawn_app().await;
    app.siti().await;
    let (client, _) = mfa_support::client_needing(&app, "Absensi", None).await;
    let victim = app.new_browser();
    let start = mfa_support::start(&app, &victim, &client, "").await;
    let req = query_param(&format!("http://x{start}"), "req").unwrap();
    // Another browser (its own cookies) logs in with that request.
    let attacker = app.new_browser();
    let page = attacker
        .get(app.url(&format!("/login?req={req}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400, "another browser's request is refused");
    let html = mfa_support::page(&app, &attacker, "/login").await;
    let resp = attacker
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("req", req.as_str()),
            ("username", NIP),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    // An altered request is refused too.
    let mut altered = req.clone().into_bytes();
    let i = altered.len() / 2;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let resp = victim
        .get(app.url(&format!(
            "/login?req={}",
            String::from_utf8(altered).unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn a_pending_request_yields_at_most_one_answer() {
    let app = spawn_app().await;
    app.siti().await;
    let (client, _) = app
        .add_client(gapura::clients::NewClient {
            name: "Aplikasi Pihak Ketiga".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: false,
            ..Default::default()
        })
        .await;
    let browser = app.new_browser();
    let start = mfa_support::start(&app, &browser, &client, "").await;
    let to_consent = mfa_support::password(&app, &browser, &start, NIP).await;
    assert!(to_consent.starts_with("/consent"), "{to_consent}");
    let html = mfa_support::page(&app, &browser, &to_consent).await;
    let form = [
        ("csrf", csrf_of(&html)),
        ("req", hidden(&html, "req")),
        ("decision", "allow".to_owned()),
    ];
    let first = browser
        .post(app.url("/consent"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(query_param(&location(&first), "code").is_some());
    let again = browser
        .post(app.url("/consent"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let loc = again
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        query_param(&loc, "code").is_none(),
        "the same request answered twice: {loc}"
    );
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("invalid_request")
    );
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn unauthenticated_authorization_requests_keep_nothing_on_the_server() {
    let app = spawn_app().await;
    let (client, _) = mfa_support::client_needing(&app, "Absensi", None).await;
    let before = count(&app, "kv_entry").await;
    for _ in 0..300 {
        let loc = location(
            &app.http
                .get(mfa_support::auth_url(&app, &client, ""))
                .send()
                .await
                .unwrap(),
        );
        assert!(loc.starts_with("/login?req="), "{loc}");
    }
    assert_eq!(count(&app, "kv_entry").await, before);
    assert_eq!(count(&app, "kv_member").await, 0);

    // Logout confirmations carry their state in the form too.
    app.siti().await;
    let browser = app.new_browser();
    let start = mfa_support::start(&app, &browser, &client, "").await;
    mfa_support::password(&app, &browser, &start, NIP).await;
    let before = count(&app, "kv_entry").await;
    for _ in 0..100 {
        let page = browser.get(app.url("/logout")).send().await.unwrap();
        assert_eq!(page.status(), 200, "a confirmation page");
    }
    assert_eq!(count(&app, "kv_entry").await, before);
}

#[tokio::test]
async fn security_state_survives_a_restart() {
    let app = spawn_app().await;
    app.siti().await;
    let (client, secret) = mfa_support::client_needing(&app, "Absensi", None).await;
    let (browser, _jar) = app.browser_with_jar();
    // A session, and tokens from it.
    let start = mfa_support::start(&app, &browser, &client, "").await;
    let back = mfa_support::password(&app, &browser, &start, NIP).await;
    let code = query_param(&back, "code").unwrap();
    let tokens = json(
        app.token(
            &client,
            &secret,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await,
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let revoke = app
        .http
        .post(app.url("/revoke"))
        .basic_auth(&client.id, Some(&secret))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    // Someone else is locked out.
    app.add_user("199001012015031002", "budi@kotabogor.go.id")
        .await;
    let other = app.new_browser();
    for _ in 0..5 {
        let html = mfa_support::page(&app, &other, "/login").await;
        other
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("username", "199001012015031002"),
                ("password", "salah"),
            ])
            .send()
            .await
            .unwrap();
    }

    // Restart: the first instance stops, a new one starts on the same database.
    app.server.stop(true).await;
    let app2 = spawn_second(&app).await;
    let introspected = json(
        app2.http
            .post(app2.url("/introspect"))
            .basic_auth(&client.id, Some(&secret))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        introspected["active"], false,
        "revocation survives a restart"
    );
    let again = location(
        &browser
            .get(mfa_support::auth_url(&app, &client, "").replace(&app.issuer, &app2.url("")))
            .send()
            .await
            .unwrap(),
    );
    assert!(
        query_param(&again, "code").is_some(),
        "the SSO session survives a restart: {again}"
    );
    let html = mfa_support::page(&app2, &other, "/login").await;
    let locked = other
        .post(app2.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("username", "199001012015031002"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429, "the lock survives a restart");
}

#[tokio::test]
async fn the_admin_api_refuses_a_token_whose_grant_was_revoked() {
    let app = spawn_app().await;
    let console = app.admin_console().await;
    let admin = app.super_admin().await;
    let grant = gapura::oidc::grants::new_grant_id();
    let ctx = gapura::oidc::tokens::GrantContext {
        grant_id: Some(grant.clone()),
        scope: gapura::domain::Scopes::parse("openid gapura.admin").unwrap(),
        sid: None,
        auth_time: None,
        acr: None,
        amr: Vec::new(),
        extra: Default::default(),
    };
    gapura::oidc::grants::create(
        &app.state.db,
        gapura::oidc::grants::Grant {
            id: grant.clone(),
            user_id: admin.id.clone(),
            client_id: console.id.to_string(),
            scope: "openid gapura.admin".into(),
            sid: None,
            auth_time: app.state.now(),
            acr: "urn:gapura:acr:pwd".into(),
            amr: "pwd".into(),
            created_at: app.state.now(),
            revoked_at: None,
            revoked_reason: None,
        },
    )
    .await
    .unwrap();
    let (token, _) = gapura::oidc::tokens::access_token(&app.state, &console, Some(&admin), &ctx)
        .await
        .unwrap();
    let list = |t: String| {
        let app = &app;
        async move {
            app.http
                .get(app.url("/admin/api/v1/opd"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(list(token.clone()).await, 200);
    gapura::oidc::grants::revoke(&app.state, &grant, "test")
        .await
        .unwrap();
    assert_eq!(list(token).await, 401);
}

fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    use secrecy::ExposeSecret;
    std::process::Command::new(env!("CARGO_BIN_EXE_gapura"))
        .args(args)
        .env(
            "DATABASE_URL",
            app.state.settings.database_url.expose_secret(),
        )
        .env("GAPURA_KEYS_DIR", &app.state.settings.keys_dir)
        .env("GAPURA_ISSUER", &app.issuer)
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run gapura")
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn cli_commands_act_on_the_running_server_at_once() {
    let app = spawn_app().await;
    app.siti().await;
    let (client, _) = mfa_support::client_needing(&app, "Absensi", None).await;
    let browser = app.new_browser();
    let start = mfa_support::start(&app, &browser, &client, "").await;
    mfa_support::password(&app, &browser, &start, NIP).await;

    // The CLI sees the server's session and ends it.
    let out = ok(&cli(&app, &["user", "logout", NIP]));
    assert!(out.contains('1'), "one session ended: {out}");
    let loc = mfa_support::start(&app, &browser, &client, "").await;
    assert!(loc.starts_with("/login?"), "logged out everywhere: {loc}");

    // A client policy set by the CLI applies within a second.
    mfa_support::password(&app, &browser, &loc, NIP).await;
    ok(&cli(
        &app,
        &["mfa", "require", &format!("--client={}", client.id)],
    ));
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let loc = mfa_support::start(&app, &browser, &client, "").await;
    assert!(
        loc.starts_with("/login/enroll") || loc.starts_with("/login/mfa"),
        "the new rule applies: {loc}"
    );
    assert_eq!(
        app.audit_events("admin.client.min_acr").await.len(),
        1,
        "the CLI's change is audited"
    );
}

#[tokio::test]
async fn cli_unlock_lifts_the_servers_lock() {
    let app = spawn_app().await;
    app.siti().await;
    let browser = app.new_browser();
    let attempt = |password: &'static str| {
        let (app, browser) = (&app, &browser);
        async move {
            let html = mfa_support::page(app, browser, "/login").await;
            browser
                .post(app.url("/login"))
                .form(&[
                    ("csrf", csrf_of(&html).as_str()),
                    ("username", NIP),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for _ in 0..5 {
        attempt("salah").await;
    }
    assert_eq!(attempt(PASSWORD).await, 429);
    ok(&cli(&app, &["user", "unlock", NIP]));
    assert_eq!(
        attempt(PASSWORD).await,
        303,
        "unlocked for the running server"
    );
}

#[tokio::test]
async fn an_action_that_cannot_be_audited_does_not_happen() {
    let app = spawn_app().await;
    app.siti().await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    db.execute_unprepared("ALTER TABLE audit_event RENAME TO audit_event_gone")
        .await
        .unwrap();
    let browser = app.new_browser();
    let html = mfa_support::page(&app, &browser, "/login").await;
    let resp = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("username", NIP),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503, "a login that cannot be audited fails");
    assert!(
        !resp.headers().get_all("set-cookie").iter().any(|c| c
            .to_str()
            .unwrap()
            .contains("gapura_session=")
            && !c.to_str().unwrap().contains("Max-Age=0")),
        "no session cookie"
    );
    db.execute_unprepared("ALTER TABLE audit_event_gone RENAME TO audit_event")
        .await
        .unwrap();

    // A database that refuses writes: not ready.
    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let block = match backend {
        sea_orm::DbBackend::Postgres => vec![
            "CREATE FUNCTION refuse_write() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'read-only'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE UPDATE ON health_probe FOR EACH ROW EXECUTE FUNCTION refuse_write()",
        ],
        _ => vec![
            "CREATE TRIGGER refuse BEFORE UPDATE ON health_probe BEGIN SELECT RAISE(ABORT, 'read-only'); END",
        ],
    };
    for sql in block {
        db.execute_unprepared(sql).await.unwrap();
    }
    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(json(ready).await["checks"]["database"], "down");
}

#[tokio::test]
async fn username_less_passkey_options_keep_nothing_on_the_server() {
    let app = spawn_app_localhost().await;
    let browser = app.new_browser();
    let html = mfa_support::page(&app, &browser, "/login").await;
    let csrf = csrf_of(&html);
    let before = count(&app, "kv_entry").await;
    for _ in 0..100 {
        let resp = browser
            .post(app.url("/login/passkey/options"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(count(&app, "kv_entry").await, before);
}

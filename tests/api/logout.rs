use crate::helpers::*;
use gapura::clients::{Client, NewClient};
use gapura::logout::{self, EndReason, backchannel};

const POST_LOGOUT: &str = "http://127.0.0.1:9/logged-out";

async fn logout_client(app: &TestApp, backchannel_uri: &str) -> (Client, String) {
    let (c, s) = app
        .add_client(NewClient {
            name: "TNDE".into(),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![POST_LOGOUT.into()],
            first_party: true,
            backchannel_logout_uri: Some(backchannel_uri.into()),
            backchannel_logout_session_required: true,
            frontchannel_logout_uri: Some("https://tnde.kotabogor.go.id/fc-logout".into()),
            frontchannel_logout_session_required: true,
            ..NewClient::default()
        })
        .await;
    (c, s.unwrap())
}

async fn tokens(app: &TestApp, c: &Client, s: &str, scope: &str) -> serde_json::Value {
    let code = app.code_for(c, scope, VERIFIER).await;
    json(
        app.token(
            c,
            s,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await,
    )
    .await
}

fn sid_of(id_token: &str) -> String {
    gapura::jose::UnverifiedJws::parse(id_token).unwrap().claims["sid"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn prompt_none(app: &TestApp, c: &Client) -> String {
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&prompt=none&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    location(&app.browser.get(url).send().await.unwrap())
}

#[tokio::test]
async fn rp_initiated_logout_with_hint_ends_everything_and_tells_every_channel() {
    let app = spawn_app().await;
    app.siti().await;
    let rp = logout_receiver(0).await;
    let (c, s) = logout_client(&app, &rp.url).await;
    let body = tokens(&app, &c, &s, "openid").await;
    let id_token = body["id_token"].as_str().unwrap();
    let sid = sid_of(id_token);
    let rt = body["refresh_token"].as_str().unwrap();

    let url = format!(
        "{}/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
        app.issuer,
        enc(POST_LOGOUT)
    );
    let resp = app.browser.get(url).send().await.unwrap();
    assert_eq!(
        resp.status(),
        200,
        "the logged-out page loads the front-channel URIs first"
    );
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-src https://tnde.kotabogor.go.id"),
        "{csp}"
    );
    let html = resp.text().await.unwrap();
    let expected_frame = format!(
        "https://tnde.kotabogor.go.id/fc-logout?iss={}&#38;sid={}",
        enc(&app.issuer),
        enc(&sid)
    );
    assert!(
        html.contains(&expected_frame),
        "front-channel iframe with iss and sid: {html}"
    );
    assert!(
        html.contains("http://127.0.0.1:9/logged-out?state=bye"),
        "continues to the registered URI with state"
    );

    // The session is gone, and the refresh token of the session with it.
    assert_eq!(
        query_param(&prompt_none(&app, &c).await, "error").as_deref(),
        Some("login_required")
    );
    let refresh = app
        .token(
            &c,
            &s,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_eq!(json(refresh).await["error"], "invalid_grant");

    // The back channel: one signed logout token for this session.
    assert_eq!(backchannel::deliver_due(&app.state, 10).await.unwrap(), 1);
    let received = rp.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let claims = verify_logout_token(&app, &received[0], &c.id).await;
    assert_eq!(claims["sid"], sid.as_str());
    assert!(!app.audit_events("session.end").await.is_empty());
}

#[tokio::test]
async fn logout_without_proof_asks_first() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = logout_client(&app, "http://127.0.0.1:9/bc").await;
    tokens(&app, &c, &s, "openid").await;
    let resp = app
        .browser
        .get(format!(
            "{}/logout?client_id={}&post_logout_redirect_uri={}",
            app.issuer,
            c.id,
            enc(POST_LOGOUT)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    assert!(page.contains("Ya, keluar"));
    assert!(
        prompt_none(&app, &c).await.contains("code="),
        "nothing ended before confirming"
    );
    let resp = app
        .browser
        .post(app.url("/logout/confirm"))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("logout_id", hidden(&page, "logout_id")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains(POST_LOGOUT));
    assert_eq!(
        query_param(&prompt_none(&app, &c).await, "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn unregistered_post_logout_redirect_uri_is_never_followed() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = logout_client(&app, "http://127.0.0.1:9/bc").await;
    let body = tokens(&app, &c, &s, "openid").await;
    let id_token = body["id_token"].as_str().unwrap();
    for target in ["https://evil.example/", "http://127.0.0.1:9/logged-out/x"] {
        let resp = app
            .browser
            .get(format!(
                "{}/logout?id_token_hint={id_token}&post_logout_redirect_uri={}",
                app.issuer,
                enc(target)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.headers().get("location").is_none());
    }
    let resp = app
        .browser
        .get(format!("{}/logout?id_token_hint=not-a-jwt", app.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = app
        .browser
        .get(format!(
            "{}/logout?id_token_hint={id_token}&client_id=someone-else",
            app.issuer
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "hint audience must match client_id");
}

#[tokio::test]
async fn an_expired_id_token_hint_still_logs_out() {
    let app = spawn_app_with(|s| s.tokens.id_token_ttl = 60).await;
    app.siti().await;
    let (c, s) = app
        .add_client(NewClient {
            name: "x".into(),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![POST_LOGOUT.into()],
            first_party: true,
            ..NewClient::default()
        })
        .await;
    let body = tokens(&app, &c, &s.unwrap(), "openid").await;
    app.clock.advance(300);
    let url = format!(
        "{}/logout?id_token_hint={}&post_logout_redirect_uri={}&state=s",
        app.issuer,
        body["id_token"].as_str().unwrap(),
        enc(POST_LOGOUT)
    );
    let resp = app.browser.get(url).send().await.unwrap();
    assert_eq!(
        resp.status(),
        303,
        "no front-channel clients: straight back"
    );
    assert_eq!(location(&resp), format!("{POST_LOGOUT}?state=s"));
}

#[tokio::test]
async fn backchannel_delivery_retries_after_errors() {
    let app = spawn_app().await;
    app.siti().await;
    let rp = logout_receiver(1).await;
    let (c, s) = logout_client(&app, &rp.url).await;
    let body = tokens(&app, &c, &s, "openid").await;
    let url = format!(
        "{}/logout?id_token_hint={}",
        app.issuer,
        body["id_token"].as_str().unwrap()
    );
    app.browser.get(url).send().await.unwrap();
    assert_eq!(backchannel::deliver_due(&app.state, 10).await.unwrap(), 1);
    assert!(
        rp.received.lock().unwrap().is_empty(),
        "the RP answered 500"
    );
    let pending = backchannel::list(&app.state, Some("pending"), 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(pending[0].last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(
        backchannel::deliver_due(&app.state, 10).await.unwrap(),
        0,
        "not before the back-off"
    );
    app.clock.advance(backchannel::backoff(1));
    assert_eq!(backchannel::deliver_due(&app.state, 10).await.unwrap(), 1);
    assert_eq!(rp.received.lock().unwrap().len(), 1);
    assert_eq!(
        backchannel::list(&app.state, Some("delivered"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn expiry_admin_action_and_suspension_fire_backchannel_logout() {
    let app = spawn_app().await;
    let siti = app.siti().await;
    let rp = logout_receiver(0).await;
    let (c, s) = logout_client(&app, &rp.url).await;

    // Idle timeout.
    tokens(&app, &c, &s, "openid").await;
    app.clock.advance(1801);
    assert_eq!(logout::sweep_expired(&app.state).await.unwrap(), 1);
    assert_eq!(
        logout::sweep_expired(&app.state).await.unwrap(),
        0,
        "ended once"
    );
    let rows = backchannel::list(&app.state, None, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].reason, "expired");

    // An administrator ends the person's sessions.
    app.browser.get(app.url("/")).send().await.unwrap();
    tokens(&app, &c, &s, "openid").await;
    assert_eq!(
        logout::end_user_sessions(&app.state, &siti.id, EndReason::Admin, None)
            .await
            .unwrap(),
        1
    );
    let rows = backchannel::list(&app.state, None, 10).await.unwrap();
    assert_eq!(rows.iter().filter(|r| r.reason == "admin").count(), 1);

    // Suspension: even offline_access grants end, with a sub-only logout token.
    let body = tokens(&app, &c, &s, "openid offline_access").await;
    logout::end_user_sessions(&app.state, &siti.id, EndReason::Logout, None)
        .await
        .unwrap();
    let rt = body["refresh_token"].as_str().unwrap();
    let refresh = app
        .token(
            &c,
            &s,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_eq!(
        refresh.status(),
        200,
        "offline_access survives the end of the session"
    );
    let rt = json(refresh).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    logout::suspend_effects(&app.state, &siti.id).await.unwrap();
    let refresh = app
        .token(
            &c,
            &s,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_eq!(json(refresh).await["error"], "invalid_grant");

    backchannel::deliver_due(&app.state, 10).await.unwrap();
    let received = rp.received.lock().unwrap().clone();
    assert!(received.len() >= 3);
    for token in &received {
        let claims = verify_logout_token(&app, token, &c.id).await;
        assert_eq!(claims["sub"], siti.id.as_str());
    }
}

#[tokio::test]
async fn discovery_advertises_logout() {
    let app = spawn_app().await;
    let doc = json(
        app.http
            .get(app.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(doc["end_session_endpoint"], app.url("/logout"));
    assert_eq!(doc["backchannel_logout_supported"], true);
    assert_eq!(doc["frontchannel_logout_session_supported"], true);
}

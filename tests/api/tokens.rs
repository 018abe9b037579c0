use crate::helpers::*;

async fn exchange(
    app: &TestApp,
    client: &gapura::clients::Client,
    secret: &str,
    code: &str,
) -> reqwest::Response {
    app.token(
        client,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

/// Presents a refresh token (no scope parameter).
async fn refresh(
    app: &TestApp,
    client: &gapura::clients::Client,
    secret: &str,
    token: &str,
) -> reqwest::Response {
    app.token(
        client,
        secret,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

async fn introspect(
    app: &TestApp,
    client: &gapura::clients::Client,
    secret: &str,
    token: &str,
) -> serde_json::Value {
    let resp = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(&client.id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    json(resp).await
}

#[tokio::test]
async fn responses_are_not_cached() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let resp = exchange(&app, &c, &s, &code).await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.headers()["pragma"], "no-cache");
    let body = json(resp).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "openid");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_grant() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid profile", VERIFIER).await;
    let first = json(exchange(&app, &c, &s, &code).await).await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();

    let second = json(refresh(&app, &c, &s, &rt1).await).await;
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2, "rotated");
    assert!(
        second["id_token"].is_string(),
        "refresh also gives an ID token"
    );
    let at2 = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(introspect(&app, &c, &s, &at2).await["active"], true);

    // Narrowing the scope is allowed, widening is not.
    let wide = app
        .token(
            &c,
            &s,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt2),
                ("scope", "openid email"),
            ],
        )
        .await;
    assert_eq!(wide.status(), 400);
    assert_eq!(json(wide).await["error"], "invalid_scope");

    // Reusing the rotated token revokes everything of the grant.
    let reuse = refresh(&app, &c, &s, &rt1).await;
    assert_eq!(reuse.status(), 400);
    assert_eq!(json(reuse).await["error"], "invalid_grant");
    let after = refresh(&app, &c, &s, &rt2).await;
    assert_eq!(json(after).await["error"], "invalid_grant");
    assert_eq!(introspect(&app, &c, &s, &at2).await["active"], false);
    let userinfo = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(&at2)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    assert!(!app.audit_events("refresh.reuse").await.is_empty());
}

#[tokio::test]
async fn refresh_token_of_another_client_is_refused_and_left_usable() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let (other, other_secret) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let body = json(exchange(&app, &c, &s, &code).await).await;
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    let stolen = refresh(&app, &other, &other_secret, &rt).await;
    assert_eq!(stolen.status(), 400);
    assert_eq!(json(stolen).await["error"], "invalid_grant");
    // The rightful client's token was not consumed, so no reuse is detected.
    let own = refresh(&app, &c, &s, &rt).await;
    assert_eq!(own.status(), 200);
    assert!(app.audit_events("refresh.reuse").await.is_empty());
}

#[tokio::test]
async fn narrowed_refresh_keeps_the_granted_scope_for_the_next_one() {
    // RFC 6749 §6: the new refresh token's scope is that of the one presented.
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid profile", VERIFIER).await;
    let body = json(exchange(&app, &c, &s, &code).await).await;
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    let narrow = json(
        app.token(
            &c,
            &s,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("scope", "openid"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(narrow["scope"], "openid");
    let next = narrow["refresh_token"].as_str().unwrap();
    let full = json(refresh(&app, &c, &s, next).await).await;
    assert_eq!(full["scope"], "openid profile");
}

#[tokio::test]
async fn concurrent_use_of_one_refresh_token_redeems_it_at_most_once() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let body = json(exchange(&app, &c, &s, &code).await).await;
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let results = futures_util::future::join_all((0..6).map(|_| app.token(&c, &s, &form))).await;
    // At most one request redeems it; the others are replays, which end the grant
    // (so even the winner's tokens may already be revoked when it answers).
    let ok = results.iter().filter(|r| r.status() == 200).count();
    assert!(ok <= 1, "{ok} requests redeemed one refresh token");
    assert!(!app.audit_events("refresh.reuse").await.is_empty());
}

#[tokio::test]
async fn replayed_code_fails_and_revokes_what_it_issued() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let first = json(exchange(&app, &c, &s, &code).await).await;
    let replay = exchange(&app, &c, &s, &code).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(json(replay).await["error"], "invalid_grant");
    let at = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &c, &s, at).await["active"], false);
    let rt = first["refresh_token"].as_str().unwrap();
    let refresh = refresh(&app, &c, &s, rt).await;
    assert_eq!(json(refresh).await["error"], "invalid_grant");
    assert!(!app.audit_events("code.replay").await.is_empty());
}

#[tokio::test]
async fn code_expires_after_sixty_seconds() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    app.clock.advance(61);
    let resp = exchange(&app, &c, &s, &code).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"], "invalid_grant");
}

#[tokio::test]
async fn pkce_mismatch_and_redirect_mismatch_are_invalid_grant() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let wrong = "x".repeat(43);
    let resp = app
        .token(
            &c,
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &wrong),
            ],
        )
        .await;
    assert_eq!(json(resp).await["error"], "invalid_grant");
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let resp = app
        .token(
            &c,
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/other"),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(json(resp).await["error"], "invalid_grant");
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let resp = app
        .token(
            &c,
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_eq!(
        json(resp).await["error"],
        "invalid_grant",
        "verifier required when a challenge was sent"
    );
}

#[tokio::test]
async fn client_credentials_token_is_for_the_client_only() {
    let app = spawn_app().await;
    let (c, s) = app.web_client().await;
    let resp = app
        .token(&c, &s, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let at = body["access_token"].as_str().unwrap();
    let info = introspect(&app, &c, &s, at).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], c.id.as_str());
    assert_eq!(info["client_id"], c.id.as_str());
    let userinfo = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 403);
    assert!(
        userinfo.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    let openid = app
        .token(
            &c,
            &s,
            &[("grant_type", "client_credentials"), ("scope", "openid")],
        )
        .await;
    assert_eq!(json(openid).await["error"], "invalid_scope");
}

#[tokio::test]
async fn introspection_rules() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let (other, other_secret) = app.web_client().await;
    let code = app.code_for(&c, "openid profile", VERIFIER).await;
    let body = json(exchange(&app, &c, &s, &code).await).await;
    let at = body["access_token"].as_str().unwrap();
    let rt = body["refresh_token"].as_str().unwrap();
    let info = introspect(&app, &c, &s, at).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["username"], "198609262015052001");
    assert_eq!(info["scope"], "openid profile");
    assert_eq!(introspect(&app, &c, &s, rt).await["active"], true);
    assert_eq!(
        introspect(&app, &other, &other_secret, rt).await["active"],
        false,
        "refresh tokens only to their client"
    );
    assert_eq!(
        introspect(&app, &c, &s, "not-a-token").await,
        serde_json::json!({"active": false})
    );
    app.clock.advance(601);
    assert_eq!(
        introspect(&app, &c, &s, at).await["active"],
        false,
        "expired"
    );
    let anonymous = app
        .http
        .post(app.url("/introspect"))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn revocation_of_access_and_refresh_tokens() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let body = json(exchange(&app, &c, &s, &code).await).await;
    let at = body["access_token"].as_str().unwrap();
    let rt = body["refresh_token"].as_str().unwrap();
    let revoke = |token: &str| {
        app.http
            .post(app.url("/revoke"))
            .basic_auth(&c.id, Some(&s))
            .form(&[("token", token)])
            .send()
    };
    assert_eq!(revoke(at).await.unwrap().status(), 200);
    assert_eq!(introspect(&app, &c, &s, at).await["active"], false);
    assert_eq!(
        app.http
            .get(app.url("/userinfo"))
            .bearer_auth(at)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        introspect(&app, &c, &s, rt).await["active"],
        true,
        "revoking an access token leaves the grant"
    );
    assert_eq!(revoke(rt).await.unwrap().status(), 200);
    assert_eq!(introspect(&app, &c, &s, rt).await["active"], false);
    assert_eq!(revoke("unknown-token").await.unwrap().status(), 200);
    assert!(!app.audit_events("token.revoke").await.is_empty());
}

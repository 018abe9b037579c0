use crate::helpers::*;
use gapura::crypto::b64;

fn authorize_url(app: &TestApp, client_id: &str, redirect: &str, extra: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=st&code_challenge={}&code_challenge_method=S256{extra}",
        app.issuer,
        enc(client_id),
        enc(redirect),
        challenge(VERIFIER)
    )
}

async fn error_of(app: &TestApp, url: &str) -> (Option<String>, Option<String>) {
    let resp = app.browser.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 303, "{url}");
    let loc = location(&resp);
    assert!(loc.starts_with(REDIRECT), "{loc}");
    (query_param(&loc, "error"), query_param(&loc, "state"))
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_gets_a_page_never_a_redirect() {
    let app = spawn_app().await;
    let (c, _) = app.web_client().await;
    for url in [
        authorize_url(&app, "no-such-client", REDIRECT, ""),
        authorize_url(&app, &c.id, "http://127.0.0.1:9/evil", ""),
        authorize_url(&app, &c.id, "http://127.0.0.1:9/callback/", ""),
        format!(
            "{}/authorize?response_type=code&client_id={}&scope=openid",
            app.issuer, c.id
        ),
        format!(
            "{}&redirect_uri={}",
            authorize_url(&app, &c.id, REDIRECT, ""),
            enc(REDIRECT)
        ),
    ] {
        let resp = app.browser.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{url}");
        assert!(resp.headers().get("location").is_none());
        let html = resp.text().await.unwrap();
        assert!(html.contains("lang=\"id\""));
    }
}

#[tokio::test]
async fn authorization_errors_go_back_with_state() {
    let app = spawn_app().await;
    let (c, _) = app.web_client().await;
    let cases = [
        ("&code_challenge_method=plain", "invalid_request"),
        ("&scope=openid", "invalid_request"),
        ("&request=eyJhbGciOiJub25lIn0.e30.", "request_not_supported"),
        ("&prompt=none%20login", "invalid_request"),
        ("&max_age=-1", "invalid_request"),
    ];
    for (extra, expected) in cases {
        let url = authorize_url(&app, &c.id, REDIRECT, "")
            .replace("&code_challenge_method=S256", "")
            + extra;
        let url = if extra.contains("code_challenge_method") {
            url
        } else {
            format!("{url}&code_challenge_method=S256")
        };
        let (error, state) = error_of(&app, &url).await;
        assert_eq!(error.as_deref(), Some(expected), "{extra}");
        assert_eq!(state.as_deref(), Some("st"));
    }
    let bad_type = authorize_url(&app, &c.id, REDIRECT, "")
        .replace("response_type=code", "response_type=token");
    assert_eq!(
        error_of(&app, &bad_type).await.0.as_deref(),
        Some("unsupported_response_type")
    );
    let bad_scope =
        authorize_url(&app, &c.id, REDIRECT, "").replace("scope=openid", "scope=openid%20admin");
    assert_eq!(
        error_of(&app, &bad_scope).await.0.as_deref(),
        Some("invalid_scope")
    );
}

#[tokio::test]
async fn token_endpoint_errors_are_rfc6749_json() {
    let app = spawn_app().await;
    let (c, s) = app.web_client().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![], "invalid_request"),
        (
            vec![("grant_type", "authorization_code")],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("redirect_uri", REDIRECT),
            ],
            "invalid_grant",
        ),
        (
            vec![("grant_type", "refresh_token"), ("refresh_token", "nope")],
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            "invalid_request",
        ),
    ];
    for (form, expected) in cases {
        let resp = app.token(&c, &s, &form).await;
        assert_eq!(resp.status(), 400, "{form:?}");
        let body = json(resp).await;
        assert_eq!(body["error"], expected, "{form:?}");
    }
    let wrong_type = app
        .http
        .post(app.url("/token"))
        .basic_auth(&c.id, Some(&s))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 400);
    assert_eq!(json(wrong_type).await["error"], "invalid_request");
}

#[tokio::test]
async fn oversized_inputs_are_refused_cleanly() {
    let app = spawn_app().await;
    let (c, s) = app.web_client().await;
    let huge = "a".repeat(70 * 1024);
    let resp = app
        .token(
            &c,
            &s,
            &[("grant_type", "authorization_code"), ("code", &huge)],
        )
        .await;
    assert_eq!(resp.status(), 413);
    let big = "a".repeat(20 * 1024);
    let resp = app
        .token(
            &c,
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("code", &big),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"], "invalid_request");
    let url = authorize_url(
        &app,
        &c.id,
        REDIRECT,
        &format!("&nonce={}", "n".repeat(600)),
    );
    assert_eq!(
        error_of(&app, &url).await.0.as_deref(),
        Some("invalid_request")
    );
    let resp = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth("x".repeat(20_000))
        .send()
        .await
        .unwrap();
    assert!(
        resp.status() == 401 || resp.status() == 431 || resp.status() == 400,
        "{}",
        resp.status()
    );
}

#[tokio::test]
async fn userinfo_refuses_forged_tokens() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Bearer realm=\"gapura\"",
        "no error code without credentials"
    );

    let now = app.state.now();
    let claims = serde_json::json!({"iss": app.issuer, "sub": "x", "aud": app.issuer, "exp": now + 300, "iat": now, "scope": "openid", "gid": "g", "jti": "j"});
    let body = b64(claims.to_string().as_bytes());
    let jwks = json(app.http.get(app.url("/jwks")).send().await.unwrap()).await;
    let rsa = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "RSA")
        .unwrap()
        .clone();
    let kid = rsa["kid"].as_str().unwrap();
    let none = format!(
        "{}.{body}.",
        b64(format!(r#"{{"alg":"none","typ":"at+jwt","kid":"{kid}"}}"#).as_bytes())
    );
    let header = b64(format!(r#"{{"alg":"HS256","typ":"at+jwt","kid":"{kid}"}}"#).as_bytes());
    let input = format!("{header}.{body}");
    let n = gapura::crypto::b64_decode(rsa["n"].as_str().unwrap()).unwrap();
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &n),
        input.as_bytes(),
    );
    let hs256 = format!("{input}.{}", b64(mac.as_ref()));
    let unknown_kid = {
        let der = gapura::jose::SigningKeyPair::generate_pkcs8(gapura::jose::Alg::EdDsa).unwrap();
        gapura::jose::SigningKeyPair::from_pkcs8("unknown".into(), gapura::jose::Alg::EdDsa, &der)
            .unwrap()
            .sign("at+jwt", &claims)
            .unwrap()
    };
    for token in [none, hs256, unknown_kid, "garbage".to_string()] {
        let resp = app
            .http
            .get(app.url("/userinfo"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        let challenge = resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    }
    let both = app
        .http
        .post(app.url("/userinfo"))
        .bearer_auth("a")
        .form(&[("access_token", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
}

#[tokio::test]
async fn id_token_as_access_token_is_refused() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let body = json(
        app.token(
            &c,
            &s,
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
    let resp = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(body["id_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "typ must be at+jwt");
}

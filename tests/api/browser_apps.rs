//! What a browser application (and the libraries app teams use) needs from the
//! token-style endpoints: CORS for registered origins only, either secret method,
//! a challenge on every 401, and a request id to quote.

use crate::helpers::*;
use gapura::clients::{AuthMethod, Client, NewClient};

const SPA_ORIGIN: &str = "http://localhost:5173";

async fn spa(app: &TestApp) -> Client {
    app.add_client(NewClient {
        name: "Aplikasi Peta".into(),
        redirect_uris: vec![format!("{SPA_ORIGIN}/callback")],
        public: true,
        first_party: true,
        ..NewClient::default()
    })
    .await
    .0
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Logs Siti in to the public `client` and exchanges the code from `origin`.
async fn sign_in_and_exchange(
    app: &TestApp,
    client: &Client,
    scope: &str,
    origin: &str,
) -> reqwest::Response {
    app.siti().await;
    let code = app.code_for(client, scope, VERIFIER).await;
    app.http
        .post(app.url("/token"))
        .header("Origin", origin)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uris[0].as_str()),
            ("client_id", client.id.as_str()),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.http
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn discovery_and_jwks_are_readable_from_any_origin() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/jwks",
    ] {
        let r = app
            .http
            .get(app.url(path))
            .header("Origin", "https://anywhere.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            header(&r, "access-control-allow-origin").as_deref(),
            Some("*")
        );
        assert!(header(&r, "access-control-allow-credentials").is_none());
        let p = app
            .http
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("Origin", "https://anywhere.example")
            .header("Access-Control-Request-Method", "GET")
            .send()
            .await
            .unwrap();
        assert!(p.status().is_success(), "{path} preflight");
        assert_eq!(
            header(&p, "access-control-allow-origin").as_deref(),
            Some("*")
        );
    }
    let doc = json(
        app.http
            .get(app.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(doc["claims_parameter_supported"], true);
}

#[tokio::test]
async fn a_spa_on_its_registered_origin_uses_the_token_endpoints() {
    let app = spawn_app().await;
    let client = spa(&app).await;

    for path in ["/token", "/userinfo", "/revoke", "/introspect"] {
        let p = preflight(&app, path, SPA_ORIGIN).await;
        assert_eq!(p.status(), 204, "{path}");
        assert_eq!(
            header(&p, "access-control-allow-origin").as_deref(),
            Some(SPA_ORIGIN)
        );
        assert!(
            header(&p, "access-control-allow-methods")
                .unwrap()
                .contains("POST")
        );
        assert!(
            header(&p, "access-control-allow-headers")
                .unwrap()
                .to_lowercase()
                .contains("content-type")
        );
        assert!(header(&p, "vary").unwrap().contains("Origin"));
        assert!(header(&p, "access-control-allow-credentials").is_none());
    }
    assert!(
        header(
            &preflight(&app, "/userinfo", SPA_ORIGIN).await,
            "access-control-allow-methods"
        )
        .unwrap()
        .contains("GET")
    );

    let r = sign_in_and_exchange(&app, &client, "openid profile", SPA_ORIGIN).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some(SPA_ORIGIN)
    );
    assert!(header(&r, "vary").unwrap().contains("Origin"));
    assert!(
        header(&r, "set-cookie").is_none(),
        "no cookies at the token endpoint"
    );
    let tokens = json(r).await;
    let at = tokens["access_token"].as_str().unwrap();

    let info = app
        .http
        .get(app.url("/userinfo"))
        .header("Origin", SPA_ORIGIN)
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    assert_eq!(
        header(&info, "access-control-allow-origin").as_deref(),
        Some(SPA_ORIGIN)
    );

    // errors are readable too, with the challenge exposed
    let bad = app
        .http
        .get(app.url("/userinfo"))
        .header("Origin", SPA_ORIGIN)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(
        header(&bad, "access-control-allow-origin").as_deref(),
        Some(SPA_ORIGIN)
    );
    assert!(
        header(&bad, "access-control-expose-headers")
            .unwrap()
            .contains("WWW-Authenticate")
    );

    let revoked = app
        .http
        .post(app.url("/revoke"))
        .header("Origin", SPA_ORIGIN)
        .form(&[("token", at), ("client_id", client.id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        header(&revoked, "access-control-allow-origin").as_deref(),
        Some(SPA_ORIGIN)
    );
}

#[tokio::test]
async fn other_origins_are_refused() {
    let app = spawn_app().await;
    let client = spa(&app).await;
    // another client's origin, registered but not this client's
    let (other, _) = app
        .add_client(NewClient {
            name: "Lain".into(),
            redirect_uris: vec!["http://127.0.0.1:7000/cb".into()],
            public: true,
            ..NewClient::default()
        })
        .await;
    assert!(other.is_public());

    let p = preflight(&app, "/token", "https://evil.example").await;
    assert_eq!(p.status(), 403);
    assert!(header(&p, "access-control-allow-origin").is_none());

    // the page of another registered origin cannot read this client's answer
    let r = sign_in_and_exchange(&app, &client, "openid", "http://127.0.0.1:7000").await;
    assert!(header(&r, "access-control-allow-origin").is_none());
    assert!(header(&r, "vary").unwrap().contains("Origin"));
}

#[tokio::test]
async fn a_secret_client_may_send_its_secret_either_way_and_others_may_not() {
    let app = spawn_app().await;
    let (basic_client, secret) = app.web_client().await;
    assert_eq!(basic_client.auth_method, AuthMethod::ClientSecretBasic);
    // openid-client / oauth4webapi's default: the secret in the body
    let r = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", basic_client.id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // a wrong secret in the body: 401 with a challenge (RFC 9110 §15.5.2)
    let r = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", basic_client.id.as_str()),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(header(&r, "www-authenticate").unwrap().starts_with("Basic"));

    // a public client cannot present a secret it does not have, and a secret
    // client cannot drop its secret
    let spa = spa(&app).await;
    let r = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", basic_client.id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(header(&r, "www-authenticate").is_some());
    let r = app
        .http
        .post(app.url("/token"))
        .basic_auth(&spa.id, Some("anything"))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_error_pages_show_it() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
        ])
        .send()
        .await
        .unwrap();
    let id = header(&r, "x-request-id").expect("request id");
    assert!(id.len() >= 8);
    let again = app.http.get(app.url("/jwks")).send().await.unwrap();
    assert_ne!(
        header(&again, "x-request-id").unwrap(),
        id,
        "one id per request"
    );

    let page = app
        .http
        .get(app.url(
            "/authorize?response_type=code&client_id=nobody&redirect_uri=http://x/cb&scope=openid",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    let id = header(&page, "x-request-id").unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(&id), "the error page quotes the request id");
}

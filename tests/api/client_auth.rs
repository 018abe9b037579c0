use crate::helpers::*;
use gapura::clients::{AuthMethod, NewClient};
use gapura::crypto::b64;
use gapura::jose::{Alg, JwkSet, SigningKeyPair};
use serde_json::json;

#[tokio::test]
async fn wrong_secret_is_invalid_client_with_challenge() {
    let app = spawn_app().await;
    let (c, _) = app.web_client().await;
    let resp = app
        .token(&c, "wrong", &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(resp.status(), 401);
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(json(resp).await["error"], "invalid_client");
    let failures = app.audit_events("client.auth").await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].outcome, "failure");
    assert_eq!(failures[0].client_id.as_deref(), Some(c.id.as_str()));
    assert!(
        !failures[0].detail.contains("wrong"),
        "no secret in the audit log"
    );
}

#[tokio::test]
async fn client_secret_post_and_method_binding() {
    let app = spawn_app().await;
    let (c, s) = app
        .add_client(NewClient {
            name: "Post".into(),
            redirect_uris: vec![REDIRECT.into()],
            auth_method: Some(AuthMethod::ClientSecretPost),
            grant_types: vec!["client_credentials".into()],
            ..NewClient::default()
        })
        .await;
    let s = s.unwrap();
    let ok = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &c.id),
            ("client_secret", &s),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let basic = app
        .token(&c, &s, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(
        basic.status(),
        200,
        "a secret client may send its secret in the header or the body"
    );
    let wrong = app
        .token(
            &c,
            "not-the-secret",
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let both = app
        .http
        .post(app.url("/token"))
        .basic_auth(&c.id, Some(&s))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &c.id),
            ("client_secret", &s),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 401);
}

struct JwtClient {
    app: TestApp,
    client: gapura::clients::Client,
    key: SigningKeyPair,
}

async fn private_key_jwt_client() -> JwtClient {
    let app = spawn_app().await;
    let der = SigningKeyPair::generate_pkcs8(Alg::Es256).unwrap();
    let key = SigningKeyPair::from_pkcs8("client-key-1".into(), Alg::Es256, &der).unwrap();
    let jwks = serde_json::to_string(&JwkSet {
        keys: vec![key.public_jwk()],
    })
    .unwrap();
    let (client, secret) = app
        .add_client(NewClient {
            name: "SIMPEG".into(),
            redirect_uris: vec![REDIRECT.into()],
            auth_method: Some(AuthMethod::PrivateKeyJwt),
            grant_types: vec!["client_credentials".into()],
            jwks: Some(jwks),
            ..NewClient::default()
        })
        .await;
    assert!(secret.is_none());
    JwtClient { app, client, key }
}

impl JwtClient {
    fn assertion(&self, jti: &str, aud: &str, exp_in: i64) -> String {
        let now = self.app.state.clock.now();
        self.key
            .sign("JWT", &json!({"iss": self.client.id, "sub": self.client.id, "aud": aud, "jti": jti, "iat": now, "exp": now + exp_in}))
            .unwrap()
    }

    async fn token_with(&self, assertion: &str) -> reqwest::Response {
        self.app
            .http
            .post(self.app.url("/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion),
            ])
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn private_key_jwt_accepts_once_and_refuses_replay() {
    let t = private_key_jwt_client().await;
    let aud = t.app.url("/token");
    let a = t.assertion("jti-1", &aud, 120);
    assert_eq!(t.token_with(&a).await.status(), 200);
    let replay = t.token_with(&a).await;
    assert_eq!(replay.status(), 401);
    assert_eq!(json(replay).await["error"], "invalid_client");
    assert_eq!(
        t.token_with(&t.assertion("jti-2", &t.app.issuer, 120))
            .await
            .status(),
        200,
        "issuer as audience"
    );
}

#[tokio::test]
async fn private_key_jwt_negative_cases() {
    let t = private_key_jwt_client().await;
    let aud = t.app.url("/token");
    assert_eq!(
        t.token_with(&t.assertion("a", "https://elsewhere.example/token", 120))
            .await
            .status(),
        401,
        "wrong audience"
    );
    assert_eq!(
        t.token_with(&t.assertion("b", &aud, -120)).await.status(),
        401,
        "expired"
    );
    assert_eq!(
        t.token_with(&t.assertion("c", &aud, 86_400)).await.status(),
        401,
        "lifetime too long"
    );

    let now = t.app.state.clock.now();
    let claims =
        json!({"iss": t.client.id, "sub": t.client.id, "aud": aud, "jti": "d", "exp": now + 60});
    let body = b64(claims.to_string().as_bytes());
    // alg none.
    let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), body);
    assert_eq!(t.token_with(&none).await.status(), 401);
    // HS256 keyed with the client's public key bytes.
    let jwk = t.key.public_jwk();
    let header = b64(br#"{"alg":"HS256","kid":"client-key-1"}"#);
    let input = format!("{header}.{body}");
    let mac_key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA256,
        serde_json::to_string(&jwk).unwrap().as_bytes(),
    );
    let forged = format!(
        "{input}.{}",
        b64(ring::hmac::sign(&mac_key, input.as_bytes()).as_ref())
    );
    assert_eq!(t.token_with(&forged).await.status(), 401);
    // Signed by a key the client never registered (unknown kid).
    let der = SigningKeyPair::generate_pkcs8(Alg::Es256).unwrap();
    let stranger = SigningKeyPair::from_pkcs8("other-kid".into(), Alg::Es256, &der).unwrap();
    let forged = stranger.sign("JWT", &claims).unwrap();
    assert_eq!(t.token_with(&forged).await.status(), 401);
    // Same kid, other key.
    let impostor = SigningKeyPair::from_pkcs8("client-key-1".into(), Alg::Es256, &der).unwrap();
    assert_eq!(
        t.token_with(&impostor.sign("JWT", &claims).unwrap())
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn private_key_jwt_replay_is_refused_after_a_restart() {
    let t = private_key_jwt_client().await;
    let aud = t.app.url("/token");
    let a = t.assertion("jti-restart", &aud, 120);
    assert_eq!(t.token_with(&a).await.status(), 200);
    // The instance stops; a new one starts on the same database.
    t.app.server.stop(true).await;
    let second = spawn_second(&t.app).await;
    let replay = second
        .http
        .post(second.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", a.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401, "the replay cache survives a restart");
}

#[tokio::test]
async fn private_key_jwt_with_the_longest_jti_is_accepted_once() {
    let t = private_key_jwt_client().await;
    let aud = t.app.url("/token");
    let a = t.assertion(&"j".repeat(256), &aud, 120);
    assert_eq!(t.token_with(&a).await.status(), 200);
    assert_eq!(t.token_with(&a).await.status(), 401);
    let too_long = t.assertion(&"j".repeat(257), &aud, 120);
    assert_eq!(t.token_with(&too_long).await.status(), 401);
}

use crate::helpers::*;
use openidconnect::core::CoreProviderMetadata;
use openidconnect::{IssuerUrl, Nonce};

async fn id_token(app: &TestApp, c: &gapura::clients::Client, s: &str) -> String {
    let code = app.code_for(c, "openid", VERIFIER).await;
    let body = json(
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
    .await;
    body["id_token"].as_str().unwrap().to_owned()
}

/// Verifies an ID token the way an RP does: JWKS from discovery, signature, claims.
async fn rp_verifies(app: &TestApp, c: &gapura::clients::Client, s: &str, token: &str) -> bool {
    let meta = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.issuer.clone()).unwrap(),
        &app.http,
    )
    .await
    .unwrap();
    let client = openidconnect::core::CoreClient::from_provider_metadata(
        meta,
        openidconnect::ClientId::new(c.id.to_string()),
        Some(openidconnect::ClientSecret::new(s.into())),
    );
    let parsed: openidconnect::core::CoreIdToken =
        serde_json::from_value(serde_json::Value::String(token.into())).unwrap();
    parsed
        .claims(&client.id_token_verifier(), &Nonce::new("n1".into()))
        .is_ok()
}

fn kid(token: &str) -> String {
    gapura::jose::UnverifiedJws::parse(token)
        .unwrap()
        .kid
        .unwrap()
}

#[tokio::test]
async fn rotation_publishes_at_once_signs_after_the_delay_and_keeps_old_keys() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let old = id_token(&app, &c, &s).await;
    let now = app.state.now();
    let jwks_before = json(app.http.get(app.url("/jwks")).send().await.unwrap()).await["keys"]
        .as_array()
        .unwrap()
        .len();
    app.state.keys.rotate(now, 300, 3900).await.unwrap();
    let jwks_after = json(app.http.get(app.url("/jwks")).send().await.unwrap()).await["keys"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        jwks_after,
        jwks_before + 3,
        "new keys are published at once"
    );
    let during_delay = id_token(&app, &c, &s).await;
    assert_eq!(
        kid(&during_delay),
        kid(&old),
        "the new key does not sign before the delay"
    );

    app.clock.advance(301);
    let new = id_token(&app, &c, &s).await;
    assert_ne!(kid(&new), kid(&old), "the new key signs after the delay");
    assert!(rp_verifies(&app, &c, &s, &new).await);
    // The old key still verifies tokens it signed (the RP library checks exp too, so
    // check the signature against the JWKS directly).
    let jwks: gapura::jose::JwkSet = app
        .http
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    gapura::jose::UnverifiedJws::parse(&old)
        .unwrap()
        .verify(&jwks)
        .unwrap();

    // Once every token it signed has expired, the retired key leaves the JWKS.
    app.clock.advance(3900);
    app.state.keys.reload(app.state.now()).await.unwrap();
    let jwks: gapura::jose::JwkSet = app
        .http
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks.keys.len(), 3);
    assert!(
        gapura::jose::UnverifiedJws::parse(&old)
            .unwrap()
            .verify(&jwks)
            .is_err()
    );
}

#[tokio::test]
async fn an_id_token_signed_before_rotation_still_verifies_at_the_rp() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let old = id_token(&app, &c, &s).await;
    app.state
        .keys
        .rotate(app.state.now(), 0, 3900)
        .await
        .unwrap();
    let new = id_token(&app, &c, &s).await;
    assert_ne!(kid(&old), kid(&new));
    assert!(rp_verifies(&app, &c, &s, &old).await);
    assert!(rp_verifies(&app, &c, &s, &new).await);
}

#[tokio::test]
async fn private_keys_are_encrypted_at_rest() {
    use sea_orm::EntityTrait;
    let app = spawn_app().await;
    let rows = entity::signing_key::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        let sealed = gapura::crypto::b64_decode(&row.private_key_enc).unwrap();
        // PKCS#8 DER starts with a SEQUENCE tag; sealed data is nonce || ciphertext.
        assert!(
            gapura::jose::SigningKeyPair::from_pkcs8(
                "x".into(),
                gapura::jose::Alg::parse(&row.alg).unwrap(),
                &sealed
            )
            .is_err()
        );
        let plain = app
            .state
            .master
            .decrypt(&row.private_key_enc, row.kid.as_bytes())
            .unwrap();
        assert!(
            gapura::jose::SigningKeyPair::from_pkcs8(
                "x".into(),
                gapura::jose::Alg::parse(&row.alg).unwrap(),
                &plain
            )
            .is_ok()
        );
    }
}

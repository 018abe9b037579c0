use crate::helpers::*;
use gapura::clients::NewClient;
use gapura::jose::Alg;
use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    Scope, TokenResponse,
};

async fn full_flow(alg: Alg, expected: CoreJwsSigningAlgorithm) {
    let app = spawn_app().await;
    let siti = app.siti().await;
    let (client, secret) = app
        .add_client(NewClient {
            name: "e-Kinerja".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            alg: Some(alg),
            ..NewClient::default()
        })
        .await;
    let secret = secret.unwrap();
    let rp = app.rp(&client, Some(&secret)).await;
    let (pkce, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("phone".into()))
        .set_pkce_challenge(pkce)
        .url();
    let back = app
        .authorize(&app.browser, url.as_str(), "198609262015052001", PASSWORD)
        .await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(app.issuer.as_str())
    );
    let code = query_param(&back, "code").unwrap();

    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&app.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let verifier = rp
        .id_token_verifier()
        .set_allowed_algs(vec![expected.clone()]);
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.subject().as_str(), siti.id);
    assert_ne!(
        claims.subject().as_str(),
        "198609262015052001",
        "sub is opaque, never the NIP"
    );
    assert_eq!(
        claims.preferred_username().unwrap().as_str(),
        "198609262015052001"
    );
    assert_eq!(
        claims.name().unwrap().get(None).unwrap().as_str(),
        "Dr. Siti Aminah, S.Kom., M.T."
    );
    assert_eq!(
        claims.email().unwrap().as_str(),
        "siti.aminah@kotabogor.go.id"
    );
    assert_eq!(claims.phone_number().unwrap().as_str(), "081234567890");
    assert!(claims.auth_time().is_some());
    assert_eq!(
        claims.auth_context_ref().unwrap().as_str(),
        "urn:gapura:acr:pwd"
    );
    assert_eq!(claims.auth_method_refs().unwrap()[0].as_str(), "pwd");
    let signing_alg = id_token.signing_alg().unwrap();
    assert_eq!(signing_alg, &expected);
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        signing_alg,
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));

    // The raw ID token carries sid; the access token is an RFC 9068 JWT.
    let raw = gapura::jose::UnverifiedJws::parse(&id_token.to_string()).unwrap();
    assert!(raw.claims["sid"].is_string());
    let at = gapura::jose::UnverifiedJws::parse(tokens.access_token().secret()).unwrap();
    assert_eq!(at.typ.as_deref(), Some("at+jwt"));
    for claim in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] {
        assert!(at.claims.contains_key(claim), "access token lacks {claim}");
    }
    assert!(tokens.refresh_token().is_some());

    let info: openidconnect::core::CoreUserInfoClaims = rp
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&app.http)
        .await
        .unwrap();
    assert_eq!(
        info.preferred_username().unwrap().as_str(),
        "198609262015052001"
    );
    assert_eq!(
        info.email().unwrap().as_str(),
        "siti.aminah@kotabogor.go.id"
    );

    let issued = app.audit_events("token.issue").await;
    assert!(
        issued
            .iter()
            .any(|e| e.outcome == "success" && e.subject.as_deref() == Some(siti.id.as_str()))
    );
    assert!(
        app.audit_events("login")
            .await
            .iter()
            .any(|e| e.outcome == "success")
    );
}

#[tokio::test]
async fn code_flow_rs256() {
    full_flow(Alg::Rs256, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256).await;
}

#[tokio::test]
async fn code_flow_es256() {
    full_flow(Alg::Es256, CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test]
async fn code_flow_eddsa() {
    full_flow(Alg::EdDsa, CoreJwsSigningAlgorithm::EdDsa).await;
}

#[tokio::test]
async fn second_app_gets_a_code_without_a_password() {
    let app = spawn_app().await;
    app.siti().await;
    let (a, _) = app.web_client().await;
    let (b, _) = app
        .add_client(NewClient {
            name: "Presensi".into(),
            redirect_uris: vec!["http://127.0.0.1:9/b".into()],
            first_party: true,
            ..NewClient::default()
        })
        .await;
    app.code_for(&a, "openid", VERIFIER).await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=x&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        b.id,
        enc(&b.redirect_uris[0]),
        challenge(VERIFIER)
    );
    let resp = app.browser.get(&url).send().await.unwrap();
    let loc = location(&resp);
    assert!(
        loc.starts_with("http://127.0.0.1:9/b?code="),
        "SSO: no login page, got {loc}"
    );

    // prompt=login and max_age=0 ask again.
    for extra in ["&prompt=login", "&max_age=0"] {
        let resp = app
            .browser
            .get(format!("{url}{extra}"))
            .send()
            .await
            .unwrap();
        assert!(location(&resp).starts_with("/login?req="), "{extra}");
    }
}

#[tokio::test]
async fn prompt_none_without_session_is_login_required() {
    let app = spawn_app().await;
    let (c, _) = app.web_client().await;
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=st&prompt=none",
        app.issuer,
        c.id,
        enc(REDIRECT)
    );
    let loc = location(&app.browser.get(&url).send().await.unwrap());
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st"));
}

#[tokio::test]
async fn consent_is_asked_remembered_and_can_be_denied() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, secret) = app
        .add_client(NewClient {
            name: "Aplikasi Pengaduan".into(),
            redirect_uris: vec![REDIRECT.into()],
            ..NewClient::default()
        })
        .await;
    let url = |extra: &str| {
        format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20email&state=z&code_challenge={}&code_challenge_method=S256{extra}",
            app.issuer,
            c.id,
            enc(REDIRECT),
            challenge(VERIFIER)
        )
    };
    // First: login, then the consent page; deny.
    let resp = app.browser.get(url("")).send().await.unwrap();
    let login = location(&resp);
    let page = app
        .browser
        .get(app.url(&login))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = app
        .browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("req", hidden(&page, "req")),
            ("username", "siti.aminah@kotabogor.go.id".into()),
            ("password", PASSWORD.into()),
        ])
        .send()
        .await
        .unwrap();
    let consent = location(&resp);
    assert!(consent.starts_with("/consent?req="), "{consent}");
    let html = app
        .browser
        .get(app.url(&consent))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Aplikasi Pengaduan") && html.contains("Alamat e-mail"));
    let denied = app.consent(&app.browser, &consent, "deny").await;
    assert_eq!(
        query_param(&denied, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&denied, "state").as_deref(), Some("z"));

    // prompt=none now: consent_required.
    let loc = location(&app.browser.get(url("&prompt=none")).send().await.unwrap());
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("consent_required")
    );

    // Allow; then it is remembered.
    let consent = location(&app.browser.get(url("")).send().await.unwrap());
    let back = app.consent(&app.browser, &consent, "allow").await;
    assert!(query_param(&back, "code").is_some());
    let again = location(&app.browser.get(url("")).send().await.unwrap());
    assert!(again.starts_with(REDIRECT), "remembered consent: {again}");
    let forced = location(
        &app.browser
            .get(url("&prompt=consent"))
            .send()
            .await
            .unwrap(),
    );
    assert!(forced.starts_with("/consent"));
    assert!(!app.audit_events("consent.grant").await.is_empty());
    let code = query_param(&again, "code").unwrap();
    let resp = app
        .token(
            &c,
            &secret.unwrap(),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn public_client_needs_pkce_and_no_secret() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, secret) = app
        .add_client(NewClient {
            name: "SPA".into(),
            redirect_uris: vec![REDIRECT.into()],
            public: true,
            first_party: true,
            ..NewClient::default()
        })
        .await;
    assert!(secret.is_none());
    let no_pkce = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=q",
        app.issuer,
        c.id,
        enc(REDIRECT)
    );
    let loc = location(&app.browser.get(&no_pkce).send().await.unwrap());
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("invalid_request")
    );
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let resp = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &c.id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    assert!(body["id_token"].is_string());
}

//! ASN and role claims as a relying party (the `openidconnect` crate) sees them.
use crate::helpers::*;
use gapura::clients::{NewClient, RoleClaims};
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, Scope,
    TokenResponse,
};
use serde_json::json;

async fn rp_flow(
    app: &TestApp,
    client: &gapura::clients::Client,
    secret: &str,
    scopes: &[&str],
    login: &str,
) -> (serde_json::Value, String) {
    let rp = app.rp(client, Some(secret)).await;
    let (pkce, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = rp.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in scopes {
        req = req.add_scope(Scope::new((*s).into()));
    }
    let (url, _, nonce) = req.set_pkce_challenge(pkce).url();
    let back = app
        .authorize(&app.new_browser(), url.as_str(), login, PASSWORD)
        .await;
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("{back}"));
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&app.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    // the RP verifies signature, issuer, audience, nonce; then we read the extra claims
    let claims = id_token.claims(&rp.id_token_verifier(), &nonce).unwrap();
    assert_eq!(claims.preferred_username().unwrap().as_str(), login);
    (
        jwt_payload(&id_token.to_string()),
        tokens.access_token().secret().clone(),
    )
}

#[tokio::test]
async fn asn_roles_and_nik_claims_reach_the_relying_party() {
    let app = spawn_app().await;
    app.load_directory().await;
    let p = app.give_password(DINKES_NIP).await;
    let (client, secret) = app
        .add_client(NewClient {
            name: "e-Kinerja".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            scopes: Some("openid profile asn roles nik".into()),
            nik_allowed: true,
            ..NewClient::default()
        })
        .await;
    let secret = secret.unwrap();
    app.declare(&client.id, "verifikator").await;
    app.declare(&client.id, "pegawai").await;
    app.assign(&p, &client.id, "verifikator", Some("DINKES"), "subtree")
        .await;
    app.assign(&p, &client.id, "pegawai", None, "city").await;
    // another application's role never shows up here
    let (other, _) = app.web_client().await;
    app.declare(&other.id, "admin").await;
    app.assign(&p, &other.id, "admin", Some("DINKES"), "opd")
        .await;

    let (id, access) = rp_flow(&app, &client, &secret, &["asn", "roles", "nik"], DINKES_NIP).await;
    assert_eq!(id["nip"], DINKES_NIP);
    assert_eq!(id["preferred_username"], DINKES_NIP);
    assert_eq!(id["name"], "Euis Nugraha, S.Kom.");
    assert_eq!(
        id["opd"],
        json!({"code": "DINKES", "name": "Dinas Kesehatan", "path": "/DINKES/"})
    );
    assert_eq!(id["jenis_pegawai"], "PNS");
    assert_eq!(id["kedudukan"]["code"], "01");
    assert!(id["golongan"].is_string() && id["jabatan"].is_string());
    assert_eq!(id["nik"], "3271064709931171");
    assert_eq!(
        id["roles"],
        json!([{"role": "pegawai", "opd": null, "scope": "city"}, {"role": "verifikator", "opd": "DINKES", "scope": "subtree"}])
    );
    assert_eq!(id["roles_flat"], json!(["pegawai@*", "verifikator@DINKES"]));
    // access token, UserInfo and introspection carry the roles too (default: everywhere)
    let at = jwt_payload(&access);
    assert_eq!(at["roles_flat"], json!(["pegawai@*", "verifikator@DINKES"]));
    assert!(at.get("nik").is_none(), "no personal data in access tokens");
    let ui = json(
        app.http
            .get(app.url("/userinfo"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ui["opd"]["code"], "DINKES");
    assert_eq!(ui["roles"][1]["role"], "verifikator");
    let intro = json(
        app.http
            .post(app.url("/introspect"))
            .basic_auth(&client.id, Some(&secret))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(intro["active"], true);
    assert_eq!(
        intro["roles_flat"],
        json!(["pegawai@*", "verifikator@DINKES"])
    );
}

#[tokio::test]
async fn clients_get_only_what_they_were_allowed() {
    let app = spawn_app().await;
    app.load_directory().await;
    let p = app.give_password(DINKES_NIP).await;
    // role claims configured for the ID token only; no NIK permission
    let (client, secret) = app
        .add_client(NewClient {
            name: "Presensi".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            scopes: Some("openid profile asn roles".into()),
            role_claims: Some(RoleClaims::parse("id_token").unwrap()),
            ..NewClient::default()
        })
        .await;
    let secret = secret.unwrap();
    app.declare(&client.id, "pegawai").await;
    app.assign(&p, &client.id, "pegawai", Some("DINKES"), "opd")
        .await;
    let (id, access) = rp_flow(&app, &client, &secret, &["asn", "roles"], DINKES_NIP).await;
    assert_eq!(id["roles_flat"], json!(["pegawai@DINKES"]));
    assert!(id.get("nik").is_none());
    assert!(jwt_payload(&access).get("roles").is_none());
    let ui = json(
        app.http
            .get(app.url("/userinfo"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(ui.get("roles").is_none());
    assert_eq!(ui["nip"], DINKES_NIP);
    // without the asn scope: no ASN claims
    let (id, _) = rp_flow(&app, &client, &secret, &["profile"], DINKES_NIP).await;
    assert!(id.get("nip").is_none() && id.get("opd").is_none() && id.get("roles").is_none());
    // asking for nik is refused at the authorization endpoint
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20nik&state=s&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        client.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    let loc = location(&app.new_browser().get(url).send().await.unwrap());
    assert_eq!(query_param(&loc, "error").as_deref(), Some("invalid_scope"));
    // and nik cannot even be declared without the administrator's permission
    let refused = gapura::clients::register(
        &app.state.db,
        &app.state.master,
        app.state.clock.as_ref(),
        NewClient {
            name: "x".into(),
            redirect_uris: vec![REDIRECT.into()],
            scopes: Some("openid nik".into()),
            ..NewClient::default()
        },
    )
    .await;
    assert!(refused.is_err());
}

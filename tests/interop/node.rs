//! Node's openid-client 6 with its defaults (tests/interop/node/rp.mjs): given only
//! its secret it uses `client_secret_post`, although Gapura's CLI registered the
//! client with `client_secret_basic`; both carry the same secret and are accepted.

use crate::helpers::*;
use crate::support::*;
use gapura::clients::NewClient;
use std::path::Path;

const NODE: &str = "/usr/bin/node";

#[tokio::test]
async fn node_openid_client_with_its_defaults() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/node");
    if !have("node", Path::new(NODE))
        || !have(
            "openid-client (npm ci in tests/interop/node)",
            &dir.join("node_modules/openid-client/package.json"),
        )
    {
        return;
    }
    let (app, client, secret) = city(NewClient {
        name: "e-Kinerja (Node)".into(),
        redirect_uris: vec![REDIRECT.into()],
        ..NewClient::default()
    })
    .await;
    assert_eq!(client.auth_method.as_str(), "client_secret_basic");
    let out = scripted_rp(
        &app,
        std::process::Command::new(NODE)
            .current_dir(&dir)
            .arg("rp.mjs")
            .args([&app.issuer, client.id.as_str(), REDIRECT]),
        &secret.unwrap(),
    )
    .await;
    assert_euis(&out["id_token_claims"], "openid-client ID token");
    assert_eq!(out["id_token_claims"]["aud"], client.id.as_str());
    assert_euis(&out["userinfo"], "openid-client UserInfo");
    assert_eq!(out["refreshed_access_token"], true, "{out}");
    assert_eq!(out["refresh_after_revoke"], "invalid_grant", "{out}");
    // Every call to /token and /revoke carried the secret in the body, never Basic.
    let calls = out["client_auth"].as_array().unwrap();
    assert_eq!(calls.len(), 4, "code, refresh, revoke, refresh: {out}");
    for c in calls {
        assert_eq!(c["client_secret_in_body"], true, "{c}");
        assert_eq!(c["authorization_header"], false, "{c}");
    }
}

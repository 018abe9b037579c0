//! Python's Authlib (Debian's python3-authlib, its requests client) with its
//! defaults: `client_secret_basic`, PKCE S256 (tests/interop/authlib_rp.py).

use crate::helpers::*;
use crate::support::*;
use gapura::clients::NewClient;
use std::path::Path;

/// Debian's interpreter, where the package installs (not a pyenv or venv one).
const PYTHON: &str = "/usr/bin/python3";

fn authlib_installed() -> bool {
    std::process::Command::new(PYTHON)
        .args(["-c", "import authlib, requests"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test]
async fn python_authlib_logs_in_refreshes_and_revokes() {
    if !have("python3", Path::new(PYTHON)) {
        return;
    }
    if !authlib_installed() {
        missing("python3-authlib (with python3-requests)");
        return;
    }
    let (app, client, secret) = city(NewClient {
        name: "SIMPEG (Python)".into(),
        redirect_uris: vec![REDIRECT.into()],
        ..NewClient::default()
    })
    .await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/authlib_rp.py");
    let out = scripted_rp(
        &app,
        std::process::Command::new(PYTHON).arg(script).args([
            &app.issuer,
            client.id.as_str(),
            REDIRECT,
        ]),
        &secret.unwrap(),
    )
    .await;
    assert_euis(&out["id_token_claims"], "Authlib ID token");
    assert_euis(&out["userinfo"], "Authlib UserInfo");
    assert_eq!(out["refreshed_access_token"], true, "{out}");
    assert_eq!(out["revoke_status"], 200, "{out}");
    assert_eq!(out["refresh_after_revoke"], "invalid_grant", "{out}");
}

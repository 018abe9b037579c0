//! What several targets share: a registered client built by hand, a key set made
//! with Gapura's own key code, and a fixed "now".
#![allow(dead_code)]

use gapura::clients::{AuthMethod, Client, RoleClaims};
use gapura::domain::Scopes;
use gapura::jose::{Alg, JwkSet, SigningKeyPair};
use std::sync::OnceLock;

/// 2026-11-18: the clock every target reads.
pub const NOW: i64 = 1_795_000_000;
pub const ISSUER: &str = "https://sso.example.go.id";
pub const TOKEN_ENDPOINT: &str = "https://sso.example.go.id/token";
/// The audiences a client assertion may name (issuer, token endpoint, the endpoint).
pub const ACCEPTED: [&str; 3] = [ISSUER, TOKEN_ENDPOINT, TOKEN_ENDPOINT];

/// A confidential (or public) web client, as `clients::get` would return it.
pub fn client(public: bool) -> Client {
    Client {
        id: "fuzz-app".into(),
        name: "Fuzz".into(),
        auth_method: if public {
            AuthMethod::None
        } else {
            AuthMethod::PrivateKeyJwt
        },
        secret_digest: None,
        redirect_uris: vec!["https://app.example.go.id/callback".into()],
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec![
            "authorization_code".into(),
            "refresh_token".into(),
            "client_credentials".into(),
        ],
        allowed_scopes: Scopes::parse("openid profile email phone nip opd roles directory.read")
            .expect("scopes"),
        first_party: false,
        alg: Alg::Es256,
        jwks: Some(keys().jwks.clone()),
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        frontchannel_logout_uri: None,
        frontchannel_logout_session_required: false,
        min_acr: None,
        active: true,
        nik_allowed: false,
        role_claims: RoleClaims::ALL,
        created_at: NOW,
        updated_at: NOW,
    }
}

pub struct Keys {
    /// One key of each algorithm, kids `k-RS256`, `k-ES256`, `k-EdDSA`.
    pub pairs: Vec<SigningKeyPair>,
    pub jwks: JwkSet,
}

/// Made once per process with `SigningKeyPair::generate_pkcs8`.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pairs: Vec<SigningKeyPair> = Alg::ALL
            .iter()
            .map(|alg| {
                let der = SigningKeyPair::generate_pkcs8(*alg).expect("key generation");
                SigningKeyPair::from_pkcs8(format!("k-{}", alg.as_str()), *alg, &der)
                    .expect("own key loads")
            })
            .collect();
        let jwks = JwkSet {
            keys: pairs.iter().map(SigningKeyPair::public_jwk).collect(),
        };
        Keys { pairs, jwks }
    })
}

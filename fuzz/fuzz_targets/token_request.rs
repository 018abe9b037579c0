//! Arbitrary bytes as a token request: an optional first line is the Authorization
//! header, the rest the form body. Client authentication parameters
//! (`client_auth::credentials`: Basic, post, `client_assertion` parsing, and the
//! checks of the assertion's claims), then the grant's own parameters
//! (`token::parse_request`, PKCE verifier, client-credentials scope).
#![no_main]

#[path = "common.rs"]
mod common;

use gapura::domain::Scopes;
use gapura::domain::Params;
use gapura::oidc::client_auth::{self, Credentials};
use gapura::oidc::grant::request::{self as token, TokenRequest};
use libfuzzer_sys::fuzz_target;

/// S256 of `dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk` (RFC 7636 appendix B).
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (std::str::from_utf8(&data[..i]).ok(), &data[i + 1..]),
        None => (None, data),
    };
    let Ok(params) = Params::parse(body) else {
        return;
    };
    if let Ok(Credentials::Assertion { jws, client_id }) = client_auth::credentials(header, &params)
    {
        assert_eq!(
            jws.claims.get("iss").and_then(|v| v.as_str()),
            Some(client_id.as_str())
        );
        // Nothing made here verifies against the client's keys.
        assert!(jws.verify(&common::keys().jwks).is_err());
        if let Ok((jti, exp)) =
            client_auth::assertion_claims(&jws.claims, &common::ACCEPTED, common::NOW)
        {
            assert!(!jti.is_empty() && jti.len() <= 256);
            assert!(exp <= common::NOW + 600);
        }
    }
    match token::parse_request(&params) {
        Ok(TokenRequest::AuthorizationCode(c)) => {
            assert!(c.code.len() <= 128);
            if let Some(v) = c.code_verifier {
                let _ = token::verifier_matches(CHALLENGE, v);
            }
        }
        Ok(TokenRequest::RefreshToken { scope, .. }) => {
            if let Some(s) = scope {
                let _ = Scopes::parse(s);
            }
        }
        Ok(TokenRequest::ClientCredentials { .. }) => {
            if let Ok(scope) = token::client_scope(&common::client(false), &params) {
                assert!(!scope.contains("openid"));
            }
        }
        Err(_) => {}
    }
});

//! JWS compact parsing and verification (`jose`) against a fixed key set made with
//! Gapura's own key code, and the private_key_jwt checks after verification. The
//! first byte picks a mode:
//! 0. the rest is a token as sent: parse, verify (never succeeds: nothing here is
//!    signed with the keys), and the assertion claim checks on what parsed;
//! 1. the rest is a claims JSON: signed with each key, it must parse and verify, then
//!    the assertion claim checks run on claims the fuzzer chose;
//! 2. a token signed here gets one part replaced by the rest (base64url): unless the
//!    part is unchanged, it must not verify.
#![no_main]

#[path = "common.rs"]
mod common;

use gapura::crypto::b64;
use gapura::jose::{MAX_JWT_LEN, UnverifiedJws};
use gapura::oidc::client_auth::assertion_claims;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn signed() -> &'static [String] {
    static TOKENS: OnceLock<Vec<String>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let claims = serde_json::json!({"iss": "fuzz-app", "sub": "fuzz-app", "aud": common::ISSUER, "exp": common::NOW + 60, "jti": "j1"});
        common::keys()
            .pairs
            .iter()
            .map(|k| k.sign("JWT", &claims).expect("sign"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let keys = common::keys();
    match mode % 3 {
        0 => {
            let Ok(token) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(jws) = UnverifiedJws::parse(token) {
                assert!(jws.verify(&keys.jwks).is_err(), "forged token verified");
                let _ = assertion_claims(&jws.claims, &common::ACCEPTED, common::NOW);
            }
        }
        1 => {
            let Ok(claims) = serde_json::from_slice::<serde_json::Value>(rest) else {
                return;
            };
            // RSA signing is slow: ES256 and EdDSA here (RS256 is verified in mode 2).
            for key in keys.pairs.iter().filter(|k| k.kid != "k-RS256") {
                let Ok(token) = key.sign("JWT", &claims) else {
                    continue;
                };
                match UnverifiedJws::parse(&token) {
                    Ok(jws) => {
                        assert!(claims.is_object());
                        assert_eq!(jws.kid.as_deref(), Some(key.kid.as_str()));
                        assert_eq!(jws.verify(&keys.jwks), Ok(()));
                        if let Ok((_, exp)) =
                            assertion_claims(&jws.claims, &common::ACCEPTED, common::NOW)
                        {
                            assert!(exp > common::NOW - 60 && exp <= common::NOW + 600);
                        }
                    }
                    Err(_) => assert!(!claims.is_object() || token.len() > MAX_JWT_LEN),
                }
            }
        }
        _ => {
            let Some((&which, part)) = rest.split_first() else {
                return;
            };
            let tokens = signed();
            let original = &tokens[usize::from(which / 3) % tokens.len()];
            let mut parts: Vec<String> = original.split('.').map(str::to_owned).collect();
            let i = usize::from(which % 3);
            let replacement = b64(part);
            if parts[i] == replacement {
                return;
            }
            parts[i] = replacement;
            let tampered = parts.join(".");
            if let Ok(jws) = UnverifiedJws::parse(&tampered) {
                assert!(jws.verify(&keys.jwks).is_err(), "tampered token verified");
            }
        }
    }
});

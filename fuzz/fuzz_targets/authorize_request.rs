//! Arbitrary bytes as an authorization request's query string: `Params::parse`, then
//! the request validation of `/authorize` (`oidc::auth_request::parse_request`) for a
//! confidential and a public client.
#![no_main]

#[path = "common.rs"]
mod common;

use gapura::domain::Params;
use gapura::jose::UnverifiedJws;
use gapura::oidc::auth_request::{AuthRequest, parse_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(params) = Params::parse(data) else {
        return;
    };
    for public in [false, true] {
        let client = common::client(public);
        let Ok((ar, hint)) = parse_request(&client, &params, common::NOW) else {
            continue;
        };
        // What validation promises the rest of the flow.
        assert_eq!(ar.client_id, client.id);
        assert!(
            !public || ar.code_challenge.is_some(),
            "public client without PKCE"
        );
        if let Some(c) = &ar.code_challenge {
            assert_eq!(c.len(), 43);
        }
        assert!(!(ar.prompt.iter().any(|p| p == "none") && ar.prompt.len() > 1));
        assert!(ar.max_age.is_none_or(|m| m >= 0));
        assert!(ar.state.as_ref().is_none_or(|s| s.len() <= 2048));
        // The request is kept in the store as JSON while the person logs in.
        let json = serde_json::to_string(&ar).expect("serialise");
        let back: AuthRequest = serde_json::from_str(&json).expect("read back");
        assert_eq!(serde_json::to_string(&back).expect("serialise"), json);
        if let Some(h) = hint {
            let _ = UnverifiedJws::parse(&h);
        }
    }
});

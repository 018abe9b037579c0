//! Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2) and the JWK Set.

use crate::clients::AuthMethod;
use crate::domain::scope::KNOWN_SCOPES;
use crate::jose::Alg;
use crate::state::AppState;
use serde_json::{Value, json};

pub const CLAIMS_SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "nip",
    "opd",
    "unit_kerja",
    "jabatan",
    "jenis_jabatan",
    "eselon",
    "golongan",
    "jenis_pegawai",
    "kedudukan",
    "nik",
    "roles",
    "roles_flat",
];

pub const ACR_PASSWORD: &str = "urn:gapura:acr:pwd";

fn acr_values() -> Vec<&'static str> {
    crate::authn::Acr::ALL.iter().map(|a| a.as_str()).collect()
}

/// The provider metadata document, the same at both well-known addresses.
pub fn metadata(state: &AppState) -> Value {
    let algs: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
    json!({
        "issuer": state.issuer,
        "authorization_endpoint": state.url("/authorize"),
        "token_endpoint": state.url("/token"),
        "userinfo_endpoint": state.url("/userinfo"),
        "jwks_uri": state.url("/jwks"),
        "introspection_endpoint": state.url("/introspect"),
        "revocation_endpoint": state.url("/revoke"),
        "end_session_endpoint": state.url("/logout"),
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "scopes_supported": KNOWN_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": AuthMethod::SUPPORTED,
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": algs,
        "revocation_endpoint_auth_methods_supported": AuthMethod::SUPPORTED,
        "revocation_endpoint_auth_signing_alg_values_supported": algs,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": true,
        "authorization_response_iss_parameter_supported": true,
        "acr_values_supported": acr_values(),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": ["id", "en"],
        "claims_locales_supported": ["id"],
    })
}

//! OpenID Connect / OAuth 2.0 without HTTP: the authorization request and its one
//! gate (OIDC Core §3.1.2, RFC 6749 §4.1, RFC 7636), client authentication
//! (RFC 6749 §2.3, RFC 7523), the grant types (RFC 6749 §4.1.3, §4.4, §6), tokens
//! and claims (OIDC Core §2, §5, RFC 9068), introspection (RFC 7662), revocation
//! (RFC 7009) and the discovery document (OIDC Discovery 1.0, RFC 8414). The
//! endpoints are in `crate::http::oidc`.

pub mod auth_request;
pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod discovery;
pub mod grant;
pub mod grants;
pub mod introspect;
pub mod pending;
pub mod revoke;
pub mod tokens;
pub mod userinfo;

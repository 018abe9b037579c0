//! A token request's parameters, checked without the server: the pure part of the
//! token endpoint (the `token_request` fuzz target drives it; the grant types use
//! the same pieces after their client checks).

use crate::clients::Client;
use crate::crypto::{b64, ct_eq, sha256};
use crate::domain::Params;
use crate::domain::Scopes;
use crate::error::{ErrorCode, OAuthError};

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// RFC 7636 §4.6: the verifier is well-formed and its S256 digest is the challenge.
pub fn verifier_matches(challenge: &str, verifier: &str) -> bool {
    valid_verifier(verifier)
        && ct_eq(
            b64(&sha256(verifier.as_bytes())).as_bytes(),
            challenge.as_bytes(),
        )
}

/// A token request, by grant type.
#[derive(Debug)]
pub enum TokenRequest<'a> {
    AuthorizationCode(CodeExchange<'a>),
    RefreshToken {
        refresh_token: &'a str,
        scope: Option<&'a str>,
    },
    ClientCredentials {
        scope: Scopes,
    },
}

/// What an authorization code exchange presents.
#[derive(Debug)]
pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: Option<&'a str>,
}

pub fn parse_request(p: &Params) -> Result<TokenRequest<'_>, OAuthError> {
    p.ensure_clean()?;
    match p.require("grant_type")? {
        "authorization_code" => code_exchange(p).map(TokenRequest::AuthorizationCode),
        "refresh_token" => Ok(TokenRequest::RefreshToken {
            refresh_token: p.require("refresh_token")?,
            scope: p.get("scope"),
        }),
        "client_credentials" => Ok(TokenRequest::ClientCredentials {
            scope: requested_scope(p)?,
        }),
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "grant_type is not supported",
        )),
    }
}

pub fn code_exchange(p: &Params) -> Result<CodeExchange<'_>, OAuthError> {
    let code = p.require("code")?;
    let redirect_uri = p.require("redirect_uri")?;
    if code.len() > 128 {
        return Err(OAuthError::invalid_grant("unknown code"));
    }
    Ok(CodeExchange {
        code,
        redirect_uri,
        code_verifier: p.get("code_verifier"),
    })
}

fn requested_scope(p: &Params) -> Result<Scopes, OAuthError> {
    Scopes::parse(p.get("scope").unwrap_or_default())
        .map_err(|_| OAuthError::new(ErrorCode::InvalidScope, "malformed scope"))
}

/// The scope a client may be given for itself (client credentials): no person scope,
/// nothing it is not registered for.
pub fn client_scope(client: &Client, p: &Params) -> Result<Scopes, OAuthError> {
    let scope = requested_scope(p)?;
    let refused = scope
        .not_grantable(crate::domain::scope::Grantee::Client)
        .or_else(|| scope.difference(&client.allowed_scopes).next());
    if let Some(s) = refused {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{s}` cannot be granted to a client"),
        ));
    }
    Ok(scope)
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifier_rules() {
        assert!(super::valid_verifier(&"a".repeat(43)));
        assert!(!super::valid_verifier(&"a".repeat(42)));
        assert!(!super::valid_verifier(&"a".repeat(129)));
        assert!(!super::valid_verifier(&format!("{}+", "a".repeat(43))));
    }
}

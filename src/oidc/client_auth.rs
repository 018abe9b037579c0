//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1),
//! `private_key_jwt` (OIDC Core §9, RFC 7523 §3; `jti` replay refused), and
//! `none` for public clients. Exactly one method per request. A client registered
//! for a secret may send it either way; `private_key_jwt` and `none` clients must
//! use exactly their method.

use crate::clients::{self, AuthMethod, Client};
use crate::crypto::ct_eq;
use crate::domain::{Params, RequestMeta};
use crate::error::OAuthError;
use crate::jose::UnverifiedJws;
use crate::state::AppState;
use base64::Engine;
use serde_json::Value;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew tolerated on assertion times.
const SKEW: i64 = 60;
/// Longest accepted assertion lifetime from now.
const MAX_ASSERTION_LIFETIME: i64 = 600;

/// `invalid_client`: 401 with a `Basic` challenge whichever method was tried
/// (RFC 6749 §5.2, RFC 9110 §15.5.2: a 401 always names a scheme).
fn fail(description: &str) -> OAuthError {
    OAuthError::invalid_client(description)
}

/// The Authorization header's value as text, if any: visible ASCII (and tabs)
/// only, as a header's value must be to be read as text (RFC 9110 §5.5).
fn authorization(raw: Option<&[u8]>) -> Result<Option<&str>, OAuthError> {
    raw.map(|v| {
        if v.iter().all(|b| *b == b'\t' || (0x20..0x7f).contains(b)) {
            std::str::from_utf8(v).map_err(|_| fail("malformed Authorization header"))
        } else {
            Err(fail("malformed Authorization header"))
        }
    })
    .transpose()
}

/// `(client_id, secret)` from an HTTP Basic header, form-urldecoded per RFC 6749 §2.3.1.
fn basic_credentials(authorization: Option<&str>) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = authorization else {
        return Ok(None);
    };
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Err(fail("malformed Authorization header"));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(fail("unsupported authorization scheme"));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| fail("malformed Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| fail("malformed Basic credentials"))?;
    let unescape = |s: &str| -> Result<String, OAuthError> {
        let plus_fixed = s.replace('+', " ");
        percent_decode(&plus_fixed).ok_or_else(|| fail("malformed Basic credentials"))
    };
    let (id, secret) = (unescape(id)?, unescape(secret)?);
    if crate::domain::text::forbidden_control(&id).is_some()
        || crate::domain::text::forbidden_control(&secret).is_some()
    {
        return Err(fail("malformed Basic credentials"));
    }
    Ok(Some((id, secret)))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Authenticates the calling client from the request's `Authorization` header
/// (raw bytes, if present) and parameters. `endpoint` is this endpoint's URL,
/// accepted as an assertion audience beside the issuer and the token endpoint.
/// Failures are audited, and the client they claimed to be is named in the log.
pub async fn authenticate(
    state: &AppState,
    authorization_header: Option<&[u8]>,
    params: &Params,
    endpoint: &str,
    meta: &RequestMeta,
) -> Result<Client, OAuthError> {
    let result = authenticate_inner(state, authorization_header, params, endpoint).await;
    let Err(e) = &result else {
        return result;
    };
    let claimed = authorization(authorization_header)
        .ok()
        .flatten()
        .and_then(|h| basic_credentials(Some(h)).ok().flatten())
        .map(|(id, _)| id)
        .or_else(|| params.get("client_id").map(str::to_owned))
        .or_else(|| {
            params
                .get("client_assertion")
                .and_then(|a| UnverifiedJws::parse(a).ok())
                .and_then(|jws| {
                    jws.claims
                        .get("iss")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
        });
    if let Some(id) = &claimed {
        crate::telemetry::note_claimed_client(id);
    }
    if e.code == crate::error::ErrorCode::InvalidClient {
        let mut event = crate::audit::AuditEvent::new("client.auth", false)
            .ip(meta.ip.clone())
            .detail(serde_json::json!({"endpoint": endpoint, "reason": e.description}));
        if let Some(id) = claimed.filter(|id| id.len() <= 255) {
            event = event.client(id);
        }
        state.audit.record(state.now(), event).await?;
    }
    result
}

async fn authenticate_inner(
    state: &AppState,
    authorization_header: Option<&[u8]>,
    params: &Params,
    endpoint: &str,
) -> Result<Client, OAuthError> {
    match credentials(authorization(authorization_header)?, params)? {
        Credentials::Secret { id, secret, method } => {
            check_secret(state, &id, &secret, method).await
        }
        Credentials::Assertion { jws, client_id } => {
            check_assertion(state, jws, &client_id, endpoint).await
        }
        Credentials::Public { id } => {
            let client = load(state, id).await?;
            if client.auth_method != AuthMethod::None {
                return Err(fail("this client must authenticate"));
            }
            Ok(client)
        }
    }
}

/// How a request authenticates its client, read from its Authorization header and
/// parameters alone, before anything is looked up (the `token_request` fuzz target
/// drives this).
#[derive(Debug)]
pub enum Credentials<'a> {
    /// `client_secret_basic` or `client_secret_post`.
    Secret {
        id: String,
        secret: String,
        method: AuthMethod,
    },
    /// `private_key_jwt`: the assertion (signature not verified yet) and its issuer.
    Assertion {
        jws: UnverifiedJws,
        client_id: String,
    },
    /// `none`: a public client only names itself.
    Public { id: &'a str },
}

pub fn credentials<'a>(
    authorization: Option<&str>,
    params: &'a Params,
) -> Result<Credentials<'a>, OAuthError> {
    let basic = basic_credentials(authorization)?;
    let body_secret = params.get("client_secret");
    let assertion = params.get("client_assertion");
    let methods = [basic.is_some(), body_secret.is_some(), assertion.is_some()];
    if methods.iter().filter(|m| **m).count() > 1 {
        return Err(fail("use exactly one client authentication method"));
    }

    if let Some((id, secret)) = basic {
        if params.get("client_id").is_some_and(|p| p != id) {
            return Err(fail("client_id does not match the credentials"));
        }
        return Ok(Credentials::Secret {
            id,
            secret,
            method: AuthMethod::ClientSecretBasic,
        });
    }
    if let Some(secret) = body_secret {
        let id = params
            .get("client_id")
            .ok_or_else(|| fail("client_id is required"))?;
        return Ok(Credentials::Secret {
            id: id.to_owned(),
            secret: secret.to_owned(),
            method: AuthMethod::ClientSecretPost,
        });
    }
    if let Some(jwt) = assertion {
        if params.get("client_assertion_type") != Some(JWT_BEARER) {
            return Err(fail("client_assertion_type must be jwt-bearer"));
        }
        let jws =
            UnverifiedJws::parse(jwt).map_err(|_| fail("client assertion is not a valid JWT"))?;
        let claim = |n: &str| jws.claims.get(n).and_then(Value::as_str);
        let iss = claim("iss").ok_or_else(|| fail("assertion has no iss"))?;
        if claim("sub") != Some(iss) || params.get("client_id").is_some_and(|c| c != iss) {
            return Err(fail("assertion iss and sub must be the client_id"));
        }
        let client_id = iss.to_owned();
        return Ok(Credentials::Assertion { jws, client_id });
    }
    let id = params
        .get("client_id")
        .ok_or_else(|| fail("client authentication is required"))?;
    Ok(Credentials::Public { id })
}

async fn load(state: &AppState, id: &str) -> Result<Client, OAuthError> {
    match clients::get(state, id).await? {
        Some(c) if c.active => Ok(c),
        _ => Err(fail("unknown or inactive client")),
    }
}

async fn check_secret(
    state: &AppState,
    id: &str,
    secret: &str,
    method: AuthMethod,
) -> Result<Client, OAuthError> {
    let client = load(state, id).await?;
    let digest = state.master.secret_digest(secret);
    let matches = client
        .secret_digest
        .as_deref()
        .is_some_and(|stored| ct_eq(stored.as_bytes(), digest.as_bytes()));
    if !matches {
        return Err(fail("client authentication failed"));
    }
    // `client_secret_basic` and `client_secret_post` carry the same secret with the
    // same strength: a secret client may use either (libraries differ in their
    // defaults). Other registered methods stay strict.
    if !(method.carries_secret() && client.auth_method.carries_secret()) {
        return Err(fail("authentication method not registered for this client"));
    }
    Ok(client)
}

async fn check_assertion(
    state: &AppState,
    jws: UnverifiedJws,
    iss: &str,
    endpoint: &str,
) -> Result<Client, OAuthError> {
    let client = load(state, iss).await?;
    if client.auth_method != AuthMethod::PrivateKeyJwt {
        return Err(fail("authentication method not registered for this client"));
    }
    let keys = client
        .jwks
        .as_ref()
        .ok_or_else(|| fail("client has no keys"))?;
    jws.verify(keys)
        .map_err(|_| fail("assertion signature does not verify"))?;

    let token_endpoint = state.url("/token");
    let accepted = [state.issuer.as_str(), token_endpoint.as_str(), endpoint];
    let now = state.now();
    let (jti, exp) = assertion_claims(&jws.claims, &accepted, now)?;
    let fresh = state
        .store
        .put_if_absent(
            &format!("jti:{}:{jti}", client.id),
            "1",
            exp - now + SKEW * 2,
        )
        .await?;
    if !fresh {
        return Err(fail("assertion jti was already used"));
    }
    Ok(client)
}

/// The checks of a verified assertion's claims that need no server (RFC 7523 §3):
/// audience, expiry, lifetime, `nbf`/`iat`, `jti`. Returns `(jti, exp)`.
pub fn assertion_claims<'c>(
    claims: &'c serde_json::Map<String, Value>,
    accepted: &[&str],
    now: i64,
) -> Result<(&'c str, i64), OAuthError> {
    let claim = |n: &str| claims.get(n).and_then(Value::as_str);
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => accepted.contains(&a.as_str()),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| accepted.contains(&a)),
        _ => false,
    };
    if !aud_ok {
        return Err(fail("assertion audience is not this server"));
    }
    let int = |n: &str| claims.get(n).and_then(Value::as_i64);
    let exp = int("exp").ok_or_else(|| fail("assertion has no exp"))?;
    // The client chooses these numbers: any i64 must be judged, never overflow.
    if exp.saturating_add(SKEW) <= now {
        return Err(fail("assertion has expired"));
    }
    if exp > now.saturating_add(MAX_ASSERTION_LIFETIME) {
        return Err(fail("assertion lifetime is too long"));
    }
    let not_before = now.saturating_add(SKEW);
    if int("nbf").is_some_and(|nbf| nbf > not_before)
        || int("iat").is_some_and(|iat| iat > not_before)
    {
        return Err(fail("assertion is not yet valid"));
    }
    let jti = claim("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| fail("assertion has no jti"))?;
    Ok((jti, exp))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    const NOW: i64 = 1_795_000_000;
    const AUD: [&str; 1] = ["https://sso.example.go.id/token"];

    fn claims(exp: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        let v = json!({"iss": "a", "sub": "a", "aud": AUD[0], "exp": exp, "jti": "j"});
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn assertion_times_at_the_edges_of_i64() {
        // exp = i64::MAX used to overflow `exp + SKEW` (a panic with overflow checks).
        let far = claims(json!(i64::MAX));
        let e = super::assertion_claims(&far, &AUD, NOW).unwrap_err();
        assert_eq!(
            e.description.as_deref(),
            Some("assertion lifetime is too long")
        );
        let past = claims(json!(i64::MIN));
        let e = super::assertion_claims(&past, &AUD, NOW).unwrap_err();
        assert_eq!(e.description.as_deref(), Some("assertion has expired"));
        let ok = claims(json!(NOW + 60));
        assert_eq!(
            super::assertion_claims(&ok, &AUD, NOW).unwrap(),
            ("j", NOW + 60)
        );
        let mut early = claims(json!(NOW + 60));
        early.insert("nbf".into(), json!(i64::MAX));
        assert!(super::assertion_claims(&early, &AUD, NOW).is_err());
        // and a server clock at the very end of time does not overflow either
        assert!(super::assertion_claims(&ok, &AUD, i64::MAX).is_err());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(super::percent_decode("a%3Ab%25").as_deref(), Some("a:b%"));
        assert_eq!(super::percent_decode("%zz"), None);
    }
}

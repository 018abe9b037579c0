//! Redirect URIs as registered by clients (RFC 6749 §3.1.2, OIDC Core §3.1.2.1):
//! absolute, no fragment; `https`, `http` only on loopback hosts, or a private-use
//! scheme (reverse domain name, RFC 8252 §7.1) for native apps. Matching is exact.

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RedirectUriError {
    #[error("`{0}` is not an absolute URI")]
    NotAbsolute(String),
    #[error("`{0}` has a fragment")]
    Fragment(String),
    #[error("`{0}` must use https (http only for localhost)")]
    Insecure(String),
}

impl RedirectUri {
    pub fn parse(s: &str) -> Result<Self, RedirectUriError> {
        let url = Url::parse(s).map_err(|_| RedirectUriError::NotAbsolute(s.to_owned()))?;
        if url.fragment().is_some() || s.contains('#') {
            return Err(RedirectUriError::Fragment(s.to_owned()));
        }
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = match url.host() {
                    Some(url::Host::Domain(d)) => d == "localhost",
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    None => false,
                };
                if !loopback {
                    return Err(RedirectUriError::Insecure(s.to_owned()));
                }
            }
            scheme if scheme.contains('.') => {}
            _ => return Err(RedirectUriError::Insecure(s.to_owned())),
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(RedirectUri::parse("https://ekinerja.kotabogor.go.id/callback").is_ok());
        assert!(RedirectUri::parse("http://localhost:3000/cb").is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1/cb").is_ok());
        assert!(RedirectUri::parse("id.go.kotabogor.presensi:/cb").is_ok());
        assert!(RedirectUri::parse("http://evil.example/cb").is_err());
        assert!(RedirectUri::parse("https://a.example/cb#x").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
    }
}

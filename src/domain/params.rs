//! Request parameters (query strings and form bodies) with each name at most once:
//! duplicates and oversized values are noted for the protocol's checks (RFC 6749
//! §3.1, §3.2), control characters refused outright.

use crate::domain::text::forbidden_control;
use std::collections::HashMap;

/// Why parameters cannot be used: an `invalid_request` of the protocol that
/// read them (RFC 6749 §4.1.2.1, §5.2), the sentence saying which and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

impl ParamError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Largest single parameter value accepted (JWT assertions and hints fit).
pub const MAX_PARAM_LEN: usize = 16 * 1024;
const MAX_PARAMS: usize = 64;

/// Request parameters with each name present at most once.
#[derive(Debug, Default, Clone)]
pub struct Params {
    map: HashMap<String, String>,
    /// Names that appeared more than once.
    pub duplicated: Vec<String>,
    pub oversized: Vec<String>,
}

impl Params {
    pub fn parse(raw: &[u8]) -> Result<Self, ParamError> {
        let mut p = Params::default();
        for (i, (k, v)) in form_urlencoded::parse(raw).enumerate() {
            if i >= MAX_PARAMS {
                return Err(ParamError::new("too many parameters"));
            }
            // NUL and other control characters are refused here, once, for every
            // query and form (PostgreSQL cannot store NUL; nothing needs them).
            if let Some(c) = forbidden_control(&k).or_else(|| forbidden_control(&v)) {
                let name: String = k
                    .chars()
                    .filter(|c| !crate::domain::text::is_forbidden(*c))
                    .take(64)
                    .collect();
                return Err(ParamError::new(format!(
                    "parameter `{name}` contains the control character {}",
                    crate::domain::text::describe(c)
                )));
            }
            if v.len() > MAX_PARAM_LEN {
                p.oversized.push(k.to_string());
                continue;
            }
            // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
            if v.is_empty() {
                continue;
            }
            if p.map.contains_key(k.as_ref()) {
                p.duplicated.push(k.to_string());
            } else {
                p.map.insert(k.into_owned(), v.into_owned());
            }
        }
        Ok(p)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// Rejects the request if any parameter was repeated or too large.
    pub fn ensure_clean(&self) -> Result<(), ParamError> {
        if let Some(d) = self.duplicated.first() {
            return Err(ParamError::new(format!("parameter `{d}` is repeated")));
        }
        if let Some(o) = self.oversized.first() {
            return Err(ParamError::new(format!("parameter `{o}` is too large")));
        }
        Ok(())
    }

    pub fn require(&self, name: &str) -> Result<&str, ParamError> {
        self.get(name)
            .ok_or_else(|| ParamError::new(format!("`{name}` is required")))
    }

    pub fn is_dirty(&self, name: &str) -> bool {
        self.duplicated.iter().any(|d| d == name) || self.oversized.iter().any(|d| d == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_empty_values() {
        let p = Params::parse(b"a=1&b=&a=2&c=3").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.duplicated, vec!["a".to_string()]);
        assert!(p.ensure_clean().is_err());
        assert!(p.is_dirty("a"));
        assert!(!p.is_dirty("c"));
    }

    #[test]
    fn control_characters_are_refused() {
        for raw in [
            &b"username=a%00b"[..],
            b"state=x%01",
            b"a%00=1",
            b"login_hint=%1B%5B31m",
            b"x=\x00",
        ] {
            let e = crate::error::OAuthError::from(Params::parse(raw).unwrap_err());
            assert_eq!(e.code, crate::error::ErrorCode::InvalidRequest);
            assert!(e.description.unwrap().contains("control character"));
        }
        // tab, CR and LF are text
        assert!(Params::parse(b"note=a%09b%0D%0Ac").is_ok());
    }
}

//! OAuth 2.0 scope values (RFC 6749 §3.3): a set of case-sensitive tokens.

use std::collections::BTreeSet;
use std::fmt;

/// Scopes Gapura knows. A client may request only those an administrator allowed it.
pub const OPENID: &str = "openid";
pub const KNOWN_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "phone",
    "offline_access",
    ASN,
    ROLES,
    NIK,
    DIRECTORY_READ,
    ADMIN,
];
/// ASN claims: `nip`, `opd`, `unit_kerja`, `jabatan`, ... (issue #3).
pub const ASN: &str = "asn";
/// The requesting application's roles, structured and flat.
pub const ROLES: &str = "roles";
/// The NIK claim: only for clients an administrator allowed (`nik_allowed`).
pub const NIK: &str = "nik";
/// Directory API and SCIM read access, for client-credentials tokens.
pub const DIRECTORY_READ: &str = "directory.read";
/// Admin API access, for a super-admin or an OPD administrator.
pub const ADMIN: &str = "gapura.admin";
/// Scopes about a person: never granted to a client acting for itself.
pub const PERSON_SCOPES: &[&str] = &[
    "openid",
    "offline_access",
    "profile",
    "email",
    "phone",
    ASN,
    ROLES,
    NIK,
    ADMIN,
];
/// Scopes for an application acting for itself (client credentials), never for a
/// person: a person's authorization cannot grant them.
pub const SERVICE_SCOPES: &[&str] = &[DIRECTORY_READ];
pub const DEFAULT_CLIENT_SCOPES: &str = "openid profile email phone offline_access";

/// Who a token is for: a person (authorization code, and its refreshes) or the
/// client itself (client credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grantee {
    Person,
    Client,
}

/// The one rule of which scopes each kind of grant may carry. A scope outside
/// both lists (none today) would be grantable to both.
pub fn grantable(scope: &str, to: Grantee) -> bool {
    match to {
        Grantee::Person => !SERVICE_SCOPES.contains(&scope),
        Grantee::Client => !PERSON_SCOPES.contains(&scope),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("scope contains a character outside RFC 6749 §3.3")]
pub struct ScopeError;

impl Scopes {
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for token in s.split(' ').filter(|t| !t.is_empty()) {
            let valid = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid {
                return Err(ScopeError);
            }
            set.insert(token.to_owned());
        }
        Ok(Self(set))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The members not in `other`.
    pub fn difference<'a>(&'a self, other: &'a Scopes) -> impl Iterator<Item = &'a str> {
        self.0.difference(&other.0).map(String::as_str)
    }

    /// The first member `to` may not be granted (`grantable`).
    pub fn not_grantable(&self, to: Grantee) -> Option<&str> {
        self.iter().find(|s| !grantable(s, to))
    }

    /// Only the members `to` may be granted.
    pub fn grantable_to(&self, to: Grantee) -> Scopes {
        Scopes(
            self.0
                .iter()
                .filter(|s| grantable(s, to))
                .cloned()
                .collect(),
        )
    }

    /// The members also in `other`.
    pub fn intersection(&self, other: &Scopes) -> Scopes {
        Scopes(self.0.intersection(&other.0).cloned().collect())
    }

    pub fn without(&self, scope: &str) -> Scopes {
        Scopes(self.0.iter().filter(|s| *s != scope).cloned().collect())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<&str> = self.iter().collect();
        f.write_str(&v.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let s = Scopes::parse("profile openid  openid").unwrap();
        assert_eq!(s.to_string(), "openid profile");
        assert!(Scopes::parse("a\"b").is_err());
        assert!(Scopes::parse("caf\u{e9}").is_err());
        let all = Scopes::parse(DEFAULT_CLIENT_SCOPES).unwrap();
        assert!(s.is_subset(&all));
        assert_eq!(s.difference(&all).count(), 0);
    }

    #[test]
    fn person_and_service_scopes_do_not_mix() {
        for s in KNOWN_SCOPES {
            // every known scope is for exactly one kind of grant
            assert_ne!(
                grantable(s, Grantee::Person),
                grantable(s, Grantee::Client),
                "{s}"
            );
        }
        assert!(!grantable(DIRECTORY_READ, Grantee::Person));
        assert!(
            grantable(ADMIN, Grantee::Person),
            "the admin console logs people in"
        );
        assert!(!grantable(ADMIN, Grantee::Client));
        let asked = Scopes::parse("openid directory.read profile").unwrap();
        assert_eq!(asked.not_grantable(Grantee::Person), Some(DIRECTORY_READ));
        assert_eq!(asked.not_grantable(Grantee::Client), Some("openid"));
        assert_eq!(
            asked.grantable_to(Grantee::Person).to_string(),
            "openid profile"
        );
    }
}

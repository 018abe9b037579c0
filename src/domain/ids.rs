//! Identifiers that cross module boundaries, each its own type so one cannot be
//! passed where another is meant: a client's id (`client_id`, public), an
//! account's id (the `sub` claim), and a logical SSO session's id (the `sid`
//! claim, OIDC Front-/Back-Channel Logout). They serialize as plain strings, so
//! stored sessions, codes and tokens keep their shape.
//!
//! Each reads as `&str` (`Deref`, `as_str`) where text is needed (queries, claims,
//! logs); making one from text is explicit (`from`), done where the value enters:
//! a request, a database row, a verified token.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

id_type!(
    /// A registered client's `client_id` (RFC 6749 §2.2).
    ClientId
);
id_type!(
    /// An account's id: the `sub` claim, the same for every client.
    UserId
);
id_type!(
    /// A logical SSO session's id: the `sid` claim, shared by the session's renewals.
    Sid
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialize_as_plain_strings() {
        let id = ClientId::from("app-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"app-1\"");
        let back: ClientId = serde_json::from_str("\"app-1\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(back, "app-1");
        assert_eq!(&*back, "app-1");
    }
}

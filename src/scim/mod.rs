//! SCIM 2.0 (RFC 7643, RFC 7644) without HTTP: the filter grammar Gapura accepts
//! and the protocol's error kinds. The endpoints are in `crate::http::scim`.

pub mod error;
pub mod filter;

pub const CONTENT_TYPE: &str = "application/scim+json";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Largest page (RFC 7644 §3.4.2.4 lets the provider cap `count`).
pub const MAX_COUNT: u64 = 200;

//! SCIM 2.0 (RFC 7643, RFC 7644) without HTTP: the filter grammar Gapura accepts
//! and the protocol's error kinds. The endpoints are in `crate::http::scim`.

pub mod error;
pub mod filter;

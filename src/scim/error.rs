//! SCIM errors (RFC 7644 §3.12): `{"schemas":[Error URN], "status":"400",
//! "scimType":"invalidFilter", "detail":"..."}` as `application/scim+json`.
//! The HTTP form, and the mapping from directory and database errors (through
//! the admin API's kinds), are in `crate::http::error`.

pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct ScimError {
    /// The HTTP status code.
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        ScimError {
            status: 400,
            scim_type: Some("invalidFilter"),
            detail: detail.into(),
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError {
            status: 404,
            scim_type: None,
            detail: detail.into(),
        }
    }
}

//! What services need to know about the request they serve, as plain values: the
//! edge (`crate::http::meta`) reads it from the HTTP request once.

/// The caller's address (after trusted proxies) and browser, for audit records,
/// lockouts and the sessions list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

//! SCIM errors (RFC 7644 §3.12): `{"schemas":[Error URN], "status":"400",
//! "scimType":"invalidFilter", "detail":"..."}` as `application/scim+json`.

use crate::admin::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        ScimError {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some("invalidFilter"),
            detail: detail.into(),
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError {
            status: StatusCode::NOT_FOUND,
            scim_type: None,
            detail: detail.into(),
        }
    }
}

impl From<ApiError> for ScimError {
    fn from(e: ApiError) -> Self {
        let status = e.status_code();
        ScimError {
            status,
            scim_type: matches!(e, ApiError::Invalid(_)).then_some("invalidValue"),
            detail: match e {
                ApiError::Internal | ApiError::Unavailable => {
                    "the server could not complete the request".into()
                }
                other => other.to_string(),
            },
        }
    }
}

impl From<crate::directory::DirectoryError> for ScimError {
    fn from(e: crate::directory::DirectoryError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<sea_orm::DbErr> for ScimError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::from(e).into()
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut resp = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            resp.insert_header(("WWW-Authenticate", "Bearer realm=\"gapura\""));
        }
        resp.content_type(super::CONTENT_TYPE)
            .body(body.to_string())
    }
}

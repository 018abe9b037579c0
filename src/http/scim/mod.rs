//! SCIM 2.0 read endpoints (RFC 7643 resources, RFC 7644 protocol) for applications
//! that provision by SCIM: `/scim/v2/Users` (ASN; `userName` = NIP) and
//! `/scim/v2/Groups` (OPD units), with `filter=userName eq "..."`, `startIndex` and
//! `count` paging, `ListResponse` messages and `application/scim+json` (§3.1).
//! Authenticated by a Gapura access token carrying `directory.read`.

pub mod groups;
pub mod users;

use crate::scim::error::ScimError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

pub use crate::scim::{CONTENT_TYPE, ENTERPRISE_USER, GROUP, LIST_RESPONSE, MAX_COUNT, USER};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .wrap(actix_web::middleware::from_fn(crate::http::guard::no_store))
            .route("/Users", web::get().to(users::list))
            .route("/Users/{id}", web::get().to(users::get))
            .route("/Groups", web::get().to(groups::list))
            .route("/Groups/{id}", web::get().to(groups::get))
            .route(
                "/ServiceProviderConfig",
                web::get().to(service_provider_config),
            ),
    );
}

pub async fn authorize(state: &AppState, req: &HttpRequest) -> Result<(), ScimError> {
    crate::http::admin::auth::token_with_scope(state, req, crate::domain::scope::DIRECTORY_READ)
        .await
        .map(|_| ())
        .map_err(ScimError::from)
}

pub fn respond(value: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(("Cache-Control", "no-store"))
        .body(value.to_string())
}

/// `startIndex` (1-based) and `count` (RFC 7644 §3.4.2.4): bad values are clamped.
pub fn paging(p: &crate::domain::Params) -> (u64, u64) {
    let start = p
        .get("startIndex")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1) as u64;
    let count = p
        .get("count")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(100)
        .clamp(0, MAX_COUNT as i64) as u64;
    (start, count)
}

pub fn list_response(total: u64, start: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// RFC 3339 time of a Unix timestamp, for `meta.created` / `meta.lastModified`.
pub fn rfc3339(t: i64) -> String {
    crate::domain::time::rfc3339(t)
}

async fn service_provider_config(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ScimError> {
    authorize(&state, &req).await?;
    Ok(respond(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": false},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A Gapura access token with the directory.read scope",
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": state.url("/scim/v2/ServiceProviderConfig")},
    })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn times() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}

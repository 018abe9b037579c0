//! Introspection endpoint (RFC 7662): the authenticated client asks about a
//! token; what it may learn is decided in `oidc::introspect`.

use crate::error::OAuthError;
use crate::http::extract::AuthenticatedClient;
use crate::http::json_no_store;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub async fn introspect(
    state: web::Data<AppState>,
    request: AuthenticatedClient,
) -> Result<HttpResponse, OAuthError> {
    let answer =
        crate::oidc::introspect::introspect(&state, &request.client, &request.params).await?;
    Ok(json_no_store(&answer))
}

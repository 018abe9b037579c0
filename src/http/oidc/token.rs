//! Token endpoint (RFC 6749 §3.2; OIDC Core §3.1.3, §12): the authenticated
//! client's request goes to its grant type (`oidc::grant`); the answer is the
//! token response or the RFC 6749 §5.2 error.

use crate::error::OAuthError;
use crate::http::extract::AuthenticatedClient;
use crate::http::json_no_store;
use crate::oidc::grant;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub async fn token(
    state: web::Data<AppState>,
    request: AuthenticatedClient,
) -> Result<HttpResponse, OAuthError> {
    let AuthenticatedClient {
        client,
        params,
        meta,
    } = request;
    params.ensure_clean()?;
    let grant_type = params.require("grant_type")?;
    let response = grant::exchange(&state, &client, grant_type, &params, &meta).await;
    if let Err(e) = &response {
        grant::audit_refusal(&state, &meta, &client, grant_type, e).await?;
    }
    Ok(json_no_store(&response?))
}

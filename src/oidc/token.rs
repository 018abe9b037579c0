//! Token endpoint (RFC 6749 §3.2; OIDC Core §3.1.3, §12): authenticates the
//! client, hands the request to its grant type (`oidc::grant`), answers with the
//! token response or the RFC 6749 §5.2 error.

use super::grant;
use crate::error::OAuthError;
use crate::http::{form_params, json_no_store};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    let params = form_params(&req, &body)?;
    let client =
        super::client_auth::authenticate(&state, &req, &params, &state.url("/token")).await?;
    params.ensure_clean()?;
    let grant_type = params.require("grant_type")?;
    let meta = crate::http::meta(&req);
    let response = grant::exchange(&state, &client, grant_type, &params, &meta).await;
    if let Err(e) = &response {
        grant::audit_refusal(&state, &meta, &client, grant_type, e).await?;
    }
    Ok(json_no_store(&response?))
}

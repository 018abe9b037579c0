//! Revocation endpoint (RFC 7009): the authenticated client names a token; the
//! answer is 200 whether or not it was one of the client's (`oidc::revoke`).

use crate::error::OAuthError;
use crate::http::extract::AuthenticatedClient;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub async fn revoke(
    state: web::Data<AppState>,
    request: AuthenticatedClient,
) -> Result<HttpResponse, OAuthError> {
    request.params.ensure_clean()?;
    let token = request.params.require("token")?;
    crate::oidc::revoke::revoke(&state, &request.client, token, &request.meta).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

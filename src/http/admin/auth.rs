//! Authentication of API calls: a Bearer access token issued by Gapura (RFC 9068,
//! checked by `oidc::tokens::check_access_token`) carrying the required scope. The
//! admin API also needs a person who administers something (`AdminContext`).

use super::error::ApiError;
use crate::access::AdminContext;
use crate::oidc::tokens::{self, Verified};
use crate::state::AppState;
use crate::users;
use actix_web::HttpRequest;

/// A live token carrying `scope`.
pub async fn token_with_scope(
    state: &AppState,
    req: &HttpRequest,
    scope: &str,
) -> Result<Verified, ApiError> {
    let token = crate::http::bearer_token(req)
        .map_err(|_| ApiError::Unauthorized("Authorization must use the Bearer scheme".into()))?
        .ok_or_else(|| ApiError::Unauthorized("a Bearer access token is required".into()))?;
    let v = tokens::check_access_token(state, &token)
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized("the access token is invalid, expired or revoked".into())
        })?;
    if !v.scopes().contains(scope) {
        return Err(ApiError::InsufficientScope(format!(
            "the token does not carry the `{scope}` scope"
        )));
    }
    Ok(v)
}

/// The administrator behind a `gapura.admin` token.
pub async fn admin(state: &AppState, req: &HttpRequest) -> Result<AdminContext, ApiError> {
    let v = token_with_scope(state, req, crate::domain::scope::ADMIN).await?;
    let user = users::find_by_id(&state.db, v.str("sub").unwrap_or_default())
        .await?
        .filter(users::is_active)
        .ok_or_else(|| {
            ApiError::Unauthorized("the token does not belong to an active account".into())
        })?;
    AdminContext::load(&state.db, user, state.now())
        .await?
        .ok_or_else(|| ApiError::Forbidden("this account administers nothing".into()))
}

pub fn require_super(ctx: &AdminContext) -> Result<(), ApiError> {
    if ctx.super_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only Diskominfo super-administrators may do this".into(),
        ))
    }
}

//! UserInfo endpoint (OIDC Core §5.3) with Bearer tokens per RFC 6750: the
//! `Authorization` header, or (POST) the `access_token` form parameter, never
//! both; the checks and claims are `oidc::userinfo`'s.

use crate::domain::Params;
use crate::error::OAuthError;
use crate::http::{BearerHeaderError, json_no_store};
use crate::oidc::userinfo::{self, bearer};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};

/// The bearer token from the header, if any. `Err` for a malformed header.
fn header_token(req: &HttpRequest) -> Result<Option<String>, OAuthError> {
    crate::http::bearer_token(req).map_err(|e| {
        bearer(OAuthError::invalid_request(match e {
            BearerHeaderError::Malformed => "malformed Authorization header",
            BearerHeaderError::NotBearer => "Authorization must use the Bearer scheme",
        }))
    })
}

pub async fn userinfo_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let token = header_token(&req)?;
    respond(&state, &req, token.as_deref()).await
}

pub async fn userinfo_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    let from_header = header_token(&req)?;
    let form = if body.is_empty() {
        Params::default()
    } else {
        crate::http::form_params(&req, &body).map_err(bearer)?
    };
    form.ensure_clean().map_err(|e| bearer(e.into()))?;
    let token = match (from_header, form.get("access_token")) {
        (Some(_), Some(_)) => {
            return Err(bearer(OAuthError::invalid_request(
                "send the token in one place only",
            )));
        }
        (Some(t), None) => Some(t),
        (None, t) => t.map(str::to_owned),
    };
    respond(&state, &req, token.as_deref()).await
}

async fn respond(
    state: &AppState,
    req: &HttpRequest,
    token: Option<&str>,
) -> Result<HttpResponse, OAuthError> {
    let verified = userinfo::verify(state, token).await?;
    // From here on the request speaks for the token's client (CORS, logs).
    crate::http::note_client(req, verified.str("client_id").unwrap_or_default());
    let claims = userinfo::claims(state, &verified).await?;
    Ok(json_no_store(&claims))
}

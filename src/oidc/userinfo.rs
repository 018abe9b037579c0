//! UserInfo endpoint (OIDC Core §5.3) with Bearer tokens per RFC 6750:
//! the `Authorization` header, or (POST) the `access_token` form parameter;
//! errors carry `WWW-Authenticate: Bearer` (§3).

use super::tokens;
use crate::error::{ErrorCode, OAuthError};
use crate::http::{Params, json_no_store};
use crate::state::AppState;
use crate::users;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

fn bearer(e: OAuthError) -> OAuthError {
    e.with_challenge("Bearer")
}

/// The bearer token from the header, if any. `Err` for a malformed header.
fn header_token(req: &HttpRequest) -> Result<Option<String>, OAuthError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        bearer(OAuthError::invalid_request(
            "malformed Authorization header",
        ))
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(bearer(OAuthError::invalid_request(
            "Authorization must use the Bearer scheme",
        ))),
    }
}

pub async fn userinfo_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let token = header_token(&req)?;
    respond(&state, &req, token).await
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
    form.ensure_clean().map_err(bearer)?;
    let token = match (from_header, form.get("access_token")) {
        (Some(_), Some(_)) => {
            return Err(bearer(OAuthError::invalid_request(
                "send the token in one place only",
            )));
        }
        (Some(t), None) => Some(t),
        (None, t) => t.map(str::to_owned),
    };
    respond(&state, &req, token).await
}

async fn respond(
    state: &AppState,
    req: &HttpRequest,
    token: Option<String>,
) -> Result<HttpResponse, OAuthError> {
    let Some(token) = token else {
        // RFC 6750 §3.1: no error code when the request carried no credentials.
        return Err(OAuthError::bearer_missing());
    };
    let v = tokens::check_access_token(state, &token)
        .await?
        .ok_or_else(|| {
            bearer(OAuthError::invalid_token(
                "the access token is invalid, expired or revoked",
            ))
        })?;
    crate::http::note_client(req, v.str("client_id").unwrap_or_default());
    let scopes = v.scopes();
    if !scopes.contains("openid") || v.str("gid").is_none() {
        return Err(bearer(OAuthError::new(
            ErrorCode::InsufficientScope,
            "the token does not carry the openid scope",
        )));
    }
    let user = users::get(state, v.str("sub").unwrap_or_default())
        .await?
        .filter(users::is_active)
        .ok_or_else(|| bearer(OAuthError::invalid_token("the account is not active")))?;
    let mut claims = super::claims::user_claims(&user, &scopes);
    if let Some(client) = crate::clients::get(state, v.str("client_id").unwrap_or_default())
        .await?
        .filter(|c| c.active)
    {
        let extra = super::claims::load(state, &client, &user, &scopes).await?;
        super::claims::apply(
            &mut claims,
            &extra,
            &client,
            crate::clients::ClaimTarget::UserInfo,
        );
    }
    Ok(json_no_store(&claims))
}

//! Extractors the handlers share, so no handler repeats what every request of its
//! kind needs first:
//! - [`RequestMeta`]: the client's address (through trusted proxies) and user agent;
//! - [`AuthenticatedClient`]: the strict form of a token, introspection or
//!   revocation request and the client it proved to be (RFC 6749 §2.3), failures
//!   audited and answered `invalid_client`;
//! - the CSRF-checked login-flow form with its pending request is
//!   `crate::http::pages::PendingForm`.

use crate::clients::Client;
use crate::domain::{Params, RequestMeta};
use crate::error::OAuthError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use std::future::{Ready, ready};

impl FromRequest for RequestMeta {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(super::meta(req)))
    }
}

/// A request to an endpoint that authenticates its client: the form
/// (`application/x-www-form-urlencoded`, RFC 6749 §3.2; repeated or oversized
/// parameters are left for the endpoint to refuse, after authentication), the
/// client, and the request's metadata. The endpoint's URL is an accepted
/// audience of a `private_key_jwt` assertion.
pub struct AuthenticatedClient {
    pub client: Client,
    pub params: Params,
    pub meta: RequestMeta,
}

impl FromRequest for AuthenticatedClient {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| OAuthError::internal("application state missing"))?;
            let params = super::form_params(&req, &body)?;
            let meta = super::meta(&req);
            let authorization = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .map(|v| v.as_bytes());
            let client = crate::oidc::client_auth::authenticate(
                &state,
                authorization,
                &params,
                &state.url(req.path()),
                &meta,
            )
            .await?;
            super::note_client(&req, &client.id);
            Ok(Self {
                client,
                params,
                meta,
            })
        })
    }
}

//! RP-Initiated Logout 1.0 (`end_session_endpoint`, GET and POST) and the logged-out
//! page that loads each application's front-channel logout URI (Front-Channel
//! Logout 1.0 §3) before returning to the application.
//!
//! A request that proves who asked (an `id_token_hint` of this session) logs out at
//! once; any other asks the person to confirm. A `post_logout_redirect_uri` is used
//! only when it exactly matches one the client registered; otherwise an error page.
//!
//! What the confirmation must remember (where to return) travels in the form,
//! sealed under the master key and bound to the session's `sid`, expiring after
//! ten minutes: the server keeps nothing per request.

use crate::clients::{self, Client};
use crate::domain::Params;
use crate::http::{csrf_token, csrf_valid, form_params};
use crate::logout::{EndReason, end_session};
use crate::oidc::tokens::verify_own;
use crate::session::SsoSession;
use crate::state::AppState;
use crate::ui::pages::{FrontChannelFrame, LoggedOutPage, LogoutConfirmPage};
use crate::ui::{Lang, PageError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/logout", web::get().to(logout_get))
        .route("/logout", web::post().to(logout_post))
        .route("/logout/confirm", web::post().to(confirm));
}

const PENDING_TTL: i64 = 600;

const AAD: &[u8] = b"gapura logout confirmation v1";

/// Where to go once logged out, carried while the person confirms.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Pending {
    redirect: Option<String>,
    state: Option<String>,
    ui_locales: Option<String>,
    /// The session this confirmation belongs to, and until when it may be used.
    #[serde(default)]
    sid: String,
    #[serde(default)]
    expires_at: i64,
}

impl Pending {
    fn seal(&self, state: &AppState) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        state.master.encrypt(&json, AAD)
    }

    fn open(state: &AppState, sealed: &str) -> Option<Self> {
        if sealed.len() > 8192 {
            return None;
        }
        let plain = state.master.decrypt(sealed, AAD).ok()?;
        let p: Pending = serde_json::from_slice(&plain).ok()?;
        (state.now() < p.expires_at).then_some(p)
    }
}

async fn logout_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match crate::http::page_params(&req, req.query_string().as_bytes()) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    handle(&req, &state, params).await
}

async fn logout_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    match form_params(&req, &body) {
        Ok(p) => handle(&req, &state, p).await,
        Err(_) => PageError::BadRequest.page(&req, crate::http::lang(&req, None)),
    }
}

async fn handle(req: &HttpRequest, state: &AppState, p: Params) -> HttpResponse {
    let lang = crate::http::lang(req, p.get("ui_locales"));
    if p.ensure_clean().is_err() {
        return PageError::BadRequest.page(req, lang);
    }
    // The hint may have expired: only its signature and issuer are checked (§2).
    let hint = match p.get("id_token_hint") {
        Some(h) => match verify_own(state, h, "JWT") {
            Some(v) => Some(v),
            None => return PageError::BadLogoutHint.page(req, lang),
        },
        None => None,
    };
    let hint_aud = hint.as_ref().and_then(|v| v.str("aud").map(str::to_owned));
    if let (Some(aud), Some(cid)) = (&hint_aud, p.get("client_id"))
        && aud != cid
    {
        return PageError::BadLogoutHint.page(req, lang);
    }
    let client: Option<Client> = match p.get("client_id").map(str::to_owned).or(hint_aud) {
        Some(id) => match clients::find(&state.db, &id).await {
            Ok(Some(c)) => Some(c),
            Ok(None) => return PageError::UnknownClient.page(req, lang),
            Err(_) => return PageError::Unavailable.page(req, lang),
        },
        None => None,
    };
    let redirect = match p.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => match &client {
            Some(c) if c.post_logout_redirect_uris.iter().any(|r| r == uri) => Some(uri.to_owned()),
            _ => return PageError::BadPostLogoutRedirectUri.page(req, lang),
        },
    };
    let mut pending = Pending {
        redirect,
        state: p.get("state").map(str::to_owned),
        ui_locales: p.get("ui_locales").map(str::to_owned),
        sid: String::new(),
        expires_at: state.now() + PENDING_TTL,
    };
    let current = match crate::http::current_session(state, req).await {
        Ok(c) => c,
        Err(_) => return PageError::Unavailable.page(req, lang),
    };
    let Some((handle, s)) = current else {
        // Nobody is logged in here: nothing to end.
        return finish(state, lang, None, pending).await;
    };
    let proven = hint.as_ref().is_some_and(|h| match h.str("sid") {
        Some(sid) => sid == s.sid,
        None => h.str("sub") == Some(s.user_id.as_str()),
    });
    if proven {
        return logout_now(state, req, lang, &handle, s, pending).await;
    }
    pending.sid = s.sid.to_string();
    let id = pending.seal(state);
    let (csrf, csrf_cookie) = csrf_token(state, req);
    let page = LogoutConfirmPage {
        t: lang.texts(),
        lang: lang.code(),
        csrf: &csrf,
        logout_id: &id,
        client_name: client.as_ref().map(|c| c.name.as_str()),
    };
    crate::http::render::form_page(StatusCode::OK, &page, None, csrf_cookie)
}

/// The confirmation form (also the home page's logout button).
async fn confirm(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let form = match crate::http::page_params(&req, &body) {
        Ok(p) => p,
        Err(page) => return page.into(),
    };
    let lang = crate::http::lang(&req, None);
    if !csrf_valid(&state, &req, form.get("csrf")) {
        return PageError::Csrf.page(&req, lang);
    }
    let pending = match form.get("logout_id") {
        Some(id) => match Pending::open(&state, id) {
            Some(p) => Some(p),
            None => return PageError::Expired.page(&req, lang),
        },
        None => None,
    };
    let lang = crate::http::lang(&req, pending.as_ref().and_then(|p| p.ui_locales.as_deref()));
    match crate::http::current_session(&state, &req).await {
        // A confirmation made for another session (another browser, or a session
        // since replaced) does not return to its application.
        Ok(Some((handle, s))) => {
            let pending = pending.filter(|p| p.sid == s.sid).unwrap_or_default();
            logout_now(&state, &req, lang, &handle, s, pending).await
        }
        Ok(None) => {
            let pending = pending.unwrap_or_default();
            finish(&state, lang, None, pending).await
        }
        Err(_) => PageError::Unavailable.page(&req, lang),
    }
}

async fn logout_now(
    req_state: &AppState,
    req: &HttpRequest,
    lang: Lang,
    handle: &str,
    s: SsoSession,
    pending: Pending,
) -> HttpResponse {
    let state = req_state;
    if let Err(e) = end_session(state, handle, &s, EndReason::Logout).await {
        tracing::error!(error = %e, "logout failed");
        return PageError::Unavailable.page(req, lang);
    }
    finish(state, lang, Some(&s), pending).await
}

/// Front-channel iframes for the session's clients, then back to the application.
async fn finish(
    state: &AppState,
    lang: Lang,
    ended: Option<&SsoSession>,
    pending: Pending,
) -> HttpResponse {
    let mut frames = Vec::new();
    if let Some(s) = ended {
        for c in &s.clients {
            let Ok(Some(client)) = clients::find(&state.db, &c.client_id).await else {
                continue;
            };
            let Some(uri) = client.frontchannel_logout_uri.as_deref() else {
                continue;
            };
            let Ok(mut url) = url::Url::parse(uri) else {
                continue;
            };
            if client.frontchannel_logout_session_required {
                url.query_pairs_mut()
                    .append_pair("iss", &state.issuer)
                    .append_pair("sid", &s.sid);
            }
            frames.push(FrontChannelFrame {
                src: url.to_string(),
                origin: url.origin().ascii_serialization(),
            });
        }
    }
    let target = pending
        .redirect
        .as_ref()
        .and_then(|r| url::Url::parse(r).ok())
        .map(|mut u| {
            if let Some(st) = &pending.state {
                u.query_pairs_mut().append_pair("state", st);
            }
            u.to_string()
        });
    let mut resp = match (&target, frames.is_empty()) {
        (Some(t), true) => crate::http::see_other(t),
        _ => {
            let origins: Vec<String> = frames.iter().map(|f| f.origin.clone()).collect();
            let page = LoggedOutPage {
                t: lang.texts(),
                lang: lang.code(),
                frames,
                target: target.clone(),
            };
            crate::http::render::render_with_frames(StatusCode::OK, &page, &origins)
        }
    };
    let _ = resp.add_cookie(&crate::http::session_removal_cookie(state));
    resp
}

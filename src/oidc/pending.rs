//! A pending authorization request: the validated request while the person logs
//! in, steps up, enrols a factor or consents. It travels with the browser, sealed
//! (AES-256-GCM under the master key) and bound to that browser, and the server
//! keeps nothing for it:
//!
//! - an unauthenticated `/authorize` costs no server memory or storage, however
//!   many are sent;
//! - a request started in one browser cannot be continued in another (the seal
//!   names the digest of the browser's `gapura_browser` cookie);
//! - it cannot be altered (authenticated encryption) and expires after
//!   `PENDING_TTL` by the injected clock.
//!
//! Whether a continued request may receive a code is decided by the one gate,
//! `authorize::proceed`, never by the page that continued it; once it has received
//! one, its id is marked used (durable store), so it yields at most one code.

use super::auth_request::AuthRequest;
use crate::crypto::{random_token, token_digest};
use crate::state::AppState;
use serde::{Deserialize, Serialize};

pub const PENDING_TTL: i64 = 1800;
pub const BROWSER_COOKIE: &str = "gapura_browser";
const AAD: &[u8] = b"gapura pending authorization request v1";
/// A sealed request is at most this long (the request's own fields are bounded).
pub const MAX_SEALED: usize = 12 * 1024;

/// The browser a request belongs to: its cookie value, or a new one to set.
pub struct Browser {
    value: String,
    new: bool,
}

impl Browser {
    /// The browser that presented `cookie` (its `gapura_browser` value), or a new one.
    pub fn of(cookie: Option<&str>) -> Self {
        match cookie {
            Some(c) if c.len() == 43 => Self {
                value: c.to_owned(),
                new: false,
            },
            _ => Self {
                value: random_token(32),
                new: true,
            },
        }
    }

    fn digest(&self) -> String {
        token_digest(&self.value)
    }

    /// The cookie value to set when this browser had none.
    pub fn new_cookie(&self) -> Option<&str> {
        self.new.then_some(self.value.as_str())
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// Digest of the browser cookie.
    b: String,
    ar: AuthRequest,
}

/// The request sealed for this browser: the `req` value of the login pages.
pub fn seal(state: &AppState, browser: &Browser, ar: &AuthRequest) -> String {
    let envelope = Envelope {
        b: browser.digest(),
        ar: ar.clone(),
    };
    // Serialising plain strings and numbers cannot fail; an empty seal opens to nothing.
    let json = serde_json::to_vec(&envelope).unwrap_or_default();
    state.master.encrypt(&json, AAD)
}

/// Why a `req` value was not accepted (logged, never shown in detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Malformed,
    OtherBrowser,
    Expired,
}

/// Opens a sealed request presented by the browser whose `gapura_browser` cookie is
/// `browser_cookie`.
pub fn open(
    state: &AppState,
    browser_cookie: Option<&str>,
    sealed: &str,
) -> Result<AuthRequest, Refused> {
    if sealed.len() > MAX_SEALED {
        return Err(Refused::Malformed);
    }
    let plain = state
        .master
        .decrypt(sealed, AAD)
        .map_err(|_| Refused::Malformed)?;
    let envelope: Envelope = serde_json::from_slice(&plain).map_err(|_| Refused::Malformed)?;
    let browser = browser_cookie.map(token_digest);
    if browser.as_deref() != Some(envelope.b.as_str()) {
        tracing::warn!(client_id = %envelope.ar.client_id, "pending request presented by another browser");
        return Err(Refused::OtherBrowser);
    }
    let mut ar = envelope.ar;
    if state.now() >= ar.created_at + PENDING_TTL {
        return Err(Refused::Expired);
    }
    ar.resumed = true;
    Ok(ar)
}

fn used_key(id: &str) -> String {
    format!("authz-used:{id}")
}

/// Marks a continued request as answered (a code, a denial, a cancel): `false` when
/// it had been answered already.
pub async fn mark_answered(
    state: &AppState,
    ar: &AuthRequest,
) -> Result<bool, crate::store::StoreError> {
    if !ar.resumed {
        return Ok(true);
    }
    state
        .store
        .put_if_absent(&used_key(&ar.id), "1", PENDING_TTL + 60)
        .await
}

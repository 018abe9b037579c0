//! Back-Channel Logout 1.0: signed logout tokens (§2.4, `typ: logout+jwt`) POSTed
//! to each client's `backchannel_logout_uri` (§2.5) through a durable outbox in
//! the database, with retries and exponential back-off. Each attempt is claimed by
//! one instance (a conditional update), so several instances deliver once.

use super::EndReason;
use crate::audit::AuditEvent;
use crate::clients::{self, Client};
use crate::crypto::random_token;
use crate::error::BackendError;
use crate::session::SsoSession;
use crate::state::AppState;
use entity::backchannel_delivery as delivery;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::Serialize;
use serde_json::json;

pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Attempts before a delivery is marked failed (about a day of back-off).
pub const MAX_ATTEMPTS: i32 = 12;
const TOKEN_TTL: i64 = 120;
const CLAIM_SECS: i64 = 60;

/// The claims of a logout token (§2.4): `iss aud iat exp jti events`, `sub`, and
/// `sid` when known; never `nonce`.
#[derive(Debug, Serialize)]
pub struct LogoutTokenClaims {
    pub iss: String,
    pub aud: crate::domain::ClientId,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub events: LogoutEvents,
    pub sub: crate::domain::UserId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<crate::domain::Sid>,
}

/// `events`: the one member [`EVENT`], an empty object.
#[derive(Debug, Default, Serialize)]
pub struct LogoutEvents {
    #[serde(rename = "http://schemas.openid.net/event/backchannel-logout")]
    pub backchannel_logout: Empty,
}

/// `{}`.
#[derive(Debug, Default, Serialize)]
pub struct Empty {}

/// A logout token for `client` (§2.4).
pub async fn logout_token(
    state: &AppState,
    client: &Client,
    user_id: &str,
    sid: Option<&str>,
) -> Result<String, BackendError> {
    let now = state.now();
    let claims = LogoutTokenClaims {
        iss: state.issuer.clone(),
        aud: client.id.clone(),
        iat: now,
        exp: now + TOKEN_TTL,
        jti: random_token(16),
        events: LogoutEvents::default(),
        sub: user_id.into(),
        sid: sid.map(Into::into),
    };
    Ok(state
        .keys
        .sign(client.alg, now, "logout+jwt", claims)
        .await?)
}

/// Queues one delivery, if the client registered a back-channel URI.
pub async fn enqueue(
    state: &AppState,
    client_id: &str,
    user_id: &str,
    sid: Option<&str>,
    reason: EndReason,
) -> Result<(), BackendError> {
    let Some(client) = clients::find(&state.db, client_id).await? else {
        return Ok(());
    };
    let Some(uri) = client.backchannel_logout_uri.clone() else {
        return Ok(());
    };
    if client.backchannel_logout_session_required && sid.is_none() {
        return Ok(());
    }
    let token = logout_token(state, &client, user_id, sid).await?;
    let now = state.now();
    delivery::ActiveModel {
        id: Set(random_token(16)),
        client_id: Set(client.id.to_string()),
        uri: Set(uri),
        logout_token: Set(token),
        user_id: Set(user_id.to_owned()),
        sid: Set(sid.map(str::to_owned)),
        reason: Set(reason.as_str().to_owned()),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    Ok(())
}

pub async fn enqueue_for_session(
    state: &AppState,
    s: &SsoSession,
    reason: EndReason,
) -> Result<(), BackendError> {
    for c in &s.clients {
        enqueue(state, &c.client_id, &s.user_id, Some(&s.sid), reason).await?;
    }
    Ok(())
}

/// Seconds to wait after the `attempts`-th failure: 5 s doubling, at most an hour.
pub fn backoff(attempts: i32) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (5i64 << exp).min(3600)
}

/// Delivers what is due; returns how many deliveries this call attempted.
pub async fn deliver_due(state: &AppState, limit: u64) -> Result<usize, BackendError> {
    let now = state.now();
    let due = delivery::Entity::find()
        .filter(delivery::Column::Status.eq("pending"))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(delivery::Column::LockedUntil.is_null())
                .add(delivery::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(delivery::Column::NextAttemptAt)
        .limit(limit)
        .all(&state.db)
        .await?;
    let mut attempted = 0;
    for row in due {
        let claimed = delivery::Entity::update_many()
            .col_expr(delivery::Column::LockedUntil, Expr::value(now + CLAIM_SECS))
            .filter(delivery::Column::Id.eq(row.id.clone()))
            .filter(delivery::Column::Status.eq("pending"))
            .filter(
                Condition::any()
                    .add(delivery::Column::LockedUntil.is_null())
                    .add(delivery::Column::LockedUntil.lt(now)),
            )
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        attempted += 1;
        let outcome = post(state, &row.uri, &row.logout_token).await;
        record(state, row, outcome).await?;
    }
    Ok(attempted)
}

async fn post(state: &AppState, uri: &str, token: &str) -> Result<(), String> {
    let resp = state
        .http
        .post(uri)
        .header("cache-control", "no-store")
        .form(&[("logout_token", token)])
        .send()
        .await
        .map_err(|e| format!("request failed: {}", e.without_url()))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", resp.status().as_u16()))
    }
}

async fn record(
    state: &AppState,
    row: delivery::Model,
    outcome: Result<(), String>,
) -> Result<(), BackendError> {
    let now = state.now();
    let attempts = row.attempts + 1;
    let (client_id, user_id, id) = (row.client_id.clone(), row.user_id.clone(), row.id.clone());
    let mut active: delivery::ActiveModel = row.into();
    active.attempts = Set(attempts);
    active.locked_until = Set(None);
    let final_failure = match &outcome {
        Ok(()) => {
            active.status = Set("delivered".into());
            active.delivered_at = Set(Some(now));
            active.last_error = Set(None);
            false
        }
        Err(e) => {
            active.last_error = Set(Some(e.chars().take(500).collect()));
            if attempts >= MAX_ATTEMPTS {
                active.status = Set("failed".into());
                true
            } else {
                active.next_attempt_at = Set(now + backoff(attempts));
                false
            }
        }
    };
    active.update(&state.db).await?;
    if final_failure {
        let event = AuditEvent::new("backchannel.failed", false)
            .client(client_id)
            .subject(user_id)
            .detail(json!({"delivery": id, "attempts": attempts, "error": outcome.err()}));
        state.audit.record(now, event).await?;
    }
    Ok(())
}

/// Deliveries for administrators, newest first.
pub async fn list(
    state: &AppState,
    status: Option<&str>,
    limit: u64,
) -> Result<Vec<delivery::Model>, BackendError> {
    let mut q = delivery::Entity::find()
        .order_by_desc(delivery::Column::CreatedAt)
        .limit(limit);
    if let Some(s) = status {
        q = q.filter(delivery::Column::Status.eq(s));
    }
    Ok(q.all(&state.db).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_event_member_is_named_event() {
        let events = serde_json::to_value(super::LogoutEvents::default()).unwrap();
        assert_eq!(events, serde_json::json!({ super::EVENT: {} }));
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(super::backoff(1), 5);
        assert_eq!(super::backoff(2), 10);
        assert_eq!(super::backoff(5), 80);
        assert_eq!(super::backoff(12), 3600);
    }
}

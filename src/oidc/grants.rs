//! Grants and refresh tokens (RFC 6749 §6, OAuth 2.0 Security BCP §4.14):
//! refresh tokens rotate on every use; presenting a rotated one again revokes the
//! whole grant (and, through `gid`, its access tokens).

use crate::audit::AuditEvent;
use crate::crypto::{random_token, token_digest};
use crate::error::BackendError;
use crate::state::AppState;
use entity::{grant, refresh_token};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

pub use grant::Model as Grant;
pub use refresh_token::Model as RefreshToken;

/// Records a grant (`db`: the pool or the transaction it is part of).
pub async fn create(db: &impl ConnectionTrait, g: Grant) -> Result<(), BackendError> {
    grant::ActiveModel {
        id: Set(g.id),
        user_id: Set(g.user_id),
        client_id: Set(g.client_id),
        scope: Set(g.scope),
        sid: Set(g.sid),
        auth_time: Set(g.auth_time),
        acr: Set(g.acr),
        amr: Set(g.amr),
        created_at: Set(g.created_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn find(state: &AppState, id: &str) -> Result<Option<Grant>, BackendError> {
    find_in(&state.db, id).await
}

pub async fn find_in(db: &impl ConnectionTrait, id: &str) -> Result<Option<Grant>, BackendError> {
    Ok(grant::Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// Whether a grant exists and is not revoked (cached; a revocation anywhere clears
/// the cache through the `grant` change epoch).
pub async fn is_live(state: &AppState, id: &str) -> Result<bool, BackendError> {
    if let Some(live) = state.grants_cache.get(&id.to_owned()) {
        return Ok(live);
    }
    let generation = state.grants_cache.generation();
    let live = find(state, id)
        .await?
        .is_some_and(|g| g.revoked_at.is_none());
    state
        .grants_cache
        .insert_at(generation, id.to_owned(), live);
    Ok(live)
}

/// Mints a refresh token for the grant; only its digest is stored.
pub async fn issue_refresh(
    state: &AppState,
    db: &impl ConnectionTrait,
    g: &Grant,
    scope: &str,
) -> Result<String, BackendError> {
    let token = random_token(32);
    let now = state.now();
    refresh_token::ActiveModel {
        digest: Set(token_digest(&token)),
        grant_id: Set(g.id.clone()),
        client_id: Set(g.client_id.clone()),
        scope: Set(scope.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + state.settings.tokens.refresh_token_ttl),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

pub async fn find_refresh(
    state: &AppState,
    token: &str,
) -> Result<Option<RefreshToken>, BackendError> {
    if token.len() > 128 {
        return Ok(None);
    }
    Ok(refresh_token::Entity::find_by_id(token_digest(token))
        .one(&state.db)
        .await?)
}

/// What presenting a refresh token found.
#[derive(Debug)]
pub enum Redeemed {
    /// Unused until now, issued to this client: it is marked used by this request.
    Fresh(RefreshToken),
    /// Used before (a replay, or a request that lost the race for it).
    Used(RefreshToken),
    /// Issued to another client; left untouched.
    OtherClient,
    Unknown,
}

/// Redeems a refresh token: marks it used and returns it in one conditional
/// statement, so of two requests presenting the same token exactly one wins. Only
/// when that finds nothing does a second query tell replay from unknown tokens.
pub async fn redeem_refresh(
    state: &AppState,
    db: &impl ConnectionTrait,
    token: &str,
    client_id: &str,
) -> Result<Redeemed, BackendError> {
    if token.len() > 128 {
        return Ok(Redeemed::Unknown);
    }
    let digest = token_digest(token);
    let won = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(state.now()))
        .filter(refresh_token::Column::Digest.eq(digest.clone()))
        .filter(refresh_token::Column::ClientId.eq(client_id.to_owned()))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec_with_returning(db)
        .await?;
    if let Some(rt) = won.into_iter().next() {
        return Ok(Redeemed::Fresh(rt));
    }
    Ok(
        match refresh_token::Entity::find_by_id(digest).one(db).await? {
            None => Redeemed::Unknown,
            Some(rt) if rt.client_id != client_id => Redeemed::OtherClient,
            Some(rt) => Redeemed::Used(rt),
        },
    )
}

/// Revokes a grant: its refresh tokens stop working and its access tokens are
/// refused by UserInfo and introspection from now on.
pub async fn revoke(state: &AppState, grant_id: &str, reason: &str) -> Result<(), BackendError> {
    let now = state.now();
    grant::Entity::update_many()
        .col_expr(grant::Column::RevokedAt, Expr::value(now))
        .col_expr(grant::Column::RevokedReason, Expr::value(reason.to_owned()))
        .filter(grant::Column::Id.eq(grant_id.to_owned()))
        .filter(grant::Column::RevokedAt.is_null())
        .exec(&state.db)
        .await?;
    state.grants_cache.invalidate(&grant_id.to_owned());
    Ok(())
}

/// Revokes the grants made in one SSO session; `offline_access` grants outlive the
/// session, as OIDC Core §11 intends (suspension uses `revoke_for_user`).
pub async fn revoke_for_session(
    state: &AppState,
    sid: &str,
    reason: &str,
) -> Result<Vec<Grant>, BackendError> {
    let live = grant::Entity::find()
        .filter(grant::Column::Sid.eq(sid.to_owned()))
        .filter(grant::Column::RevokedAt.is_null())
        .all(&state.db)
        .await?;
    let mut revoked = Vec::new();
    for g in live {
        if g.scope.split_whitespace().any(|s| s == "offline_access") {
            continue;
        }
        revoke(state, &g.id, reason).await?;
        revoked.push(g);
    }
    Ok(revoked)
}

/// Revokes every live grant of a person (suspension), offline ones included.
pub async fn revoke_for_user(
    state: &AppState,
    user_id: &str,
    reason: &str,
) -> Result<Vec<Grant>, BackendError> {
    let live = grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id.to_owned()))
        .filter(grant::Column::RevokedAt.is_null())
        .all(&state.db)
        .await?;
    for g in &live {
        revoke(state, &g.id, reason).await?;
    }
    Ok(live)
}

/// Revokes every live grant made to a client (the client was disabled), offline
/// ones included, in one statement; returns how many.
pub async fn revoke_for_client(
    state: &AppState,
    client_id: &str,
    reason: &str,
) -> Result<u64, sea_orm::DbErr> {
    let res = grant::Entity::update_many()
        .col_expr(grant::Column::RevokedAt, Expr::value(state.now()))
        .col_expr(grant::Column::RevokedReason, Expr::value(reason.to_owned()))
        .filter(grant::Column::ClientId.eq(client_id.to_owned()))
        .filter(grant::Column::RevokedAt.is_null())
        .exec(&state.db)
        .await?;
    state.grants_cache.clear();
    Ok(res.rows_affected)
}

/// Revokes after detecting replay of a code or refresh token, and audits it.
pub async fn revoke_for_replay(
    state: &AppState,
    grant_id: &str,
    client_id: &str,
    event: &'static str,
    ip: Option<String>,
) -> Result<(), BackendError> {
    revoke(state, grant_id, event).await?;
    let subject = find(state, grant_id).await?.map(|g| g.user_id);
    let mut e = AuditEvent::new(event, false)
        .client(client_id)
        .ip(ip)
        .detail(serde_json::json!({"grant_id": grant_id, "action": "grant revoked"}));
    if let Some(s) = subject {
        e = e.subject(s);
    }
    state.audit.record(state.now(), e).await?;
    Ok(())
}

pub fn new_grant_id() -> String {
    random_token(16)
}

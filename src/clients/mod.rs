//! Registered clients: registration (secret generated with 256 bits of entropy,
//! shown once, stored as a keyed digest), lookup, and policy checks.

pub mod model;

pub use model::{
    AuthMethod, ClaimTarget, Client, GAPURA_APP, GRANT_TYPES, RoleClaims, STATUS_ACTIVE,
    STATUS_DISABLED,
};

use crate::clock::Clock;
use crate::crypto::{MasterKeys, random_token};
use crate::domain::RedirectUri;
use crate::domain::scope::{DEFAULT_CLIENT_SCOPES, KNOWN_SCOPES, Scopes};
use crate::jose::{Alg, JwkSet};
use entity::client;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, QueryOrder, Set};

#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// `None`: `none` for public clients, else `client_secret_basic`.
    pub auth_method: Option<AuthMethod>,
    pub public: bool,
    /// Empty: `authorization_code refresh_token`.
    pub grant_types: Vec<String>,
    /// `None`: the default set.
    pub scopes: Option<String>,
    pub first_party: bool,
    pub alg: Option<Alg>,
    pub jwks: Option<String>,
    /// Fixed identifier (demo data); normally generated.
    pub client_id: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    pub min_acr: Option<crate::authn::Acr>,
    /// Allow the `nik` claim (an administrator's explicit decision).
    pub nik_allowed: bool,
    /// `None`: all targets.
    pub role_claims: Option<RoleClaims>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Invalid(String),
    #[error("no client `{0}`")]
    NotFound(String),
    #[error("{0}")]
    Audit(#[from] crate::audit::AuditError),

    #[error("database: {0}")]
    Db(#[from] DbErr),
}

fn invalid(msg: impl Into<String>) -> ClientError {
    ClientError::Invalid(msg.into())
}

/// A registration's settings once checked: what `register` stores and what
/// `update` may change, validated by the same rules.
struct Checked {
    name: String,
    method: AuthMethod,
    grants: Vec<String>,
    redirect_uris: Vec<String>,
    post_logout: Vec<String>,
    scopes: Scopes,
    jwks: Option<String>,
    backchannel: Option<String>,
    frontchannel: Option<String>,
}

fn check(new: &NewClient) -> Result<Checked, ClientError> {
    let name = new.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(invalid("name must be 1 to 200 characters"));
    }
    let method = new.auth_method.unwrap_or(if new.public {
        AuthMethod::None
    } else {
        AuthMethod::ClientSecretBasic
    });
    if new.public != (method == AuthMethod::None) {
        return Err(invalid(
            "public clients use auth method `none`; confidential clients must not",
        ));
    }
    let grants: Vec<String> = if new.grant_types.is_empty() {
        vec!["authorization_code".into(), "refresh_token".into()]
    } else {
        new.grant_types.clone()
    };
    for g in &grants {
        if !GRANT_TYPES.contains(&g.as_str()) {
            return Err(invalid(format!("unknown grant type `{g}`")));
        }
    }
    if new.public && grants.iter().any(|g| g == "client_credentials") {
        return Err(invalid("a public client cannot use client_credentials"));
    }
    let mut redirect_uris = Vec::new();
    for uri in &new.redirect_uris {
        redirect_uris.push(
            RedirectUri::parse(uri)
                .map_err(|e| invalid(e.to_string()))?
                .as_str()
                .to_owned(),
        );
    }
    if grants.iter().any(|g| g == "authorization_code") && redirect_uris.is_empty() {
        return Err(invalid(
            "authorization_code needs at least one redirect URI",
        ));
    }
    let mut post_logout = Vec::new();
    for uri in &new.post_logout_redirect_uris {
        post_logout.push(
            RedirectUri::parse(uri)
                .map_err(|e| invalid(e.to_string()))?
                .as_str()
                .to_owned(),
        );
    }
    let scopes = Scopes::parse(new.scopes.as_deref().unwrap_or(DEFAULT_CLIENT_SCOPES))
        .map_err(|e| invalid(e.to_string()))?;
    if let Some(unknown) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(s)) {
        return Err(invalid(format!("unknown scope `{unknown}`")));
    }
    if scopes.contains(crate::domain::scope::NIK) && !new.nik_allowed {
        return Err(invalid(
            "the `nik` scope needs the administrator's NIK permission (nik_allowed)",
        ));
    }
    if new.client_id.as_deref() == Some(GAPURA_APP) {
        return Err(invalid("`gapura` is reserved for Gapura itself"));
    }
    let jwks = match (&new.jwks, method) {
        (Some(text), _) => {
            let set: JwkSet = serde_json::from_str(text)
                .map_err(|e| invalid(format!("jwks is not a JWK Set: {e}")))?;
            if set.keys.is_empty() {
                return Err(invalid("jwks has no keys"));
            }
            Some(serde_json::to_string(&set).map_err(|e| invalid(e.to_string()))?)
        }
        (None, AuthMethod::PrivateKeyJwt) => {
            return Err(invalid("private_key_jwt needs the client's jwks"));
        }
        (None, _) => None,
    };
    let logout_uri = |uri: &Option<String>| -> Result<Option<String>, ClientError> {
        match uri.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(None),
            Some(u) => {
                let parsed = RedirectUri::parse(u).map_err(|e| invalid(e.to_string()))?;
                if !parsed.as_str().starts_with("http") {
                    return Err(invalid("logout URIs must be http(s) URLs"));
                }
                Ok(Some(parsed.as_str().to_owned()))
            }
        }
    };
    Ok(Checked {
        name: name.to_owned(),
        method,
        grants,
        redirect_uris,
        post_logout,
        scopes,
        jwks,
        backchannel: logout_uri(&new.backchannel_logout_uri)?,
        frontchannel: logout_uri(&new.frontchannel_logout_uri)?,
    })
}

fn json_list(uris: &[String]) -> Result<String, ClientError> {
    serde_json::to_string(uris).map_err(|e| invalid(e.to_string()))
}

/// Registers a client; returns it and, for confidential secret-based clients, the secret
/// (the only time it exists in clear).
pub async fn register(
    db: &DatabaseConnection,
    master: &MasterKeys,
    clock: &dyn Clock,
    new: NewClient,
) -> Result<(Client, Option<String>), ClientError> {
    let c = check(&new)?;
    let id = new.client_id.clone().unwrap_or_else(|| random_token(16));
    let secret = c.method.carries_secret().then(|| random_token(32));
    let now = clock.now();
    let row = client::ActiveModel {
        client_id: Set(id),
        name: Set(c.name),
        secret_digest: Set(secret.as_deref().map(|s| master.secret_digest(s))),
        token_endpoint_auth_method: Set(c.method.as_str().to_owned()),
        redirect_uris: Set(json_list(&c.redirect_uris)?),
        post_logout_redirect_uris: Set(json_list(&c.post_logout)?),
        grant_types: Set(c.grants.join(" ")),
        allowed_scopes: Set(c.scopes.to_string()),
        first_party: Set(new.first_party),
        id_token_signed_response_alg: Set(new.alg.unwrap_or(Alg::Rs256).as_str().to_owned()),
        jwks: Set(c.jwks),
        backchannel_logout_uri: Set(c.backchannel),
        backchannel_logout_session_required: Set(new.backchannel_logout_session_required),
        frontchannel_logout_uri: Set(c.frontchannel),
        frontchannel_logout_session_required: Set(new.frontchannel_logout_session_required),
        min_acr: Set(new.min_acr.map(|a| a.as_str().to_owned())),
        status: Set(STATUS_ACTIVE.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        nik_allowed: Set(new.nik_allowed),
        role_claims: Set(new.role_claims.unwrap_or(RoleClaims::ALL).to_string()),
    }
    .insert(db)
    .await?;
    Ok((Client::from_row(row)?, secret))
}

pub async fn find(db: &DatabaseConnection, client_id: &str) -> Result<Option<Client>, DbErr> {
    // Ids that cannot exist (PostgreSQL would refuse a NUL outright) are not looked up.
    if client_id.is_empty()
        || client_id.len() > 255
        || crate::domain::text::forbidden_control(client_id).is_some()
    {
        return Ok(None);
    }
    match client::Entity::find_by_id(client_id.to_owned())
        .one(db)
        .await?
    {
        Some(row) => Ok(Some(Client::from_row(row)?)),
        None => Ok(None),
    }
}

/// `find`, through the instance's short-lived cache (the hot paths use this).
pub async fn get(state: &crate::state::AppState, client_id: &str) -> Result<Option<Client>, DbErr> {
    if let Some(hit) = state.clients_cache.get(&client_id.to_owned()) {
        return Ok(hit);
    }
    let generation = state.clients_cache.generation();
    let found = find(&state.db, client_id).await?;
    if client_id.len() <= 255 {
        state
            .clients_cache
            .insert_at(generation, client_id.to_owned(), found.clone());
    }
    Ok(found)
}

/// The client's row, on any connection (also inside a transaction).
pub async fn find_any<C: sea_orm::ConnectionTrait>(
    db: &C,
    client_id: &str,
) -> Result<Option<client::Model>, DbErr> {
    // Ids that cannot exist (PostgreSQL would refuse a NUL outright) are not looked up.
    if client_id.is_empty()
        || client_id.len() > 255
        || crate::domain::text::forbidden_control(client_id).is_some()
    {
        return Ok(None);
    }
    client::Entity::find_by_id(client_id.to_owned())
        .one(db)
        .await
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<Client>, DbErr> {
    client::Entity::find()
        .order_by_asc(client::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(Client::from_row)
        .collect()
}

/// Sets (or, with `None`, clears) the minimum authentication level of a client.
/// Sets a client's minimum authentication level. This instance sees it at once;
/// other running instances within the client cache's lifetime (10 s).
pub async fn set_min_acr(
    state: &crate::state::AppState,
    client_id: &str,
    acr: Option<crate::authn::Acr>,
) -> Result<bool, DbErr> {
    let (db, now) = (&state.db, state.now());
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    let res = client::Entity::update_many()
        .col_expr(
            client::Column::MinAcr,
            Expr::value(acr.map(|a| a.as_str().to_owned())),
        )
        .col_expr(client::Column::UpdatedAt, Expr::value(now))
        .filter(client::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    forget(state, client_id);
    Ok(res.rows_affected == 1)
}

impl Client {
    /// The client's settings as a registration, the base an update changes.
    fn as_new(&self) -> Result<NewClient, ClientError> {
        Ok(NewClient {
            name: self.name.clone(),
            redirect_uris: self.redirect_uris.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            auth_method: Some(self.auth_method),
            public: self.is_public(),
            grant_types: self.grant_types.clone(),
            scopes: Some(self.allowed_scopes.to_string()),
            first_party: self.first_party,
            alg: Some(self.alg),
            jwks: match &self.jwks {
                Some(set) => Some(serde_json::to_string(set).map_err(|e| invalid(e.to_string()))?),
                None => None,
            },
            client_id: None,
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            frontchannel_logout_uri: self.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: self.frontchannel_logout_session_required,
            min_acr: self.min_acr,
            nik_allowed: self.nik_allowed,
            role_claims: Some(self.role_claims),
        })
    }
}

/// What an administrator may change after registration (`None`: unchanged). The
/// authentication method, keys and client id stay as registered: changing those is
/// a new registration.
#[derive(Debug, Clone, Default)]
pub struct ClientChange {
    pub name: Option<String>,
    /// Replaces the whole list.
    pub redirect_uris: Option<Vec<String>>,
    /// Replaces the whole list (empty: none).
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Space-separated; replaces the set.
    pub scopes: Option<String>,
    /// Replaces the list.
    pub grant_types: Option<Vec<String>>,
    pub first_party: Option<bool>,
    /// `Some("")` removes it.
    pub backchannel_logout_uri: Option<String>,
    /// `Some("")` removes it.
    pub frontchannel_logout_uri: Option<String>,
    /// `iss`/`sid` on front-channel logout and `sid` in logout tokens.
    pub logout_session_required: Option<bool>,
    pub role_claims: Option<RoleClaims>,
}

impl ClientChange {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.redirect_uris.is_none()
            && self.post_logout_redirect_uris.is_none()
            && self.scopes.is_none()
            && self.grant_types.is_none()
            && self.first_party.is_none()
            && self.backchannel_logout_uri.is_none()
            && self.frontchannel_logout_uri.is_none()
            && self.logout_session_required.is_none()
            && self.role_claims.is_none()
    }
}

async fn require(state: &crate::state::AppState, client_id: &str) -> Result<Client, ClientError> {
    find(&state.db, client_id)
        .await?
        .ok_or_else(|| ClientError::NotFound(client_id.to_owned()))
}

async fn record(
    state: &crate::state::AppState,
    event: &'static str,
    actor: &str,
    client_id: &str,
    detail: serde_json::Value,
) -> Result<(), ClientError> {
    let e = crate::audit::AuditEvent::new(event, true)
        .actor(actor)
        .client(client_id)
        .detail(detail);
    Ok(state.audit.record(state.now(), e).await?)
}

/// Changes a client's settings, checked exactly as at registration; returns the
/// client as it is now and the names of the settings that changed (none: nothing
/// was written). Running instances see the change through the `client` epoch.
pub async fn update(
    state: &crate::state::AppState,
    client_id: &str,
    change: ClientChange,
    actor: &str,
) -> Result<(Client, Vec<&'static str>), ClientError> {
    if change.is_empty() {
        return Err(invalid("nothing to change: give at least one setting"));
    }
    let before = require(state, client_id).await?;
    let mut new = before.as_new()?;
    if let Some(v) = change.name {
        new.name = v;
    }
    if let Some(v) = change.redirect_uris {
        new.redirect_uris = v;
    }
    if let Some(v) = change.post_logout_redirect_uris {
        new.post_logout_redirect_uris = v;
    }
    if let Some(v) = change.scopes {
        new.scopes = Some(v);
    }
    if let Some(v) = change.grant_types {
        if v.is_empty() {
            return Err(invalid("a client needs at least one grant type"));
        }
        new.grant_types = v;
    }
    if let Some(v) = change.first_party {
        new.first_party = v;
    }
    if let Some(v) = change.backchannel_logout_uri {
        new.backchannel_logout_uri = Some(v);
    }
    if let Some(v) = change.frontchannel_logout_uri {
        new.frontchannel_logout_uri = Some(v);
    }
    if let Some(v) = change.role_claims {
        new.role_claims = Some(v);
    }
    let c = check(&new)?;
    let required = |uri: &Option<String>, was: bool| {
        uri.is_some() && change.logout_session_required.unwrap_or(was)
    };
    let bc_required = required(&c.backchannel, before.backchannel_logout_session_required);
    let fc_required = required(&c.frontchannel, before.frontchannel_logout_session_required);
    let role_claims = new.role_claims.unwrap_or(RoleClaims::ALL);
    let mut changed = Vec::new();
    let mut mark = |differs: bool, name: &'static str| {
        if differs {
            changed.push(name);
        }
    };
    mark(c.name != before.name, "name");
    mark(c.redirect_uris != before.redirect_uris, "redirect_uris");
    mark(
        c.post_logout != before.post_logout_redirect_uris,
        "post_logout_redirect_uris",
    );
    mark(c.scopes != before.allowed_scopes, "scope");
    mark(c.grants != before.grant_types, "grant_types");
    mark(new.first_party != before.first_party, "first_party");
    mark(
        c.backchannel != before.backchannel_logout_uri,
        "backchannel_logout_uri",
    );
    mark(
        bc_required != before.backchannel_logout_session_required,
        "backchannel_logout_session_required",
    );
    mark(
        c.frontchannel != before.frontchannel_logout_uri,
        "frontchannel_logout_uri",
    );
    mark(
        fc_required != before.frontchannel_logout_session_required,
        "frontchannel_logout_session_required",
    );
    mark(role_claims != before.role_claims, "role_claims");
    if changed.is_empty() {
        return Ok((before, changed));
    }
    let row = find_any(&state.db, client_id)
        .await?
        .ok_or_else(|| ClientError::NotFound(client_id.to_owned()))?;
    let mut a: client::ActiveModel = row.into();
    a.name = Set(c.name);
    a.redirect_uris = Set(json_list(&c.redirect_uris)?);
    a.post_logout_redirect_uris = Set(json_list(&c.post_logout)?);
    a.allowed_scopes = Set(c.scopes.to_string());
    a.grant_types = Set(c.grants.join(" "));
    a.first_party = Set(new.first_party);
    a.backchannel_logout_uri = Set(c.backchannel);
    a.backchannel_logout_session_required = Set(bc_required);
    a.frontchannel_logout_uri = Set(c.frontchannel);
    a.frontchannel_logout_session_required = Set(fc_required);
    a.role_claims = Set(role_claims.to_string());
    a.updated_at = Set(state.now());
    let after = Client::from_row(a.update(&state.db).await?)?;
    forget(state, client_id);
    record(
        state,
        "admin.client.update",
        actor,
        client_id,
        serde_json::json!({"changed": changed}),
    )
    .await?;
    Ok((after, changed))
}

/// What `set_active` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// The client was already in the asked state; nothing was written.
    Unchanged,
    /// Enabled, or disabled with this many live grants revoked.
    Changed { grants_revoked: u64 },
}

/// Disables (or enables again) a client. A disabled client is refused by the
/// authorization endpoint (error page), at client authentication (`invalid_client`),
/// and its access tokens are inactive; disabling also revokes every live grant of
/// the client, so its refresh tokens stay refused after it is enabled again.
pub async fn set_active(
    state: &crate::state::AppState,
    client_id: &str,
    active: bool,
    actor: &str,
) -> Result<StatusChange, ClientError> {
    let current = require(state, client_id).await?;
    if current.active == active {
        return Ok(StatusChange::Unchanged);
    }
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    let status = if active {
        STATUS_ACTIVE
    } else {
        STATUS_DISABLED
    };
    client::Entity::update_many()
        .col_expr(client::Column::Status, Expr::value(status))
        .col_expr(client::Column::UpdatedAt, Expr::value(state.now()))
        .filter(client::Column::ClientId.eq(client_id))
        .exec(&state.db)
        .await?;
    forget(state, client_id);
    let grants_revoked = if active {
        0
    } else {
        crate::oidc::grants::revoke_for_client(state, client_id, "client disabled").await?
    };
    let event = if active {
        "admin.client.enable"
    } else {
        "admin.client.disable"
    };
    record(
        state,
        event,
        actor,
        client_id,
        serde_json::json!({"grants_revoked": grants_revoked}),
    )
    .await?;
    Ok(StatusChange::Changed { grants_revoked })
}

/// Gives a secret-based client a new secret (returned, the only time it exists in
/// clear; stored as its keyed digest). The old secret is refused from now on.
pub async fn rotate_secret(
    state: &crate::state::AppState,
    client_id: &str,
    actor: &str,
) -> Result<String, ClientError> {
    let current = require(state, client_id).await?;
    if !current.auth_method.carries_secret() {
        return Err(invalid(format!(
            "client `{client_id}` authenticates with {}: it has no secret",
            current.auth_method.as_str()
        )));
    }
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    let secret = random_token(32);
    let res = client::Entity::update_many()
        .col_expr(
            client::Column::SecretDigest,
            Expr::value(state.master.secret_digest(&secret)),
        )
        .col_expr(client::Column::UpdatedAt, Expr::value(state.now()))
        .filter(client::Column::ClientId.eq(client_id))
        .exec(&state.db)
        .await?;
    forget(state, client_id);
    if res.rows_affected != 1 {
        return Err(ClientError::NotFound(client_id.to_owned()));
    }
    record(
        state,
        "admin.client.secret_rotate",
        actor,
        client_id,
        serde_json::json!({}),
    )
    .await?;
    Ok(secret)
}

/// How many live (not revoked) grants a client holds.
pub async fn live_grants(db: &DatabaseConnection, client_id: &str) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    entity::grant::Entity::find()
        .filter(entity::grant::Column::ClientId.eq(client_id))
        .filter(entity::grant::Column::RevokedAt.is_null())
        .count(db)
        .await
}

/// Drops what this instance cached about a client it just changed (every other
/// instance drops it through the `client` change epoch).
fn forget(state: &crate::state::AppState, client_id: &str) {
    state.clients_cache.invalidate(&client_id.to_owned());
    state.origins_cache.clear();
}

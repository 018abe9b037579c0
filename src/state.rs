//! The application state every service is handed: settings, database, stores,
//! keys, clock, caches and metrics. It names only what lies below the services
//! (storage, crypto, value types), never a service.

use crate::audit::Audit;
use crate::cache::TtlCache;
use crate::clients::model::Client;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::crypto::MasterKeys;
use crate::keys::KeyManager;
use crate::password::PasswordHasher;
use crate::store::Store;
use entity::user_account::Model as User;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub struct AppState {
    pub settings: Settings,
    /// Issuer identifier without trailing slash; endpoints hang below it.
    pub issuer: String,
    pub db: DatabaseConnection,
    /// The durable store (the database): sessions, replay caches, revocations,
    /// lockouts.
    pub store: Store,
    /// What may be lost without harm (codes, ceremonies): Redis when configured,
    /// else the database.
    pub volatile: Store,
    pub keys: KeyManager,
    pub master: Arc<MasterKeys>,
    pub clock: SharedClock,
    pub hasher: PasswordHasher,
    pub audit: Audit,
    /// Clients and accounts read on every request (a few seconds old at most).
    pub clients_cache: TtlCache<String, Option<Client>>,
    pub users_cache: TtlCache<String, Option<User>>,
    /// The origins of all active clients' redirect URIs (`crate::http::cors`); cleared
    /// with the clients cache.
    pub origins_cache: TtlCache<(), std::sync::Arc<std::collections::HashSet<String>>>,
    /// Digest of an access token → its verified claims.
    pub verified_cache:
        TtlCache<String, std::sync::Arc<serde_json::Map<String, serde_json::Value>>>,
    /// Grant id → live (not revoked).
    pub grants_cache: TtlCache<String, bool>,
    pub metrics: crate::metrics::Metrics,
    /// Outbound HTTP (back-channel logout): short timeouts, no redirects.
    pub http: reqwest::Client,
    /// Cookies get `Secure` and the `__Host-` prefix when the issuer is https.
    pub secure_cookies: bool,
    /// The WebAuthn relying party (issuer host and origin); `None` when the issuer's
    /// host is an IP address, where passkeys cannot work.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// Orders the token endpoint's write transactions on SQLite (see `db::WriteTxn`).
    pub write_turn: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Begins a write transaction of the token endpoint.
    pub async fn write_txn(&self) -> Result<crate::db::WriteTxn, sea_orm::DbErr> {
        crate::db::WriteTxn::begin(&self.db, &self.write_turn).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    pub fn cookie_name(&self, base: &str) -> String {
        if self.secure_cookies {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }
}

//! Opening what a server needs before it serves (database, migrations, keys,
//! stores, the first administrator, the background jobs). The HTTP server itself
//! is `crate::http::server`; `gapura serve` and the tests (which bind port 0 and
//! may inject a clock) start it the same way.

use crate::audit::{Audit, AuditEvent};
use crate::cache::TtlCache;
use crate::clock::SharedClock;
use crate::config::{Settings, validate_issuer};
use crate::crypto::MasterKeys;
use crate::keys::KeyManager;
use crate::password::PasswordHasher;
use crate::state::AppState;
use crate::store::Store;
use crate::users::{self, NewUser};
use entity::user_account;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("keys: {0}")]
    Keys(#[from] crate::keys::KeysError),
    #[error("master key: {0}")]
    Master(#[from] crate::crypto::KeyError),
    #[error("password hashing: {0}")]
    Password(#[from] crate::password::PasswordError),
    #[error("cannot listen on {addr}: {}", bind_reason(.cause))]
    Bind { addr: String, cause: std::io::Error },
    #[error("HTTP client: {0}")]
    Http(String),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("audit: {0}")]
    Audit(#[from] crate::audit::AuditError),
    #[error("first administrator: {0}")]
    Admin(#[from] crate::users::UserError),
}

/// What an operator needs to read in a failed bind.
fn bind_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            "address already in use (another Gapura or another program?)".into()
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied (ports below 1024 need privileges)".into()
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "address not available (not an address of this machine?)".into()
        }
        _ => e.to_string(),
    }
}

pub fn bind(addr: &str) -> Result<TcpListener, StartupError> {
    let failed = |cause| StartupError::Bind {
        addr: addr.to_owned(),
        cause,
    };
    let listener = TcpListener::bind(addr).map_err(failed)?;
    tracing::debug!(addr, "listening socket bound");
    Ok(listener)
}

/// Everything that does not depend on the issuer: the database (opened and
/// migrated), the master key, the signing keys and the password hasher. Opened
/// before any port is bound, so a server that cannot work never takes the port.
pub struct Foundation {
    settings: Settings,
    clock: SharedClock,
    db: DatabaseConnection,
    master: Arc<MasterKeys>,
    keys: KeyManager,
    hasher: PasswordHasher,
}

impl Foundation {
    pub async fn open(settings: Settings, clock: SharedClock) -> Result<Self, StartupError> {
        settings.validate()?;
        if settings.issuer.is_none() {
            // The issuer will be `http://<bind address>`: only loopback may be plain http.
            validate_issuer(&format!("http://{}", settings.bind))?;
        }
        let db = crate::db::connect(settings.database_url.expose_secret()).await?;
        crate::db::migrate(&db).await?;
        crate::directory::opd::ensure_paths(&db)
            .await
            .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
        let master = Arc::new(MasterKeys::load(
            settings.master_key.as_ref(),
            &settings.keys_dir,
        )?);
        let keys = KeyManager::new(db.clone(), master.clone())?;
        keys.ensure_keys(clock.now()).await?;
        let hasher = PasswordHasher::new(&settings.password)?;
        Ok(Self {
            settings,
            clock,
            db,
            master,
            keys,
            hasher,
        })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The application state, once the issuer is known.
    pub fn into_state(self, issuer: String) -> Result<AppState, StartupError> {
        let url = validate_issuer(&issuer)?;
        let Self {
            settings,
            clock,
            db,
            master,
            keys,
            hasher,
        } = self;
        let store = Store::database(db.clone());
        let volatile = match &settings.redis_url {
            Some(url) => Store::redis(url.expose_secret(), &settings.store_prefix)?,
            None => store.clone(),
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Gapura back-channel logout")
            .build()
            .map_err(|e| StartupError::Http(e.to_string()))?;
        let webauthn = crate::authn::webauthn::relying_party(&issuer).map(Arc::new);
        Ok(AppState {
            write_turn: Arc::new(tokio::sync::Mutex::new(())),
            metrics: crate::metrics::Metrics::default(),
            clients_cache: TtlCache::new(Duration::from_secs(10), 10_000),
            origins_cache: TtlCache::new(Duration::from_secs(10), 1),
            users_cache: TtlCache::new(Duration::from_secs(5), 100_000),
            grants_cache: TtlCache::new(Duration::from_secs(2), 100_000),
            verified_cache: TtlCache::new(Duration::from_secs(60), 50_000),
            webauthn,
            http,
            secure_cookies: url.scheme() == "https",
            issuer,
            store,
            volatile,
            audit: Audit::new(db.clone()),
            db,
            keys,
            master,
            clock,
            hasher,
            settings,
        })
    }
}

/// Opens the database (migrating it), the store and the keys: everything but the
/// HTTP server. The CLI's admin commands use this too.
pub async fn build_state(
    settings: Settings,
    clock: SharedClock,
    issuer: String,
) -> Result<AppState, StartupError> {
    validate_issuer(&issuer)?;
    Foundation::open(settings, clock).await?.into_state(issuer)
}

/// What every instance does once its state exists, before it serves: the first
/// administrator (when none exists), the SQLite checkpointer, the change watcher
/// (always on, also in tests: it is how a change made elsewhere arrives) and,
/// when enabled, the background jobs.
pub async fn begin(state: &Arc<AppState>) -> Result<(), StartupError> {
    bootstrap_admin(state).await?;
    crate::db::spawn_checkpointer(state.db.clone());
    crate::changes::spawn_watcher(state.clone());
    if state.settings.background_jobs {
        spawn_maintenance(state.clone());
    }
    Ok(())
}

/// Background work of every instance: back-channel deliveries (every 2 s), session
/// expiry (every 10 s), store sweeping and key reloads (every 30 s). Each is safe to
/// run on several instances at once.
fn spawn_maintenance(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut round: u64 = 0;
        loop {
            tick.tick().await;
            round += 1;
            if let Err(e) = crate::logout::backchannel::deliver_due(&state, 50).await {
                tracing::warn!(error = %e, "back-channel deliveries");
            }
            if round.is_multiple_of(5) {
                if let Err(e) = crate::logout::sweep_expired(&state).await {
                    tracing::warn!(error = %e, "session expiry");
                }
                // Memory freed since the last round goes back to the system.
                tokio::task::spawn_blocking(crate::alloc::trim);
            }
            if round.is_multiple_of(15) {
                if let Err(e) = state.store.sweep().await {
                    tracing::warn!(error = %e, "expired store entries could not be removed");
                }
                if let Err(e) = state.keys.reload(state.now()).await {
                    tracing::warn!(error = %e, "signing keys could not be reloaded");
                }
            }
        }
    });
}

/// Creates the first administrator when none exists: with `GAPURA_ADMIN_PASSWORD`,
/// or a one-time password printed once to the console.
async fn bootstrap_admin(state: &AppState) -> Result<(), StartupError> {
    let admins = user_account::Entity::find()
        .filter(user_account::Column::IsAdmin.eq(true))
        .count(&state.db)
        .await?;
    if admins > 0 {
        return Ok(());
    }
    let (password, generated) = match &state.settings.admin_password {
        Some(p) => (p.clone(), false),
        None => (SecretString::from(crate::crypto::random_token(15)), true),
    };
    let user = users::create(
        &state.db,
        &state.hasher,
        state.clock.as_ref(),
        NewUser {
            username: "admin".into(),
            name: "Administrator Gapura".into(),
            password: Some(password.clone()),
            is_admin: true,
            // A password printed to a console is changed at the first login.
            password_change_required: generated,
            ..NewUser::default()
        },
    )
    .await?;
    state
        .audit
        .record(
            state.now(),
            AuditEvent::new("admin.bootstrap", true)
                .actor("system")
                .subject(user.id)
                .detail(serde_json::json!({"one_time_password": generated})),
        )
        .await?;
    if generated {
        println!(
            "\n  First administrator created.\n  login: admin\n  one-time password: {}\n  (shown once; a new password must be chosen at the first login)\n",
            password.expose_secret()
        );
    }
    Ok(())
}

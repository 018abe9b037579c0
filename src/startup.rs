//! Building and running the application: the same code path for `gapura serve`
//! and for tests (which bind port 0 and may inject a clock).

use crate::audit::{Audit, AuditEvent};
use crate::cache::TtlCache;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{Settings, validate_issuer};
use crate::crypto::MasterKeys;
use crate::keys::KeyManager;
use crate::password::PasswordHasher;
use crate::state::AppState;
use crate::store::Store;
use crate::users::{self, NewUser};
use actix_web::dev::Server;
use actix_web::{App, HttpRequest, HttpServer, web};
use entity::user_account;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};
use std::net::{SocketAddr, TcpListener};
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

fn bind(addr: &str) -> Result<TcpListener, StartupError> {
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

/// Where `/metrics` is served when it has its own listener (`GAPURA_METRICS_BIND`).
#[derive(Debug, Clone, Copy)]
pub struct ManagementAddr(pub Option<SocketAddr>);

/// What the management listener answers; everything else there is 404.
const MANAGEMENT_PATHS: [&str; 3] = ["/metrics", "/health/live", "/health/ready"];

pub struct Application {
    port: u16,
    management_port: Option<u16>,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: SharedClock,
    ) -> Result<Self, StartupError> {
        Self::start(Foundation::open(settings, clock).await?).await
    }

    /// Binds the port(s) and starts serving on an opened foundation.
    pub async fn start(foundation: Foundation) -> Result<Self, StartupError> {
        let settings = foundation.settings();
        let listener = bind(&settings.bind)?;
        let addr = local_addr(&listener, &settings.bind)?;
        let management = match &settings.metrics_bind {
            Some(m) => {
                let l = bind(m)?;
                let a = local_addr(&l, m)?;
                Some((l, a))
            }
            None => None,
        };
        let issuer = settings
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let state = web::Data::new(foundation.into_state(issuer)?);
        bootstrap_admin(&state).await?;
        crate::db::spawn_checkpointer(state.db.clone());
        // Always on, also in tests: it is how a change made elsewhere arrives.
        crate::changes::spawn_watcher(state.clone());
        if state.settings.background_jobs {
            spawn_maintenance(state.clone());
        }
        let data = state.clone();
        let management_addr = ManagementAddr(management.as_ref().map(|(_, a)| *a));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::Data::new(management_addr))
                // Every extractor reads at most this many decoded bytes; the routes that
                // take more authenticate first and read `web::Payload` themselves.
                .app_data(web::PayloadConfig::new(crate::edge::BODY_LIMIT))
                .app_data(web::JsonConfig::default().limit(crate::edge::BODY_LIMIT))
                .app_data(web::FormConfig::default().limit(crate::edge::BODY_LIMIT))
                .wrap(actix_web::middleware::from_fn(crate::edge::guard))
                .wrap(actix_web::middleware::Compress::default())
                .wrap(actix_web::middleware::from_fn(crate::metrics::track))
                .wrap(actix_web::middleware::from_fn(split_listeners))
                .configure(crate::oidc::routes)
                .configure(crate::interaction::routes)
                .configure(crate::logout::endpoint::routes)
                .configure(crate::admin::routes)
                .configure(crate::directory::http::routes)
                .configure(crate::scim::routes)
                .route("/health/live", web::get().to(crate::health::live))
                .route("/health/ready", web::get().to(crate::health::ready))
                .route("/metrics", web::get().to(crate::metrics::endpoint))
                .default_service(web::to(not_found))
        });
        let server = server
            .listen(listener)
            .map_err(|cause| StartupError::Bind {
                addr: addr.to_string(),
                cause,
            })?;
        let server = match management {
            Some((l, a)) => server.listen(l).map_err(|cause| StartupError::Bind {
                addr: a.to_string(),
                cause,
            })?,
            None => server,
        };
        let server = server.shutdown_timeout(30).run();
        tracing::info!(issuer = %state.issuer, %addr, "Gapura is listening");
        if let Some(m) = management_addr.0 {
            tracing::info!(addr = %m, "metrics and health on the management address");
        }
        Ok(Self {
            port: addr.port(),
            management_port: management_addr.0.map(|a| a.port()),
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the management listener, when `metrics_bind` is set.
    pub fn management_port(&self) -> Option<u16> {
        self.management_port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Stops the server from elsewhere (tests; signals are handled by actix itself).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Runs until SIGINT/SIGTERM: stops accepting, finishes in-flight requests, returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn local_addr(listener: &TcpListener, addr: &str) -> Result<SocketAddr, StartupError> {
    listener.local_addr().map_err(|cause| StartupError::Bind {
        addr: addr.to_owned(),
        cause,
    })
}

/// With a management listener: it answers only `/metrics` and the health checks,
/// and the public listener no longer answers `/metrics`. Without one, nothing changes.
async fn split_listeners(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let management = req
        .app_data::<web::Data<ManagementAddr>>()
        .and_then(|m| m.0);
    if let Some(m) = management {
        let on_management = req.app_config().local_addr() == m;
        let path = req.path();
        let refused = if on_management {
            !MANAGEMENT_PATHS.contains(&path)
        } else {
            path == "/metrics"
        };
        if refused {
            tracing::info!(
                path,
                on_management,
                "request refused: not served on this listener"
            );
            let (req, _) = req.into_parts();
            let resp = actix_web::HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("not found");
            return Ok(actix_web::dev::ServiceResponse::new(req, resp));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

async fn not_found(req: HttpRequest) -> actix_web::HttpResponse {
    crate::ui::PageError::NotFound.page(&req, crate::http::lang(&req, None))
}

/// Background work of every instance: back-channel deliveries (every 2 s), session
/// expiry (every 10 s), store sweeping and key reloads (every 30 s). Each is safe to
/// run on several instances at once.
fn spawn_maintenance(state: web::Data<AppState>) {
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

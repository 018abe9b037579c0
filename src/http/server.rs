//! The HTTP server: the middleware stack, the routes of every surface, and the
//! listeners (the public one, and the management one for `/metrics` and health
//! when `GAPURA_METRICS_BIND` is set).

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::startup::{Foundation, StartupError, bind};
use crate::state::AppState;
use actix_web::dev::Server;
use actix_web::{App, HttpRequest, HttpServer, web};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

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
        let state = Arc::new(foundation.into_state(issuer)?);
        crate::startup::begin(&state).await?;
        let state = web::Data::from(state);
        let data = state.clone();
        let management_addr = ManagementAddr(management.as_ref().map(|(_, a)| *a));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::Data::new(management_addr))
                // Every extractor reads at most this many decoded bytes; the routes that
                // take more authenticate first and read `web::Payload` themselves.
                .app_data(web::PayloadConfig::new(crate::http::guard::BODY_LIMIT))
                .app_data(web::JsonConfig::default().limit(crate::http::guard::BODY_LIMIT))
                .app_data(web::FormConfig::default().limit(crate::http::guard::BODY_LIMIT))
                .wrap(actix_web::middleware::from_fn(crate::http::guard::guard))
                .wrap(actix_web::middleware::Compress::default())
                .wrap(actix_web::middleware::from_fn(
                    crate::http::telemetry::track,
                ))
                .wrap(actix_web::middleware::from_fn(split_listeners))
                .configure(crate::http::oidc::routes)
                .configure(crate::http::pages::routes)
                .configure(crate::http::logout::routes)
                .configure(crate::http::admin::routes)
                .configure(crate::http::directory::routes)
                .configure(crate::http::scim::routes)
                .route("/health/live", web::get().to(crate::http::health::live))
                .route("/health/ready", web::get().to(crate::http::health::ready))
                .route("/metrics", web::get().to(crate::http::telemetry::endpoint))
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

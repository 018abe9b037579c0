//! Test harness: spawns Gapura and drives its login pages like a browser would.
#![allow(dead_code)]

use gapura::clients::{self, Client, NewClient};
use gapura::clock::OffsetClock;
use gapura::config::Settings;
use gapura::http::server::Application;
use gapura::state::AppState;
use gapura::users::{self, NewUser, User};
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, RedirectUrl};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

pub const PASSWORD: &str = "kata-sandi-yang-kuat-1";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

pub struct TestApp {
    pub issuer: String,
    pub state: actix_web::web::Data<AppState>,
    pub clock: Arc<OffsetClock>,
    /// A browser: keeps cookies, does not follow redirects.
    pub browser: reqwest::Client,
    /// What an RP's back end uses (no cookies, no redirects).
    pub http: reqwest::Client,
    pub server: actix_web::dev::ServerHandle,
    /// Where this instance listens, when that is not the issuer (a second instance).
    pub base: Option<String>,
    /// The management listener's port, when `metrics_bind` is set.
    pub management_port: Option<u16>,
    _dir: tempfile::TempDir,
}

fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database
/// when `DATABASE_URL` points at a server.
pub async fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = format!("gapura_t_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&url)
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}/gapura.db?mode=rwc", dir.display()),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    try_spawn_app_with(configure)
        .await
        .expect("application starts")
}

pub async fn try_spawn_app_with(
    configure: impl FnOnce(&mut Settings),
) -> Result<TestApp, gapura::startup::StartupError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings::defaults().expect("default settings");
    settings.bind = "127.0.0.1:0".into();
    settings.database_url = SecretString::from(database_url(dir.path()).await);
    settings.keys_dir = dir.path().join("keys");
    settings.admin_password = Some(SecretString::from("admin-password-for-tests"));
    settings.password.memory_kib = 4096;
    settings.password.iterations = 1;
    // Tests drive deliveries and expiry themselves; the two-instance test turns these on.
    settings.background_jobs = false;
    if let Ok(url) = std::env::var("REDIS_URL") {
        settings.redis_url = Some(SecretString::from(url));
        settings.store_prefix = format!("gapura-test:{}:", uuid::Uuid::new_v4().simple());
    }
    configure(&mut settings);
    let clock = Arc::new(OffsetClock::default());
    let app = Application::build_with_clock(settings, clock.clone()).await?;
    let issuer = app.state().issuer.clone();
    let state = app.state();
    let server = app.handle();
    let management_port = app.management_port();
    tokio::spawn(app.run_until_stopped());
    Ok(TestApp {
        issuer,
        state,
        server,
        base: None,
        management_port,
        clock,
        browser: client_builder()
            .cookie_store(true)
            .build()
            .expect("browser"),
        http: client_builder().build().expect("http client"),
        _dir: dir,
    })
}

/// An instance whose issuer is `http://localhost:PORT`: WebAuthn needs a domain
/// name as relying-party id, never an address.
pub async fn spawn_app_localhost() -> TestApp {
    // The port is chosen before binding (the issuer must name it); another test may
    // take it in between, so try a few.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let app = try_spawn_app_with(|s| {
            s.bind = format!("127.0.0.1:{port}");
            s.issuer = Some(format!("http://localhost:{port}"));
        })
        .await;
        match app {
            Ok(app) => return app,
            Err(gapura::startup::StartupError::Bind { .. }) => continue,
            Err(e) => panic!("application starts: {e}"),
        }
    }
    panic!("no free port for a localhost issuer")
}

/// A second instance of the same deployment (same database, store, master key and
/// issuer), as behind a load balancer.
pub async fn spawn_second(first: &TestApp) -> TestApp {
    let mut settings = first.state.settings.clone();
    settings.bind = "127.0.0.1:0".into();
    settings.issuer = Some(first.issuer.clone());
    let app = Application::build_with_clock(settings, first.clock.clone())
        .await
        .expect("second instance starts");
    let state = app.state();
    let server = app.handle();
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        issuer: first.issuer.clone(),
        state,
        server,
        base: None,
        management_port: None,
        clock: first.clock.clone(),
        browser: first.browser.clone(),
        http: client_builder().build().expect("http client"),
        _dir: tempfile::tempdir().expect("tempdir"),
    }
    .at_port(port)
}

impl TestApp {
    /// Requests go to this instance's own port; the issuer stays the shared one.
    fn at_port(mut self, port: u16) -> Self {
        self.base = Some(format!("http://127.0.0.1:{port}"));
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base.as_deref().unwrap_or(&self.issuer), path)
    }

    /// A browser whose cookies the test can read.
    pub fn browser_with_jar(&self) -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let browser = client_builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("browser");
        (browser, jar)
    }

    pub fn new_browser(&self) -> reqwest::Client {
        client_builder()
            .cookie_store(true)
            .build()
            .expect("browser")
    }

    pub async fn add_user(&self, nip: &str, email: &str) -> User {
        users::create(
            &self.state.db,
            &self.state.hasher,
            self.state.clock.as_ref(),
            NewUser {
                username: nip.into(),
                email: Some(email.into()),
                name: "Siti Aminah".into(),
                gelar_depan: Some("Dr.".into()),
                gelar_belakang: Some("S.Kom., M.T.".into()),
                phone: Some("081234567890".into()),
                password: Some(SecretString::from(PASSWORD)),
                ..NewUser::default()
            },
        )
        .await
        .expect("create user")
    }

    /// The standard test person.
    pub async fn siti(&self) -> User {
        self.add_user("198609262015052001", "siti.aminah@kotabogor.go.id")
            .await
    }

    pub async fn add_client(&self, new: NewClient) -> (Client, Option<String>) {
        clients::register(
            &self.state.db,
            &self.state.master,
            self.state.clock.as_ref(),
            new,
        )
        .await
        .expect("register client")
    }

    /// A confidential first-party web app (no consent page).
    pub async fn web_client(&self) -> (Client, String) {
        let (c, s) = self
            .add_client(NewClient {
                name: "e-Kinerja".into(),
                redirect_uris: vec![REDIRECT.into()],
                first_party: true,
                grant_types: vec![
                    "authorization_code".into(),
                    "refresh_token".into(),
                    "client_credentials".into(),
                ],
                ..NewClient::default()
            })
            .await;
        (c, s.expect("secret"))
    }

    /// Discovery through the RP library, and a client configured from it.
    pub async fn rp(
        &self,
        client: &Client,
        secret: Option<&str>,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        let metadata = CoreProviderMetadata::discover_async(
            IssuerUrl::new(self.issuer.clone()).expect("issuer"),
            &self.http,
        )
        .await
        .expect("discovery");
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client.id.to_string()),
            secret.map(|s| ClientSecret::new(s.into())),
        )
        .set_redirect_uri(RedirectUrl::new(client.redirect_uris[0].clone()).expect("redirect"))
    }

    /// Follows an authorization URL through login (and consent when asked) and
    /// returns the final redirect to the client.
    pub async fn authorize(
        &self,
        browser: &reqwest::Client,
        url: &str,
        username: &str,
        password: &str,
    ) -> String {
        let mut location = location(&browser.get(url).send().await.expect("authorize"));
        if location.starts_with("/login") {
            let page = browser
                .get(self.url(&location))
                .send()
                .await
                .expect("login page")
                .text()
                .await
                .expect("html");
            let resp = browser
                .post(self.url("/login"))
                .form(&[
                    ("csrf", hidden(&page, "csrf").as_str()),
                    ("req", hidden(&page, "req").as_str()),
                    ("username", username),
                    ("password", password),
                ])
                .send()
                .await
                .expect("login post");
            if resp.status() == 401 {
                return "login-failed".into();
            }
            location = self::location(&resp);
        }
        if location.starts_with("/consent") {
            location = self.consent(browser, &location, "allow").await;
        }
        location
    }

    pub async fn consent(
        &self,
        browser: &reqwest::Client,
        location: &str,
        decision: &str,
    ) -> String {
        let page = browser
            .get(self.url(location))
            .send()
            .await
            .expect("consent page")
            .text()
            .await
            .expect("html");
        let resp = browser
            .post(self.url("/consent"))
            .form(&[
                ("csrf", hidden(&page, "csrf").as_str()),
                ("req", hidden(&page, "req").as_str()),
                ("decision", decision),
            ])
            .send()
            .await
            .expect("consent post");
        self::location(&resp)
    }

    /// An authorization request for `client` (scope `openid`, PKCE S256 with
    /// `VERIFIER`), with `extra` appended (`&prompt=login`, ...).
    pub fn code_url(&self, client: &Client, extra: &str) -> String {
        format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256{extra}",
            self.issuer,
            enc(&client.id),
            enc(&client.redirect_uris[0]),
            challenge(VERIFIER)
        )
    }

    /// An authorization code for `client` (PKCE S256), via the login form.
    pub async fn code_for(&self, client: &Client, scope: &str, verifier: &str) -> String {
        let url = format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=s1&nonce=n1&code_challenge={}&code_challenge_method=S256",
            self.issuer,
            enc(&client.id),
            enc(&client.redirect_uris[0]),
            enc(scope),
            challenge(verifier)
        );
        let loc = self
            .authorize(&self.browser, &url, "198609262015052001", PASSWORD)
            .await;
        query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
    }

    pub async fn token(
        &self,
        client: &Client,
        secret: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(self.url("/token"))
            .basic_auth(&client.id, Some(secret))
            .form(form)
            .send()
            .await
            .expect("token request")
    }

    pub async fn audit_events(&self, event: &str) -> Vec<entity::audit_event::Model> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entity::audit_event::Entity::find()
            .filter(entity::audit_event::Column::Event.eq(event))
            .all(&self.state.db)
            .await
            .expect("audit query")
    }
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn challenge(verifier: &str) -> String {
    gapura::crypto::b64(&gapura::crypto::sha256(verifier.as_bytes()))
}

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .unwrap_or_else(|| panic!("expected a redirect, got {}", resp.status()))
        .to_str()
        .expect("location")
        .to_owned()
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in page"))
        + marker.len();
    let end = html[start..].find('"').expect("end of value") + start;
    html[start..end].to_owned()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub async fn json(resp: reqwest::Response) -> serde_json::Value {
    resp.json().await.expect("json body")
}

/// A relying party's back-channel logout endpoint: records what it receives and
/// answers 500 to the first `fail_first` requests.
pub struct LogoutReceiver {
    pub url: String,
    pub received: Arc<std::sync::Mutex<Vec<String>>>,
    pub hits: Arc<std::sync::atomic::AtomicUsize>,
}

pub async fn logout_receiver(fail_first: usize) -> LogoutReceiver {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let received: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let hits: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
    let (r, h) = (received.clone(), hits.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let (r, h) = (r.clone(), h.clone());
        App::new().route(
            "/backchannel",
            web::post().to(
                move |form: web::Form<std::collections::HashMap<String, String>>| {
                    let (r, h) = (r.clone(), h.clone());
                    async move {
                        let n = h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if n < fail_first {
                            return HttpResponse::InternalServerError().finish();
                        }
                        r.lock()
                            .unwrap()
                            .push(form.get("logout_token").cloned().unwrap_or_default());
                        HttpResponse::Ok().finish()
                    }
                },
            ),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    LogoutReceiver {
        url: format!("http://127.0.0.1:{port}/backchannel"),
        received,
        hits,
    }
}

/// Verifies a logout token independently of Gapura's code (the `jsonwebtoken` crate,
/// keys from the published JWKS): signature, `typ`, `iss`, `aud`, `events`, no `nonce`.
pub async fn verify_logout_token(app: &TestApp, token: &str, client_id: &str) -> serde_json::Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid in JWKS");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[client_id]);
    validation.set_issuer(&[app.issuer.as_str()]);
    validation.set_required_spec_claims(&["iss", "aud", "iat", "exp"]);
    validation.leeway = 5;
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .expect("logout token verifies");
    let claims = data.claims;
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims["jti"].is_string());
    assert!(claims.get("nonce").is_none());
    claims
}

pub use crate::dir_helpers::*;

/// Starts the real binary (`gapura serve` on port 0) and returns it with the port it
/// reported in its (JSON) log, once it is ready.
pub async fn spawn_binary(dir: &std::path::Path, extra: &[(&str, String)]) -> (Child, u16) {
    spawn_binary_with(dir, &["serve"], extra).await
}

/// `spawn_binary` with other arguments (`serve --demo`).
pub async fn spawn_binary_with(
    dir: &std::path::Path,
    args: &[&str],
    extra: &[(&str, String)],
) -> (Child, u16) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gapura"))
        .args(args)
        .env("GAPURA_BIND", "127.0.0.1:0")
        .env("GAPURA_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/g.db?mode=rwc", dir.display()),
        )
        .env("GAPURA_KEYS_DIR", dir.join("keys"))
        .env("GAPURA_ADMIN_PASSWORD", "admin-password-for-tests")
        .env_remove("REDIS_URL")
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(dir.join("stderr.log"))
                .map(Stdio::from)
                .unwrap_or(Stdio::null()),
        )
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log_path = dir.join("stdout.log");
    std::thread::spawn(move || {
        use std::io::Write;
        let mut log = std::fs::File::create(log_path).ok();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(f) = log.as_mut() {
                let _ = writeln!(f, "{line}");
            }
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && v["fields"]["message"] == "Gapura is listening"
            {
                let _ = tx.send(v["fields"]["addr"].as_str().unwrap_or_default().to_owned());
            }
        }
    });
    let addr = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => addr,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gapura serve did not report its address");
        }
    };
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/health/ready"))
            .send()
            .await
            && r.status() == 200
        {
            return (child, port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("gapura serve did not become ready");
}

/// Sends SIGTERM and waits for the exit status.
pub async fn terminate(mut child: Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("gapura did not stop after SIGTERM");
}

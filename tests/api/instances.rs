//! Several instances as one provider, dependency faults, and graceful shutdown.
//! The multi-instance and Redis-fault tests need Redis (`REDIS_URL`, as CI sets it);
//! without it they say so and return.

use crate::helpers::*;
use gapura::clients::NewClient;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn redis_configured() -> bool {
    if std::env::var("REDIS_URL").is_ok() {
        return true;
    }
    eprintln!("REDIS_URL is not set: skipping (CI runs this with Redis)");
    false
}

#[tokio::test]
async fn two_instances_act_as_one_provider() {
    if !redis_configured() {
        return;
    }
    let a = spawn_app_with(|s| s.background_jobs = true).await;
    let b = spawn_second(&a).await;
    a.siti().await;
    let rp = logout_receiver(0).await;
    let (c, s) = a
        .add_client(NewClient {
            name: "e-Office".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            backchannel_logout_uri: Some(rp.url.clone()),
            ..NewClient::default()
        })
        .await;
    let s = s.unwrap();

    // Log in through A, exchange the code on B, refresh on A.
    let code = a.code_for(&c, "openid", VERIFIER).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let resp = b
        .http
        .post(b.url("/token"))
        .basic_auth(&c.id, Some(&s))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    let rt = body["refresh_token"].as_str().unwrap();
    let resp = a
        .http
        .post(a.url("/token"))
        .basic_auth(&c.id, Some(&s))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let at = json(resp).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let info = b
        .http
        .get(b.url("/userinfo"))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200, "a token from A works on B");

    // SSO across instances: B answers prompt=none from the session made on A.
    let none = |app: &TestApp| {
        format!(
            "{}?response_type=code&client_id={}&redirect_uri={}&scope=openid&prompt=none&code_challenge={}&code_challenge_method=S256",
            app.url("/authorize"),
            c.id,
            enc(REDIRECT),
            challenge(VERIFIER)
        )
    };
    assert!(location(&b.browser.get(none(&b)).send().await.unwrap()).contains("code="));

    // Keys rotate once for both.
    a.state.keys.rotate(a.state.now(), 0, 3900).await.unwrap();
    b.state.keys.reload(b.state.now()).await.unwrap();
    let jwks_a: gapura::jose::JwkSet = a
        .http
        .get(a.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwks_b: gapura::jose::JwkSet = b
        .http
        .get(b.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks_a.keys.len(), 6);
    assert_eq!(jwks_a.keys, jwks_b.keys);

    // Stopping A logs nobody out.
    a.server.stop(true).await;
    assert!(location(&b.browser.get(none(&b)).send().await.unwrap()).contains("code="));

    // Log out on B; both instances try to deliver: the RP hears it once.
    let id_token = body["id_token"].as_str().unwrap();
    let resp = b
        .browser
        .get(format!("{}?id_token_hint={id_token}", b.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (n1, n2) = tokio::join!(
        gapura::logout::backchannel::deliver_due(&a.state, 10),
        gapura::logout::backchannel::deliver_due(&b.state, 10)
    );
    // The background workers of both instances may also be at it: what counts is that
    // the RP hears it exactly once.
    assert!(n1.unwrap() + n2.unwrap() <= 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(rp.received.lock().unwrap().len(), 1);
    let rows = gapura::logout::backchannel::list(&b.state, None, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].status.as_str(), rows[0].attempts),
        ("delivered", 1)
    );
    assert!(
        location(&b.browser.get(none(&b)).send().await.unwrap()).contains("error=login_required")
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_redis(port: u16) -> Child {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server is installed");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[tokio::test]
async fn redis_outage_gives_503_and_recovery_is_automatic() {
    if !redis_configured() {
        return;
    }
    let port = free_port();
    let mut redis = start_redis(port);
    let app = spawn_app_with(|s| {
        s.redis_url = Some(secrecy::SecretString::from(format!(
            "redis://127.0.0.1:{port}"
        )))
    })
    .await;
    let (c, secret) = app.web_client().await;
    app.siti().await;
    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let at = json(
        app.token(&c, &secret, &[("grant_type", "client_credentials")])
            .await,
    )
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    // A session (the database holds it), made while Redis is up.
    let back = app
        .authorize(&app.browser, &url, "198609262015052001", PASSWORD)
        .await;
    assert!(query_param(&back, "code").is_some(), "{back}");

    redis.kill().unwrap();
    redis.wait().unwrap();
    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body = json(ready).await;
    assert_eq!(body["checks"]["store"], "down");
    assert_eq!(body["checks"]["database"], "up");
    // Security state is the database's: introspection still answers, truthfully.
    let intro = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(&c.id, Some(&secret))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(intro.status(), 200);
    assert_eq!(json(intro).await["active"], true);
    // A code needs Redis: the person is told, not bounced to the client.
    let page = app.browser.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.text().await.unwrap().contains("tidak tersedia"));

    let mut redis = start_redis(port);
    let mut recovered = false;
    for _ in 0..40 {
        if app
            .http
            .get(app.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "Gapura reconnects by itself");
    let loc = location(&app.browser.get(&url).send().await.unwrap());
    assert!(query_param(&loc, "code").is_some(), "codes again: {loc}");
    redis.kill().unwrap();
    let _ = redis.wait();
}

#[tokio::test]
async fn sigterm_stops_gracefully_with_exit_code_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _) = spawn_binary(dir.path(), &[]).await;
    let exit = terminate(child).await;
    assert!(exit.success(), "exit status {exit:?}");
}

// Multi-threaded: the fake collector must keep answering while the test waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_are_exported_over_otlp_when_configured() {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    let seen: std::sync::Arc<std::sync::Mutex<Vec<(String, usize)>>> = Default::default();
    let record = seen.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let collector_port = listener.local_addr().unwrap().port();
    let collector = HttpServer::new(move || {
        let record = record.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let record = record.clone();
            async move {
                let ct = req
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                record
                    .lock()
                    .unwrap()
                    .push((format!("{} {}", req.path(), ct), body.len()));
                HttpResponse::Ok().finish()
            }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(collector);

    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{collector_port}/v1/traces");
    let (child, port) = spawn_binary(dir.path(), &[("GAPURA_OTLP_ENDPOINT", endpoint)]).await;
    let http = reqwest::Client::new();
    for _ in 0..3 {
        http.get(format!("http://127.0.0.1:{port}/jwks"))
            .send()
            .await
            .unwrap();
    }
    let exit = terminate(child).await;
    assert!(exit.success());
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|(what, len)| what.starts_with("/v1/traces application/x-protobuf") && *len > 0),
        "spans exported on shutdown: {seen:?}; gapura said: {}",
        std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default()
            + &std::fs::read_to_string(dir.path().join("stdout.log")).unwrap_or_default()
    );
}

/// A TCP forwarder standing in for the network between Gapura and PostgreSQL:
/// stopping it is an outage, starting it again on the same port is the recovery.
struct Proxy {
    port: u16,
    tasks: tokio::task::JoinSet<()>,
}

impl Proxy {
    async fn start(port: u16, target: std::net::SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut tasks = tokio::task::JoinSet::new();
        let conns = std::sync::Arc::new(tokio::sync::Mutex::new(tokio::task::JoinSet::new()));
        let held = conns.clone();
        tasks.spawn(async move {
            let _held = held;
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut set = conns.lock().await;
                set.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Proxy { port, tasks }
    }

    /// Drops the listener and every forwarded connection.
    async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

#[tokio::test]
async fn postgres_outage_gives_503_and_recovery_is_automatic() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("DATABASE_URL is not set: skipping (CI runs this against PostgreSQL)");
        return;
    };
    if !url.starts_with("postgres") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let real = database_url(dir.path()).await;
    let parsed = url::Url::parse(&real).unwrap();
    let target: std::net::SocketAddr = format!(
        "{}:{}",
        parsed.host_str().unwrap().replace("localhost", "127.0.0.1"),
        parsed.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let proxy = Proxy::start(0, target).await;
    let port = proxy.port;
    let mut via_proxy = parsed.clone();
    via_proxy.set_port(Some(port)).unwrap();
    let via = via_proxy.to_string();
    let app = spawn_app_with(move |s| s.database_url = secrecy::SecretString::from(via)).await;
    let (c, secret) = app.web_client().await;
    assert_eq!(
        app.token(&c, &secret, &[("grant_type", "client_credentials")])
            .await
            .status(),
        200
    );

    proxy.stop().await;
    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(json(ready).await["checks"]["database"], "down");
    // Client credentials need no database row that is not cached: they keep working.
    // A refresh needs the database: 503, not 500 and not a silent weaker answer.
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "unknown-token"),
    ];
    let resp = app.token(&c, &secret, &refresh).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(json(resp).await["error"], "temporarily_unavailable");
    let page = app
        .http
        .post(app.url("/login"))
        .form(&[("username", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    assert!(
        page.status() == 503 || page.status() == 403,
        "{}",
        page.status()
    );

    let proxy = Proxy::start(port, target).await;
    let mut recovered = false;
    for _ in 0..60 {
        if app.token(&c, &secret, &refresh).await.status() == 400 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "Gapura reconnects by itself");
    proxy.stop().await;
}

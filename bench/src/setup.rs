//! The scenarios: prepare a deployment, run each scenario, and report it against
//! its floor and target.

use crate::floors::Floors;
use crate::load::{self, Stats};
use crate::server::{self, Backend, Server};
use crate::wire::{Conn, Prepared};
use hyper::StatusCode;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const USER: &str = "198609262015052001";
const PASSWORD: &str = "bench-password-123";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

#[derive(Clone)]
struct Ctx {
    http: reqwest::Client,
    base: Arc<String>,
    client: Arc<(String, String)>,
}

fn challenge() -> String {
    use base64::Engine;
    let digest = gapura::crypto::sha256(VERIFIER.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

fn cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

/// One full password login: authorize → login form → code → token. Returns the token response.
async fn login(ctx: &Ctx) -> Option<serde_json::Value> {
    let (id, secret) = &*ctx.client;
    let url = format!(
        "{}/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid%20profile%20offline_access&code_challenge={}&code_challenge_method=S256&state=s",
        ctx.base,
        urlenc(REDIRECT),
        challenge()
    );
    let r = ctx.http.get(url).send().await.ok()?;
    let loc = r.headers().get("location")?.to_str().ok()?.to_owned();
    // The pending request is bound to the browser that started it.
    let browser_cookie = cookie(&r, "gapura_browser")?;
    let page = ctx
        .http
        .get(format!("{}{loc}", ctx.base))
        .header("cookie", browser_cookie.clone())
        .send()
        .await
        .ok()?;
    let csrf_cookie = format!("{}; {browser_cookie}", cookie(&page, "gapura_csrf")?);
    let html = page.text().await.ok()?;
    let form = [
        ("csrf", hidden(&html, "csrf")?),
        ("req", hidden(&html, "req")?),
        ("username", USER.to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let r = ctx
        .http
        .post(format!("{}/login", ctx.base))
        .header("cookie", csrf_cookie)
        .form(&form)
        .send()
        .await
        .ok()?;
    let back = r.headers().get("location")?.to_str().ok()?.to_owned();
    let code = url::Url::parse(&back)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "code")?
        .1
        .into_owned();
    let r = ctx
        .http
        .post(format!("{}/token", ctx.base))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn client_from_json(out: &str) -> anyhow::Result<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(out.trim())?;
    Ok((
        v["client_id"].as_str().unwrap_or_default().to_owned(),
        v["client_secret"].as_str().unwrap_or_default().to_owned(),
    ))
}

struct Row {
    name: String,
    stats: Stats,
    floor: Option<f64>,
    target: String,
    half_p99: Option<f64>,
    rss: f64,
}

pub async fn run_all(
    binary: &Path,
    backend: &Backend,
    duration: Duration,
    connections: usize,
    sessions: usize,
    floors: &Floors,
    only: &[String],
) -> anyhow::Result<String> {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    let dir = std::env::temp_dir().join(format!(
        "gapura-bench-{}-{}",
        std::process::id(),
        matches!(backend, Backend::PgRedis { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let port = server::free_port()?;
    let env = server::environment(backend, &dir, port).await?;

    // First start migrates and creates keys; the second is the cold start that counts.
    let (first, _) = Server::start(binary, &env, port).await?;
    first.stop().await?;
    let (srv, cold_start) = Server::start(binary, &env, port).await?;
    let (idle_rss, _) = srv.rss_mib();

    srv.cli(
        &["user", "add", "--username", USER, "--name", "Siti Aminah"],
        Some(&format!("{PASSWORD}\n")),
    )
    .await?;
    let rs = client_from_json(
        &srv.cli(
            &[
                "--json",
                "client",
                "add",
                "--name",
                "bench-rs256",
                "--redirect-uri",
                REDIRECT,
                "--first-party",
                "--grant",
                "authorization_code",
                "--grant",
                "refresh_token",
                "--grant",
                "client_credentials",
            ],
            None,
        )
        .await?,
    )?;
    let es = client_from_json(
        &srv.cli(
            &[
                "--json",
                "client",
                "add",
                "--name",
                "bench-es256",
                "--redirect-uri",
                REDIRECT,
                "--alg",
                "ES256",
                "--grant",
                "client_credentials",
            ],
            None,
        )
        .await?,
    )?;

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(connections * 2)
        .build()?;
    let ctx = Ctx {
        http: http.clone(),
        base: Arc::new(srv.base.clone()),
        client: Arc::new(rs.clone()),
    };
    let mut rows = Vec::new();

    // Password logins; also the sessions whose memory is measured below.
    let name = "password login (authorize → form → code → token)";
    if wanted(name) {
        let argon2_floor = crate::floors::argon2_now().await?;
        eprintln!("  password login");
        let c = ctx.clone();
        let stats = load::closed(connections, duration, move |_| {
            let c = c.clone();
            async move { login(&c).await.is_some() }
        })
        .await;
        rows.push(Row {
            name: name.into(),
            floor: Some(argon2_floor),
            target: "≥ 90% of argon2 floor".into(),
            half_p99: None,
            rss: srv.rss_mib().0,
            stats,
        });
    }

    // Tokens for the resource scenarios.
    let tokens = login(&ctx)
        .await
        .ok_or_else(|| anyhow::anyhow!("login failed"))?;
    let access = Arc::new(
        tokens["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );

    // The hot scenarios use one bare kept-alive connection per worker (see wire.rs).
    let conns = Conn::per_worker(&srv.base, connections);
    let fixed = |req: Prepared, check: fn(StatusCode, &[u8]) -> bool| {
        let conns = conns.clone();
        let req = Arc::new(req);
        move |w: usize| {
            let (conns, req) = (conns.clone(), req.clone());
            async move {
                let mut conn = conns[w].lock().await;
                conn.send(&req)
                    .await
                    .is_some_and(|(status, body)| check(status, &body))
            }
        }
    };
    let success: fn(StatusCode, &[u8]) -> bool = |s, _| s.is_success();
    let cc = |client: &(String, String)| {
        fixed(
            Prepared::form("/token", &[("grant_type", "client_credentials")])
                .basic(&client.0, &client.1),
            success,
        )
    };
    let introspect = fixed(
        Prepared::form("/introspect", &[("token", access.as_str())]).basic(&rs.0, &rs.1),
        |s, body| {
            s.is_success()
                && body
                    .windows(b"\"active\":true".len())
                    .any(|w| w == b"\"active\":true")
        },
    );
    let userinfo = fixed(
        Prepared::get("/userinfo").header("authorization", format!("Bearer {access}")),
        success,
    );
    let jwks = fixed(Prepared::get("/jwks"), success);

    macro_rules! scenario {
        ($name:expr, $op:expr, $floor:expr, $target:expr) => {{
            if wanted($name) {
                eprintln!("  {}", $name);
                let stats = load::closed(connections, duration, $op.clone()).await;
                let half = load::open(connections, stats.rate() / 2.0, duration, $op.clone()).await;
                rows.push(Row {
                    name: $name.into(),
                    floor: $floor,
                    target: $target.into(),
                    half_p99: Some(half.pct(0.99)),
                    rss: srv.rss_mib().0,
                    stats,
                });
            }
        }};
    }
    scenario!(
        "client_credentials RS256",
        cc(&rs),
        Some(crate::floors::rs256_now().await?),
        "≥ 85% of RS256 floor"
    );
    scenario!(
        "client_credentials ES256",
        cc(&es),
        Some(floors.es256),
        "≥ 8,000/s"
    );
    scenario!("introspection", introspect, None, "≥ 15,000/s");
    scenario!("userinfo", userinfo, None, "≥ 15,000/s");
    scenario!("JWKS", jwks, None, "");

    // Refresh: each connection rotates its own chain of refresh tokens.
    let mut chains = Vec::new();
    for _ in 0..if wanted("refresh") { connections } else { 0 } {
        let t = login(&ctx)
            .await
            .ok_or_else(|| anyhow::anyhow!("login failed"))?;
        chains.push(Mutex::new(
            t["refresh_token"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let chains = Arc::new(chains);
    let refresh = {
        let (conns, chains, basic) = (
            conns.clone(),
            chains.clone(),
            Prepared::get("/").basic(&rs.0, &rs.1).headers,
        );
        move |w: usize| {
            let (conns, chains, basic) = (conns.clone(), chains.clone(), basic.clone());
            async move {
                let mut current = chains[w].lock().await;
                let mut req = Prepared::form(
                    "/token",
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", current.as_str()),
                    ],
                );
                req.headers.extend(basic);
                let mut conn = conns[w].lock().await;
                let Some((status, body)) = conn.send(&req).await else {
                    return false;
                };
                if !status.is_success() {
                    return false;
                }
                let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
                    return false;
                };
                match body["refresh_token"].as_str() {
                    Some(next) if body["id_token"].is_string() => {
                        *current = next.to_owned();
                        true
                    }
                    _ => false,
                }
            }
        }
    };
    scenario!(
        "refresh (ID token + access token)",
        refresh,
        Some(crate::floors::rs256_now().await? / 2.0),
        "≥ 85% of floor (two RS256 signatures)"
    );

    // SSO sessions: memory before and after.
    eprintln!("  {sessions} SSO sessions");
    let (before, _) = srv.rss_mib();
    let made = Arc::new(std::sync::atomic::AtomicUsize::new(if wanted("sessions") {
        0
    } else {
        sessions
    }));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (c, made) = (ctx.clone(), made.clone());
        tasks.push(tokio::spawn(async move {
            while made.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < sessions {
                let _ = login(&c).await;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let (after, peak) = srv.rss_mib();
    // At rest: the hashing pool has given its memory back and the maintenance loop
    // (every 10 s) has trimmed the allocator.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let (settled, _) = srv.rss_mib();

    let mut out = String::new();
    writeln!(out, "## {}\n", backend.name())?;
    writeln!(
        out,
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | floor/s | ratio | p99 at ½ peak (ms) | RSS MiB | target |"
    )?;
    writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    )?;
    for r in &rows {
        let ratio = r
            .floor
            .map(|f| format!("{:.0}%", 100.0 * r.stats.rate() / f))
            .unwrap_or_default();
        writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {:.1} | {} |",
            r.name,
            r.stats.rate(),
            r.stats.pct(0.50),
            r.stats.pct(0.95),
            r.stats.pct(0.99),
            r.stats.errors,
            r.floor.map(|f| format!("{f:.0}")).unwrap_or_default(),
            ratio,
            r.half_p99
                .map(|p| format!("{p:.2}"))
                .unwrap_or_else(|| "–".into()),
            r.rss,
            r.target
        )?;
    }
    writeln!(out)?;
    writeln!(out, "| memory and start | value | target |\n|---|---:|---|")?;
    writeln!(
        out,
        "| RSS idle after start | {idle_rss:.1} MiB | ≤ 30 MB |"
    )?;
    writeln!(
        out,
        "| RSS before / after {sessions} SSO sessions (at rest 12 s later) | {before:.1} / {after:.1} MiB (peak {peak:.1}; at rest {settled:.1}) | ≤ 80 MB |"
    )?;
    writeln!(
        out,
        "| cold start to /health/ready (migrated database) | {:.0} ms | ≤ 300 ms |",
        cold_start.as_secs_f64() * 1000.0
    )?;
    writeln!(out)?;
    srv.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

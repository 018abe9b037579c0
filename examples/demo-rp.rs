//! Demo relying party: the smallest complete "Masuk dengan Gapura" login, for app developers.
//!
//! ```sh
//! cargo run -- serve --demo        # terminal 1: Gapura on http://127.0.0.1:8080, with demo data
//! cargo run --example demo-rp      # terminal 2: this app on http://127.0.0.1:8081
//! ```
//!
//! Environment: `GAPURA_ISSUER` (default `http://127.0.0.1:8080`), `DEMO_CLIENT_ID` (`demo-rp`),
//! `DEMO_CLIENT_SECRET` (if set: a confidential client using `client_secret_basic`; else a public
//! client), `DEMO_REDIRECT_URI` (`http://127.0.0.1:8081/callback`), `DEMO_BIND` (`127.0.0.1:8081`).
//!
//! The flow: authorization code + PKCE (S256), with `state` (CSRF) and `nonce` (replay) checks,
//! ID token verification, `at_hash` check and a `UserInfo` call.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, reqwest,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A `CoreClient` built from discovery: the authorization endpoint is always known; the token
/// and `UserInfo` endpoints are optional in provider metadata, so calls using them return a `Result`.
type GapuraClient = CoreClient<
    EndpointSet,      // authorization
    EndpointNotSet,   // device authorization (unused)
    EndpointNotSet,   // introspection (unused)
    EndpointNotSet,   // revocation (unused)
    EndpointMaybeSet, // token
    EndpointMaybeSet, // UserInfo
>;

/// Cookie binding a login to the browser that started it (so nobody can plant their own login).
const STATE_COOKIE: &str = "demo_rp_state";
/// How long a started login may wait for its callback.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

/// A login in progress, waiting for Gapura to redirect back to `/callback`.
struct PendingLogin {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    started: Instant,
}

struct AppState {
    client: GapuraClient,
    http: reqwest::Client,
    issuer: String,
    /// `state` -> pending login. In memory is fine for a demo; real apps use their session store.
    pending: Mutex<HashMap<String, PendingLogin>>,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    if let Err(e) = run().await {
        eprintln!("demo-rp: {e:#}"); // `{:#}` prints the whole error chain on one line
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

async fn run() -> anyhow::Result<()> {
    let issuer = env_or("GAPURA_ISSUER", "http://127.0.0.1:8080");
    let client_id = env_or("DEMO_CLIENT_ID", "demo-rp");
    let client_secret = std::env::var("DEMO_CLIENT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .map(ClientSecret::new);
    let redirect_uri = env_or("DEMO_REDIRECT_URI", "http://127.0.0.1:8081/callback");
    let bind = env_or("DEMO_BIND", "127.0.0.1:8081");

    let http = reqwest::ClientBuilder::new()
        // Following redirects opens the client up to SSRF vulnerabilities.
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // OIDC Discovery: endpoints, supported algorithms and the JWK Set come from the issuer.
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone())?, &http)
        .await
        .with_context(|| format!("OIDC discovery at {issuer} failed (is Gapura running?)"))?;
    // With a secret the client authenticates with client_secret_basic (the default auth type);
    // without one it is a public client and sends only its client_id, relying on PKCE.
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(client_id), client_secret)
            .set_redirect_uri(RedirectUrl::new(redirect_uri)?);

    let state = web::Data::new(AppState {
        client,
        http,
        issuer,
        pending: Mutex::new(HashMap::new()),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/", web::get().to(index))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
    })
    .bind(&bind)?;
    println!("Demo RP listening on http://{bind} — open it in a browser");
    server.run().await?;
    Ok(())
}

/// `GET /`: the landing page with the login button.
async fn index() -> HttpResponse {
    let body = r#"<p>Contoh aplikasi yang memakai Gapura untuk login.</p>
<p><a class="button" href="/login">Masuk dengan Gapura</a></p>"#;
    page(StatusCode::OK, "Demo RP", body)
}

/// `GET /login`: remember the PKCE verifier and nonce under a fresh `state`, then send the
/// browser to Gapura's authorization endpoint.
async fn login(app: web::Data<AppState>) -> HttpResponse {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    // `openid` is added automatically; the other scopes select the claims we want.
    let flow = CoreAuthenticationFlow::AuthorizationCode;
    let (url, csrf, nonce) = app
        .client
        .authorize_url(flow, CsrfToken::new_random, Nonce::new_random)
        .add_scopes(["profile", "email", "phone"].map(|s| Scope::new(s.to_owned())))
        .set_pkce_challenge(challenge)
        .url();

    let mut pending = app.pending.lock().unwrap_or_else(PoisonError::into_inner);
    pending.retain(|_, p| p.started.elapsed() < LOGIN_TIMEOUT); // forget abandoned logins
    pending.insert(
        csrf.secret().clone(),
        PendingLogin {
            verifier,
            nonce,
            started: Instant::now(),
        },
    );

    // HttpOnly and SameSite=Lax (sent on Gapura's top-level redirect back); add Secure on https.
    let cookie = Cookie::build(STATE_COOKIE, csrf.secret().clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .cookie(cookie)
        .finish()
}

/// What Gapura appends to the redirect URI: `code` and `state`, or `error` (RFC 6749 §4.1.2),
/// plus `iss` (RFC 9207).
#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /callback`: finish the login and show the claims, or a readable error page.
async fn callback(
    app: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Callback>,
) -> HttpResponse {
    let outcome = finish_login(&app, &req, query.into_inner()).await;
    // `{:#}` prints the whole error chain, e.g. "token request failed: ...: invalid_grant: ...".
    let outcome = outcome.map_err(|e| format!("<pre>{}</pre>", escape(&format!("{e:#}"))));
    let (status, title, body) = match outcome {
        Ok(tables) => (StatusCode::OK, "Berhasil masuk", tables),
        Err(error) => (StatusCode::BAD_REQUEST, "Login gagal", error),
    };
    let body = format!("{body}\n<p><a href=\"/\">Kembali</a></p>");
    let mut response = page(status, title, &body);
    let mut used = Cookie::build(STATE_COOKIE, "").path("/").finish();
    used.make_removal(); // the state is single-use
    let _ = response.add_cookie(&used);
    response
}

async fn finish_login(app: &AppState, req: &HttpRequest, cb: Callback) -> anyhow::Result<String> {
    // 1. Gapura reports refusals and errors on the redirect URI (e.g. `access_denied`).
    if let Some(error) = cb.error {
        let description = cb
            .error_description
            .unwrap_or_else(|| "(no description)".into());
        bail!("Gapura returned `{error}`: {description}");
    }
    // 2. The state must be this browser's, and belong to a login we started (CSRF defence).
    let state = cb.state.context("the response has no `state`")?;
    let cookie = req
        .cookie(STATE_COOKIE)
        .context("no state cookie: start again at /login in this browser")?;
    if cookie.value() != state {
        bail!("`state` does not match this browser's login");
    }
    let pending = app
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&state)
        .filter(|p| p.started.elapsed() < LOGIN_TIMEOUT)
        .context("unknown or expired `state`: start again at /login")?;
    // 3. RFC 9207: `iss` names the provider that sent the response (mix-up defence).
    if cb.iss.as_deref().is_some_and(|iss| iss != app.issuer) {
        bail!("the response comes from an unexpected issuer");
    }

    // 4. Exchange the code at the token endpoint, proving possession of the PKCE verifier.
    let code = AuthorizationCode::new(cb.code.context("the response has no `code`")?);
    let token = app
        .client
        .exchange_code(code)?
        .set_pkce_verifier(pending.verifier)
        .request_async(&app.http)
        .await
        .context("token request failed")?;

    // 5. Verify the ID token: signature (against the JWK Set), iss, aud, exp, iat and our nonce.
    let id_token = token.id_token().context("Gapura returned no ID token")?;
    let verifier = app.client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &pending.nonce)
        .context("ID token rejected")?;

    // 6. `at_hash` binds the access token to this ID token (no swapped-in tokens).
    if let Some(expected) = claims.access_token_hash() {
        let (alg, key) = (id_token.signing_alg()?, id_token.signing_key(&verifier)?);
        let actual = AccessTokenHash::from_token(token.access_token(), alg, key)?;
        if actual != *expected {
            bail!("`at_hash` does not match the access token");
        }
    }

    // 7. UserInfo with the access token; openidconnect checks its `sub` equals the ID token's.
    let userinfo: CoreUserInfoClaims = app
        .client
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))?
        .request_async(&app.http)
        .await
        .context("UserInfo request failed")?;

    Ok(format!(
        "<h2>Klaim ID token</h2>\n{}\n<h2>Klaim UserInfo</h2>\n{}",
        claims_table(claims)?,
        claims_table(&userinfo)?
    ))
}

/// Renders claims as an HTML table, one row per top-level JSON member.
fn claims_table(claims: &impl Serialize) -> anyhow::Result<String> {
    let serde_json::Value::Object(members) = serde_json::to_value(claims)? else {
        bail!("claims are not a JSON object");
    };
    let mut rows = String::new();
    for (name, value) in &members {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let (name, text) = (escape(name), escape(&text));
        writeln!(rows, "<tr><th>{name}</th><td>{text}</td></tr>")?;
    }
    Ok(format!("<table>\n{rows}</table>"))
}

/// Minimal HTML escaping for text and attribute values.
fn escape(text: &str) -> String {
    // `&` first, so the entities produced by the later replacements stay intact.
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A complete HTML page; `title` must be plain text, `body` already-escaped HTML.
fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let title = escape(title);
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            r#"<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}}
th,td{{text-align:left;padding:.25rem .75rem;border-bottom:1px solid #ddd;vertical-align:top}}
pre{{white-space:pre-wrap;background:#fee;padding:1rem}}
.button{{display:inline-block;background:#0b5;color:#fff;padding:.6rem 1.2rem;
  border-radius:.4rem;text-decoration:none}}</style>
</head><body><h1>{title}</h1>
{body}
</body></html>"#
        ))
}

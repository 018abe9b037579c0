//! Demo relying party: a complete "Masuk dengan Gapura" application in one file, the city's
//! quick-start for app developers. Copy it; the comments say what a real application changes.
//!
//! ```sh
//! cargo run --release -- serve --demo          # terminal 1: Gapura on http://127.0.0.1:8080, demo data
//! cargo run --release --example demo-rp        # terminal 2: this app on http://127.0.0.1:8081
//! ```
//!
//! Then open <http://127.0.0.1:8081/> and log in with a demo NIP and the password that terminal 1
//! printed. `serve --demo` registers this app as the public client `demo-rp` (src/demo.rs) with
//! - redirect URI `http://127.0.0.1:8081/callback`,
//! - post-logout redirect URI `http://127.0.0.1:8081/logged-out`,
//! - back-channel logout URI `http://127.0.0.1:8081/backchannel-logout`,
//! - the allowed scopes `openid profile email phone offline_access asn roles` (it asks for all
//!   but `offline_access`).
//!
//! Environment: `GAPURA_ISSUER` (default `http://127.0.0.1:8080`), `DEMO_CLIENT_ID` (`demo-rp`),
//! `DEMO_CLIENT_SECRET` (if set: a confidential client using `client_secret_basic`; else a public
//! client), `DEMO_URL` (`http://127.0.0.1:8081`: the three URIs above are this plus their path),
//! `DEMO_BIND` (`127.0.0.1:8081`).
//!
//! What it shows:
//! - login: authorization code + PKCE (S256), `state` (CSRF) and `nonce` (replay) checks, ID token
//!   verification, `at_hash` check, a `UserInfo` call, and every claim received explained;
//! - logout: RP-Initiated Logout 1.0 (`id_token_hint`, `post_logout_redirect_uri`, `state`);
//! - Back-Channel Logout 1.0: Gapura tells the app that a session ended (logout in another app,
//!   an administrator, expiry); the app verifies the logout token and ends its own session;
//! - errors in Bahasa Indonesia for the person, with the technical reason underneath.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    HttpClientError, IdToken, IdTokenClaims, IdTokenFields, IssuerUrl, LogoutRequest, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse, UserInfoClaims, reqwest, url::Url,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------------
// Gapura's claims and the openidconnect types that carry them
// ---------------------------------------------------------------------------------------------

/// The claims Gapura adds to the standard ones (see its discovery, `claims_supported`): `sid`
/// (the SSO session), the `asn` scope's employee data and the `roles` scope's roles in *this*
/// application. Each is present only when its scope was granted and the data exists.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct GapuraClaims {
    /// The SSO session at Gapura: keep it with the local session, a logout token names it.
    sid: Option<String>,
    /// NIP, 18 digits (`preferred_username` carries it too, as BKN's SSO does).
    nip: Option<String>,
    opd: Option<Opd>,
    unit_kerja: Option<String>,
    jabatan: Option<String>,
    jenis_jabatan: Option<String>,
    eselon: Option<String>,
    golongan: Option<String>,
    jenis_pegawai: Option<String>,
    kedudukan: Option<Kedudukan>,
    /// Only for applications an administrator allowed it (personal data).
    nik: Option<String>,
    roles: Option<Vec<Role>>,
    /// The same roles as `role@OPD` strings (`admin@*` = the whole city).
    roles_flat: Option<Vec<String>>,
    /// Any claim this example does not know yet: shown, never silently dropped.
    #[serde(flatten)]
    other: Map<String, Value>,
}
impl AdditionalClaims for GapuraClaims {}

/// The person's unit (perangkat daerah), with its place in the OPD tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Opd {
    code: String,
    name: String,
    path: String,
}

/// Employment state (`01` Aktif, `02` CLTN, ..., `99` Pensiun): not "Aktif" usually means no access.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kedudukan {
    code: String,
    name: String,
}

/// One role in this application, for a unit (`None`: the whole city) and its sub-units or not.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Role {
    role: String,
    opd: Option<String>,
    scope: String,
}

type GapuraIdToken = IdToken<
    GapuraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type GapuraIdTokenClaims = IdTokenClaims<GapuraClaims, CoreGenderClaim>;
type GapuraUserInfo = UserInfoClaims<GapuraClaims, CoreGenderClaim>;
type GapuraTokenResponse = StandardTokenResponse<
    IdTokenFields<
        GapuraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
/// `CoreClient` with Gapura's claims. The authorization endpoint is always known; the token and
/// `UserInfo` endpoints are optional in provider metadata, so calls using them return a `Result`.
type GapuraClient = Client<
    GapuraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    GapuraTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,      // authorization
    EndpointNotSet,   // device authorization (unused)
    EndpointNotSet,   // introspection (unused)
    EndpointNotSet,   // revocation (unused)
    EndpointMaybeSet, // token
    EndpointMaybeSet, // UserInfo
>;
type TokenError = RequestTokenError<
    HttpClientError<reqwest::Error>,
    StandardErrorResponse<CoreErrorResponseType>,
>;

/// The scopes this app asks for (`openid` is added by openidconnect).
const SCOPES: [&str; 5] = ["profile", "email", "phone", "asn", "roles"];

// ---------------------------------------------------------------------------------------------
// State: in memory, which is fine for a demo; a real app keeps it in its session store
// ---------------------------------------------------------------------------------------------

/// Cookie binding a login to the browser that started it (so nobody can plant their own login).
const STATE_COOKIE: &str = "demo_rp_state";
/// Cookie holding the local session id.
const SESSION_COOKIE: &str = "demo_rp_session";
/// Cookie holding the `state` of a logout sent to Gapura.
const LOGOUT_STATE_COOKIE: &str = "demo_rp_logout_state";
/// How long a started login may wait for its callback.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);
/// A local session lasts at most this long (Gapura's own SSO session lasts at most 10 h).
const SESSION_LIFETIME: i64 = 10 * 3600;
/// Clock difference tolerated between Gapura and this app, in seconds.
const CLOCK_SKEW: i64 = 60;
/// The event a back-channel logout token carries (Back-Channel Logout 1.0 §2.4).
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A login in progress, waiting for Gapura to redirect back to `/callback`.
struct PendingLogin {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    started: Instant,
}

/// The app's own session, created by a successful login.
struct LocalSession {
    /// Gapura's stable identifier of the person: the key for accounts in your database.
    sub: String,
    /// Gapura's SSO session, from the ID token: back-channel logout names it.
    sid: Option<String>,
    /// Sent back as `id_token_hint` at logout, so Gapura logs out without asking.
    id_token: GapuraIdToken,
    name: String,
    nip: Option<String>,
    opd: Option<String>,
    roles: Vec<String>,
    /// The claims as received, for the table.
    id_token_claims: Map<String, Value>,
    userinfo_claims: Map<String, Value>,
    started: i64,
    /// Set when a back-channel logout ended this session (Unix time).
    ended: Option<i64>,
}

/// A back-channel logout request received, for the page.
struct BackchannelEvent {
    at: i64,
    accepted: bool,
    /// What happened, in Bahasa Indonesia.
    summary: String,
    /// The token's `sid`/`sub`, or why it was refused.
    detail: String,
}

/// Gapura's public signing keys, for logout tokens.
struct KeyCache {
    keys: JwkSet,
    fetched: Instant,
}

struct AppState {
    client: GapuraClient,
    http: reqwest::Client,
    issuer: String,
    client_id: String,
    end_session: EndSessionUrl,
    jwks_uri: Url,
    /// This app's public URL, and the three URIs registered with Gapura.
    base_url: Url,
    post_logout_uri: Url,
    backchannel_uri: Url,
    /// `state` -> pending login.
    pending: Mutex<HashMap<String, PendingLogin>>,
    /// Session id (the cookie) -> session.
    sessions: Mutex<HashMap<String, LocalSession>>,
    keys: Mutex<KeyCache>,
    /// `jti` of logout tokens already used -> their `exp` (a token works once).
    seen_jti: Mutex<HashMap<String, i64>>,
    /// The last back-channel requests, newest first.
    events: Mutex<VecDeque<BackchannelEvent>>,
}

/// Locks a mutex; a panic elsewhere while holding it does not make the data unusable here.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Start-up: discovery, keys, routes
// ---------------------------------------------------------------------------------------------

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
    let base_url = Url::parse(&env_or("DEMO_URL", "http://127.0.0.1:8081"))
        .context("DEMO_URL is not a URL")?;
    let bind = env_or("DEMO_BIND", "127.0.0.1:8081");

    let http = reqwest::ClientBuilder::new()
        // Following redirects opens the client up to SSRF vulnerabilities.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?;

    // OIDC Discovery: endpoints, supported algorithms and the JWK Set come from the issuer;
    // `ProviderMetadataWithLogout` also reads `end_session_endpoint` (RP-Initiated Logout).
    let metadata =
        ProviderMetadataWithLogout::discover_async(IssuerUrl::new(issuer.clone())?, &http)
            .await
            .with_context(|| format!("OIDC discovery at {issuer} failed (is Gapura running?)"))?;
    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .context("Gapura's discovery has no end_session_endpoint")?;
    let jwks_uri = metadata.jwks_uri().url().clone();
    let keys = fetch_keys(&http, &jwks_uri).await?;

    // With a secret the client authenticates with client_secret_basic (the default auth type);
    // without one it is a public client and sends only its client_id, relying on PKCE.
    let client = GapuraClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.clone()),
        client_secret,
    )
    .set_redirect_uri(RedirectUrl::from_url(base_url.join("/callback")?));

    let state = web::Data::new(AppState {
        client,
        http,
        issuer,
        client_id,
        end_session,
        jwks_uri,
        post_logout_uri: base_url.join("/logged-out")?,
        backchannel_uri: base_url.join("/backchannel-logout")?,
        base_url,
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
        keys: Mutex::new(KeyCache {
            keys,
            fetched: Instant::now(),
        }),
        seen_jti: Mutex::new(HashMap::new()),
        events: Mutex::new(VecDeque::new()),
    });
    let public = state.base_url.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/", web::get().to(index))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
            .route("/logout", web::post().to(logout))
            .route("/logged-out", web::get().to(logged_out))
            .route("/backchannel-logout", web::post().to(backchannel_logout))
    })
    .bind(&bind)?;
    println!("Demo RP listening on {bind}: open {public} in a browser");
    server.run().await?;
    Ok(())
}

async fn fetch_keys(http: &reqwest::Client, jwks_uri: &Url) -> anyhow::Result<JwkSet> {
    http.get(jwks_uri.clone())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("fetching Gapura's keys from {jwks_uri}"))?
        .json()
        .await
        .with_context(|| format!("{jwks_uri} is not a JWK Set"))
}

// ---------------------------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct LoginQuery {
    /// `none`: ask Gapura for a login without any page (only works if the person is already
    /// logged in to Gapura, e.g. through another city application).
    prompt: Option<String>,
}

/// `GET /login`: remember the PKCE verifier and nonce under a fresh `state`, then send the
/// browser to Gapura's authorization endpoint.
async fn login(
    app: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    // The state cookie must come back with Gapura's redirect: start on the redirect URI's host
    // (`localhost` and `127.0.0.1` are different sites for cookies).
    if req.connection_info().host() != host_and_port(&app.base_url) {
        let mut here = app.base_url.clone();
        here.set_path("/login");
        here.set_query(Some(req.query_string()).filter(|q| !q.is_empty()));
        return see_other(here.as_str());
    }
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = app
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(SCOPES.map(|s| Scope::new(s.to_owned())))
        .set_pkce_challenge(challenge);
    if query.prompt.as_deref() == Some("none") {
        request = request.add_prompt(CoreAuthPrompt::None);
    }
    let (url, csrf, nonce) = request.url();

    let mut pending = lock(&app.pending);
    pending.retain(|_, p| p.started.elapsed() < LOGIN_TIMEOUT); // forget abandoned logins
    pending.insert(
        csrf.secret().clone(),
        PendingLogin {
            verifier,
            nonce,
            started: Instant::now(),
        },
    );

    // HttpOnly and SameSite=Lax (sent on Gapura's top-level redirect back); Secure on https.
    let cookie = app.cookie(STATE_COOKIE, csrf.secret().clone());
    let mut response = see_other(url.as_str());
    let _ = response.add_cookie(&cookie);
    response
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

/// `GET /callback`: finish the login, start a local session and go to the home page; or show
/// what went wrong.
async fn callback(
    app: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Callback>,
) -> HttpResponse {
    let mut response = match finish_login(&app, &req, query.into_inner()).await {
        Ok(session_id) => {
            // Redirect, so reloading the page does not send the (single-use) code again.
            let mut r = see_other("/");
            let _ = r.add_cookie(&app.cookie(SESSION_COOKIE, session_id));
            r
        }
        Err(failure) => {
            eprintln!("demo-rp: login failed: {}", failure.detail);
            failure.page("Gagal masuk")
        }
    };
    let _ = response.add_cookie(&removal(STATE_COOKIE)); // the state is single-use
    response
}

async fn finish_login(app: &AppState, req: &HttpRequest, cb: Callback) -> Result<String, Failure> {
    // 1. Gapura reports refusals and errors on the redirect URI (e.g. `access_denied`).
    if let Some(error) = cb.error {
        let detail = format!(
            "Gapura returned `{error}`: {}",
            cb.error_description
                .as_deref()
                .unwrap_or("(no description)")
        );
        return Err(Failure::new(provider_error_message(&error), detail));
    }
    // 2. The state must be this browser's, and belong to a login we started (CSRF defence).
    let state = cb
        .state
        .ok_or_else(|| Failure::new(MSG_BAD_RESPONSE, "the response has no `state`"))?;
    let cookie = req.cookie(STATE_COOKIE).ok_or_else(|| {
        Failure::new(
            MSG_NO_STATE_COOKIE,
            "no state cookie: the login was started in another browser or on another host name",
        )
    })?;
    if cookie.value() != state {
        return Err(Failure::new(
            MSG_STATE_MISMATCH,
            "`state` does not match this browser's state cookie",
        ));
    }
    let pending = lock(&app.pending)
        .remove(&state)
        .filter(|p| p.started.elapsed() < LOGIN_TIMEOUT)
        .ok_or_else(|| {
            Failure::new(
                MSG_LOGIN_EXPIRED,
                "unknown or expired `state` (already used?)",
            )
        })?;
    // 3. RFC 9207: `iss` names the provider that sent the response (mix-up defence).
    if let Some(iss) = cb.iss.filter(|iss| *iss != app.issuer) {
        return Err(Failure::new(
            MSG_WRONG_ISSUER,
            format!("the response comes from `{iss}`, expected `{}`", app.issuer),
        ));
    }

    // 4. Exchange the code at the token endpoint, proving possession of the PKCE verifier.
    let code = AuthorizationCode::new(
        cb.code
            .ok_or_else(|| Failure::new(MSG_BAD_RESPONSE, "the response has no `code`"))?,
    );
    let token = app
        .client
        .exchange_code(code)
        .map_err(|e| Failure::new(MSG_CONFIG, format!("{e:#}")))?
        .set_pkce_verifier(pending.verifier)
        .request_async(&app.http)
        .await
        .map_err(token_failure)?;

    // 5. Verify the ID token: signature (against the JWK Set), iss, aud, exp, iat and our nonce.
    let id_token = token
        .id_token()
        .ok_or_else(|| Failure::new(MSG_BAD_RESPONSE, "Gapura returned no ID token"))?;
    let verifier = app.client.id_token_verifier();
    let claims: &GapuraIdTokenClaims = id_token
        .claims(&verifier, &pending.nonce)
        .map_err(|e| Failure::new(MSG_TOKEN_INVALID, format!("ID token rejected: {e}")))?;

    // 6. `at_hash` binds the access token to this ID token (no swapped-in tokens).
    if let Some(expected) = claims.access_token_hash() {
        let invalid =
            |e: &dyn std::fmt::Display| Failure::new(MSG_TOKEN_INVALID, format!("at_hash: {e}"));
        let alg = id_token.signing_alg().map_err(|e| invalid(&e))?;
        let key = id_token.signing_key(&verifier).map_err(|e| invalid(&e))?;
        let actual =
            AccessTokenHash::from_token(token.access_token(), alg, key).map_err(|e| invalid(&e))?;
        if actual != *expected {
            return Err(Failure::new(
                MSG_TOKEN_INVALID,
                "`at_hash` does not match the access token",
            ));
        }
    }

    // 7. UserInfo with the access token; openidconnect checks its `sub` equals the ID token's.
    let userinfo: GapuraUserInfo = app
        .client
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
        .map_err(|e| Failure::new(MSG_CONFIG, format!("{e:#}")))?
        .request_async(&app.http)
        .await
        .map_err(|e| {
            let detail = format!("UserInfo request failed: {:#}", anyhow::Error::new(e));
            Failure::new(MSG_USERINFO, detail)
        })?;

    // 8. The local session. Reading claims: standard ones through openidconnect's accessors,
    //    Gapura's through `additional_claims()`.
    let extra = claims.additional_claims();
    let name = userinfo
        .name()
        .or(claims.name())
        .and_then(|n| n.get(None))
        .map_or_else(|| claims.subject().to_string(), |n| n.to_string());
    let session = LocalSession {
        sub: claims.subject().to_string(),
        sid: extra.sid.clone(),
        id_token: id_token.clone(),
        name,
        nip: extra.nip.clone(),
        opd: extra.opd.as_ref().map(|o| o.name.clone()),
        roles: extra.roles_flat.clone().unwrap_or_default(),
        id_token_claims: claims_map(claims),
        userinfo_claims: claims_map(&userinfo),
        started: now(),
        ended: None,
    };
    let id = CsrfToken::new_random().secret().clone(); // 128 random bits, like any session id
    let mut sessions = lock(&app.sessions);
    sessions.retain(|_, s| now() - s.started < SESSION_LIFETIME);
    sessions.insert(id.clone(), session);
    Ok(id)
}

/// The claims as a JSON object, without the members that are absent (`null`).
fn claims_map(claims: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(claims) {
        Ok(Value::Object(members)) => members.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Logout (RP-Initiated Logout 1.0)
// ---------------------------------------------------------------------------------------------

/// `POST /logout` (the button; a POST, so another site cannot log people out with a link or
/// an image): end the local session, then let Gapura end the SSO session and come back.
async fn logout(app: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let session = req
        .cookie(SESSION_COOKIE)
        .and_then(|c| lock(&app.sessions).remove(c.value()));
    let mut response = match session {
        // Already ended by a back-channel logout, or no session: nothing to end at Gapura.
        None | Some(LocalSession { ended: Some(_), .. }) => see_other("/"),
        Some(s) => {
            // `id_token_hint` proves which session asks, so Gapura logs out without a
            // confirmation page; it returns to `post_logout_redirect_uri` (registered exactly)
            // with our `state`.
            let state = CsrfToken::new_random();
            let url = LogoutRequest::from(app.end_session.clone())
                .set_id_token_hint(&s.id_token)
                .set_post_logout_redirect_uri(PostLogoutRedirectUrl::from_url(
                    app.post_logout_uri.clone(),
                ))
                .set_state(state.clone())
                .http_get_url();
            let mut r = see_other(url.as_str());
            let _ = r.add_cookie(&app.cookie(LOGOUT_STATE_COOKIE, state.secret().clone()));
            r
        }
    };
    let _ = response.add_cookie(&removal(SESSION_COOKIE));
    response
}

#[derive(Deserialize)]
struct LoggedOutQuery {
    state: Option<String>,
}

/// `GET /logged-out`: where Gapura sends the browser back after logout.
async fn logged_out(
    app: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LoggedOutQuery>,
) -> HttpResponse {
    let expected = req.cookie(LOGOUT_STATE_COOKIE);
    match (query.into_inner().state, expected) {
        (Some(got), Some(cookie)) if got == cookie.value() => {
            let body = format!(
                r#"<div class="card"><h1>Anda sudah keluar</h1>
<p class="lead">Sesi Anda di aplikasi ini dan sesi SSO di Gapura sudah diakhiri.</p>
<p>Aplikasi kota lain yang ikut dalam sesi yang sama diberi tahu oleh Gapura (logout
back-channel), jadi Anda juga keluar dari aplikasi-aplikasi itu.</p>
<p><a class="button" href="/login">Masuk lagi</a></p>
<p class="small muted">Gapura kembali ke <code>{}</code> dengan <code>state</code> yang sama
dengan yang dikirim aplikasi ini: halaman ini memang akhir dari proses keluar yang dimulai di
sini.</p></div>"#,
                escape(app.post_logout_uri.as_str())
            );
            page(StatusCode::OK, "Anda sudah keluar", "", &body)
        }
        (got, expected) => {
            let detail = match (got, expected) {
                (None, _) => "no `state` in the URL".to_owned(),
                (Some(_), None) => "no logout state cookie in this browser".to_owned(),
                (Some(_), Some(_)) => "`state` does not match this browser's logout".to_owned(),
            };
            eprintln!("demo-rp: logged-out page: {detail}");
            Failure {
                status: StatusCode::OK,
                message: MSG_LOGOUT_STATE,
                detail,
            }
            .page("Status keluar tidak dapat dipastikan")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Back-Channel Logout 1.0
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct BackchannelForm {
    logout_token: String,
}

/// The claims of a logout token (§2.4). `iss`, `aud` and `exp` are checked by jsonwebtoken.
#[derive(Deserialize)]
struct LogoutClaims {
    iat: i64,
    exp: i64,
    jti: String,
    events: Map<String, Value>,
    sub: Option<String>,
    sid: Option<String>,
    /// Must be absent: a token with a nonce is an ID token, not a logout token.
    nonce: Option<Value>,
}

/// `POST /backchannel-logout`: Gapura, server to server, says that a session ended. The request
/// carries no cookie: its only proof is the signed logout token. 200 when done (also when no
/// session matched), 400 with an OAuth error when the token is not valid (§2.8).
async fn backchannel_logout(
    app: web::Data<AppState>,
    form: Result<web::Form<BackchannelForm>, actix_web::Error>,
) -> HttpResponse {
    let verified = match form {
        Ok(form) => verify_logout_token(&app, &form.logout_token).await,
        Err(e) => Err(format!("the body has no `logout_token` form field: {e}")),
    };
    let event = match &verified {
        Ok(claims) => {
            let ended = end_sessions(&app, claims.sid.as_deref(), claims.sub.as_deref());
            let summary = match ended {
                0 => "Diterima; tidak ada sesi aktif yang cocok di aplikasi ini (misalnya sudah \
                      keluar di sini)."
                    .to_owned(),
                n => format!("Diterima; {n} sesi di aplikasi ini diakhiri."),
            };
            let detail = [("sid", &claims.sid), ("sub", &claims.sub)]
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
                .collect::<Vec<_>>()
                .join(", ");
            BackchannelEvent {
                at: now(),
                accepted: true,
                summary,
                detail,
            }
        }
        Err(reason) => BackchannelEvent {
            at: now(),
            accepted: false,
            summary: "Ditolak (HTTP 400): logout token tidak sah.".to_owned(),
            detail: reason.clone(),
        },
    };
    println!(
        "demo-rp: back-channel logout: {} {}",
        event.summary, event.detail
    );
    let mut events = lock(&app.events);
    events.push_front(event);
    events.truncate(10);
    drop(events);

    let mut response = match verified {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(reason) => HttpResponse::BadRequest().json(serde_json::json!({
            "error": "invalid_request",
            "error_description": reason,
        })),
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Validates a logout token as Back-Channel Logout 1.0 §2.6 says.
async fn verify_logout_token(app: &AppState, token: &str) -> Result<LogoutClaims, String> {
    // 1. The header: explicitly typed as a logout token (so no other token of Gapura's can be
    //    replayed here) and signed with one of the asymmetric algorithms Gapura uses.
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("not a JWT: {e}"))?;
    let typ = header.typ.as_deref().unwrap_or("(none)");
    if !["logout+jwt", "application/logout+jwt"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(typ))
    {
        return Err(format!("header `typ` is `{typ}`, expected `logout+jwt`"));
    }
    if !matches!(
        header.alg,
        Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA
    ) {
        return Err(format!("algorithm {:?} is not accepted", header.alg));
    }
    // 2. The signature, with Gapura's key named by `kid`; then `iss`, `aud` and `exp`.
    let kid = header.kid.as_deref().ok_or("the header has no `kid`")?;
    let key = signing_key(app, kid, header.alg).await?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&app.issuer]);
    validation.set_audience(&[&app.client_id]);
    validation.set_required_spec_claims(&["iss", "aud", "exp"]);
    validation.leeway = CLOCK_SKEW.unsigned_abs();
    let claims = jsonwebtoken::decode::<LogoutClaims>(token, &key, &validation)
        .map_err(|e| format!("token rejected: {e}"))?
        .claims;
    // 3. The rest of §2.6: `iat` not in the future, the logout event, no `nonce`, a `sid` or a
    //    `sub` to act on, and each token used once (`jti`).
    if claims.iat > now() + CLOCK_SKEW {
        return Err("`iat` is in the future".into());
    }
    if !claims
        .events
        .get(BACKCHANNEL_EVENT)
        .is_some_and(Value::is_object)
    {
        return Err(format!("`events` has no `{BACKCHANNEL_EVENT}` member"));
    }
    if claims.nonce.is_some() {
        return Err("a logout token must not contain `nonce`".into());
    }
    if claims.sid.is_none() && claims.sub.is_none() {
        return Err("the token names neither `sid` nor `sub`".into());
    }
    let mut seen = lock(&app.seen_jti);
    seen.retain(|_, exp| *exp + CLOCK_SKEW > now());
    if seen.insert(claims.jti.clone(), claims.exp).is_some() {
        return Err(format!("`jti` {} was already used", claims.jti));
    }
    Ok(claims)
}

/// Gapura's public key `kid`, for `alg`. An unknown `kid` may be a key Gapura rotated in since
/// start-up: the JWK Set is fetched again, at most every 30 seconds.
async fn signing_key(app: &AppState, kid: &str, alg: Algorithm) -> Result<DecodingKey, String> {
    let find = |keys: &JwkSet| {
        keys.find(kid).map(|jwk| {
            // A key that names its algorithm is used for that algorithm only.
            if let Some(key_alg) = jwk.common.key_algorithm.as_ref()
                && key_alg.to_string() != format!("{alg:?}")
            {
                return Err(format!(
                    "key {kid} is for {key_alg}, the token says {alg:?}"
                ));
            }
            DecodingKey::from_jwk(jwk).map_err(|e| format!("key {kid}: {e}"))
        })
    };
    let refresh = {
        let cache = lock(&app.keys);
        if let Some(found) = find(&cache.keys) {
            return found;
        }
        cache.fetched.elapsed() > Duration::from_secs(30)
    };
    if refresh {
        let keys = fetch_keys(&app.http, &app.jwks_uri)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let mut cache = lock(&app.keys);
        *cache = KeyCache {
            keys,
            fetched: Instant::now(),
        };
        if let Some(found) = find(&cache.keys) {
            return found;
        }
    }
    Err(format!("no key `{kid}` in Gapura's JWK Set"))
}

/// Ends the local sessions of Gapura session `sid` (and, if given, of person `sub`); with only
/// `sub`, every session of that person. Returns how many ended.
fn end_sessions(app: &AppState, sid: Option<&str>, sub: Option<&str>) -> usize {
    let at = now();
    let mut ended = 0;
    for session in lock(&app.sessions).values_mut() {
        let matches = match (sid, sub) {
            (Some(sid), sub) => {
                session.sid.as_deref() == Some(sid) && sub.is_none_or(|sub| session.sub == sub)
            }
            (None, Some(sub)) => session.sub == sub,
            (None, None) => false,
        };
        if matches && session.ended.is_none() {
            // Kept (marked) until the browser comes back, so the page can say what happened.
            session.ended = Some(at);
            ended += 1;
        }
    }
    ended
}

// ---------------------------------------------------------------------------------------------
// Errors, in Bahasa Indonesia for the person, with the technical reason for the developer
// ---------------------------------------------------------------------------------------------

const MSG_ACCESS_DENIED: &str = "Anda tidak memberikan persetujuan, atau membatalkan proses \
masuk. Aplikasi ini tidak menerima data Anda.";
const MSG_LOGIN_REQUIRED: &str = "Anda belum masuk di Gapura, jadi masuk otomatis tidak bisa \
dilakukan. Silakan masuk dengan NIP dan kata sandi.";
const MSG_CONSENT_REQUIRED: &str = "Aplikasi ini memerlukan persetujuan Anda di Gapura sebelum \
menerima data Anda. Silakan masuk dengan cara biasa.";
const MSG_INTERACTION_REQUIRED: &str = "Gapura memerlukan tindakan Anda (misalnya verifikasi \
tambahan) sebelum Anda bisa masuk. Silakan masuk dengan cara biasa.";
const MSG_BAD_REQUEST: &str = "Permintaan masuk dari aplikasi ini ditolak Gapura karena \
konfigurasinya salah. Hubungi pengembang aplikasi.";
const MSG_GAPURA_DOWN: &str = "Gapura sedang mengalami gangguan. Silakan coba lagi beberapa \
saat lagi.";
const MSG_REFUSED: &str = "Gapura menolak permintaan masuk ini.";
const MSG_STATE_MISMATCH: &str = "Respons masuk ini bukan milik proses masuk yang dimulai di \
peramban ini (state tidak cocok). Demi keamanan, proses dihentikan. Jangan membuka tautan \
masuk yang dikirim orang lain; mulai masuk dari aplikasi ini.";
const MSG_NO_STATE_COOKIE: &str = "Peramban tidak mengirim cookie proses masuk. Mungkin proses \
dimulai di peramban atau alamat lain (misalnya localhost dan 127.0.0.1), atau cookie \
diblokir. Silakan mulai masuk lagi.";
const MSG_LOGIN_EXPIRED: &str = "Proses masuk ini sudah kedaluwarsa atau sudah selesai \
sebelumnya (misalnya halaman dimuat ulang). Silakan mulai masuk lagi.";
const MSG_WRONG_ISSUER: &str = "Respons masuk datang dari penyedia identitas yang tidak \
dikenal. Demi keamanan, proses dihentikan.";
const MSG_CODE_REJECTED: &str = "Kode masuk sudah kedaluwarsa atau sudah dipakai (kode hanya \
berlaku sekali dan sebentar). Silakan masuk lagi.";
const MSG_CLIENT_REJECTED: &str = "Gapura tidak mengenali aplikasi ini atau pengaturannya \
salah. Hubungi pengembang aplikasi.";
const MSG_GAPURA_UNREACHABLE: &str = "Gapura tidak dapat dihubungi. Silakan coba lagi beberapa \
saat lagi.";
const MSG_BAD_RESPONSE: &str = "Jawaban dari Gapura tidak lengkap atau tidak dapat dibaca. \
Silakan coba lagi; jika terulang, hubungi pengembang aplikasi.";
const MSG_TOKEN_INVALID: &str = "Token dari Gapura tidak lolos pemeriksaan keamanan, sehingga \
proses masuk ditolak. Hubungi pengembang aplikasi.";
const MSG_USERINFO: &str = "Data Anda tidak dapat diambil dari Gapura. Silakan coba lagi.";
const MSG_CONFIG: &str = "Pengaturan aplikasi ini tidak lengkap. Hubungi pengembang aplikasi.";
const MSG_LOGOUT_STATE: &str = "Halaman ini tidak dibuka sebagai akhir dari proses keluar yang \
dimulai di aplikasi ini (state tidak cocok), jadi aplikasi tidak dapat memastikan bahwa Anda \
sudah keluar dari Gapura. Sesi di aplikasi ini sendiri sudah berakhir saat Anda menekan \
Keluar.";

/// What the person reads for an `error` on the redirect URI (OIDC Core §3.1.2.6, RFC 6749 §4.1.2.1).
fn provider_error_message(code: &str) -> &'static str {
    match code {
        "access_denied" => MSG_ACCESS_DENIED,
        "login_required" => MSG_LOGIN_REQUIRED,
        "consent_required" => MSG_CONSENT_REQUIRED,
        "interaction_required" | "account_selection_required" => MSG_INTERACTION_REQUIRED,
        "invalid_request"
        | "invalid_scope"
        | "unauthorized_client"
        | "unsupported_response_type"
        | "request_not_supported"
        | "request_uri_not_supported" => MSG_BAD_REQUEST,
        "server_error" | "temporarily_unavailable" => MSG_GAPURA_DOWN,
        _ => MSG_REFUSED,
    }
}

/// What the person reads when the token request fails.
fn token_failure(e: TokenError) -> Failure {
    let message = match &e {
        RequestTokenError::ServerResponse(r) => match r.error() {
            CoreErrorResponseType::InvalidGrant => MSG_CODE_REJECTED,
            CoreErrorResponseType::InvalidClient | CoreErrorResponseType::UnauthorizedClient => {
                MSG_CLIENT_REJECTED
            }
            _ => MSG_REFUSED,
        },
        RequestTokenError::Request(_) => MSG_GAPURA_UNREACHABLE,
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => MSG_BAD_RESPONSE,
    };
    // `{:#}` prints the whole chain, e.g. "...: invalid_grant: code has expired".
    Failure::new(
        message,
        format!("token request failed: {:#}", anyhow::Error::new(e)),
    )
}

/// A failure shown to the person: the message, then the technical detail.
struct Failure {
    status: StatusCode,
    message: &'static str,
    detail: String,
}

impl Failure {
    fn new(message: &'static str, detail: impl Into<String>) -> Self {
        Failure {
            status: StatusCode::BAD_REQUEST,
            message,
            detail: detail.into(),
        }
    }

    fn page(&self, title: &str) -> HttpResponse {
        let body = format!(
            r#"<div class="card"><h1>{title}</h1>
<p class="problem">{message}</p>
<p class="actions"><a class="button" href="/login">Coba masuk lagi</a>
<a class="button secondary" href="/">Ke beranda</a></p>
<div class="technical"><p class="small muted">Detail teknis (untuk pengembang aplikasi):</p>
<pre>{detail}</pre></div></div>"#,
            title = escape(title),
            message = escape(self.message),
            detail = escape(&self.detail)
        );
        page(self.status, title, "", &body)
    }
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

/// `GET /`: the person's session and claims, or the login button.
async fn index(app: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let id = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let mut sessions = lock(&app.sessions);
    let live = id
        .as_deref()
        .and_then(|id| sessions.get(id))
        .filter(|s| s.ended.is_none());
    if let Some(s) = live {
        let (header_right, main) = (logout_button(&s.name), home_logged_in(&app, s));
        drop(sessions);
        let body = format!("{main}\n{}", backchannel_card(&app));
        return page(StatusCode::OK, "Beranda", &header_right, &body);
    }
    // Not logged in. A session that a back-channel logout ended is shown once, then forgotten;
    // so is an unknown cookie (e.g. after a restart of this app).
    let ended = id
        .as_deref()
        .and_then(|id| sessions.remove(id))
        .and_then(|s| s.ended);
    drop(sessions);
    let notice = ended.map_or_else(String::new, |at| {
        format!(
            r#"<div class="notice"><strong>Sesi Anda di aplikasi ini sudah diakhiri oleh
Gapura</strong> {} melalui logout back-channel: Anda keluar dari Gapura (di aplikasi lain atau
di halaman Gapura), atau sesi Anda diakhiri administrator atau kedaluwarsa.</div>"#,
            clock(at)
        )
    });
    let body = format!(
        "{}\n{}",
        home_anonymous(&app, &notice),
        backchannel_card(&app)
    );
    let mut response = page(StatusCode::OK, "Beranda", "", &body);
    if id.is_some() {
        let _ = response.add_cookie(&removal(SESSION_COOKIE));
    }
    response
}

fn logout_button(name: &str) -> String {
    format!(
        r#"<span class="who">{}</span>
<form method="post" action="/logout"><button class="button secondary" type="submit">Keluar</button></form>"#,
        escape(name)
    )
}

fn home_anonymous(app: &AppState, notice: &str) -> String {
    format!(
        r#"{notice}
<div class="card">
<h1>Contoh aplikasi “Masuk dengan Gapura”</h1>
<p>Aplikasi kecil ini menunjukkan cara sebuah aplikasi Pemerintah Kota memakai Gapura untuk
masuk (single sign-on): satu akun ASN untuk semua aplikasi kota.</p>
<p><a class="button" href="/login">Masuk dengan Gapura</a></p>
<p class="small muted">Sudah masuk di aplikasi kota lain?
<a href="/login?prompt=none">Coba masuk otomatis</a> (<code>prompt=none</code>: tanpa halaman
Gapura; jika belum masuk, Gapura menjawab <code>login_required</code>).</p>
</div>
<div class="card">
<h2>Yang diminta aplikasi ini</h2>
<p>Scope <code>openid {scopes}</code>: identitas, profil, email, telepon, data kepegawaian
(<code>asn</code>) dan peran di aplikasi ini (<code>roles</code>). Setelah masuk, halaman ini
menampilkan setiap klaim yang diterima beserta artinya.</p>
<p class="small muted">Terdaftar di Gapura sebagai <code>{client_id}</code>, penerbit
<code>{issuer}</code>.</p>
</div>"#,
        scopes = SCOPES.join(" "),
        client_id = escape(&app.client_id),
        issuer = escape(&app.issuer),
    )
}

fn home_logged_in(app: &AppState, s: &LocalSession) -> String {
    let mut facts = Vec::new();
    if let Some(nip) = &s.nip {
        facts.push(format!("NIP <strong>{}</strong>", escape(nip)));
    }
    if let Some(opd) = &s.opd {
        facts.push(escape(opd));
    }
    let roles = if s.roles.is_empty() {
        "Anda belum mempunyai peran di aplikasi ini.".to_owned()
    } else {
        format!(
            "Peran Anda di aplikasi ini: {}.",
            s.roles
                .iter()
                .map(|r| format!("<code>{}</code>", escape(r)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let sid = s.sid.as_deref().map_or_else(
        || "tanpa <code>sid</code>".to_owned(),
        |sid| format!("<code>sid</code> <code>{}</code>", escape(sid)),
    );
    format!(
        r#"<div class="card">
<h1>Selamat datang, {name}</h1>
<p class="lead">{facts}</p>
<p>{roles}</p>
<p class="small muted">Sesi aplikasi ini dimulai {started}, terikat pada sesi SSO Gapura
{sid}. <strong>Keluar</strong> mengakhiri sesi ini dan sesi Gapura (RP-Initiated Logout dengan
<code>id_token_hint</code>), lalu Gapura mengembalikan Anda ke <code>{post_logout}</code>.</p>
</div>
<div class="card">
<h2>Klaim yang diterima</h2>
<p class="small muted">Dari ID token (diverifikasi: tanda tangan, <code>iss</code>,
<code>aud</code>, <code>exp</code>, <code>nonce</code>, <code>at_hash</code>) dan dari
<code>UserInfo</code>. Kunci akun di basis data Anda adalah <code>sub</code>, bukan nama, email
atau NIP.</p>
{table}
</div>"#,
        name = escape(&s.name),
        facts = facts.join(" · "),
        started = clock(s.started),
        post_logout = escape(app.post_logout_uri.as_str()),
        table = claims_table(&s.id_token_claims, &s.userinfo_claims),
    )
}

fn backchannel_card(app: &AppState) -> String {
    let events = lock(&app.events);
    let list = if events.is_empty() {
        "<p class=\"small muted\">Belum ada permintaan logout back-channel.</p>".to_owned()
    } else {
        let items: String = events
            .iter()
            .map(|e| {
                format!(
                    "<li class=\"{}\"><span class=\"when\">{}</span>{}<code>{}</code></li>\n",
                    if e.accepted { "ok" } else { "refused" },
                    clock(e.at),
                    escape(&e.summary),
                    escape(&e.detail)
                )
            })
            .collect();
        format!("<ul class=\"events\">\n{items}</ul>")
    };
    format!(
        r#"<div class="card">
<h2>Logout back-channel</h2>
<p>Gapura memberi tahu aplikasi ini, langsung dari server ke server, setiap kali sesi SSO
berakhir: Anda keluar di aplikasi lain atau di Gapura, administrator mengakhiri sesi
(<code>gapura user logout NIP</code>), atau sesi kedaluwarsa. Aplikasi memverifikasi logout
token (tanda tangan, <code>iss</code>, <code>aud</code>, <code>iat</code>, <code>events</code>,
<code>typ: logout+jwt</code>, tanpa <code>nonce</code>) lalu mengakhiri sesi lokal dengan
<code>sid</code>/<code>sub</code> yang sama.</p>
<p>Coba: setelah masuk di sini, buka <a href="{issuer}/" target="_blank">halaman Gapura</a>
di tab lain, tekan Keluar di sana, lalu muat ulang halaman ini.</p>
<p class="small muted">Alamat: <code>POST {uri}</code></p>
{list}
</div>"#,
        uri = escape(app.backchannel_uri.as_str()),
        issuer = escape(&app.issuer),
    )
}

/// What each claim means, in the order the table shows them: name, the scope that brings it,
/// explanation.
#[rustfmt::skip]
const CLAIM_GUIDE: &[(&str, &str, &str)] = &[
    ("sub", "openid", "Pengenal tetap orang ini di Gapura. Jadikan kunci akun di aplikasi Anda."),
    ("iss", "openid", "Penerbit token: alamat Gapura. Harus sama dengan issuer yang dikonfigurasi."),
    ("aud", "openid", "Penerima token: client_id aplikasi ini. Token untuk aplikasi lain ditolak."),
    ("azp", "openid", "Aplikasi yang meminta token (authorized party)."),
    ("iat", "openid", "Waktu ID token diterbitkan."),
    ("exp", "openid", "Batas berlaku ID token; sesudahnya token tidak boleh diterima lagi."),
    ("auth_time", "openid", "Waktu orang ini terakhir benar-benar membuktikan identitasnya di Gapura."),
    ("nonce", "openid", "Nilai acak dari aplikasi ini saat mulai masuk; dicocokkan agar token lama tidak bisa diputar ulang."),
    ("acr", "openid", "Tingkat autentikasi: urn:gapura:acr:pwd = kata sandi, …:mfa = dengan faktor kedua, …:cert = sertifikat elektronik."),
    ("amr", "openid", "Cara membuktikan identitas (RFC 8176): pwd = kata sandi, otp = kode verifikasi, hwk/swk = passkey atau kunci keamanan, mfa = lebih dari satu faktor."),
    ("sid", "openid", "Pengenal sesi SSO di Gapura. Simpan bersama sesi lokal: logout back-channel menyebut sid ini."),
    ("at_hash", "openid", "Sidik access token: memastikan access token dan ID token berasal dari jawaban yang sama."),
    ("name", "profile", "Nama lengkap untuk ditampilkan, dengan gelar."),
    ("given_name", "profile", "Nama depan."),
    ("family_name", "profile", "Nama belakang."),
    ("preferred_username", "profile", "NIP, seperti pada SSO BKN (SIASN/MyASN), sehingga aplikasi yang membacanya dari sana bekerja tanpa perubahan."),
    ("updated_at", "profile", "Waktu data profil terakhir berubah."),
    ("email", "email", "Alamat email (biasanya @kotabogor.go.id)."),
    ("email_verified", "email", "true jika Gapura sudah memastikan email ini milik orang tersebut."),
    ("phone_number", "phone", "Nomor telepon."),
    ("phone_number_verified", "phone", "true jika nomor telepon sudah diverifikasi."),
    ("nip", "asn", "Nomor Induk Pegawai (18 digit)."),
    ("opd", "asn", "Perangkat daerah tempat orang ini bekerja: kode, nama dan jalurnya di pohon OPD."),
    ("unit_kerja", "asn", "Unit kerja."),
    ("jabatan", "asn", "Nama jabatan."),
    ("jenis_jabatan", "asn", "Struktural, Fungsional Tertentu, Fungsional Umum (pelaksana) ..."),
    ("eselon", "asn", "Eselon jabatan struktural (II = JPT Pratama, III = Administrator, IV = Pengawas)."),
    ("golongan", "asn", "Golongan/ruang, misalnya III/b (PPPK: golongan I–XVII)."),
    ("jenis_pegawai", "asn", "PNS, CPNS atau PPPK."),
    ("kedudukan", "asn", "Kedudukan kepegawaian (01 Aktif, 02 CLTN, 99 Pensiun ...). Selain Aktif, batasi akses."),
    ("nik", "nik", "NIK: data pribadi, hanya untuk aplikasi yang diizinkan administrator."),
    ("roles", "roles", "Peran orang ini di aplikasi ini, per OPD; scope subtree = OPD itu dan unit di bawahnya."),
    ("roles_flat", "roles", "Peran yang sama sebagai teks peran@OPD (admin@* = seluruh kota), untuk aplikasi yang hanya membaca daftar teks."),
];

/// One table of every claim received, from the ID token and from `UserInfo`, with its meaning.
fn claims_table(id_token: &Map<String, Value>, userinfo: &Map<String, Value>) -> String {
    let known = CLAIM_GUIDE.iter().map(|(n, s, w)| (*n, *s, *w));
    let others: Vec<&String> = id_token
        .keys()
        .chain(userinfo.keys().filter(|k| !id_token.contains_key(*k)))
        .filter(|k| !CLAIM_GUIDE.iter().any(|(n, ..)| n == k))
        .collect();
    let unknown = others.iter().map(|n| {
        (
            n.as_str(),
            "",
            "Klaim lain yang belum dijelaskan di contoh ini.",
        )
    });
    let mut rows = String::new();
    for (name, scope, why) in known.chain(unknown) {
        let (from_id, from_ui) = (id_token.get(name), userinfo.get(name));
        let value = match (from_id, from_ui) {
            (None, None) => continue,
            (Some(v), None) => format!("{}<div class=\"src\">ID token</div>", show(name, v)),
            (None, Some(v)) => format!("{}<div class=\"src\">UserInfo</div>", show(name, v)),
            (Some(a), Some(b)) if a == b => format!(
                "{}<div class=\"src\">ID token · UserInfo</div>",
                show(name, a)
            ),
            (Some(a), Some(b)) => format!(
                "{}<div class=\"src\">ID token</div>{}<div class=\"src\">UserInfo</div>",
                show(name, a),
                show(name, b)
            ),
        };
        let scope = if scope.is_empty() {
            String::new()
        } else {
            format!(" <span class=\"scope\">{scope}</span>")
        };
        rows.push_str(&format!(
            "<tr><th scope=\"row\"><code>{}</code>{scope}</th><td class=\"value\">{value}</td><td class=\"why\">{}</td></tr>\n",
            escape(name),
            escape(why)
        ));
    }
    format!(
        "<table class=\"claims\">\n<thead><tr><th>Klaim</th><th>Nilai</th><th>Artinya</th></tr></thead>\n<tbody>\n{rows}</tbody></table>"
    )
}

/// A claim value as HTML: text as text, times with their meaning, the rest as compact JSON.
fn show(name: &str, value: &Value) -> String {
    match value {
        Value::String(s) => escape(s),
        Value::Number(n) if ["iat", "exp", "auth_time", "updated_at"].contains(&name) => {
            let t = n.as_i64().unwrap_or_default();
            format!("{t}<div class=\"when\">{}, {}</div>", clock(t), relative(t))
        }
        Value::Array(items) if items.iter().all(Value::is_string) => escape(
            &items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        other => {
            let json = serde_json::to_string_pretty(other).unwrap_or_else(|_| other.to_string());
            format!("<pre class=\"json\">{}</pre>", escape(&json))
        }
    }
}

/// A time of day in Bogor (WIB, UTC+7), e.g. `14:05:09 WIB`.
fn clock(unix: i64) -> String {
    let s = (unix + 7 * 3600).rem_euclid(86_400);
    format!("pukul {:02}:{:02}:{:02} WIB", s / 3600, s / 60 % 60, s % 60)
}

/// How long ago or from now, e.g. `3 menit lalu`, `dalam 5 menit`.
fn relative(unix: i64) -> String {
    let d = unix - now();
    let n = d.unsigned_abs();
    let amount = match n {
        0..60 => return "baru saja".into(),
        60..3600 => format!("{} menit", n / 60),
        3600..86_400 => format!("{} jam", n / 3600),
        _ => format!("{} hari", n / 86_400),
    };
    if d < 0 {
        format!("{amount} lalu")
    } else {
        format!("dalam {amount}")
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

impl AppState {
    /// A cookie for this app: HttpOnly, SameSite=Lax (sent on Gapura's top-level redirects back,
    /// not on other sites' requests), Secure when the app runs on https.
    fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.base_url.scheme() == "https")
            .finish()
    }
}

fn removal(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "").path("/").finish();
    cookie.make_removal();
    cookie
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `host:port` as the browser sends it in `Host` (the port only when it is not the default).
fn host_and_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
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

const STYLE: &str = r#"
:root{--green:#0a7a45;--ink:#1d2433;--muted:#5b6474;--line:#dde2ea;--bg:#f4f6f9}
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line)}
.bar{max-width:62rem;margin:0 auto;padding:.6rem 1rem;display:flex;align-items:center;gap:.75rem;flex-wrap:wrap}
.brand{font-weight:700;color:var(--ink);text-decoration:none;margin-right:auto;line-height:1.2}
.brand small{display:block;font-weight:400;color:var(--muted);font-size:.8rem}
.who{color:var(--muted);font-size:.9rem}
header form{margin:0}
main{max-width:62rem;margin:0 auto;padding:.5rem 1rem 2rem}
.card{background:#fff;border:1px solid var(--line);border-radius:.6rem;padding:1rem 1.25rem;margin:1rem 0}
h1{font-size:1.6rem;line-height:1.25;margin:.25rem 0 .5rem}
h2{font-size:1.2rem;margin:.25rem 0 .5rem}
.lead{font-size:1.05rem}
.button{display:inline-block;background:var(--green);color:#fff;border:1px solid var(--green);padding:.55rem 1.1rem;border-radius:.45rem;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
.button.secondary{background:#fff;color:var(--green)}
.actions .button{margin:0 .5rem .5rem 0}
a{color:var(--green)}
.muted{color:var(--muted)}
.small{font-size:.875rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
code{overflow-wrap:anywhere}
.notice{border-left:4px solid #c98a00;background:#fff7e0;padding:.75rem 1rem;border-radius:.4rem;margin:1rem 0}
.problem{border-left:4px solid #c62828;background:#fdecea;padding:.75rem 1rem;border-radius:.4rem;font-size:1.05rem}
.technical pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f1f3f6;border:1px solid var(--line);padding:.75rem;border-radius:.4rem;margin:.25rem 0 0}
.technical p{margin:1rem 0 0}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;vertical-align:top;padding:.5rem .6rem;border-bottom:1px solid var(--line)}
thead th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.claims th[scope=row]{white-space:nowrap}
.claims td.value{overflow-wrap:anywhere;width:40%}
.claims td.why{color:var(--muted);font-size:.9rem}
.scope{display:inline-block;margin-left:.35rem;font-size:.7rem;font-weight:600;background:#e6f3ec;color:var(--green);border-radius:1rem;padding:0 .45rem;vertical-align:middle}
.src,.when{font-size:.75rem;color:var(--muted)}
pre.json{margin:0;white-space:pre-wrap;overflow-wrap:break-word}
.events{list-style:none;padding:0;margin:.5rem 0 0}
.events li{padding:.4rem .6rem;border-left:4px solid var(--green);background:#f3faf6;margin:.3rem 0;overflow-wrap:anywhere;font-size:.9rem}
.events li.refused{border-color:#c62828;background:#fdecea}
.events .when,.events code{display:block}
.events code{color:var(--muted);margin-top:.1rem}
@media (max-width:40rem){
 h1{font-size:1.3rem}
 .card{padding:.85rem 1rem}
 .claims thead{display:none}
 .claims,.claims tbody,.claims tr,.claims th,.claims td,.claims td.value{display:block;width:auto}
 .claims tr{padding:.6rem 0;border-bottom:1px solid var(--line)}
 .claims th,.claims td{border:0;padding:.1rem 0}
 .claims td.why{margin-top:.2rem}
 .actions .button{display:block;text-align:center;margin:0 0 .5rem}
}
"#;

/// A complete HTML page; `title` must be plain text, `header_right` and `body` already-escaped
/// HTML.
fn page(status: StatusCode, title: &str, header_right: &str, body: &str) -> HttpResponse {
    let title = escape(title);
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        // Pages show personal data: no caching, and no framing by other sites.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .body(format!(
            r#"<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Demo RP</title>
<style>{STYLE}</style>
</head><body>
<header><div class="bar"><a class="brand" href="/">Demo RP<small>Contoh aplikasi “Masuk dengan Gapura”</small></a>
{header_right}</div></header>
<main>
{body}
</main>
</body></html>"#
        ))
}

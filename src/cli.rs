//! The command line: `serve`, `migrate` and every admin task, scriptable with `--json`.

use crate::audit::AuditEvent;
use crate::clients::{self, AuthMethod, NewClient};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::jose::Alg;
use crate::startup::{Application, build_state};
use crate::state::AppState;
use crate::users::{self, NewUser};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use serde_json::json;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "gapura",
    version,
    about = "Gapura: single sign-on (OpenID Connect) for Kota Bogor"
)]
pub struct Cli {
    /// Optional TOML configuration file (overridden by GAPURA_* environment variables).
    #[arg(long, global = true, env = "GAPURA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the provider (migrates the database and creates keys on first start).
    Serve {
        /// Also load demo data: OPDs, a few synthetic ASN and the demo-rp client.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OIDC clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage token-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Strong authentication: level rules and the report of people without a second factor.
    #[command(subcommand)]
    Mfa(crate::cli_mfa::MfaCommand),
    /// Back-channel logout deliveries (the outbox), newest first.
    Deliveries {
        /// Only `pending`, `delivered` or `failed`.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Import the OPD tree or ASN records from CSV.
    #[command(subcommand)]
    Import(crate::cli_directory::ImportCommand),
    /// Application roles and role assignments.
    #[command(subcommand)]
    Role(crate::cli_directory::RoleCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input (one line).
    Add(UserAdd),
    /// Set a new password (read from standard input); ends the person's sessions.
    SetPassword { login: String },
    /// List a person's SSO sessions.
    Sessions { login: String },
    /// End every SSO session of a person (back-channel logout to their applications).
    Logout { login: String },
    /// Suspend an account: sessions end, every token is revoked. Accounts are never deleted.
    Suspend { login: String },
    /// Reactivate a suspended account.
    Activate { login: String },
    /// Lift brute-force locks on an account.
    Unlock { login: String },
    /// List a person's second factors (TOTP, passkeys) and recovery codes left.
    Factors { login: String },
    /// Remove every second factor and recovery code of a person (lost phone or key);
    /// their sessions end and they are told.
    MfaReset { login: String },
}

#[derive(Debug, Args)]
pub struct UserAdd {
    /// Login name: the NIP for ASN.
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub opd: Option<String>,
    /// Make the account a Diskominfo administrator.
    #[arg(long)]
    pub admin: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints client_id and (for confidential clients) the secret, once.
    Add(Box<ClientAdd>),
    /// List registered clients.
    List,
}

#[derive(Debug, Args)]
pub struct ClientAdd {
    #[arg(long)]
    pub name: String,
    /// Exact redirect URI (repeatable).
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (no secret; PKCE required).
    #[arg(long)]
    pub public: bool,
    /// Grant type (repeatable): authorization_code, refresh_token, client_credentials.
    #[arg(long = "grant")]
    pub grants: Vec<String>,
    /// Skip the consent page (Diskominfo's own applications).
    #[arg(long)]
    pub first_party: bool,
    /// Space-separated scopes the client may request.
    #[arg(long)]
    pub scope: Option<String>,
    /// ID token signing algorithm: RS256 (default), ES256, EdDSA.
    #[arg(long)]
    pub alg: Option<String>,
    /// Token endpoint auth method (default client_secret_basic; none for public).
    #[arg(long)]
    pub auth_method: Option<String>,
    /// JWK Set file, for private_key_jwt.
    #[arg(long)]
    pub jwks_file: Option<PathBuf>,
    /// Back-Channel Logout URI (receives logout tokens).
    #[arg(long)]
    pub backchannel_logout_uri: Option<String>,
    /// Front-Channel Logout URI (loaded in an iframe at logout).
    #[arg(long)]
    pub frontchannel_logout_uri: Option<String>,
    /// Ask for `iss` and `sid` on front-channel logout, `sid` in logout tokens.
    #[arg(long)]
    pub logout_session_required: bool,
    /// Allow the `nik` claim (needs the `nik` scope too).
    #[arg(long)]
    pub nik_allowed: bool,
    /// Where role claims go: comma-separated id_token, userinfo, access_token, introspection.
    #[arg(long)]
    pub role_claims: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Publish a new key per algorithm; it signs after the delay (default from config).
    Rotate {
        #[arg(long)]
        delay: Option<i64>,
    },
    /// List keys and their state.
    List,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref()).context("configuration")?;
    let telemetry =
        crate::telemetry::init(&settings.log_format, settings.otlp_endpoint.as_deref())?;
    let result = run_command(cli, settings).await;
    telemetry.shutdown();
    result
}

async fn run_command(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo } => {
            let app = Application::build_with_clock(settings, clock).await?;
            if demo {
                let summary = crate::demo::load(&app.state()).await?;
                print_demo(&app.state(), &summary);
            }
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db =
                crate::db::connect(secrecy::ExposeSecret::expose_secret(&settings.database_url))
                    .await?;
            crate::db::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::User(UserCommand::Add(args)) => {
            let state = admin_state(settings, clock).await?;
            user_add(&state, args, cli.json).await?;
        }
        Command::User(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli_users::run(&state, cmd, cli.json).await?;
        }
        Command::Mfa(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli_mfa::run(&state, cmd, cli.json).await?;
        }
        Command::Deliveries { status, limit } => {
            let state = admin_state(settings, clock).await?;
            let rows = crate::logout::backchannel::list(&state, status.as_deref(), limit)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if cli.json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|r| json!({"id": r.id, "client_id": r.client_id, "uri": r.uri, "user_id": r.user_id, "reason": r.reason, "status": r.status, "attempts": r.attempts, "next_attempt_at": r.next_attempt_at, "last_error": r.last_error, "created_at": r.created_at, "delivered_at": r.delivered_at}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for r in rows {
                    println!(
                        "{:<10} {:<24} attempts={:<2} {} {}",
                        r.status,
                        r.client_id,
                        r.attempts,
                        r.reason,
                        r.last_error.unwrap_or_default()
                    );
                }
            }
        }
        Command::Client(cmd) => {
            let state = admin_state(settings, clock).await?;
            match cmd {
                ClientCommand::Add(args) => client_add(&state, *args, cli.json).await?,
                ClientCommand::List => client_list(&state, cli.json).await?,
            }
        }
        Command::Import(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli_directory::import(&state, cmd, cli.json).await?;
        }
        Command::Role(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli_directory::role(&state, cmd, cli.json).await?;
        }
        Command::Keys(cmd) => {
            let state = admin_state(settings, clock).await?;
            let now = state.now();
            match cmd {
                KeysCommand::Rotate { delay } => {
                    let delay = delay.unwrap_or(state.settings.tokens.key_activation_delay);
                    if delay < 0 {
                        bail!("--delay must not be negative");
                    }
                    let t = &state.settings.tokens;
                    let keep = t.id_token_ttl.max(t.access_token_ttl) + 300;
                    let kids = state.keys.rotate(now, delay, keep).await?;
                    state
                        .audit
                        .record(
                            now,
                            AuditEvent::new("keys.rotate", true)
                                .actor("cli")
                                .detail(json!({"kids": kids, "delay": delay})),
                        )
                        .await?;
                    if cli.json {
                        println!("{}", json!({"created": kids, "activates_at": now + delay}));
                    } else {
                        println!(
                            "published {} new keys; they sign from {} (in {delay} s)",
                            kids.len(),
                            now + delay
                        );
                    }
                }
                KeysCommand::List => {
                    let keys = state.keys.list(now).await?;
                    if cli.json {
                        println!("{}", serde_json::to_string_pretty(&keys)?);
                    } else {
                        println!(
                            "{:<18} {:<6} {:<8} {:>12}",
                            "KID", "ALG", "STATE", "ACTIVATES"
                        );
                        for k in keys {
                            println!(
                                "{:<18} {:<6} {:<8} {:>12}",
                                k.kid, k.alg, k.state, k.activates_at
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

async fn admin_state(settings: Settings, clock: SharedClock) -> anyhow::Result<AppState> {
    let issuer = settings
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.bind));
    Ok(build_state(settings, clock, issuer).await?)
}

fn print_demo(state: &AppState, summary: &crate::demo::DemoSummary) {
    println!("\n  Demo data loaded ({} new OPD units).", summary.opds);
    println!("  Demo ASN (password: {}):", crate::demo::DEMO_PASSWORD);
    for (nip, name) in &summary.people {
        println!("    {nip}  {name}");
    }
    println!(
        "  Demo client: {} (public, PKCE), redirect {}, post-logout {}, back-channel logout {}",
        crate::demo::DEMO_CLIENT_ID,
        crate::demo::DEMO_REDIRECT_URI,
        crate::demo::DEMO_POST_LOGOUT_URI,
        crate::demo::DEMO_BACKCHANNEL_URI
    );
    println!("  Try it: cargo run --release --example demo-rp, then open http://127.0.0.1:8081/");
    println!("  Issuer: {}\n", state.issuer);
}

async fn user_add(state: &AppState, args: UserAdd, json_out: bool) -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    let user = users::create(
        &state.db,
        &state.hasher,
        state.clock.as_ref(),
        NewUser {
            username: args.username,
            email: args.email,
            name: args.name,
            phone: args.phone,
            opd_code: args.opd,
            password: Some(SecretString::from(password)),
            is_admin: args.admin,
            ..NewUser::default()
        },
    )
    .await?;
    state
        .audit
        .record(
            state.now(),
            AuditEvent::new("admin.user.create", true)
                .actor("cli")
                .subject(user.id.clone()),
        )
        .await?;
    if json_out {
        println!("{}", json!({"id": user.id, "username": user.username}));
    } else {
        println!("created account {} (sub {})", user.username, user.id);
    }
    Ok(())
}

async fn client_add(state: &AppState, args: ClientAdd, json_out: bool) -> anyhow::Result<()> {
    let alg = match args.alg.as_deref() {
        None => None,
        Some(a) => Some(
            Alg::parse(a)
                .with_context(|| format!("unknown algorithm `{a}` (RS256, ES256, EdDSA)"))?,
        ),
    };
    let auth_method = match args.auth_method.as_deref() {
        None => None,
        Some(m) => {
            Some(AuthMethod::parse(m).with_context(|| format!("unknown auth method `{m}`"))?)
        }
    };
    let jwks = match &args.jwks_file {
        Some(path) => Some(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        None => None,
    };
    let (client, secret) = clients::register(
        &state.db,
        &state.master,
        state.clock.as_ref(),
        NewClient {
            name: args.name,
            redirect_uris: args.redirect_uris,
            post_logout_redirect_uris: args.post_logout_redirect_uris,
            auth_method,
            public: args.public,
            grant_types: args.grants,
            scopes: args.scope,
            first_party: args.first_party,
            alg,
            jwks,
            client_id: None,
            backchannel_logout_session_required: args.logout_session_required
                && args.backchannel_logout_uri.is_some(),
            frontchannel_logout_session_required: args.logout_session_required
                && args.frontchannel_logout_uri.is_some(),
            backchannel_logout_uri: args.backchannel_logout_uri,
            frontchannel_logout_uri: args.frontchannel_logout_uri,
            min_acr: None,
            nik_allowed: args.nik_allowed,
            role_claims: match &args.role_claims {
                Some(r) => Some(crate::clients::RoleClaims::parse(r).map_err(anyhow::Error::msg)?),
                None => None,
            },
        },
    )
    .await?;
    state
        .audit
        .record(
            state.now(),
            AuditEvent::new("admin.client.create", true)
                .actor("cli")
                .client(client.id.clone()),
        )
        .await?;
    if json_out {
        println!(
            "{}",
            json!({"client_id": client.id, "client_secret": secret, "token_endpoint_auth_method": client.auth_method.as_str()})
        );
    } else {
        println!("client_id:     {}", client.id);
        if let Some(s) = secret {
            println!("client_secret: {s}\n(the secret is shown only now; store it safely)");
        }
    }
    Ok(())
}

async fn client_list(state: &AppState, json_out: bool) -> anyhow::Result<()> {
    let list = clients::list(&state.db).await?;
    if json_out {
        let v: Vec<_> = list
            .iter()
            .map(|c| json!({"client_id": c.id, "name": c.name, "token_endpoint_auth_method": c.auth_method.as_str(), "redirect_uris": c.redirect_uris, "grant_types": c.grant_types, "scope": c.allowed_scopes.to_string(), "first_party": c.first_party, "id_token_signed_response_alg": c.alg.as_str(), "active": c.active}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for c in list {
            println!("{:<24} {:<20} {}", c.id, c.auth_method.as_str(), c.name);
        }
    }
    Ok(())
}

//! The command line: `serve`, `migrate` and every admin task, scriptable with `--json`.

pub mod clients;
pub mod directory;
pub mod io;
pub mod mfa;
pub mod users;

use crate::audit::AuditEvent;
use crate::cli::io::{say_if_empty, when, when_json, when_or_dash};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::http::server::Application;
use crate::startup::{Foundation, build_state};
use crate::state::AppState;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde_json::json;
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
        /// Load demo data even into a database with other accounts or behind a
        /// non-localhost issuer (refused otherwise).
        #[arg(long, requires = "demo")]
        force_demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(crate::cli::users::UserCommand),
    /// Manage OIDC clients.
    #[command(subcommand)]
    Client(crate::cli::clients::ClientCommand),
    /// Manage token-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Strong authentication: level rules and the report of people without a second factor.
    #[command(subcommand)]
    Mfa(crate::cli::mfa::MfaCommand),
    /// Back-channel logout deliveries (the outbox), newest first.
    Deliveries {
        /// Only `pending`, `delivered` or `failed`.
        #[arg(long)]
        status: Option<String>,
        /// At most this many deliveries.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Copy the SQLite database (accounts, clients, signing keys, audit log) to FILE,
    /// consistently, while the server runs. The master key is not in the copy.
    Backup {
        /// The new backup file (never overwritten).
        file: PathBuf,
    },
    /// Replace the SQLite database by a backup (the server must be stopped); the
    /// replaced database is kept beside it, and an older backup is migrated forward.
    Restore {
        /// A file made by `gapura backup`.
        file: PathBuf,
    },
    /// Import the OPD tree or ASN records from CSV.
    #[command(subcommand)]
    Import(crate::cli::directory::ImportCommand),
    /// Application roles and role assignments.
    #[command(subcommand)]
    Role(crate::cli::directory::RoleCommand),
    /// The OPD tree (perangkat daerah and their units).
    #[command(subcommand)]
    Opd(crate::cli::directory::OpdCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Publish a new key per algorithm; it signs after the delay (default from config).
    Rotate {
        /// Seconds before the new keys sign (they are published at once).
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
        Command::Serve { demo, force_demo } => {
            // One server per SQLite database; held until the server stops.
            let _lock = crate::data_lock::acquire(
                secrecy::ExposeSecret::expose_secret(&settings.database_url),
                "serve",
            )?;
            // The database and keys are opened before any port is bound.
            let foundation = Foundation::open(settings, clock).await?;
            if demo
                && !force_demo
                && let Some(why) =
                    crate::demo::refusal(foundation.db(), foundation.settings().issuer.as_deref())
                        .await?
            {
                tracing::info!("demo data refused");
                bail!(why);
            }
            let app = Application::start(foundation).await?;
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
        Command::User(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli::users::run(&state, cmd, cli.json).await?;
        }
        Command::Mfa(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli::mfa::run(&state, cmd, cli.json).await?;
        }
        Command::Deliveries { status, limit } => {
            let state = admin_state(settings, clock).await?;
            let rows = crate::logout::backchannel::list(&state, status.as_deref(), limit)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if cli.json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|r| json!({"id": r.id, "client_id": r.client_id, "uri": r.uri, "user_id": r.user_id, "reason": r.reason, "status": r.status, "attempts": r.attempts, "next_attempt_at": when(r.next_attempt_at), "last_error": r.last_error, "created_at": when(r.created_at), "delivered_at": when_json(r.delivered_at)}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if !say_if_empty(&rows, "no deliveries") {
                println!(
                    "{:<10} {:<20} {:<24} {:>8}  REASON",
                    "STATUS", "CREATED", "CLIENT_ID", "ATTEMPTS"
                );
                for r in rows {
                    println!(
                        "{:<10} {:<20} {:<24} {:>8}  {} {}",
                        r.status,
                        when(r.created_at),
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
            crate::cli::clients::run(&state, cmd, cli.json).await?;
        }
        Command::Backup { file } => {
            let report = crate::backup::backup(&settings, clock, &file).await?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}", report.text());
            }
        }
        Command::Restore { file } => {
            let report = crate::backup::restore(&settings, clock, &file).await?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}", report.text());
            }
        }
        Command::Import(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli::directory::import(&state, cmd, cli.json).await?;
        }
        Command::Role(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli::directory::role(&state, cmd, cli.json).await?;
        }
        Command::Opd(cmd) => {
            let state = admin_state(settings, clock).await?;
            crate::cli::directory::opd(&state, cmd, cli.json).await?;
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
                        println!(
                            "{}",
                            json!({"created": kids, "activates_at": when(now + delay)})
                        );
                    } else {
                        println!(
                            "published {} new keys; they sign from {} (in {delay} s)",
                            kids.len(),
                            when(now + delay)
                        );
                    }
                }
                KeysCommand::List => {
                    let keys = state.keys.list(now).await?;
                    if cli.json {
                        let v: Vec<_> = keys
                            .iter()
                            .map(|k| json!({"kid": k.kid, "alg": k.alg, "state": k.state, "created_at": when(k.created_at), "activates_at": when(k.activates_at), "retires_at": when_json(k.retires_at), "remove_at": when_json(k.remove_at)}))
                            .collect();
                        println!("{}", serde_json::to_string_pretty(&v)?);
                    } else if !say_if_empty(&keys, "no keys") {
                        println!(
                            "{:<18} {:<6} {:<8} {:<20} RETIRES",
                            "KID", "ALG", "STATE", "ACTIVATES"
                        );
                        for k in keys {
                            println!(
                                "{:<18} {:<6} {:<8} {:<20} {}",
                                k.kid,
                                k.alg,
                                k.state,
                                when(k.activates_at),
                                when_or_dash(k.retires_at)
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

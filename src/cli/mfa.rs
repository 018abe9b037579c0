//! Strong-authentication administration from the command line: a person's
//! factors, resetting them (audited; the person is told), the report of people
//! without a second factor per OPD, and the level rules (city, OPD sub-tree,
//! client, application role).

use crate::audit::AuditEvent;
use crate::authn::{self, Acr, factors, policy};
use crate::logout::{self, EndReason};
use crate::state::AppState;
use crate::users::User;
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use entity::opd;
use sea_orm::EntityTrait;
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// Count, per OPD, the active people without a second factor.
    Report,
    /// Require a minimum authentication level (default: mfa).
    Require(Target),
    /// Remove a level rule.
    Unrequire(Target),
    /// List the level rules and the clients' minimum levels.
    Policies,
}

#[derive(Debug, Args)]
pub struct Target {
    /// Every ASN of the city.
    #[arg(long)]
    pub city: bool,
    /// Every ASN of this OPD and the units below it.
    #[arg(long)]
    pub opd: Option<String>,
    /// Every login to this client.
    #[arg(long, allow_hyphen_values = true)]
    pub client: Option<String>,
    /// Holders of a role of an application: `CLIENT_ID:ROLE`.
    #[arg(long)]
    pub role: Option<String>,
    /// `mfa` (default) or `cert` (pwd only clears a client's minimum).
    #[arg(long, default_value = "mfa")]
    pub level: String,
}

fn scope_of(t: &Target) -> anyhow::Result<Option<policy::Scope>> {
    let given = [
        t.city,
        t.opd.is_some(),
        t.client.is_some(),
        t.role.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        bail!("say where, once: --city, --opd CODE, --client ID or --role CLIENT_ID:ROLE");
    }
    Ok(if t.city {
        Some(policy::Scope::City)
    } else if let Some(code) = &t.opd {
        Some(policy::Scope::Opd(code.clone()))
    } else if let Some(role) = &t.role {
        let (client, role) = role
            .split_once(':')
            .context("--role takes CLIENT_ID:ROLE")?;
        Some(policy::Scope::Role(client.to_owned(), role.to_owned()))
    } else {
        None
    })
}

pub async fn run(state: &AppState, cmd: MfaCommand, json_out: bool) -> anyhow::Result<()> {
    let now = state.now();
    match cmd {
        MfaCommand::Report => report(state, json_out).await?,
        MfaCommand::Require(t) => {
            scope_of(&t)?;
            let level = Acr::parse_short(&t.level).context("--level is pwd, mfa or cert")?;
            if !level.reachable() {
                eprintln!(
                    "warning: Gapura cannot reach {level} yet; logins that need it are refused (access_denied)"
                );
            }
            if let Some(client) = &t.client {
                set_client(state, client, Some(level).filter(|l| *l > Acr::Pwd)).await?;
            } else {
                let scope = scope_of(&t)?.context("say where")?;
                if level == Acr::Pwd {
                    bail!("a rule needs --level mfa or cert (use `unrequire` to drop one)");
                }
                if let policy::Scope::Role(client, _) = &scope
                    && crate::clients::find(&state.db, client).await?.is_none()
                {
                    bail!("no client `{client}`");
                }
                if let policy::Scope::Opd(code) = &scope
                    && opd::Entity::find_by_id(code.clone())
                        .one(&state.db)
                        .await?
                        .is_none()
                {
                    bail!("no OPD `{code}`");
                }
                policy::set(&state.db, &scope, level, "cli", now).await?;
                audit(
                    state,
                    "admin.mfa.require",
                    json!({"scope": format!("{scope:?}"), "level": level.as_str()}),
                )
                .await?;
                println!("{} now needs {level}", describe(&scope));
            }
        }
        MfaCommand::Unrequire(t) => {
            scope_of(&t)?;
            if let Some(client) = &t.client {
                set_client(state, client, None).await?;
            } else {
                let scope = scope_of(&t)?.context("say where")?;
                let removed = policy::remove(&state.db, &scope).await?;
                audit(
                    state,
                    "admin.mfa.unrequire",
                    json!({"scope": format!("{scope:?}"), "removed": removed}),
                )
                .await?;
                println!(
                    "{}",
                    if removed {
                        "rule removed"
                    } else {
                        "no such rule"
                    }
                );
            }
        }
        MfaCommand::Policies => {
            let rules = policy::list(&state.db).await?;
            let clients = crate::clients::list(&state.db).await?;
            let clients: Vec<_> = clients
                .into_iter()
                .filter(|c| c.min_acr.is_some())
                .collect();
            if json_out {
                let r: Vec<_> = rules.iter().map(|r| json!({"kind": r.kind, "target": r.target, "min_acr": r.min_acr, "created_at": crate::cli::io::when(r.created_at), "created_by": r.created_by})).collect();
                let c: Vec<_> = clients
                    .iter()
                    .map(|c| json!({"client_id": c.id, "min_acr": c.min_acr.map(|a| a.as_str())}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"rules": r, "clients": c}))?
                );
            } else if rules.is_empty() && clients.is_empty() {
                println!("no rules: every login needs a password only");
            } else {
                for r in rules {
                    println!(
                        "{:<6} {:<30} {:<5} since {}",
                        r.kind,
                        r.target,
                        r.min_acr,
                        crate::cli::io::when(r.created_at)
                    );
                }
                for c in clients {
                    println!(
                        "{:<6} {:<30} {}",
                        "client",
                        c.id,
                        c.min_acr.map(|a| a.as_str()).unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(())
}

fn describe(scope: &policy::Scope) -> String {
    match scope {
        policy::Scope::City => "every ASN of the city".into(),
        policy::Scope::Opd(code) => format!("OPD {code} and its units"),
        policy::Scope::Role(client, role) => format!("role {role} of {client}"),
    }
}

async fn audit(
    state: &AppState,
    event: &'static str,
    detail: serde_json::Value,
) -> Result<(), crate::audit::AuditError> {
    state
        .audit
        .record(
            state.now(),
            AuditEvent::new(event, true).actor("cli").detail(detail),
        )
        .await
}

async fn set_client(state: &AppState, client_id: &str, level: Option<Acr>) -> anyhow::Result<()> {
    if !crate::clients::set_min_acr(state, client_id, level).await? {
        bail!("no client `{client_id}`");
    }
    let e = AuditEvent::new("admin.client.min_acr", true)
        .actor("cli")
        .client(client_id.to_owned())
        .detail(json!({"min_acr": level.map(|l| l.as_str())}));
    state.audit.record(state.now(), e).await?;
    match level {
        Some(l) => println!("client {client_id} now needs {l}"),
        None => println!("client {client_id} accepts any level"),
    }
    Ok(())
}

async fn report(state: &AppState, json_out: bool) -> anyhow::Result<()> {
    let counts = factors::coverage_per_opd(&state.db).await?;
    let names: BTreeMap<String, String> = opd::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.code, o.name))
        .collect();
    if json_out {
        let rows: Vec<_> = counts
            .iter()
            .map(|(code, (people, without))| json!({"opd": code, "name": names.get(code), "people": people, "without_second_factor": without}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if !crate::cli::io::say_if_empty(
        &counts.iter().collect::<Vec<_>>(),
        "no active accounts",
    ) {
        println!("{:<16} {:>7} {:>9}  NAME", "OPD", "PEOPLE", "WITHOUT");
        for (code, (people, without)) in &counts {
            let label = if code.is_empty() { "-" } else { code.as_str() };
            println!(
                "{label:<16} {people:>7} {without:>9}  {}",
                names.get(code).map(String::as_str).unwrap_or("")
            );
        }
    }
    Ok(())
}

/// `gapura user factors LOGIN`.
pub async fn factors_of(state: &AppState, user: &User, json_out: bool) -> anyhow::Result<()> {
    let s = factors::summary(&state.db, &user.id).await?;
    let mut rows = Vec::new();
    for f in s.totp.iter().chain(s.passkeys.iter()) {
        rows.push(json!({"id": f.id, "kind": f.kind, "label": f.label, "created_at": crate::cli::io::when(f.created_at), "last_used_at": crate::cli::io::when_json(f.last_used_at)}));
    }
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"factors": rows, "recovery_codes_left": s.recovery_left})
            )?
        );
    } else {
        if rows.is_empty() {
            println!("no second factor");
        }
        for f in s.totp.iter().chain(s.passkeys.iter()) {
            println!(
                "{:<8} {:<24} added {}  last used {}",
                f.kind,
                f.label,
                crate::cli::io::when(f.created_at),
                f.last_used_at
                    .map(crate::cli::io::when)
                    .unwrap_or_else(|| "never".into())
            );
        }
        println!("recovery codes left: {}", s.recovery_left);
    }
    Ok(())
}

/// `gapura user mfa-reset LOGIN`: every factor and recovery code goes, the
/// person's sessions end, and the person is told.
pub async fn reset(state: &AppState, user: &User) -> anyhow::Result<()> {
    let (f, r) = factors::reset(&state.db, &user.id).await?;
    let ended = logout::end_user_sessions(state, &user.id, EndReason::Admin, None)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let e = AuditEvent::new("admin.mfa.reset", true)
        .actor("cli")
        .subject(user.id.clone())
        .detail(json!({"factors": f, "recovery_codes": r, "sessions_ended": ended}));
    state.audit.record(state.now(), e).await?;
    authn::notify(
        state,
        &user.id,
        "factors_reset",
        json!({"factors": f, "by": "administrator"}),
    )
    .await?;
    println!("{f} factor(s) and {r} recovery code(s) removed; {ended} session(s) ended");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }
}

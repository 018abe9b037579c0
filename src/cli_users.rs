//! Account administration from the command line: password, sessions, logout,
//! suspension and unlock. Every action is audited with actor `cli`.

use crate::audit::AuditEvent;
use crate::cli::UserCommand;
use crate::logout::{self, EndReason};
use crate::state::AppState;
use crate::users::{self, User};
use anyhow::{Context, anyhow, bail};
use entity::user_account;
use sea_orm::{ActiveModelTrait, Set};
use secrecy::SecretString;
use serde_json::json;
use std::io::BufRead;

async fn find(state: &AppState, login: &str) -> anyhow::Result<User> {
    users::find_by_login(&state.db, login)
        .await?
        .with_context(|| format!("no account `{login}`"))
}

async fn set_status(state: &AppState, user: User, status: &str) -> anyhow::Result<()> {
    let mut active: user_account::ActiveModel = user.into();
    active.status = Set(status.to_owned());
    active.updated_at = Set(state.now());
    active.update(&state.db).await?;
    Ok(())
}

pub async fn run(state: &AppState, cmd: UserCommand, json_out: bool) -> anyhow::Result<()> {
    let now = state.now();
    let audit = |event: &'static str, user: &User| {
        AuditEvent::new(event, true)
            .actor("cli")
            .subject(user.id.clone())
    };
    match cmd {
        UserCommand::Add(_) => bail!("handled by the caller"),
        UserCommand::SetPassword { login } => {
            let user = find(state, &login).await?;
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            let password = SecretString::from(line.trim_end_matches(['\r', '\n']).to_owned());
            let id = user.id.clone();
            users::set_password(
                &state.db,
                &state.hasher,
                state.clock.as_ref(),
                user.clone(),
                &password,
            )
            .await?;
            let ended = logout::end_user_sessions(state, &id, EndReason::PasswordChanged, None)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            state
                .audit
                .record(
                    now,
                    audit("admin.user.password", &user).detail(json!({"sessions_ended": ended})),
                )
                .await?;
            println!("password changed; {ended} session(s) ended");
        }
        UserCommand::Sessions { login } => {
            let user = find(state, &login).await?;
            let sessions = crate::session::of_user(state, &user.id)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            if json_out {
                let v: Vec<_> = sessions
                    .iter()
                    .map(|(_, s)| json!({"sid": s.sid, "auth_time": s.auth_time, "last_seen": s.last_seen, "expires_at": s.expires_at(state), "ip": s.ip, "user_agent": s.user_agent, "clients": s.clients.iter().map(|c| json!({"client_id": c.client_id, "joined_at": c.joined_at})).collect::<Vec<_>>()}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (_, s) in sessions {
                    let clients: Vec<&str> =
                        s.clients.iter().map(|c| c.client_id.as_str()).collect();
                    println!(
                        "{} since {} from {} apps: {}",
                        s.sid,
                        s.auth_time,
                        s.ip.unwrap_or_default(),
                        clients.join(",")
                    );
                }
            }
        }
        UserCommand::Logout { login } => {
            let user = find(state, &login).await?;
            let ended = logout::end_user_sessions(state, &user.id, EndReason::Admin, None)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            state
                .audit
                .record(
                    now,
                    audit("admin.user.logout", &user).detail(json!({"sessions_ended": ended})),
                )
                .await?;
            println!("{ended} session(s) ended");
        }
        UserCommand::Suspend { login } => {
            let user = find(state, &login).await?;
            let id = user.id.clone();
            set_status(state, user.clone(), "suspended").await?;
            logout::suspend_effects(state, &id)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            state
                .audit
                .record(now, audit("admin.user.suspend", &user))
                .await?;
            println!("account {login} suspended");
        }
        UserCommand::Activate { login } => {
            let user = find(state, &login).await?;
            set_status(state, user.clone(), "active").await?;
            state
                .audit
                .record(now, audit("admin.user.activate", &user))
                .await?;
            println!("account {login} active");
        }
        UserCommand::Factors { login } => {
            let user = find(state, &login).await?;
            crate::cli_mfa::factors_of(state, &user, json_out).await?;
        }
        UserCommand::MfaReset { login } => {
            let user = find(state, &login).await?;
            crate::cli_mfa::reset(state, &user).await?;
        }
        UserCommand::Unlock { login } => {
            let user = find(state, &login).await?;
            crate::login_guard::unlock(state, &user.id)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            state
                .audit
                .record(now, audit("admin.user.unlock", &user))
                .await?;
            println!("account {login} unlocked");
        }
    }
    Ok(())
}

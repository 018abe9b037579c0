//! Account administration from the command line: listing and showing accounts,
//! password, sessions, logout, suspension and unlock. Every change is audited with
//! actor `cli`; suspension and reactivation are the directory's own services, the
//! same the admin API calls.

use crate::audit::AuditEvent;
use crate::cli::io::{say_if_empty, when, when_json, when_or_dash, width};
use crate::directory::{opd, people, suspend};
use crate::logout::{self, EndReason};
use crate::state::AppState;
use crate::users::{self, NewUser, User};
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use entity::{audit_event, user_account};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is asked twice without echo at a terminal,
    /// else read from standard input (one line).
    Add(UserAdd),
    /// List accounts (table, or `--json`), by login name.
    List(UserList),
    /// Everything about one account: status, OPD, position, roles, second factors, last login.
    Show {
        /// NIP, e-mail address or login name.
        login: String,
    },
    /// Set a new password (asked without echo, or one line of standard input); ends the
    /// person's sessions.
    SetPassword {
        /// NIP, e-mail address or login name.
        login: String,
    },
    /// List a person's SSO sessions.
    Sessions {
        /// NIP, e-mail address or login name.
        login: String,
    },
    /// End every SSO session of a person (back-channel logout to their applications).
    Logout {
        /// NIP, e-mail address or login name.
        login: String,
    },
    /// Suspend an account: sessions end, every token is revoked. Accounts are never deleted.
    Suspend {
        /// NIP, e-mail address or login name.
        login: String,
        /// Why (kept with the account and in the audit log).
        #[arg(long, default_value = "suspended by an administrator")]
        reason: String,
    },
    /// Reactivate a suspended account.
    Activate {
        /// NIP, e-mail address or login name.
        login: String,
    },
    /// Lift brute-force locks on an account.
    Unlock {
        /// NIP, e-mail address or login name.
        login: String,
    },
    /// List a person's second factors (TOTP, passkeys) and recovery codes left.
    Factors {
        /// NIP, e-mail address or login name.
        login: String,
    },
    /// Remove every second factor and recovery code of a person (lost phone or key);
    /// their sessions end and they are told.
    MfaReset {
        /// NIP, e-mail address or login name.
        login: String,
    },
}

#[derive(Debug, Args)]
pub struct UserList {
    /// Only accounts in this OPD unit and the units below it (its code, e.g. DINKES).
    #[arg(long)]
    pub opd: Option<String>,
    /// Only `active` or `suspended` accounts.
    #[arg(long)]
    pub status: Option<String>,
    /// At most this many accounts.
    #[arg(long, default_value_t = 50)]
    pub limit: u64,
}

#[derive(Debug, Args)]
pub struct UserAdd {
    /// Login name: the NIP for ASN.
    #[arg(long)]
    pub username: String,
    /// Full name without academic titles.
    #[arg(long)]
    pub name: String,
    /// E-mail address (also a login name).
    #[arg(long)]
    pub email: Option<String>,
    /// Telephone number.
    #[arg(long)]
    pub phone: Option<String>,
    /// The OPD unit's code (must exist, e.g. DISKOMINFO).
    #[arg(long)]
    pub opd: Option<String>,
    /// Make the account a Diskominfo administrator.
    #[arg(long)]
    pub admin: bool,
}

async fn find(state: &AppState, login: &str) -> anyhow::Result<User> {
    users::find_by_login(&state.db, login)
        .await?
        .with_context(|| format!("no account `{login}`"))
}

pub async fn run(state: &AppState, cmd: UserCommand, json_out: bool) -> anyhow::Result<()> {
    let now = state.now();
    let audit = |event: &'static str, user: &User| {
        AuditEvent::new(event, true)
            .actor("cli")
            .subject(user.id.clone())
    };
    match cmd {
        UserCommand::Add(args) => add(state, args, json_out).await?,
        UserCommand::List(args) => list(state, args, json_out).await?,
        UserCommand::Show { login } => {
            let user = find(state, &login).await?;
            show(state, &user, json_out).await?;
        }
        UserCommand::SetPassword { login } => {
            let user = find(state, &login).await?;
            let password = crate::cli::io::read_new_password()?;
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
                    .map(|(_, s)| json!({"sid": s.sid, "auth_time": when(s.auth_time), "last_seen": when(s.last_seen), "expires_at": when(s.expires_at(state)), "ip": s.ip, "user_agent": s.user_agent, "clients": s.clients.iter().map(|c| json!({"client_id": c.client_id, "joined_at": when(c.joined_at)})).collect::<Vec<_>>()}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if !say_if_empty(&sessions, "no sessions") {
                for (_, s) in sessions {
                    let clients: Vec<&str> =
                        s.clients.iter().map(|c| c.client_id.as_str()).collect();
                    println!(
                        "{} since {} from {} apps: {}",
                        s.sid,
                        when(s.auth_time),
                        s.ip.unwrap_or_else(|| "-".into()),
                        if clients.is_empty() {
                            "none".into()
                        } else {
                            clients.join(",")
                        }
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
        UserCommand::Suspend { login, reason } => {
            let user = find(state, &login).await?;
            if user.status == crate::users::AccountStatus::Suspended {
                println!("account {login} was already suspended");
            } else {
                suspend::suspend(state, user, reason.trim(), "cli").await?;
                println!("account {login} suspended");
            }
        }
        UserCommand::Activate { login } => {
            let user = find(state, &login).await?;
            if users::is_active(&user) {
                println!("account {login} was already active");
            } else {
                suspend::reactivate(state, user, "cli").await?;
                println!("account {login} active");
            }
        }
        UserCommand::Factors { login } => {
            let user = find(state, &login).await?;
            crate::cli::mfa::factors_of(state, &user, json_out).await?;
        }
        UserCommand::MfaReset { login } => {
            let user = find(state, &login).await?;
            crate::cli::mfa::reset(state, &user).await?;
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

/// `gapura user list`: by login name, optionally within an OPD sub-tree and of one status.
async fn list(state: &AppState, args: UserList, json_out: bool) -> anyhow::Result<()> {
    let mut restrict = Condition::all();
    if let Some(code) = &args.opd {
        let unit = opd::get(&state.db, code)
            .await?
            .with_context(|| format!("no OPD `{code}` (see `gapura opd list`)"))?;
        restrict = restrict.add(people::in_units(&[unit.path], &[]));
    }
    if let Some(status) = &args.status {
        let Some(status) = user_account::AccountStatus::parse(status) else {
            bail!("--status is `active` or `suspended`");
        };
        restrict = restrict.add(user_account::Column::Status.eq(status));
    }
    if args.limit == 0 {
        bail!("--limit must be at least 1");
    }
    // Pages of the directory search (the admin API's), until the limit is reached.
    let mut rows = Vec::new();
    let mut cursor = None;
    while (rows.len() as u64) < args.limit {
        let search = people::Search {
            q: None,
            limit: Some(args.limit - rows.len() as u64),
            cursor,
        };
        let (page, next) = people::search(&state.db, restrict.clone(), &search).await?;
        rows.extend(page);
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    if json_out {
        let v: Vec<_> = rows
            .iter()
            .map(|u| json!({"id": u.id, "username": u.username, "nip": u.nip, "name": users::display_name(u), "email": u.email, "opd": u.opd_code, "jabatan": u.jabatan, "status": u.status.as_str(), "suspended_at": when_json(u.suspended_at), "is_admin": u.is_admin, "created_at": when(u.created_at)}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if say_if_empty(&rows, "no accounts") {
        return Ok(());
    }
    let login_w = width(rows.iter().map(|u| u.username.as_str()), 5);
    let opd_w = width(rows.iter().filter_map(|u| u.opd_code.as_deref()), 3);
    println!(
        "{:<login_w$}  {:<9}  {:<opd_w$}  NAME",
        "LOGIN", "STATUS", "OPD"
    );
    for u in &rows {
        println!(
            "{:<login_w$}  {:<9}  {:<opd_w$}  {}",
            u.username,
            u.status,
            u.opd_code.as_deref().unwrap_or("-"),
            users::display_name(u)
        );
    }
    if rows.len() as u64 == args.limit {
        println!("(first {} shown; --limit shows more)", args.limit);
    }
    Ok(())
}

/// The last successful login recorded in the audit log, if any.
async fn last_login(state: &AppState, user: &User) -> anyhow::Result<Option<audit_event::Model>> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Event.eq("login"))
        .filter(audit_event::Column::Outcome.eq("success"))
        .filter(audit_event::Column::Subject.eq(user.id.as_str()))
        .order_by_desc(audit_event::Column::At)
        .one(&state.db)
        .await?)
}

/// `gapura user show LOGIN`.
async fn show(state: &AppState, u: &User, json_out: bool) -> anyhow::Result<()> {
    let now = state.now();
    let unit = match &u.opd_code {
        Some(code) => opd::get(&state.db, code).await?,
        None => None,
    };
    let roles = crate::access::roles::of_user(&state.db, &u.id, None, now, false).await?;
    let factors = crate::authn::factors::summary(&state.db, &u.id).await?;
    let last = last_login(state, u).await?;
    let view = people::admin_view(u, false);
    if json_out {
        let v = json!({
            "id": u.id,
            "username": u.username,
            "nip": u.nip,
            "nik": view.nik,
            "name": view.display_name,
            "email": u.email,
            "email_verified": u.email_verified,
            "phone": u.phone,
            "is_admin": u.is_admin,
            "status": u.status.as_str(),
            "suspended_at": when_json(u.suspended_at),
            "suspended_reason": u.suspended_reason,
            "opd": unit.as_ref().map(|o| json!({"code": o.code, "name": o.name})).or_else(|| u.opd_code.as_ref().map(|c| json!({"code": c}))),
            "unit_kerja": u.unit_kerja,
            "jabatan": u.jabatan,
            "jenis_jabatan": u.jenis_jabatan,
            "eselon": u.eselon,
            "golongan": u.golongan,
            "jenis_pegawai": u.jenis_pegawai,
            "kedudukan": view.kedudukan,
            "roles": roles.iter().map(|r| json!({"id": r.id, "client_id": r.client_id, "role": r.role, "opd": r.opd_code, "scope": r.scope_kind, "valid_until": when_json(r.valid_until)})).collect::<Vec<_>>(),
            "second_factors": {
                "totp": factors.totp.is_some(),
                "passkeys": factors.passkeys.len(),
                "recovery_codes_left": factors.recovery_left,
            },
            "last_login": last.as_ref().map(|e| json!({"at": when(e.at), "ip": e.ip, "client_id": e.client_id})),
            "created_at": when(u.created_at),
            "updated_at": when(u.updated_at),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    println!("login:          {}", u.username);
    println!("name:           {}", view.display_name);
    println!("NIP:            {}", or_dash(&u.nip));
    if let Some(nik) = &view.nik {
        println!("NIK:            {nik}");
    }
    println!("e-mail:         {}", or_dash(&u.email));
    println!("phone:          {}", or_dash(&u.phone));
    println!("administrator:  {}", if u.is_admin { "yes" } else { "no" });
    if u.status == crate::users::AccountStatus::Suspended {
        println!(
            "status:         suspended since {}: {}",
            when_or_dash(u.suspended_at),
            u.suspended_reason
                .as_deref()
                .unwrap_or("no reason recorded")
        );
    } else {
        println!("status:         {}", u.status);
    }
    match (&u.opd_code, &unit) {
        (Some(_), Some(o)) => println!("OPD:            {} ({})", o.code, o.name),
        (Some(code), None) => println!("OPD:            {code} (not in the OPD tree)"),
        (None, _) => println!("OPD:            -"),
    }
    println!("unit kerja:     {}", or_dash(&u.unit_kerja));
    let mut position = u.jabatan.clone().unwrap_or_else(|| "-".into());
    for extra in [&u.eselon, &u.golongan].into_iter().flatten() {
        position.push_str(&format!(", {extra}"));
    }
    println!("position:       {position}");
    if let Some(k) = &view.kedudukan {
        println!("kedudukan:      {} {}", k.code, k.name.unwrap_or(""));
    }
    if roles.is_empty() {
        println!("roles:          none");
    } else {
        println!("roles:");
        for r in &roles {
            println!(
                "  {}:{}@{} ({}){}",
                r.client_id,
                r.role,
                r.opd_code.as_deref().unwrap_or("*"),
                r.scope_kind,
                r.valid_until
                    .map(|t| format!(" until {}", when(t)))
                    .unwrap_or_default()
            );
        }
    }
    let mut second = Vec::new();
    if factors.totp.is_some() {
        second.push("TOTP".to_owned());
    }
    if !factors.passkeys.is_empty() {
        second.push(format!("{} passkey(s)", factors.passkeys.len()));
    }
    println!(
        "second factors: {}; {} recovery code(s) left",
        if second.is_empty() {
            "none".to_owned()
        } else {
            second.join(", ")
        },
        factors.recovery_left
    );
    match &last {
        Some(e) => println!(
            "last login:     {} from {}",
            when(e.at),
            e.ip.as_deref().unwrap_or("-")
        ),
        None => println!("last login:     none recorded"),
    }
    println!("created:        {}", when(u.created_at));
    println!("updated:        {}", when(u.updated_at));
    Ok(())
}

async fn add(state: &AppState, args: UserAdd, json_out: bool) -> anyhow::Result<()> {
    let password = crate::cli::io::read_new_password()?;
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
            password: Some(password),
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

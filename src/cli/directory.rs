//! Command-line faces of the directory (issue #3): `gapura import opd|asn FILE`
//! (`--dry-run`, `--sync`, `--json` report), `gapura opd list` (the tree) and
//! `gapura role ...` to declare application roles and manage assignments (e.g. the
//! first OPD administrators).

use crate::access::roles::{self, NewAssignment, ScopeKind};
use crate::audit::AuditEvent;
use crate::cli::io::{parse_when, say_if_empty, when, when_json};
use crate::directory::{asn_import, opd, opd_import, people};
use crate::state::AppState;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use entity::{role_assignment, user_account};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// OPD units from CSV (code,name,kind,parent_code).
    Opd {
        /// The CSV file.
        file: PathBuf,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// ASN records from a SIASN-style CSV export (upsert by NIP, all-or-nothing).
    Asn {
        /// The CSV file.
        file: PathBuf,
        /// Report what would be created, updated, suspended; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Suspend accounts missing from the file or with kedudukan 04, 66, 99.
        #[arg(long)]
        sync: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Declare a role of an application (OIDC client); declaring it again changes nothing.
    Declare {
        /// The application's client_id.
        #[arg(long, allow_hyphen_values = true)]
        client: String,
        /// The role name: lower-case letters, digits, `-`, `_`, `.`.
        #[arg(long)]
        role: String,
        /// What the role allows, for administrators.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Give a person a role (`--client gapura --role opd-admin` makes an OPD administrator).
    Assign(AssignArgs),
    /// A person's live assignments.
    List {
        /// The person's NIP.
        #[arg(long)]
        nip: String,
    },
    /// End an assignment (kept for history).
    End {
        /// The assignment's id (from `role list`).
        #[arg(long)]
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The person's NIP.
    #[arg(long)]
    pub nip: String,
    /// The application's client_id (`gapura` for Gapura's own roles).
    #[arg(long, allow_hyphen_values = true)]
    pub client: String,
    /// A role the application declares.
    #[arg(long)]
    pub role: String,
    /// The OPD unit's code (not for city-wide roles).
    #[arg(long)]
    pub opd: Option<String>,
    /// opd, subtree or city.
    #[arg(long, default_value = "subtree")]
    pub scope: String,
    /// Valid until this time, ISO 8601: 2026-12-31T17:00:00Z, 2027-01-01T00:00:00+07:00,
    /// or a bare date 2027-01-01 (its start, 00:00 UTC).
    #[arg(long, value_parser = parse_when)]
    pub until: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum OpdCommand {
    /// The OPD tree: code, name, kind, parent and active accounts in each unit.
    List,
}

pub async fn import(state: &AppState, cmd: ImportCommand, json_out: bool) -> anyhow::Result<()> {
    let report = match cmd {
        ImportCommand::Opd { file, dry_run } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            opd_import::import(state, f, dry_run, "cli").await?
        }
        ImportCommand::Asn {
            file,
            dry_run,
            sync,
        } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let opts = asn_import::ImportOptions {
                dry_run,
                sync,
                actor: "cli".into(),
            };
            asn_import::import(state, f, &opts).await?
        }
    };
    if json_out {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    if !report.rejected.is_empty() {
        bail!(
            "{} rows rejected; nothing was written",
            report.rejected.len()
        );
    }
    Ok(())
}

pub async fn role(state: &AppState, cmd: RoleCommand, json_out: bool) -> anyhow::Result<()> {
    let now = state.now();
    match cmd {
        RoleCommand::Declare {
            client,
            role,
            description,
        } => {
            let existing = roles::roles_of(&state.db, &client)
                .await?
                .into_iter()
                .find(|r| r.role == role);
            let (r, created) = match existing {
                Some(r) => (r, false),
                None => {
                    let r = roles::declare(&state.db, now, &client, &role, &description).await?;
                    audit(
                        state,
                        "admin.role.declare",
                        json!({"client": client, "role": r.role}),
                    )
                    .await?;
                    (r, true)
                }
            };
            if json_out {
                let mut v = serde_json::to_value(&r)?;
                v["created"] = json!(created);
                println!("{v}");
            } else if created {
                println!("{} now declares role {}", r.client_id, r.role);
            } else {
                println!(
                    "{} already declared role {}; nothing changed",
                    r.client_id, r.role
                );
            }
        }
        RoleCommand::Assign(a) => {
            let person = people::by_nip(&state.db, &a.nip)
                .await?
                .with_context(|| format!("no ASN with NIP {}", a.nip))?;
            let scope =
                ScopeKind::parse(&a.scope).context("--scope must be opd, subtree or city")?;
            let row = roles::assign(
                &state.db,
                now,
                NewAssignment {
                    user_id: person.id.clone(),
                    client_id: a.client,
                    role: a.role,
                    opd_code: a.opd,
                    scope,
                    valid_from: None,
                    valid_until: a.until,
                    created_by: Some("cli".into()),
                },
            )
            .await?;
            audit(
                state,
                "admin.assignment.create",
                json!({"id": row.id, "subject": person.id}),
            )
            .await?;
            if json_out {
                println!("{}", assignment_json(&row));
            } else {
                println!("assignment {} created", row.id);
            }
        }
        RoleCommand::List { nip } => {
            let person = people::by_nip(&state.db, &nip)
                .await?
                .with_context(|| format!("no ASN with NIP {nip}"))?;
            let rows = roles::of_user(&state.db, &person.id, None, now, false).await?;
            if json_out {
                let v: Vec<_> = rows.iter().map(assignment_json).collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if !say_if_empty(&rows, "no assignments") {
                for r in rows {
                    println!(
                        "{}  {}:{}@{} ({}){}",
                        r.id,
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
        }
        RoleCommand::End { id } => {
            roles::find(&state.db, &id)
                .await?
                .with_context(|| format!("no assignment {id}"))?;
            roles::end(&state.db, now, &id, "ended from the command line").await?;
            audit(state, "admin.assignment.end", json!({"id": id})).await?;
            println!("assignment {id} ended");
        }
    }
    Ok(())
}

/// An assignment as `--json` shows it: times in RFC 3339.
fn assignment_json(a: &role_assignment::Model) -> serde_json::Value {
    json!({
        "id": a.id,
        "user_id": a.user_id,
        "client_id": a.client_id,
        "role": a.role,
        "opd": a.opd_code,
        "scope": a.scope_kind,
        "valid_from": when_json(a.valid_from),
        "valid_until": when_json(a.valid_until),
        "created_at": when(a.created_at),
        "created_by": a.created_by,
        "ended_at": when_json(a.ended_at),
        "ended_reason": a.ended_reason,
    })
}

/// `gapura opd list`: the tree in path order, indented by depth, with the number of
/// active accounts placed directly in each unit (one grouped count).
pub async fn opd(state: &AppState, cmd: OpdCommand, json_out: bool) -> anyhow::Result<()> {
    let OpdCommand::List = cmd;
    let units = opd::all(&state.db).await?;
    let counts: HashMap<String, i64> = user_account::Entity::find()
        .select_only()
        .column(user_account::Column::OpdCode)
        .column_as(user_account::Column::Id.count(), "n")
        .filter(user_account::Column::Status.eq(user_account::AccountStatus::Active))
        .filter(user_account::Column::OpdCode.is_not_null())
        .group_by(user_account::Column::OpdCode)
        .into_tuple::<(String, i64)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let active = |code: &str| counts.get(code).copied().unwrap_or(0);
    if json_out {
        let v: Vec<_> = units
            .iter()
            .map(|u| json!({"code": u.code, "name": u.name, "kind": u.kind, "parent": u.parent_code, "depth": u.depth, "active_asn": active(&u.code), "closed_at": when_json(u.closed_at)}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if say_if_empty(&units, "no OPD units (import them: gapura import opd FILE)") {
        return Ok(());
    }
    let width = units
        .iter()
        .map(|u| u.code.len() + 2 * usize::try_from(u.depth).unwrap_or(0))
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<width$}  {:<12} {:<16} {:>6}  NAME",
        "CODE", "KIND", "PARENT", "ASN"
    );
    for u in &units {
        let indent = "  ".repeat(usize::try_from(u.depth).unwrap_or(0));
        println!(
            "{:<width$}  {:<12} {:<16} {:>6}  {}{}",
            format!("{indent}{}", u.code),
            u.kind,
            u.parent_code.as_deref().unwrap_or("-"),
            active(&u.code),
            u.name,
            u.closed_at
                .map(|t| format!(" (closed {})", when(t)))
                .unwrap_or_default()
        );
    }
    Ok(())
}

async fn audit(
    state: &AppState,
    event: &'static str,
    detail: serde_json::Value,
) -> Result<(), crate::audit::AuditError> {
    let e = AuditEvent::new(event, true).actor("cli").detail(detail);
    state.audit.record(state.now(), e).await
}

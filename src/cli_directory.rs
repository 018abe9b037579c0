//! Command-line faces of the directory (issue #3): `gapura import opd|asn FILE`
//! (`--dry-run`, `--sync`, `--json` report) and `gapura role ...` to declare
//! application roles and manage assignments (e.g. the first OPD administrators).

use crate::access::roles::{self, AssignmentView, NewAssignment, ScopeKind};
use crate::audit::AuditEvent;
use crate::directory::{asn_import, opd_import, people};
use crate::state::AppState;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// OPD units from CSV (code,name,kind,parent_code).
    Opd {
        file: PathBuf,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// ASN records from a SIASN-style CSV export (upsert by NIP, all-or-nothing).
    Asn {
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
    /// Declare a role of an application (OIDC client).
    Declare {
        #[arg(long)]
        client: String,
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Give a person a role (`--client gapura --role opd-admin` makes an OPD administrator).
    Assign(AssignArgs),
    /// A person's live assignments.
    List {
        #[arg(long)]
        nip: String,
    },
    /// End an assignment (kept for history).
    End {
        #[arg(long)]
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    #[arg(long)]
    pub nip: String,
    #[arg(long)]
    pub client: String,
    #[arg(long)]
    pub role: String,
    /// The OPD unit (not for city-wide roles).
    #[arg(long)]
    pub opd: Option<String>,
    /// opd, subtree or city.
    #[arg(long, default_value = "subtree")]
    pub scope: String,
    /// Valid until (Unix seconds).
    #[arg(long)]
    pub until: Option<i64>,
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
            let r = roles::declare(&state.db, now, &client, &role, &description).await?;
            audit(
                state,
                "admin.role.declare",
                json!({"client": client, "role": r.role}),
            )
            .await?;
            if json_out {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!("{} now declares role {}", r.client_id, r.role);
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
            let view = AssignmentView::from(row);
            if json_out {
                println!("{}", serde_json::to_string(&view)?);
            } else {
                println!("assignment {} created", view.id);
            }
        }
        RoleCommand::List { nip } => {
            let person = people::by_nip(&state.db, &nip)
                .await?
                .with_context(|| format!("no ASN with NIP {nip}"))?;
            let rows: Vec<AssignmentView> = roles::of_user(&state.db, &person.id, None, now, false)
                .await?
                .into_iter()
                .map(AssignmentView::from)
                .collect();
            if json_out {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    println!(
                        "{}  {}:{}@{} ({})",
                        r.id,
                        r.client_id,
                        r.role,
                        r.opd.as_deref().unwrap_or("*"),
                        r.scope
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

async fn audit(
    state: &AppState,
    event: &'static str,
    detail: serde_json::Value,
) -> Result<(), crate::audit::AuditError> {
    let e = AuditEvent::new(event, true).actor("cli").detail(detail);
    state.audit.record(state.now(), e).await
}

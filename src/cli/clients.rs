//! `gapura client ...`: register, list, show, change, disable/enable and rotate the
//! secret of OIDC clients. Every change goes through `crate::clients` (the checks of
//! registration, the audit record, the cache epoch that tells running servers).
//! Client ids are random base64url and may begin with `-`: they are accepted as
//! positional arguments anyway.

use crate::audit::AuditEvent;
use crate::cli::io::{say_if_empty, when, width};
use crate::clients::{self, AuthMethod, Client, ClientChange, NewClient, RoleClaims, StatusChange};
use crate::jose::Alg;
use crate::state::AppState;
use anyhow::{Context, bail};
use clap::{ArgAction, Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;

/// Who the audit log names for changes made here.
const ACTOR: &str = "cli";

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints client_id and (for confidential clients) the secret, once.
    Add(Box<ClientAdd>),
    /// List registered clients.
    List,
    /// Everything about one client: settings, status, declared roles, live grants.
    Show {
        /// The client_id (may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Change a client's settings, checked as at registration (auth method and keys stay).
    Update(Box<ClientUpdate>),
    /// Disable a client: logins and token requests are refused, its grants revoked.
    Disable {
        /// The client_id (may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Enable a disabled client again (revoked grants stay revoked).
    Enable {
        /// The client_id (may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Give a confidential client a new secret, shown once; the old one is refused at once.
    RotateSecret {
        /// The client_id (may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
}

#[derive(Debug, Args)]
pub struct ClientAdd {
    /// The application's name, shown on the consent page.
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

#[derive(Debug, Args)]
pub struct ClientUpdate {
    /// The client_id (may begin with `-`).
    #[arg(allow_hyphen_values = true)]
    pub client_id: String,
    /// A new name, shown on the consent page.
    #[arg(long)]
    pub name: Option<String>,
    /// Exact redirect URI (repeatable); the given ones replace the whole list.
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URI (repeatable); the given ones replace the list.
    #[arg(
        long = "post-logout-redirect-uri",
        conflicts_with = "no_post_logout_redirect_uris"
    )]
    pub post_logout_redirect_uris: Vec<String>,
    /// Remove every post-logout redirect URI.
    #[arg(long)]
    pub no_post_logout_redirect_uris: bool,
    /// Grant type (repeatable): authorization_code, refresh_token, client_credentials;
    /// the given ones replace the list.
    #[arg(long = "grant")]
    pub grants: Vec<String>,
    /// Space-separated scopes the client may request (replaces the set; refresh
    /// tokens already issued lose what is dropped).
    #[arg(long)]
    pub scope: Option<String>,
    /// Skip the consent page (true) or show it (false).
    #[arg(long, action = ArgAction::Set, value_name = "true|false")]
    pub first_party: Option<bool>,
    /// Back-Channel Logout URI; an empty value removes it.
    #[arg(long)]
    pub backchannel_logout_uri: Option<String>,
    /// Front-Channel Logout URI; an empty value removes it.
    #[arg(long)]
    pub frontchannel_logout_uri: Option<String>,
    /// Ask for `iss`/`sid` on front-channel logout and `sid` in logout tokens (true/false).
    #[arg(long, action = ArgAction::Set, value_name = "true|false")]
    pub logout_session_required: Option<bool>,
    /// Where role claims go: comma-separated id_token, userinfo, access_token, introspection.
    #[arg(long)]
    pub role_claims: Option<String>,
}

pub async fn run(state: &AppState, cmd: ClientCommand, json_out: bool) -> anyhow::Result<()> {
    match cmd {
        ClientCommand::Add(args) => add(state, *args, json_out).await,
        ClientCommand::List => list(state, json_out).await,
        ClientCommand::Show { client_id } => show(state, &client_id, json_out).await,
        ClientCommand::Update(args) => update(state, *args, json_out).await,
        ClientCommand::Disable { client_id } => set_active(state, &client_id, false).await,
        ClientCommand::Enable { client_id } => set_active(state, &client_id, true).await,
        ClientCommand::RotateSecret { client_id } => {
            let secret = clients::rotate_secret(state, &client_id, ACTOR).await?;
            if json_out {
                println!(
                    "{}",
                    json!({"client_id": client_id, "client_secret": secret})
                );
            } else {
                println!("client_id:     {client_id}");
                println!("client_secret: {secret}");
                println!("(the new secret is shown only now; the old one no longer works)");
            }
            Ok(())
        }
    }
}

async fn add(state: &AppState, args: ClientAdd, json_out: bool) -> anyhow::Result<()> {
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
                Some(r) => Some(RoleClaims::parse(r).map_err(anyhow::Error::msg)?),
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
                .actor(ACTOR)
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

fn status(c: &Client) -> &'static str {
    if c.active {
        clients::STATUS_ACTIVE
    } else {
        clients::STATUS_DISABLED
    }
}

/// A client as `--json` shows it (never its secret or digest).
fn client_json(c: &Client) -> serde_json::Value {
    json!({
        "client_id": c.id,
        "name": c.name,
        "status": status(c),
        "active": c.active,
        "token_endpoint_auth_method": c.auth_method.as_str(),
        "redirect_uris": c.redirect_uris,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "grant_types": c.grant_types,
        "scope": c.allowed_scopes.to_string(),
        "first_party": c.first_party,
        "id_token_signed_response_alg": c.alg.as_str(),
        "jwks_keys": c.jwks.as_ref().map(|j| j.keys.len()),
        "backchannel_logout_uri": c.backchannel_logout_uri,
        "backchannel_logout_session_required": c.backchannel_logout_session_required,
        "frontchannel_logout_uri": c.frontchannel_logout_uri,
        "frontchannel_logout_session_required": c.frontchannel_logout_session_required,
        "min_acr": c.min_acr.map(|a| a.as_str()),
        "nik_allowed": c.nik_allowed,
        "role_claims": c.role_claims.to_string(),
        "created_at": when(c.created_at),
        "updated_at": when(c.updated_at),
    })
}

async fn list(state: &AppState, json_out: bool) -> anyhow::Result<()> {
    let list = clients::list(&state.db).await?;
    if json_out {
        let v: Vec<_> = list.iter().map(client_json).collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if say_if_empty(&list, "no clients") {
        return Ok(());
    }
    let id_w = width(list.iter().map(|c| c.id.as_str()), 9);
    println!(
        "{:<id_w$}  {:<8}  {:<19}  NAME",
        "CLIENT_ID", "STATUS", "AUTH"
    );
    for c in list {
        println!(
            "{:<id_w$}  {:<8}  {:<19}  {}",
            c.id,
            status(&c),
            c.auth_method.as_str(),
            c.name
        );
    }
    Ok(())
}

async fn find(state: &AppState, client_id: &str) -> anyhow::Result<Client> {
    clients::find(&state.db, client_id)
        .await?
        .with_context(|| format!("no client `{client_id}`"))
}

async fn show(state: &AppState, client_id: &str, json_out: bool) -> anyhow::Result<()> {
    let c = find(state, client_id).await?;
    let roles = crate::access::roles::roles_of(&state.db, &c.id).await?;
    let grants = clients::live_grants(&state.db, &c.id).await?;
    if json_out {
        let mut v = client_json(&c);
        v["roles"] = json!(roles.iter().map(|r| &r.role).collect::<Vec<_>>());
        v["live_grants"] = json!(grants);
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(" ")
        }
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    println!("client_id:        {}", c.id);
    println!("name:             {}", c.name);
    println!("status:           {}", status(&c));
    println!("auth method:      {}", c.auth_method.as_str());
    if let Some(j) = &c.jwks {
        println!("jwks:             {} key(s)", j.keys.len());
    }
    println!("redirect URIs:    {}", list(&c.redirect_uris));
    println!("post-logout URIs: {}", list(&c.post_logout_redirect_uris));
    println!("grant types:      {}", list(&c.grant_types));
    println!("scope:            {}", c.allowed_scopes);
    println!(
        "first party:      {}",
        if c.first_party { "yes" } else { "no" }
    );
    println!("ID token alg:     {}", c.alg.as_str());
    println!(
        "back-channel:     {}{}",
        opt(&c.backchannel_logout_uri),
        if c.backchannel_logout_session_required {
            " (sid required)"
        } else {
            ""
        }
    );
    println!(
        "front-channel:    {}{}",
        opt(&c.frontchannel_logout_uri),
        if c.frontchannel_logout_session_required {
            " (iss and sid required)"
        } else {
            ""
        }
    );
    println!(
        "minimum level:    {}",
        c.min_acr.map(|a| a.as_str()).unwrap_or("any")
    );
    println!(
        "nik claim:        {}",
        if c.nik_allowed { "allowed" } else { "no" }
    );
    println!("role claims in:   {}", c.role_claims);
    let role_names: Vec<String> = roles.into_iter().map(|r| r.role).collect();
    println!("roles:            {}", list(&role_names));
    println!("live grants:      {grants}");
    println!("created:          {}", when(c.created_at));
    println!("updated:          {}", when(c.updated_at));
    Ok(())
}

async fn update(state: &AppState, args: ClientUpdate, json_out: bool) -> anyhow::Result<()> {
    let nonempty = |v: Vec<String>| (!v.is_empty()).then_some(v);
    let change = ClientChange {
        name: args.name,
        redirect_uris: nonempty(args.redirect_uris),
        post_logout_redirect_uris: if args.no_post_logout_redirect_uris {
            Some(Vec::new())
        } else {
            nonempty(args.post_logout_redirect_uris)
        },
        scopes: args.scope,
        grant_types: nonempty(args.grants),
        first_party: args.first_party,
        backchannel_logout_uri: args.backchannel_logout_uri,
        frontchannel_logout_uri: args.frontchannel_logout_uri,
        logout_session_required: args.logout_session_required,
        role_claims: match &args.role_claims {
            Some(r) => Some(RoleClaims::parse(r).map_err(anyhow::Error::msg)?),
            None => None,
        },
    };
    if change.is_empty() {
        bail!("nothing to change: give at least one setting (see `gapura client update --help`)");
    }
    let (client, changed) = clients::update(state, &args.client_id, change, ACTOR).await?;
    if json_out {
        let mut v = client_json(&client);
        v["changed"] = json!(changed);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if changed.is_empty() {
        println!(
            "client {} unchanged (it already has these settings)",
            client.id
        );
    } else {
        println!("client {} updated: {}", client.id, changed.join(", "));
    }
    Ok(())
}

async fn set_active(state: &AppState, client_id: &str, active: bool) -> anyhow::Result<()> {
    let word = if active { "enabled" } else { "disabled" };
    match clients::set_active(state, client_id, active, ACTOR).await? {
        StatusChange::Unchanged => println!("client {client_id} was already {word}"),
        StatusChange::Changed { grants_revoked } if !active => {
            println!("client {client_id} disabled; {grants_revoked} grant(s) revoked")
        }
        StatusChange::Changed { .. } => println!("client {client_id} enabled"),
    }
    Ok(())
}

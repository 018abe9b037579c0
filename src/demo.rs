//! Demo data for `gapura serve --demo`: the OPDs of Kota Bogor and a few synthetic
//! ASN, loaded through the directory importers (so the demo exercises them), the
//! demo password for those ASN, and the `demo-rp` client with its roles. Loading
//! twice changes nothing.

use crate::access::roles::{self, NewAssignment, ScopeKind};
use crate::clients::{self, NewClient};
use crate::directory::{DirectoryError, asn_import, opd_import, people};
use crate::state::AppState;
use crate::users;
use entity::user_account;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use secrecy::SecretString;

pub const OPD_CSV: &str = include_str!("../demo/opd-kota-bogor.csv");
pub const ASN_CSV: &str = include_str!("../demo/asn-demo.csv");
pub const DEMO_PASSWORD: &str = "Bogor-Demo-2026";
pub const DEMO_CLIENT_ID: &str = "demo-rp";
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:8081/callback";
/// Where `examples/demo-rp.rs` wants Gapura to return after logout.
pub const DEMO_POST_LOGOUT_URI: &str = "http://127.0.0.1:8081/logged-out";
/// Where `examples/demo-rp.rs` receives back-channel logout tokens.
pub const DEMO_BACKCHANNEL_URI: &str = "http://127.0.0.1:8081/backchannel-logout";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data is malformed: {0}")]
    Csv(#[from] csv::Error),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("account: {0}")]
    User(#[from] users::UserError),
    #[error("client: {0}")]
    Client(#[from] clients::ClientError),
    #[error("directory: {0}")]
    Directory(#[from] DirectoryError),
    #[error("demo data rejected: {0}")]
    Rejected(String),
}

/// The accounts demo data may find in a database: its own ASN and the bootstrap
/// administrator.
fn demo_logins() -> Vec<String> {
    let mut logins = vec!["admin".to_owned()];
    let mut reader = csv::Reader::from_reader(ASN_CSV.as_bytes());
    logins.extend(
        reader
            .records()
            .filter_map(Result::ok)
            .filter_map(|r| r.get(0).map(|nip| nip.trim().to_owned())),
    );
    logins
}

/// Why demo data must not be loaded here, or `None`: demo accounts share a
/// published password and the demo client is public, so demo data belongs only in
/// a database of its own, on a localhost issuer.
pub async fn refusal(
    db: &DatabaseConnection,
    issuer: Option<&str>,
) -> Result<Option<String>, DemoError> {
    let mut reasons = Vec::new();
    if let Some(issuer) = issuer
        && !crate::config::is_localhost_issuer(issuer)
    {
        reasons.push(format!("the issuer {issuer} is not a localhost address"));
    }
    let foreign = user_account::Entity::find()
        .filter(user_account::Column::Username.is_not_in(demo_logins()));
    let count = foreign.clone().count(db).await?;
    if count > 0 {
        let examples: Vec<String> = foreign
            .select_only()
            .column(user_account::Column::Username)
            .limit(3)
            .into_tuple()
            .all(db)
            .await?;
        reasons.push(format!(
            "the database holds {count} account(s) that are not demo accounts (e.g. {})",
            examples.join(", ")
        ));
    }
    if reasons.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "refusing to load demo data: {}. Demo accounts share a published password and the demo \
         client is public: they belong in a database of their own on localhost. Run the demo \
         on an empty data folder (e.g. DATABASE_URL=sqlite://demo-data/gapura.db?mode=rwc) \
         with the default localhost issuer, or add --force-demo to load them anyway.",
        reasons.join("; ")
    )))
}

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub opds: usize,
    pub people: Vec<(String, String)>,
}

pub async fn load(state: &AppState) -> Result<DemoSummary, DemoError> {
    let mut summary = DemoSummary::default();
    let report = opd_import::import(state, OPD_CSV.as_bytes(), false, "demo").await?;
    if !report.rejected.is_empty() {
        return Err(DemoError::Rejected(report.text()));
    }
    summary.opds = report.created as usize;
    let opts = asn_import::ImportOptions {
        actor: "demo".into(),
        ..Default::default()
    };
    let report = asn_import::import(state, ASN_CSV.as_bytes(), &opts).await?;
    if !report.rejected.is_empty() {
        return Err(DemoError::Rejected(report.text()));
    }
    let mut reader = csv::Reader::from_reader(ASN_CSV.as_bytes());
    let mut first = None;
    for row in reader.records() {
        let row = row?;
        let Some(user) = people::by_nip(&state.db, row.get(0).unwrap_or_default().trim()).await?
        else {
            continue;
        };
        if !users::is_active(&user) {
            continue;
        }
        summary
            .people
            .push((user.username.clone(), users::display_name(&user)));
        first.get_or_insert_with(|| user.clone());
        if user.password_hash.is_none() {
            users::set_password(
                &state.db,
                &state.hasher,
                state.clock.as_ref(),
                user,
                &SecretString::from(DEMO_PASSWORD),
            )
            .await?;
        }
    }

    if let Some(existing) = clients::find(&state.db, DEMO_CLIENT_ID).await? {
        update_logout_uris(state, &existing).await?;
    } else {
        clients::register(
            &state.db,
            &state.master,
            state.clock.as_ref(),
            NewClient {
                client_id: Some(DEMO_CLIENT_ID.into()),
                name: "Demo RP (contoh aplikasi)".into(),
                redirect_uris: vec![
                    DEMO_REDIRECT_URI.into(),
                    "http://localhost:8081/callback".into(),
                ],
                post_logout_redirect_uris: vec![
                    DEMO_POST_LOGOUT_URI.into(),
                    "http://localhost:8081/logged-out".into(),
                ],
                backchannel_logout_uri: Some(DEMO_BACKCHANNEL_URI.into()),
                backchannel_logout_session_required: true,
                public: true,
                scopes: Some("openid profile email phone offline_access asn roles".into()),
                ..NewClient::default()
            },
        )
        .await?;
        for role in ["pegawai", "verifikator"] {
            roles::declare(&state.db, state.now(), DEMO_CLIENT_ID, role, "demo").await?;
        }
        if let Some(u) = first {
            roles::assign(
                &state.db,
                state.now(),
                NewAssignment {
                    user_id: u.id.clone(),
                    client_id: DEMO_CLIENT_ID.into(),
                    role: "verifikator".into(),
                    opd_code: u.opd_code.clone(),
                    scope: ScopeKind::Subtree,
                    valid_from: None,
                    valid_until: None,
                    created_by: Some("demo".into()),
                },
            )
            .await?;
        }
    }
    Ok(summary)
}

/// A `demo-rp` registered by an older demo (without the logout URIs the example uses)
/// gets them, so its logout button and back-channel endpoint work on an existing data
/// folder too. Anything else about the client is left as it is.
async fn update_logout_uris(state: &AppState, existing: &clients::Client) -> Result<(), DemoError> {
    use entity::client;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let has_post_logout = existing
        .post_logout_redirect_uris
        .iter()
        .any(|u| u == DEMO_POST_LOGOUT_URI);
    if has_post_logout && existing.backchannel_logout_uri.is_some() {
        return Ok(());
    }
    let mut post_logout = existing.post_logout_redirect_uris.clone();
    if !has_post_logout {
        post_logout.push(DEMO_POST_LOGOUT_URI.into());
    }
    let post_logout =
        serde_json::to_string(&post_logout).map_err(|e| DemoError::Rejected(e.to_string()))?;
    let mut update = client::Entity::update_many()
        .col_expr(
            client::Column::PostLogoutRedirectUris,
            Expr::value(post_logout),
        )
        .col_expr(client::Column::UpdatedAt, Expr::value(state.now()));
    if existing.backchannel_logout_uri.is_none() {
        update = update
            .col_expr(
                client::Column::BackchannelLogoutUri,
                Expr::value(DEMO_BACKCHANNEL_URI),
            )
            .col_expr(
                client::Column::BackchannelLogoutSessionRequired,
                Expr::value(true),
            );
    }
    update
        .filter(client::Column::ClientId.eq(DEMO_CLIENT_ID))
        .exec(&state.db)
        .await?;
    state.clients_cache.invalidate(&DEMO_CLIENT_ID.to_owned());
    tracing::info!(
        client_id = DEMO_CLIENT_ID,
        "demo client updated with the example's logout URIs"
    );
    Ok(())
}

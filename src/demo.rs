//! Demo data for `gapura serve --demo`: the OPDs of Kota Bogor, a few synthetic ASN
//! (all with the demo password printed on the console) and the `demo-rp` client
//! used by `cargo run --example demo-rp`. Loading twice changes nothing.

use crate::clients::{self, NewClient};
use crate::state::AppState;
use crate::users::{self, NewUser};
use entity::opd;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use secrecy::SecretString;

pub const OPD_CSV: &str = include_str!("../demo/opd-kota-bogor.csv");
pub const ASN_CSV: &str = include_str!("../demo/asn-demo.csv");
pub const DEMO_PASSWORD: &str = "Bogor-Demo-2026";
pub const DEMO_CLIENT_ID: &str = "demo-rp";
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:8081/callback";

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
}

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub opds: usize,
    pub people: Vec<(String, String)>,
}

pub async fn load(state: &AppState) -> Result<DemoSummary, DemoError> {
    let mut summary = DemoSummary::default();
    let now = state.now();
    let mut reader = csv::Reader::from_reader(OPD_CSV.as_bytes());
    for row in reader.records() {
        let row = row?;
        let code = row.get(0).unwrap_or_default().trim().to_owned();
        if code.is_empty()
            || opd::Entity::find_by_id(code.clone())
                .one(&state.db)
                .await?
                .is_some()
        {
            continue;
        }
        opd::ActiveModel {
            code: Set(code),
            name: Set(row.get(1).unwrap_or_default().trim().to_owned()),
            kind: Set(row.get(2).unwrap_or_default().trim().to_owned()),
            parent_code: Set(row
                .get(3)
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&state.db)
        .await?;
        summary.opds += 1;
    }

    let mut reader = csv::Reader::from_reader(ASN_CSV.as_bytes());
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (nip, nama, depan, belakang, email, hp, opd_code, jabatan, kedudukan) = (
        col("nipBaru"),
        col("nama"),
        col("gelarDepan"),
        col("gelarBelakang"),
        col("email"),
        col("noHp"),
        col("opdKode"),
        col("jabatanNama"),
        col("kedudukanPnsId"),
    );
    for row in reader.records() {
        let row = row?;
        let get = |i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let Some(nip_value) = get(nip) else { continue };
        let active = matches!(get(kedudukan).as_deref(), Some("01") | None);
        if !active || users::find_by_login(&state.db, &nip_value).await?.is_some() {
            continue;
        }
        let user = users::create(
            &state.db,
            &state.hasher,
            state.clock.as_ref(),
            NewUser {
                username: nip_value.clone(),
                email: get(email),
                name: get(nama).unwrap_or_default(),
                gelar_depan: get(depan),
                gelar_belakang: get(belakang),
                phone: get(hp),
                opd_code: get(opd_code),
                jabatan: get(jabatan),
                password: Some(SecretString::from(DEMO_PASSWORD)),
                is_admin: false,
            },
        )
        .await?;
        summary.people.push((nip_value, users::display_name(&user)));
    }

    if clients::find(&state.db, DEMO_CLIENT_ID).await?.is_none() {
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
                post_logout_redirect_uris: vec!["http://127.0.0.1:8081/".into()],
                public: true,
                ..NewClient::default()
            },
        )
        .await?;
    }
    Ok(summary)
}

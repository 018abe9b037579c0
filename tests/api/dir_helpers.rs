//! Test harness for the directory (issue #3): fixtures, imports, people, roles,
//! tokens minted directly for API tests.
#![allow(dead_code)]

use crate::helpers::*;
use gapura::clients::{Client, NewClient};
use gapura::users::{self, User};
use secrecy::SecretString;

pub const ASN_HEADER: &str = "nipBaru,nik,nama,gelarDepan,gelarBelakang,tglLahir,jenisKelamin,email,noHp,jenisPegawai,kedudukanPnsId,kedudukanPnsNama,opdKode,unorIndukNama,unorNama,jenisJabatan,jabatanNama,eselon,golRuangAkhir";
/// A DINKES person in the sample file.
pub const DINKES_NIP: &str = "199309072019082009";
/// A person the tests add to DISDIK (not in the sample file).
pub const DISDIK_NIP: &str = "198501012010011001";

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// One CSV row in the sample's column order.
#[allow(clippy::too_many_arguments)]
pub fn asn_line(
    nip: &str,
    nik: &str,
    name: &str,
    birth: &str,
    sex: &str,
    email: &str,
    opd: &str,
    kedudukan: &str,
) -> String {
    format!(
        "{nip},{nik},{name},,S.Kom.,{birth},{sex},{email},081200000000,PNS,{kedudukan},x,{opd},x,{opd} unit,Fungsional Umum,Pengelola Data,,III/a"
    )
}

pub fn disdik_line() -> String {
    asn_line(
        DISDIK_NIP,
        "3271010101850001",
        "Budi Disdik",
        "01-01-1985",
        "L",
        "budi.disdik@kotabogor.go.id",
        "DISDIK",
        "01",
    )
}

impl TestApp {
    /// One admin API call (`path` below `/admin/api/v1`) with a Bearer token: the
    /// status and the JSON answer (`Null` when there is none).
    pub async fn admin_call(
        &self,
        method: &str,
        token: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let url = self.url(&format!("/admin/api/v1{path}"));
        let mut req = self
            .http
            .request(method.parse().unwrap(), url)
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn import_opd(&self) -> gapura::directory::report::ImportReport {
        gapura::directory::opd_import::import(
            &self.state,
            &fixture("opd-kota-bogor.csv")[..],
            false,
            "test",
        )
        .await
        .expect("opd import")
    }

    pub async fn import_asn(
        &self,
        data: &[u8],
        dry_run: bool,
        sync: bool,
    ) -> gapura::directory::report::ImportReport {
        let opts = gapura::directory::asn_import::ImportOptions {
            dry_run,
            sync,
            actor: "test".into(),
        };
        gapura::directory::asn_import::import(&self.state, data, &opts)
            .await
            .expect("asn import")
    }

    /// The OPD tree, the sample file and one DISDIK person.
    pub async fn load_directory(&self) {
        self.import_opd().await;
        let mut data = String::from_utf8(fixture("asn-sample.csv")).unwrap();
        data.push_str(&disdik_line());
        data.push('\n');
        let r = self.import_asn(data.as_bytes(), false, false).await;
        assert!(r.rejected.is_empty(), "{}", r.text());
    }

    pub async fn person(&self, nip: &str) -> User {
        gapura::directory::people::by_nip(&self.state.db, nip)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no ASN {nip}"))
    }

    pub async fn give_password(&self, nip: &str) -> User {
        let u = self.person(nip).await;
        users::set_password(
            &self.state.db,
            &self.state.hasher,
            self.state.clock.as_ref(),
            u,
            &SecretString::from(PASSWORD),
        )
        .await
        .unwrap();
        self.person(nip).await
    }

    /// An authorization code for `client`, logging in as `login`.
    pub async fn code_as(&self, client: &Client, scope: &str, login: &str) -> String {
        let url = format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=s1&nonce=n1&code_challenge={}&code_challenge_method=S256",
            self.issuer,
            enc(&client.id),
            enc(&client.redirect_uris[0]),
            enc(scope),
            challenge(VERIFIER)
        );
        let loc = self
            .authorize(&self.new_browser(), &url, login, PASSWORD)
            .await;
        query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
    }

    /// An access token minted directly (for API tests that are not about the flow).
    pub async fn mint(&self, client: &Client, user: Option<&User>, scope: &str) -> String {
        let ctx = gapura::oidc::tokens::GrantContext {
            grant_id: None,
            scope: gapura::domain::Scopes::parse(scope).unwrap(),
            sid: None,
            auth_time: None,
            acr: None,
            amr: Vec::new(),
            extra: Default::default(),
        };
        gapura::oidc::tokens::access_token(&self.state, client, user, &ctx)
            .await
            .unwrap()
            .0
    }

    /// The admin console client (may request `gapura.admin`).
    pub async fn admin_console(&self) -> Client {
        self.add_client(NewClient {
            name: "Konsol Admin".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            scopes: Some("openid profile gapura.admin".into()),
            ..NewClient::default()
        })
        .await
        .0
    }

    pub async fn super_admin(&self) -> User {
        users::find_by_login(&self.state.db, "admin")
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn assign(
        &self,
        user: &User,
        client_id: &str,
        role: &str,
        opd: Option<&str>,
        scope: &str,
    ) -> entity::role_assignment::Model {
        use gapura::access::roles::{self, NewAssignment, ScopeKind};
        roles::assign(
            &self.state.db,
            self.state.now(),
            NewAssignment {
                user_id: user.id.clone(),
                client_id: client_id.into(),
                role: role.into(),
                opd_code: opd.map(str::to_owned),
                scope: ScopeKind::parse(scope).unwrap(),
                valid_from: None,
                valid_until: None,
                created_by: Some("test".into()),
            },
        )
        .await
        .expect("assign")
    }

    pub async fn declare(&self, client_id: &str, role: &str) {
        gapura::access::roles::declare(&self.state.db, self.state.now(), client_id, role, "")
            .await
            .expect("declare role");
    }
}

/// The payload of a JWT (after the RP or the server verified it).
pub fn jwt_payload(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("b64");
    serde_json::from_slice(&bytes).expect("json")
}

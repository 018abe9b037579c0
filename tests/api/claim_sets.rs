//! The exact claim set of every token and answer Gapura issues: access token,
//! ID token (fresh and refreshed), UserInfo, introspection, client-credentials
//! token and logout token. Every member is named with its value (time stamps and
//! random identifiers by their relation to the others), and no member appears
//! twice in the JSON: a claim added, dropped, renamed or duplicated fails here.
use crate::helpers::*;
use gapura::clients::{Client, NewClient};
use gapura::users::User;
use serde_json::{Map, Value, json};

/// The top-level member names of a JSON object, in order, duplicates kept.
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((k, _)) = m.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

/// Parses a JSON object, failing on a member that appears twice.
fn object(bytes: &[u8]) -> Map<String, Value> {
    let Keys(keys) = serde_json::from_slice(bytes).expect("a JSON object");
    let mut seen = std::collections::HashSet::new();
    for k in &keys {
        assert!(seen.insert(k), "member {k} appears twice in {keys:?}");
    }
    serde_json::from_slice(bytes).expect("a JSON object")
}

fn payload(jwt: &str) -> Map<String, Value> {
    use base64::Engine;
    let part = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("b64");
    object(&bytes)
}

/// Takes `iat`, `exp` and `jti` out of `c` after checking them: `iat` within the
/// test's time window, `exp` `ttl` seconds later, `jti` a fresh random string.
/// ID tokens carry no `jti`.
fn take_times(c: &mut Map<String, Value>, window: (i64, i64), ttl: i64, has_jti: bool) -> i64 {
    let iat = c.remove("iat").and_then(|v| v.as_i64()).expect("iat");
    assert!(
        window.0 <= iat && iat <= window.1,
        "iat {iat} in {window:?}"
    );
    assert_eq!(c.remove("exp").and_then(|v| v.as_i64()), Some(iat + ttl));
    match c.remove("jti") {
        Some(jti) => assert!(
            has_jti && jti.as_str().is_some_and(|j| j.len() >= 16),
            "jti {jti}"
        ),
        None => assert!(!has_jti, "no jti"),
    }
    iat
}

fn at_hash(access_token: &str) -> String {
    let digest = gapura::crypto::sha256(access_token.as_bytes());
    gapura::crypto::b64(&digest[..16])
}

async fn asn_client(app: &TestApp) -> (Client, String) {
    let (c, s) = app
        .add_client(NewClient {
            name: "e-Kinerja".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            scopes: Some("openid profile email phone asn roles nik".into()),
            nik_allowed: true,
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
            ..NewClient::default()
        })
        .await;
    (c, s.unwrap())
}

/// The claims about Euis every ID token and UserInfo answer carries for
/// `openid profile email phone asn roles nik`.
fn euis_claims(p: &User) -> Value {
    json!({
        "sub": p.id,
        "name": "Euis Nugraha, S.Kom.",
        "given_name": "Euis",
        "family_name": "Nugraha",
        "preferred_username": DINKES_NIP,
        "updated_at": p.updated_at,
        "email": "euis.nugraha@kotabogor.go.id",
        "email_verified": p.email_verified,
        "phone_number": "085561017723",
        "phone_number_verified": false,
        "nip": DINKES_NIP,
        "opd": {"code": "DINKES", "name": "Dinas Kesehatan", "path": "/DINKES/"},
        "unit_kerja": "Dinas Kesehatan",
        "jabatan": "Bendahara",
        "jenis_jabatan": "Fungsional Umum",
        "golongan": "III/d",
        "jenis_pegawai": "PNS",
        "kedudukan": {"code": "01", "name": "Aktif"},
        "nik": "3271064709931171",
        "roles": [
            {"role": "pegawai", "opd": null, "scope": "city"},
            {"role": "verifikator", "opd": "DINKES", "scope": "subtree"}
        ],
        "roles_flat": ["pegawai@*", "verifikator@DINKES"],
    })
}

fn merged(a: Value, b: Value) -> Map<String, Value> {
    let (Value::Object(mut a), Value::Object(b)) = (a, b) else {
        panic!("objects")
    };
    a.extend(b);
    a
}

#[tokio::test]
async fn every_token_and_answer_carries_exactly_its_claims() {
    let app = spawn_app().await;
    app.load_directory().await;
    let p = app.give_password(DINKES_NIP).await;
    let (client, secret) = asn_client(&app).await;
    app.declare(&client.id, "verifikator").await;
    app.declare(&client.id, "pegawai").await;
    app.assign(&p, &client.id, "verifikator", Some("DINKES"), "subtree")
        .await;
    app.assign(&p, &client.id, "pegawai", None, "city").await;
    let at_ttl = app.state.settings.tokens.access_token_ttl;
    let id_ttl = app.state.settings.tokens.id_token_ttl;
    let iss = app.issuer.clone();
    let scope = "openid profile email phone asn roles nik";
    // Scopes are answered in their canonical (sorted) order.
    let granted = "asn email nik openid phone profile roles";

    let start = app.state.now();
    let code = app.code_as(&client, scope, DINKES_NIP).await;
    let body = json(
        app.token(
            &client,
            &secret,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await,
    )
    .await;
    let window = (start, app.state.now());
    let access = body["access_token"].as_str().unwrap().to_owned();
    let id_token = body["id_token"].as_str().unwrap();

    // The ID token: the person's claims, then the token's own.
    let mut id = payload(id_token);
    take_times(&mut id, window, id_ttl, false);
    let sid = id["sid"].as_str().expect("sid").to_owned();
    let auth_time = id["auth_time"].as_i64().expect("auth_time");
    assert!(window.0 <= auth_time && auth_time <= window.1);
    let expected = merged(
        euis_claims(&p),
        json!({
            "iss": iss,
            "aud": client.id,
            "auth_time": auth_time,
            "nonce": "n1",
            "acr": "urn:gapura:acr:pwd",
            "amr": ["pwd"],
            "sid": sid,
            "at_hash": at_hash(&access),
        }),
    );
    assert_eq!(id, expected);

    // The access token (RFC 9068): no personal data but the login name and roles.
    let mut at = payload(&access);
    take_times(&mut at, window, at_ttl, true);
    let gid = at["gid"].as_str().expect("gid").to_owned();
    let at_expected = json!({
        "iss": iss,
        "sub": p.id,
        "aud": iss,
        "client_id": client.id,
        "scope": granted,
        "auth_time": auth_time,
        "acr": "urn:gapura:acr:pwd",
        "amr": ["pwd"],
        "sid": sid,
        "gid": gid,
        "preferred_username": DINKES_NIP,
        "roles": [
            {"role": "pegawai", "opd": null, "scope": "city"},
            {"role": "verifikator", "opd": "DINKES", "scope": "subtree"}
        ],
        "roles_flat": ["pegawai@*", "verifikator@DINKES"],
    });
    assert_eq!(Value::Object(at), at_expected);

    // UserInfo: the person's claims, nothing about the token.
    let resp = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let ui = object(&resp.bytes().await.unwrap());
    assert_eq!(Value::Object(ui), euis_claims(&p));

    // Introspection by the token's own client, then by another client.
    let intro = |caller: &Client, secret: &str| {
        app.http
            .post(app.url("/introspect"))
            .basic_auth(&caller.id, Some(secret.to_owned()))
            .form(&[("token", access.as_str())])
            .send()
    };
    let mut own = object(
        &intro(&client, &secret)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    );
    take_times(&mut own, window, at_ttl, true);
    assert_eq!(
        Value::Object(own),
        json!({
            "active": true,
            "token_type": "Bearer",
            "scope": granted,
            "client_id": client.id,
            "aud": iss,
            "iss": iss,
            "sub": p.id,
            "auth_time": auth_time,
            "acr": "urn:gapura:acr:pwd",
            "sid": sid,
            "username": DINKES_NIP,
            "roles": [
                {"role": "pegawai", "opd": null, "scope": "city"},
                {"role": "verifikator", "opd": "DINKES", "scope": "subtree"}
            ],
            "roles_flat": ["pegawai@*", "verifikator@DINKES"],
        })
    );
    let (other, other_secret) = app.web_client().await;
    let mut theirs = object(
        &intro(&other, &other_secret)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    );
    take_times(&mut theirs, window, at_ttl, true);
    assert_eq!(
        Value::Object(theirs),
        json!({
            "active": true,
            "token_type": "Bearer",
            "scope": granted,
            "client_id": client.id,
            "aud": iss,
            "iss": iss,
        })
    );

    // Refresh: the same claims, no nonce, a new at_hash.
    let start = app.state.now();
    let refreshed = json(
        app.token(
            &client,
            &secret,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", body["refresh_token"].as_str().unwrap()),
            ],
        )
        .await,
    )
    .await;
    let window = (start, app.state.now());
    let access2 = refreshed["access_token"].as_str().unwrap();
    let mut id2 = payload(refreshed["id_token"].as_str().unwrap());
    take_times(&mut id2, window, id_ttl, false);
    let mut expected2 = expected.clone();
    expected2.remove("nonce");
    expected2.insert("at_hash".into(), json!(at_hash(access2)));
    assert_eq!(id2, expected2);
    let mut at2 = payload(access2);
    take_times(&mut at2, window, at_ttl, true);
    assert_eq!(Value::Object(at2), at_expected);

    // Client credentials: the client is the subject; no person, no grant.
    let start = app.state.now();
    let cc = json(
        app.token(&client, &secret, &[("grant_type", "client_credentials")])
            .await,
    )
    .await;
    let window = (start, app.state.now());
    let mut cc_at = payload(cc["access_token"].as_str().unwrap());
    take_times(&mut cc_at, window, at_ttl, true);
    let cc_scope = cc["scope"].as_str().unwrap_or_default();
    let mut cc_expected = json!({
        "iss": iss,
        "sub": client.id,
        "aud": iss,
        "client_id": client.id,
    });
    if !cc_scope.is_empty() {
        cc_expected["scope"] = json!(cc_scope);
    }
    assert_eq!(Value::Object(cc_at), cc_expected);
}

#[tokio::test]
async fn claims_follow_the_scopes_asked_for() {
    let app = spawn_app().await;
    let siti = app.siti().await;
    let (client, secret) = app.web_client().await;
    let iss = app.issuer.clone();
    let start = app.state.now();
    // `openid` alone: only `sub` about the person.
    let code = app.code_for(&client, "openid", VERIFIER).await;
    let body = json(
        app.token(
            &client,
            &secret,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await,
    )
    .await;
    let window = (start, app.state.now());
    let access = body["access_token"].as_str().unwrap();
    let mut id = payload(body["id_token"].as_str().unwrap());
    take_times(
        &mut id,
        window,
        app.state.settings.tokens.id_token_ttl,
        false,
    );
    let sid = id["sid"].clone();
    let auth_time = id["auth_time"].clone();
    assert_eq!(
        Value::Object(id),
        json!({
            "sub": siti.id,
            "iss": iss,
            "aud": client.id,
            "auth_time": auth_time,
            "nonce": "n1",
            "acr": "urn:gapura:acr:pwd",
            "amr": ["pwd"],
            "sid": sid,
            "at_hash": at_hash(access),
        })
    );
    let mut at = payload(access);
    take_times(
        &mut at,
        window,
        app.state.settings.tokens.access_token_ttl,
        true,
    );
    let gid = at["gid"].clone();
    assert_eq!(
        Value::Object(at),
        json!({
            "iss": iss,
            "sub": siti.id,
            "aud": iss,
            "client_id": client.id,
            "scope": "openid",
            "auth_time": auth_time,
            "acr": "urn:gapura:acr:pwd",
            "amr": ["pwd"],
            "sid": sid,
            "gid": gid,
        })
    );
    let ui = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        Value::Object(object(&ui.bytes().await.unwrap())),
        json!({"sub": siti.id})
    );

    // `profile`: titles in `name`, not in the given and family names; one word
    // is a given name only.
    let profile = gapura::domain::Scopes::parse("openid profile").unwrap();
    let c = serde_json::to_vec(&gapura::oidc::claims::user_claims(&siti, &profile)).unwrap();
    assert_eq!(
        Value::Object(object(&c)),
        json!({
            "sub": siti.id,
            "name": "Dr. Siti Aminah, S.Kom., M.T.",
            "given_name": "Siti",
            "family_name": "Aminah",
            "preferred_username": "198609262015052001",
            "updated_at": siti.updated_at,
        })
    );
    let mut one = siti.clone();
    one.name = "Sukarno".into();
    one.gelar_depan = None;
    one.gelar_belakang = None;
    one.email_verified = true;
    one.phone = None;
    let all = gapura::domain::Scopes::parse("openid profile email phone").unwrap();
    let c = serde_json::to_vec(&gapura::oidc::claims::user_claims(&one, &all)).unwrap();
    assert_eq!(
        Value::Object(object(&c)),
        json!({
            "sub": siti.id,
            "name": "Sukarno",
            "given_name": "Sukarno",
            "preferred_username": "198609262015052001",
            "updated_at": siti.updated_at,
            "email": "siti.aminah@kotabogor.go.id",
            "email_verified": true,
        })
    );
}

#[tokio::test]
async fn logout_tokens_carry_exactly_their_claims() {
    let app = spawn_app().await;
    let siti = app.siti().await;
    let (client, _) = app.web_client().await;
    let iss = app.issuer.clone();
    let event = json!({"http://schemas.openid.net/event/backchannel-logout": {}});
    for sid in [Some("sid-1"), None] {
        let start = app.state.now();
        let token = gapura::logout::backchannel::logout_token(&app.state, &client, &siti.id, sid)
            .await
            .unwrap();
        let window = (start, app.state.now());
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
        let mut c = payload(&token);
        assert!(c.contains_key("jti"));
        take_times(&mut c, window, 120, true);
        let mut expected = json!({
            "iss": iss,
            "aud": client.id,
            "sub": siti.id,
            "events": event,
        });
        if let Some(sid) = sid {
            expected["sid"] = json!(sid);
        }
        assert_eq!(Value::Object(c), expected);
    }
}

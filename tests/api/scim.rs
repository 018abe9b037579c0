//! SCIM 2.0 read endpoints and the directory API, with a client-credentials token.
use crate::helpers::*;
use gapura::clients::NewClient;
use serde_json::Value;

async fn app_token(app: &TestApp) -> String {
    let (client, secret) = app
        .add_client(NewClient {
            name: "SIMPEG".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: Some("directory.read".into()),
            ..NewClient::default()
        })
        .await;
    let t = json(
        app.token(
            &client,
            &secret.unwrap(),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "directory.read"),
            ],
        )
        .await,
    )
    .await;
    t["access_token"].as_str().unwrap().to_owned()
}

async fn scim(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let resp = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_eq!(
        resp.headers()["content-type"],
        "application/scim+json",
        "{path}"
    );
    (
        status,
        serde_json::from_str(&resp.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn scim_users_and_groups() {
    let app = spawn_app().await;
    app.load_directory().await;
    let t = app_token(&app).await;
    let (s, v) = scim(
        &app,
        &t,
        &format!(
            "/scim/v2/Users?filter={}",
            enc(&format!("userName eq \"{DINKES_NIP}\""))
        ),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        v["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(
        (
            v["totalResults"].as_u64(),
            v["itemsPerPage"].as_u64(),
            v["startIndex"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let u = &v["Resources"][0];
    assert_eq!(u["userName"], DINKES_NIP);
    assert_eq!(
        u["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );
    assert_eq!(
        u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Dinas Kesehatan"
    );
    assert_eq!(u["active"], true);
    assert!(u["meta"]["lastModified"].as_str().unwrap().ends_with('Z'));
    assert!(!u.to_string().contains("3271064709931171"), "never the NIK");
    let id = u["id"].as_str().unwrap();
    let (s, one) = scim(&app, &t, &format!("/scim/v2/Users/{id}")).await;
    assert_eq!((s, one["userName"].as_str()), (200, Some(DINKES_NIP)));
    // paging
    let (_, page) = scim(&app, &t, "/scim/v2/Users?startIndex=3&count=2").await;
    assert_eq!(
        (
            page["totalResults"].as_u64(),
            page["itemsPerPage"].as_u64(),
            page["startIndex"].as_u64()
        ),
        (Some(201), Some(2), Some(3))
    );
    // errors per RFC 7644 §3.12
    let (s, e) = scim(
        &app,
        &t,
        &format!("/scim/v2/Users?filter={}", enc("userName co \"1993\"")),
    )
    .await;
    assert_eq!(
        (s, e["scimType"].as_str(), e["status"].as_str()),
        (400, Some("invalidFilter"), Some("400"))
    );
    assert_eq!(
        e["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let (s, _) = scim(&app, &t, "/scim/v2/Users/nope").await;
    assert_eq!(s, 404);
    let (s, _) = scim(&app, "not-a-token", "/scim/v2/Users").await;
    assert_eq!(s, 401);
    // groups: OPD units
    let (_, g) = scim(
        &app,
        &t,
        &format!(
            "/scim/v2/Groups?filter={}",
            enc("displayName eq \"Dinas Kesehatan\"")
        ),
    )
    .await;
    assert_eq!(g["totalResults"], 1);
    assert_eq!(g["Resources"][0]["id"], "DINKES");
    let (_, g) = scim(&app, &t, "/scim/v2/Groups/DINKES").await;
    assert_eq!(
        g["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:Group"
    );
    assert!(
        g["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["value"] == id)
    );
    let (_, all) = scim(&app, &t, "/scim/v2/Groups?count=10").await;
    assert_eq!(
        (all["totalResults"].as_u64(), all["itemsPerPage"].as_u64()),
        (Some(130), Some(10))
    );
}

#[tokio::test]
async fn directory_api_public_fields_and_subtree() {
    let app = spawn_app().await;
    app.load_directory().await;
    let t = app_token(&app).await;
    let v = json(
        app.http
            .get(app.url(&format!("/directory/v1/people/{DINKES_NIP}")))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["nip"], DINKES_NIP);
    assert_eq!(v["opd"]["path"], "/DINKES/");
    for private in ["nik", "phone", "birth_date", "sex"] {
        assert!(v.get(private).is_none(), "{private} is not public");
    }
    let v = json(
        app.http
            .get(app.url("/directory/v1/opd/DINKES/subtree"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items[0]["code"], "DINKES");
    assert_eq!(items.len(), 27, "DINKES, 25 puskesmas, LABKESDA");
    assert!(
        items
            .iter()
            .skip(1)
            .all(|u| u["path"].as_str().unwrap().starts_with("/DINKES/"))
    );
    let resp = app
        .http
        .get(app.url("/directory/v1/people/000"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // a person's token (no directory.read) is refused
    let (console, _) = app.web_client().await;
    let user_token = app
        .mint(&console, Some(&app.person(DINKES_NIP).await), "openid")
        .await;
    let resp = app
        .http
        .get(app.url("/directory/v1/opd/DINKES/subtree"))
        .bearer_auth(&user_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

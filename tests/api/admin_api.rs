//! Delegated administration through the admin API: an OPD administrator of DINKES
//! cannot read or touch DISDIK people or assignments, even by guessing ids.
use crate::helpers::*;
use gapura::clients::GAPURA_APP;
use serde_json::{Value, json};

struct Admins {
    app: TestApp,
    dinkes: String,
    root: String,
    console: gapura::clients::Client,
}

async fn setup() -> Admins {
    let app = spawn_app().await;
    app.load_directory().await;
    let console = app.admin_console().await;
    let dinkes_admin = app.person(DINKES_NIP).await;
    app.assign(
        &dinkes_admin,
        GAPURA_APP,
        "opd-admin",
        Some("DINKES"),
        "subtree",
    )
    .await;
    let root = app.super_admin().await;
    Admins {
        dinkes: app
            .mint(&console, Some(&dinkes_admin), "openid gapura.admin")
            .await,
        root: app.mint(&console, Some(&root), "openid gapura.admin").await,
        app,
        console,
    }
}

impl Admins {
    async fn call(
        &self,
        method: &str,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.app.admin_call(method, token, path, body).await
    }
}

#[tokio::test]
async fn opd_admin_stays_inside_their_subtree() {
    let a = setup().await;
    let t = &a.dinkes;
    // people
    let (s, v) = a.call("GET", t, &format!("/asn/{DISDIK_NIP}"), None).await;
    assert_eq!((s, v["error"].as_str()), (404, Some("not_found")));
    assert_eq!(
        a.call(
            "PATCH",
            t,
            &format!("/asn/{DISDIK_NIP}"),
            Some(json!({"phone": "0"}))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        a.call("POST", t, &format!("/asn/{DISDIK_NIP}/suspend"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        a.call("GET", t, &format!("/asn/{DISDIK_NIP}/assignments"), None)
            .await
            .0,
        404
    );
    assert_eq!(a.call("GET", t, "/asn?opd=DISDIK", None).await.0, 404);
    let (s, list) = a.call("GET", t, "/asn?limit=200", None).await;
    assert_eq!(s, 200);
    let items = list["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for p in items {
        let opd = p["opd_code"].as_str().unwrap();
        assert!(
            opd == "DINKES" || opd == "LABKESDA" || opd.starts_with("PKM-"),
            "{opd}"
        );
        assert!(p["nik"].as_str().unwrap().contains("********"));
    }
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["nip"] != DISDIK_NIP)
    );
    // the root admin sees DISDIK
    assert_eq!(
        a.call("GET", &a.root, &format!("/asn/{DISDIK_NIP}"), None)
            .await
            .0,
        200
    );

    // assignments
    let (client, _) = a.app.web_client().await;
    a.app.declare(&client.id, "verifikator").await;
    let body = |nip: &str, opd: Value, scope: &str| json!({"nip": nip, "client_id": client.id, "role": "verifikator", "opd": opd, "scope": scope});
    assert_eq!(
        a.call(
            "POST",
            t,
            "/assignments",
            Some(body(DISDIK_NIP, json!("DISDIK"), "opd"))
        )
        .await
        .0,
        404
    );
    let (s, v) = a
        .call(
            "POST",
            t,
            "/assignments",
            Some(body(DINKES_NIP, json!("DISDIK"), "opd")),
        )
        .await;
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")));
    assert_eq!(
        a.call(
            "POST",
            t,
            "/assignments",
            Some(body(DINKES_NIP, Value::Null, "city"))
        )
        .await
        .0,
        403
    );
    let gapura = json!({"nip": DINKES_NIP, "client_id": "gapura", "role": "nik-reader", "opd": "DINKES", "scope": "subtree"});
    assert_eq!(a.call("POST", t, "/assignments", Some(gapura)).await.0, 403);
    let (s, mine) = a
        .call(
            "POST",
            t,
            "/assignments",
            Some(body(DINKES_NIP, json!("PKM-01"), "opd")),
        )
        .await;
    assert_eq!(s, 201, "{mine}");
    // an assignment of a DISDIK person, made by the root admin: invisible to DINKES
    let (s, theirs) = a
        .call(
            "POST",
            &a.root,
            "/assignments",
            Some(body(DISDIK_NIP, json!("DISDIK"), "subtree")),
        )
        .await;
    assert_eq!(s, 201);
    let id = theirs["id"].as_str().unwrap();
    assert_eq!(
        a.call("GET", t, &format!("/assignments/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        a.call("DELETE", t, &format!("/assignments/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        a.call("GET", &a.root, &format!("/assignments/{id}"), None)
            .await
            .0,
        200
    );
    // the list shows DINKES only what is in reach
    let (_, listed) = a
        .call(
            "GET",
            t,
            &format!("/assignments?client_id={}", client.id),
            None,
        )
        .await;
    let listed: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&mine["id"].as_str().unwrap()) && !listed.contains(&id));
    let (_, all) = a
        .call(
            "GET",
            &a.root,
            &format!("/assignments?client_id={}&limit=1", client.id),
            None,
        )
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    assert!(all["next_cursor"].is_string());
    let mine_id = mine["id"].as_str().unwrap();
    assert_eq!(
        a.call("DELETE", t, &format!("/assignments/{mine_id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        a.call("GET", t, &format!("/assignments/{mine_id}"), None)
            .await
            .1["ended_reason"],
        "ended by an administrator"
    );

    // units
    assert_eq!(a.call("GET", t, "/opd/DISDIK", None).await.0, 404);
    assert_eq!(a.call("GET", t, "/opd/PKM-01", None).await.0, 200);
    assert_eq!(
        a.call("PATCH", t, "/opd/DINKES", Some(json!({"name": "x"})))
            .await
            .0,
        403
    );
    assert_eq!(
        a.call("PATCH", t, "/opd/DISDIK", Some(json!({"name": "x"})))
            .await
            .0,
        404
    );
    let (s, u) = a.call("POST", t, "/opd", Some(json!({"code": "PKM-01-UMUM", "name": "Subbagian Umum", "kind": "subbagian", "parent": "PKM-01"}))).await;
    assert_eq!(
        (s, u["path"].as_str()),
        (201, Some("/DINKES/PKM-01/PKM-01-UMUM/"))
    );
    assert_eq!(
        a.call(
            "POST",
            t,
            "/opd",
            Some(json!({"code": "X-1", "name": "x", "kind": "bidang", "parent": "DISDIK"}))
        )
        .await
        .0,
        404
    );
    let (s, units) = a.call("GET", t, "/opd?limit=1000", None).await;
    assert_eq!(s, 200);
    assert!(
        units["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["path"].as_str().unwrap().starts_with("/DINKES/"))
    );
    // imports are for super-admins
    assert_eq!(a.call("POST", t, "/import/asn", None).await.0, 403);
}

#[tokio::test]
async fn authentication_errors_and_bad_input_are_clear() {
    let a = setup().await;
    let resp = a
        .app
        .http
        .get(a.app.url("/admin/api/v1/asn"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(json(resp).await["error"], "invalid_token");
    let no_scope = a
        .app
        .mint(&a.console, Some(&a.app.super_admin().await), "openid")
        .await;
    let (s, v) = a.call("GET", &no_scope, "/asn", None).await;
    assert_eq!((s, v["error"].as_str()), (403, Some("insufficient_scope")));
    let nobody = a.app.person(DISDIK_NIP).await;
    let plain = a
        .app
        .mint(&a.console, Some(&nobody), "openid gapura.admin")
        .await;
    assert_eq!(a.call("GET", &plain, "/asn", None).await.0, 403);
    let resp = a
        .app
        .http
        .patch(a.app.url(&format!("/admin/api/v1/asn/{DINKES_NIP}")))
        .bearer_auth(&a.root)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"], "invalid_request");
    assert_eq!(a.call("GET", &a.root, "/asn?cursor=%%%", None).await.0, 400);
    assert_eq!(
        a.call(
            "POST",
            &a.root,
            "/assignments",
            Some(json!({"nip": DINKES_NIP}))
        )
        .await
        .0,
        400
    );
    assert_eq!(a.call("DELETE", &a.root, "/opd/DINKES", None).await.0, 409);
    // the OpenAPI document
    let doc = json(
        a.app
            .http
            .get(a.app.url("/admin/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/asn"]["get"].is_object());
}

#[tokio::test]
async fn search_pagination_nik_permission_suspension() {
    let a = setup().await;
    // search by NIP prefix, name prefix, e-mail prefix; keyset pages
    let (_, v) = a.call("GET", &a.root, "/asn?q=1993", None).await;
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["nip"].as_str().unwrap().starts_with("1993"))
    );
    let (_, v) = a.call("GET", &a.root, "/asn?q=euis", None).await;
    let names = v["items"].as_array().unwrap();
    assert!(
        !names.is_empty()
            && names
                .iter()
                .all(|p| p["name"].as_str().unwrap().starts_with("Euis"))
    );
    let (_, v) = a.call("GET", &a.root, "/asn?q=budi.disdik@", None).await;
    assert_eq!(v["items"][0]["nip"], DISDIK_NIP);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/asn?limit=70&cursor={c}"),
            None => "/asn?limit=70".into(),
        };
        let (_, v) = a.call("GET", &a.root, &path, None).await;
        seen.extend(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["username"].as_str().unwrap().to_owned()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 202, "200 sample + DISDIK + admin");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen);
    // NIK: masked even for the root admin until explicitly permitted
    let (_, v) = a
        .call("GET", &a.root, &format!("/asn/{DINKES_NIP}"), None)
        .await;
    assert_eq!(v["nik"], "3271********1171");
    let root = a.app.super_admin().await;
    a.app
        .assign(&root, GAPURA_APP, "nik-reader", None, "city")
        .await;
    let (_, v) = a
        .call("GET", &a.root, &format!("/asn/{DINKES_NIP}"), None)
        .await;
    assert_eq!(v["nik"], "3271064709931171");
    assert_eq!(a.app.audit_events("admin.nik.view").await.len(), 1);
    // suspension by the DINKES admin of a DINKES person; reactivation
    let (_, list) = a.call("GET", &a.dinkes, "/asn?limit=5", None).await;
    let nip = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["nip"].as_str().unwrap().to_owned())
        .find(|n| n != DINKES_NIP)
        .unwrap();
    let (s, v) = a
        .call("POST", &a.dinkes, &format!("/asn/{nip}/suspend"), None)
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("suspended")));
    assert_eq!(
        a.call(
            "POST",
            &a.dinkes,
            &format!("/asn/{DINKES_NIP}/suspend"),
            None
        )
        .await
        .0,
        409,
        "not oneself"
    );
    let (s, v) = a
        .call("POST", &a.dinkes, &format!("/asn/{nip}/reactivate"), None)
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("active")));
}

#[tokio::test]
async fn import_through_the_api_is_all_or_nothing() {
    let a = setup().await;
    let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"asn.csv\"\r\nContent-Type: text/csv\r\n\r\n".to_vec();
    body.extend(fixture("asn-with-errors.csv"));
    body.extend(b"\r\n--XyZ--\r\n");
    let resp = a
        .app
        .http
        .post(a.app.url("/admin/api/v1/import/asn?dry_run=false"))
        .bearer_auth(&a.root)
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let v = json(resp).await;
    assert_eq!(v["report"]["rejected"].as_array().unwrap().len(), 10);
    assert_eq!(v["report"]["written"], false);
    let resp = a
        .app
        .http
        .post(a.app.url("/admin/api/v1/import/asn?sync=true&dry_run=true"))
        .bearer_auth(&a.root)
        .header("content-type", "text/csv")
        .body(fixture("asn-sample.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(
        v["report"]["suspended"], 1,
        "the DISDIK person is not in the file: {v}"
    );
    assert_eq!(v["report"]["written"], false);
}

//! The OPD tree: moves keep sub-tree paths right, units with staff close instead of
//! being deleted, renames and moves are audited, imports are all-or-nothing.
use crate::helpers::*;
use serde_json::{Value, json};

async fn call(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(
            method.parse().unwrap(),
            app.url(&format!("/admin/api/v1{path}")),
        )
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn moves_closing_and_deleting() {
    let app = spawn_app().await;
    app.load_directory().await;
    let console = app.admin_console().await;
    let root = app
        .mint(
            &console,
            Some(&app.super_admin().await),
            "openid gapura.admin",
        )
        .await;
    let (s, _) = call(&app, &root, "POST", "/opd", Some(json!({"code": "PKM-01-UMUM", "name": "Subbagian Umum", "kind": "subbagian", "parent": "PKM-01"}))).await;
    assert_eq!(s, 201);
    // move PKM-01 (with its child) under a Kecamatan: the whole sub-tree follows
    let (s, u) = call(
        &app,
        &root,
        "PATCH",
        "/opd/PKM-01",
        Some(json!({"parent": "KEC-BOGOR-TENGAH"})),
    )
    .await;
    assert_eq!(
        (s, u["path"].as_str()),
        (200, Some("/KEC-BOGOR-TENGAH/PKM-01/"))
    );
    let (_, child) = call(&app, &root, "GET", "/opd/PKM-01-UMUM", None).await;
    assert_eq!(child["path"], "/KEC-BOGOR-TENGAH/PKM-01/PKM-01-UMUM/");
    assert_eq!(child["depth"], 2);
    let (_, sub) = call(&app, &root, "GET", "/opd/DINKES/subtree", None).await;
    assert!(
        sub["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["code"] != "PKM-01")
    );
    // a unit cannot move under itself
    let (s, v) = call(
        &app,
        &root,
        "PATCH",
        "/opd/PKM-01",
        Some(json!({"parent": "PKM-01-UMUM"})),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("conflict")));
    assert!(!app.audit_events("opd.change").await.is_empty());
    // DINKES has staff: no delete; closing needs its sub-units closed first
    assert_eq!(
        call(&app, &root, "DELETE", "/opd/DINKES", None).await.0,
        409
    );
    assert_eq!(
        call(
            &app,
            &root,
            "PATCH",
            "/opd/DINKES",
            Some(json!({"closed": true}))
        )
        .await
        .0,
        409
    );
    // an empty unit can be deleted; a unit with staff closes and takes no new staff
    assert_eq!(
        call(&app, &root, "DELETE", "/opd/PKM-01-UMUM", None)
            .await
            .0,
        204
    );
    let (s, u) = call(
        &app,
        &root,
        "PATCH",
        "/opd/PKM-24",
        Some(json!({"closed": true})),
    )
    .await;
    assert_eq!((s, u["closed"].as_bool()), (200, Some(true)));
    let r = app
        .import_asn(&fixture("asn-sample.csv"), false, false)
        .await;
    assert!(
        r.rejected
            .iter()
            .any(|x| x.reasons.iter().any(|m| m == "OPD `PKM-24` is closed"))
    );
    assert!(!r.written);
    // unknown fields and malformed bodies are refused, not ignored
    assert_eq!(
        call(
            &app,
            &root,
            "PATCH",
            "/opd/PKM-20",
            Some(json!({"nama": "x"}))
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn opd_import_reports_every_bad_row_and_moves_by_file() {
    let app = spawn_app().await;
    app.import_opd().await;
    let bad = "code;name;kind;parent_code\r\nA;Unit A;bidang;ZZZ\r\nb;x;bidang;\r\nDINKES;Dinas Kesehatan;dinas;\r\n";
    let r = gapura::directory::opd_import::import(&app.state, bad.as_bytes(), false, "test")
        .await
        .unwrap();
    assert_eq!(
        r.rejected.iter().map(|x| x.line).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert!(!r.written);
    let moved = "code,name,kind,parent_code\nPKM-02,UPTD Puskesmas Dua,puskesmas,KEC-BOGOR-TIMUR\n";
    let r = gapura::directory::opd_import::import(&app.state, moved.as_bytes(), false, "test")
        .await
        .unwrap();
    assert_eq!((r.updated, r.mutasi), (1, 1));
    let unit = gapura::directory::opd::get(&app.state.db, "PKM-02")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unit.path, "/KEC-BOGOR-TIMUR/PKM-02/");
    assert_eq!(unit.name, "UPTD Puskesmas Dua");
    let r = gapura::directory::opd_import::import(&app.state, moved.as_bytes(), false, "test")
        .await
        .unwrap();
    assert!(r.nothing_changed());
}

#[tokio::test]
async fn mutasi_through_the_admin_api_and_validity_periods() {
    let app = spawn_app().await;
    app.load_directory().await;
    let console = app.admin_console().await;
    let root = app
        .mint(
            &console,
            Some(&app.super_admin().await),
            "openid gapura.admin",
        )
        .await;
    let (client, _) = app.web_client().await;
    app.declare(&client.id, "verifikator").await;
    let p = app.person(DINKES_NIP).await;
    let old = app
        .assign(&p, &client.id, "verifikator", Some("DINKES"), "subtree")
        .await;
    let (s, v) = call(
        &app,
        &root,
        "PATCH",
        &format!("/asn/{DINKES_NIP}"),
        Some(json!({"opd": "DISDIK"})),
    )
    .await;
    assert_eq!((s, v["opd_code"].as_str()), (200, Some("DISDIK")));
    let (_, a) = call(
        &app,
        &root,
        "GET",
        &format!("/assignments/{}", old.id),
        None,
    )
    .await;
    assert_eq!(a["ended_reason"], "mutasi");
    let events = app.audit_events("asn.mutasi").await;
    assert!(events[0].detail.contains(&old.id));
    // a time-limited assignment leaves the claims when it expires
    let now = app.state.now();
    let (s, _) = call(&app, &root, "POST", "/assignments", Some(json!({"nip": DINKES_NIP, "client_id": client.id, "role": "verifikator", "opd": "DISDIK", "scope": "opd", "valid_until": now + 100}))).await;
    assert_eq!(s, 201);
    let db = &app.state.db;
    let live = gapura::access::claims::for_client(db, &p.id, &client.id, now)
        .await
        .unwrap();
    assert_eq!(live.flat, vec!["verifikator@DISDIK"]);
    let later = gapura::access::claims::for_client(db, &p.id, &client.id, now + 101)
        .await
        .unwrap();
    assert!(later.flat.is_empty());
    let (s, v) = call(&app, &root, "POST", "/assignments", Some(json!({"nip": DINKES_NIP, "client_id": client.id, "role": "verifikator", "opd": "DISDIK", "scope": "opd", "valid_until": now - 1}))).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_request")));
    let (s, _) = call(&app, &root, "POST", "/assignments", Some(json!({"nip": DINKES_NIP, "client_id": client.id, "role": "nope", "opd": "DISDIK", "scope": "opd"}))).await;
    assert_eq!(s, 400);
}

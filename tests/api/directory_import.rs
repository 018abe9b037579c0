//! Import and sync of the ASN directory (issue #3), on the real database.
use crate::helpers::*;
use entity::{role_assignment, user_account};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn asn_count(app: &TestApp) -> u64 {
    user_account::Entity::find()
        .filter(user_account::Column::Nip.is_not_null())
        .count(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn sample_imports_then_second_import_changes_nothing() {
    let app = spawn_app().await;
    let opd = app.import_opd().await;
    assert_eq!((opd.created, opd.rejected.len()), (130, 0));
    assert!(app.import_opd().await.nothing_changed());
    let first = app
        .import_asn(&fixture("asn-sample.csv"), false, false)
        .await;
    assert!(first.rejected.is_empty(), "{}", first.text());
    assert_eq!((first.rows, first.created, first.written), (200, 200, true));
    assert_eq!(asn_count(&app).await, 200);
    let again = app
        .import_asn(&fixture("asn-sample.csv"), false, false)
        .await;
    assert!(again.nothing_changed(), "{}", again.text());
    assert!(!again.written);
    assert_eq!(again.unchanged, 200);
    assert!(again.text().contains("nothing changed"));
    // titles, tree path and masked NIK as stored
    let p = app.person(DINKES_NIP).await;
    assert_eq!(p.opd_code.as_deref(), Some("DINKES"));
    assert_eq!(p.birth_date.as_deref(), Some("1993-09-07"));
}

#[tokio::test]
async fn errors_file_rejects_exactly_the_ten_defective_rows_and_writes_nothing() {
    let app = spawn_app().await;
    app.import_opd().await;
    let r = app
        .import_asn(&fixture("asn-with-errors.csv"), false, false)
        .await;
    assert_eq!(r.rows, 30);
    let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
    assert_eq!(lines, (22..=31).collect::<Vec<u64>>(), "{}", r.text());
    let all: Vec<String> = r.rejected.iter().flat_map(|x| x.reasons.clone()).collect();
    assert!(
        all.iter()
            .any(|m| m == "NIP was turned into a number by a spreadsheet (1.98609262015051E+17)")
    );
    assert!(all.iter().any(|m| m.contains("unknown OPD `DINAS-FIKTIF`")));
    assert!(all.iter().any(|m| m.contains("already appears on line 2")));
    assert!(all.iter().any(|m| m.contains("kedudukan code `77`")));
    assert!(!r.written);
    assert_eq!(asn_count(&app).await, 0, "all-or-nothing: nothing written");
    // a dry run of a good file writes nothing either, and says what would happen
    let dry = app
        .import_asn(&fixture("asn-sample.csv"), true, false)
        .await;
    assert_eq!((dry.created, dry.written), (200, false));
    assert!(dry.text().contains("would be created"));
    assert_eq!(asn_count(&app).await, 0);
}

#[tokio::test]
async fn bom_semicolons_crlf_and_column_order_are_tolerated() {
    let app = spawn_app().await;
    app.import_opd().await;
    let text = String::from_utf8(fixture("asn-sample.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let order: Vec<usize> = (0..headers.len()).rev().collect();
    let mut out = String::from("\u{feff}");
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(order.iter().map(|i| headers[*i].as_str()))
        .unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        w.write_record(order.iter().map(|i| &rec[*i])).unwrap();
    }
    out.push_str(&String::from_utf8(w.into_inner().unwrap()).unwrap());
    let r = app.import_asn(out.as_bytes(), false, false).await;
    assert_eq!((r.created, r.rejected.len()), (200, 0), "{}", r.text());
    // the same people in the plain file: nothing changed
    assert!(
        app.import_asn(&fixture("asn-sample.csv"), false, false)
            .await
            .nothing_changed()
    );
}

#[tokio::test]
async fn sync_suspends_missing_and_deprovisioned_people_and_ends_their_tokens() {
    let app = spawn_app().await;
    app.import_opd().await;
    let sample = String::from_utf8(fixture("asn-sample.csv")).unwrap();
    let extra = format!("{sample}{}\n", disdik_line());
    app.import_asn(extra.as_bytes(), false, false).await;
    // the DISDIK person and the DINKES person log in to an app and hold tokens
    let (client, secret) = app.web_client().await;
    let mut refresh = Vec::new();
    for nip in [DISDIK_NIP, DINKES_NIP] {
        app.give_password(nip).await;
        let code = app.code_as(&client, "openid profile", nip).await;
        let t = json(
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
        refresh.push((
            t["refresh_token"].as_str().unwrap().to_owned(),
            t["access_token"].as_str().unwrap().to_owned(),
        ));
    }
    // next export: the DISDIK person is gone, the DINKES person has retired (99),
    // two others were dismissed (66) and temporarily discharged (04)
    let others: Vec<String> = sample
        .lines()
        .filter(|l| l.contains(",01,Aktif,") && !l.starts_with(DINKES_NIP))
        .take(2)
        .map(|l| l[..18].to_owned())
        .collect();
    let retired = sample
        .lines()
        .map(|l| {
            if l.starts_with(DINKES_NIP) {
                l.replacen(",01,Aktif,", ",99,Pensiun,", 1)
            } else if l.starts_with(&others[0]) {
                l.replacen(",01,Aktif,", ",66,Diberhentikan,", 1)
            } else if l.starts_with(&others[1]) {
                l.replacen(",01,Aktif,", ",04,Pemberhentian Sementara,", 1)
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    // without --sync the new kedudukan is recorded but nobody is suspended
    let plain = app.import_asn(retired.as_bytes(), true, false).await;
    assert_eq!((plain.updated, plain.suspended), (3, 0), "{}", plain.text());
    let dry = app.import_asn(retired.as_bytes(), true, true).await;
    assert_eq!((dry.suspended, dry.written), (4, false), "{}", dry.text());
    assert!(
        dry.text().contains("4 would be suspended"),
        "{}",
        dry.text()
    );
    assert!(app.person(DISDIK_NIP).await.status == "active");
    let r = app.import_asn(retired.as_bytes(), false, true).await;
    assert_eq!(r.suspended, 4, "{}", r.text());
    for nip in [DISDIK_NIP, DINKES_NIP, &others[0], &others[1]] {
        let p = app.person(nip).await;
        assert_eq!(p.status, "suspended", "{nip}");
        assert!(p.suspended_reason.unwrap().starts_with("sync:"));
    }
    for (rt, at) in &refresh {
        let resp = app
            .token(
                &client,
                &secret,
                &[("grant_type", "refresh_token"), ("refresh_token", rt)],
            )
            .await;
        assert_eq!(resp.status(), 400);
        assert_eq!(json(resp).await["error"], "invalid_grant");
        let ui = app
            .http
            .get(app.url("/userinfo"))
            .bearer_auth(at)
            .send()
            .await
            .unwrap();
        assert_eq!(ui.status(), 401);
    }
    assert_eq!(app.audit_events("account.suspend").await.len(), 4);
    // login is refused too
    let loc = app
        .authorize(&app.new_browser(), &format!("{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256", app.issuer, client.id, enc(REDIRECT), challenge(VERIFIER)), DISDIK_NIP, PASSWORD)
        .await;
    assert!(!loc.contains("code="), "{loc}");
    // the same sync again changes nothing
    assert!(
        app.import_asn(retired.as_bytes(), false, true)
            .await
            .nothing_changed()
    );
}

#[tokio::test]
async fn mutasi_ends_assignments_scoped_to_the_old_opd() {
    let app = spawn_app().await;
    app.load_directory().await;
    let (client, _) = app.web_client().await;
    app.declare(&client.id, "verifikator").await;
    app.declare(&client.id, "pegawai").await;
    let p = app.person(DINKES_NIP).await;
    let own = app
        .assign(&p, &client.id, "pegawai", Some("DINKES"), "opd")
        .await;
    let tree = app
        .assign(&p, &client.id, "verifikator", Some("DINKES"), "subtree")
        .await;
    let city = app.assign(&p, &client.id, "pegawai", None, "city").await;
    let other = app
        .assign(&p, &client.id, "verifikator", Some("BAPPEDALITBANG"), "opd")
        .await;
    let moved = String::from_utf8(fixture("asn-sample.csv"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with(DINKES_NIP) {
                l.replacen(",DINKES,", ",DISDIK,", 1)
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let r = app.import_asn(moved.as_bytes(), false, false).await;
    assert_eq!(
        (r.updated, r.mutasi, r.assignments_ended),
        (1, 1, 2),
        "{}",
        r.text()
    );
    let ended = |id: String| async {
        role_assignment::Entity::find_by_id(id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(ended(own.id).await.ended_reason.as_deref(), Some("mutasi"));
    assert!(ended(tree.id).await.ended_at.is_some());
    assert!(ended(city.id).await.ended_at.is_none());
    assert!(ended(other.id).await.ended_at.is_none());
    let events = app.audit_events("asn.mutasi").await;
    assert_eq!(events.len(), 1);
    assert!(events[0].detail.contains("\"from\":\"DINKES\""));
}

//! Privilege boundaries of every admin operation (external review finding: an OPD
//! administrator could suspend or edit a super-admin). For every operation that acts
//! on an account or hands out a power, a DINKES OPD administrator tries it on
//! (a) a super-admin inside DINKES, (b) a person outside DINKES, (c) people inside
//! DINKES whose powers are wider than theirs, and (d) grants roles beyond their
//! reach: each answers 403/404 and leaves the database exactly as it was. The same
//! operations still work on people whose powers are within the administrator's.
use crate::helpers::*;
use gapura::access::admin::{Act, AdminContext};
use gapura::access::roles::{self, NewAssignment, ScopeKind};
use gapura::clients::GAPURA_APP;
use gapura::directory::DirectoryError;
use gapura::users::User;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde_json::{Value, json};

/// A plain PKM-01 person: every operation works on them.
const PLAIN: &str = "198501022010011002";
/// A super-admin (`is_admin`) whose unit is PKM-02, inside DINKES.
const SUPER: &str = "198501032010011003";
/// In LABKESDA; `opd-admin` of DINKES and of DISDIK: wider than the DINKES admin.
const WIDE: &str = "198501042010011004";
/// In PKM-03; `nik-reader` of PKM-03, a power the DINKES admin does not hold.
const NIK_READER: &str = "198501052010011005";
/// In PKM-04; an application role city-wide (granted by a super-admin).
const APP_CITY: &str = "198501062010011006";
/// In PKM-05; `opd-admin` city-wide from tomorrow on (not started yet).
const FUTURE: &str = "198501072010011007";
/// In PKM-06; `opd-admin` of PKM-06 only: narrower, so within the DINKES admin's.
const NARROW: &str = "198501082010011008";

struct World {
    app: TestApp,
    /// The DINKES OPD administrator (subtree DINKES).
    actor: String,
    actor_user: User,
    root: String,
    client_id: String,
}

async fn setup() -> World {
    let app = spawn_app().await;
    app.load_directory().await;
    let mut csv = format!("{ASN_HEADER}\n");
    for (nip, opd, name) in [
        (PLAIN, "PKM-01", "Uji Biasa"),
        (SUPER, "PKM-02", "Uji Super"),
        (WIDE, "LABKESDA", "Uji Luas"),
        (NIK_READER, "PKM-03", "Uji Pembaca"),
        (APP_CITY, "PKM-04", "Uji Aplikasi"),
        (FUTURE, "PKM-05", "Uji Besok"),
        (NARROW, "PKM-06", "Uji Sempit"),
    ] {
        let d = &nip[6..8];
        let n = &nip[15..18];
        csv.push_str(&asn_line(
            nip,
            &format!("327101{d}0185{}", &format!("0{n}")[..4]),
            name,
            &format!("{d}-01-1985"),
            "L",
            &format!("uji.{n}@kotabogor.go.id"),
            opd,
            "01",
        ));
        csv.push('\n');
    }
    let r = app.import_asn(csv.as_bytes(), false, false).await;
    assert!(r.rejected.is_empty(), "{}", r.text());

    let console = app.admin_console().await;
    let actor_user = app.person(DINKES_NIP).await;
    app.assign(
        &actor_user,
        GAPURA_APP,
        "opd-admin",
        Some("DINKES"),
        "subtree",
    )
    .await;
    let root_user = app.super_admin().await;

    let mut sup: entity::user_account::ActiveModel = app.person(SUPER).await.into();
    sup.is_admin = Set(true);
    sup.update(&app.state.db).await.unwrap();
    let wide = app.person(WIDE).await;
    app.assign(&wide, GAPURA_APP, "opd-admin", Some("DINKES"), "subtree")
        .await;
    app.assign(&wide, GAPURA_APP, "opd-admin", Some("DISDIK"), "opd")
        .await;
    let nik = app.person(NIK_READER).await;
    app.assign(&nik, GAPURA_APP, "nik-reader", Some("PKM-03"), "subtree")
        .await;
    let (client, _) = app.web_client().await;
    app.declare(&client.id, "verifikator").await;
    let city = app.person(APP_CITY).await;
    app.assign(&city, &client.id, "verifikator", None, "city")
        .await;
    let future = app.person(FUTURE).await;
    roles::assign(
        &app.state.db,
        app.state.now(),
        NewAssignment {
            user_id: future.id.clone(),
            client_id: GAPURA_APP.into(),
            role: "opd-admin".into(),
            opd_code: None,
            scope: ScopeKind::City,
            valid_from: Some(app.state.now() + 86_400),
            valid_until: None,
            created_by: Some("test".into()),
        },
    )
    .await
    .unwrap();
    let narrow = app.person(NARROW).await;
    app.assign(&narrow, GAPURA_APP, "opd-admin", Some("PKM-06"), "subtree")
        .await;

    World {
        actor: app
            .mint(&console, Some(&actor_user), "openid gapura.admin")
            .await,
        root: app
            .mint(&console, Some(&root_user), "openid gapura.admin")
            .await,
        actor_user,
        client_id: client.id.to_string(),
        app,
    }
}

type Snapshot = (
    Vec<entity::user_account::Model>,
    Vec<entity::role_assignment::Model>,
    Vec<entity::opd::Model>,
    Vec<entity::app_role::Model>,
);

impl World {
    async fn call(
        &self,
        method: &str,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.app.admin_call(method, token, path, body).await
    }

    async fn snapshot(&self) -> Snapshot {
        let db = &self.app.state.db;
        (
            entity::user_account::Entity::find()
                .order_by_asc(entity::user_account::Column::Id)
                .all(db)
                .await
                .unwrap(),
            entity::role_assignment::Entity::find()
                .order_by_asc(entity::role_assignment::Column::Id)
                .all(db)
                .await
                .unwrap(),
            entity::opd::Entity::find()
                .order_by_asc(entity::opd::Column::Code)
                .all(db)
                .await
                .unwrap(),
            entity::app_role::Entity::find()
                .order_by_asc(entity::app_role::Column::Id)
                .all(db)
                .await
                .unwrap(),
        )
    }

    /// An application-role assignment of `nip`, scoped to PKM-01 (inside the DINKES
    /// admin's reach), made by the test: what DELETE /assignments/{id} aims at.
    async fn app_role_of(&self, nip: &str) -> String {
        let p = self.app.person(nip).await;
        self.app
            .assign(&p, &self.client_id, "verifikator", Some("PKM-01"), "opd")
            .await
            .id
    }

    /// Runs `cases` as the DINKES admin: each answers `expect` and changes nothing.
    async fn refused(&self, cases: &[Case]) {
        for c in cases {
            let before = self.snapshot().await;
            let (s, v) = self
                .call(c.method, &self.actor, &c.path, c.body.clone())
                .await;
            assert_eq!(
                s, c.expect,
                "{}: {} {} answered {v}",
                c.label, c.method, c.path
            );
            let code = match s {
                403 => "forbidden",
                404 => "not_found",
                400 => "invalid_request",
                _ => "",
            };
            assert_eq!(v["error"], code, "{}: {v}", c.label);
            let after = self.snapshot().await;
            assert!(before.0 == after.0, "{}: accounts changed", c.label);
            assert!(before.1 == after.1, "{}: assignments changed", c.label);
            assert!(before.2 == after.2, "{}: units changed", c.label);
            assert!(before.3 == after.3, "{}: roles changed", c.label);
        }
    }
}

struct Case {
    label: String,
    method: &'static str,
    path: String,
    body: Option<Value>,
    expect: u16,
}

fn case(label: &str, method: &'static str, path: &str, body: Option<Value>, expect: u16) -> Case {
    Case {
        label: label.to_owned(),
        method,
        path: path.to_owned(),
        body,
        expect,
    }
}

/// Every operation that acts on the account `nip`, answering `expect`; `assignment`
/// is one of the person's assignments that the DINKES admin could see.
fn acts_on(who: &str, nip: &str, assignment: &str, client_id: &str, expect: u16) -> Vec<Case> {
    let grant = json!({"nip": nip, "client_id": client_id, "role": "verifikator", "opd": "PKM-01", "scope": "opd"});
    vec![
        case(
            &format!("{who}: edit phone"),
            "PATCH",
            &format!("/asn/{nip}"),
            Some(json!({"phone": "0800"})),
            expect,
        ),
        case(
            &format!("{who}: change e-mail (a login name)"),
            "PATCH",
            &format!("/asn/{nip}"),
            Some(json!({"email": "taken.over@kotabogor.go.id"})),
            expect,
        ),
        case(
            &format!("{who}: mutasi"),
            "PATCH",
            &format!("/asn/{nip}"),
            Some(json!({"opd": "PKM-07"})),
            expect,
        ),
        case(
            &format!("{who}: suspend"),
            "POST",
            &format!("/asn/{nip}/suspend"),
            None,
            expect,
        ),
        case(
            &format!("{who}: reactivate"),
            "POST",
            &format!("/asn/{nip}/reactivate"),
            None,
            expect,
        ),
        case(
            &format!("{who}: grant an application role in reach"),
            "POST",
            "/assignments",
            Some(grant),
            expect,
        ),
        case(
            &format!("{who}: end an assignment"),
            "DELETE",
            &format!("/assignments/{assignment}"),
            None,
            expect,
        ),
    ]
}

#[tokio::test]
async fn opd_admin_cannot_act_beyond_their_powers() {
    let w = setup().await;
    let client = w.client_id.clone();

    // (a) a super-admin inside DINKES, (c) wider powers inside DINKES: 403 to every
    // change, and nothing changes.
    for (who, nip) in [
        ("(a) super-admin", SUPER),
        ("(c) opd-admin of DINKES and DISDIK", WIDE),
        ("(c) nik-reader", NIK_READER),
        ("(c) city-wide application role", APP_CITY),
        ("(c) opd-admin city-wide from tomorrow", FUTURE),
    ] {
        let id = w.app_role_of(nip).await;
        let before = w.app.audit_events("admin.refused").await.len();
        w.refused(&acts_on(who, nip, &id, &client, 403)).await;
        let refusals = w.app.audit_events("admin.refused").await;
        assert!(refusals.len() > before, "{who}: the refusals are audited");
        assert!(
            refusals
                .iter()
                .all(|r| r.actor.as_deref() == Some(w.actor_user.id.as_str())),
            "{who}: by the OPD admin"
        );
        // reading stays possible: the person is in the admin's units
        assert_eq!(
            w.call("GET", &w.actor, &format!("/asn/{nip}"), None)
                .await
                .0,
            200
        );
    }

    // a suspended super-admin is not reactivated by an OPD admin either
    let (s, _) = w
        .call("POST", &w.root, &format!("/asn/{SUPER}/suspend"), None)
        .await;
    assert_eq!(s, 200);
    w.refused(&[case(
        "(a) reactivate a suspended super-admin",
        "POST",
        &format!("/asn/{SUPER}/reactivate"),
        None,
        403,
    )])
    .await;
    assert_eq!(
        w.call("POST", &w.root, &format!("/asn/{SUPER}/reactivate"), None)
            .await
            .0,
        200
    );

    // (b) outside the sub-tree: 404 to everything, reads included; the assignment
    // is scoped inside DINKES, so only the person's unit hides it.
    let id = w.app_role_of(DISDIK_NIP).await;
    let mut out = acts_on("(b) DISDIK person", DISDIK_NIP, &id, &client, 404);
    out.extend([
        case("(b) read", "GET", &format!("/asn/{DISDIK_NIP}"), None, 404),
        case(
            "(b) read assignments",
            "GET",
            &format!("/asn/{DISDIK_NIP}/assignments"),
            None,
            404,
        ),
        case(
            "(b) read one assignment",
            "GET",
            &format!("/assignments/{id}"),
            None,
            404,
        ),
    ]);
    w.refused(&out).await;

    // (d) granting beyond one's reach, to a person in reach
    let grant = |client_id: &str, role: &str, opd: Value, scope: &str| json!({"nip": PLAIN, "client_id": client_id, "role": role, "opd": opd, "scope": scope});
    w.refused(&[
        case(
            "(d) app role on DISDIK",
            "POST",
            "/assignments",
            Some(grant(&client, "verifikator", json!("DISDIK"), "opd")),
            403,
        ),
        case(
            "(d) app role on the DISDIK sub-tree",
            "POST",
            "/assignments",
            Some(grant(&client, "verifikator", json!("DISDIK"), "subtree")),
            403,
        ),
        case(
            "(d) app role city-wide",
            "POST",
            "/assignments",
            Some(grant(&client, "verifikator", Value::Null, "city")),
            403,
        ),
        case(
            "(d) opd-admin inside one's own sub-tree",
            "POST",
            "/assignments",
            Some(grant(GAPURA_APP, "opd-admin", json!("PKM-01"), "subtree")),
            403,
        ),
        case(
            "(d) opd-admin of DISDIK",
            "POST",
            "/assignments",
            Some(grant(GAPURA_APP, "opd-admin", json!("DISDIK"), "subtree")),
            403,
        ),
        case(
            "(d) opd-admin city-wide",
            "POST",
            "/assignments",
            Some(grant(GAPURA_APP, "opd-admin", Value::Null, "city")),
            403,
        ),
        case(
            "(d) nik-reader",
            "POST",
            "/assignments",
            Some(grant(GAPURA_APP, "nik-reader", json!("PKM-01"), "opd")),
            403,
        ),
        case(
            "(d) make a super-admin",
            "PATCH",
            &format!("/asn/{PLAIN}"),
            Some(json!({"is_admin": true})),
            400,
        ),
        case(
            "(d) move a person out of reach",
            "PATCH",
            &format!("/asn/{PLAIN}"),
            Some(json!({"opd": "DISDIK"})),
            404,
        ),
        case(
            "(d) declare an application role",
            "POST",
            &format!("/apps/{client}/roles"),
            Some(json!({"role": "raja"})),
            403,
        ),
        case(
            "(d) create a unit outside",
            "POST",
            "/opd",
            Some(json!({"code": "X-1", "name": "x", "kind": "bidang", "parent": "DISDIK"})),
            404,
        ),
        case(
            "(d) create a top-level unit",
            "POST",
            "/opd",
            Some(json!({"code": "X-2", "name": "x", "kind": "dinas"})),
            403,
        ),
        case(
            "(d) move a unit out of reach",
            "PATCH",
            "/opd/PKM-01",
            Some(json!({"parent": "DISDIK"})),
            404,
        ),
        case(
            "(d) move a unit to the top",
            "PATCH",
            "/opd/PKM-01",
            Some(json!({"parent": null})),
            403,
        ),
        case(
            "(d) rename one's own root",
            "PATCH",
            "/opd/DINKES",
            Some(json!({"name": "x"})),
            403,
        ),
        case(
            "(d) close one's own root",
            "PATCH",
            "/opd/DINKES",
            Some(json!({"closed": true})),
            403,
        ),
        case(
            "(d) close a unit outside",
            "PATCH",
            "/opd/DISDIK",
            Some(json!({"closed": true})),
            404,
        ),
        case(
            "(d) delete one's own root",
            "DELETE",
            "/opd/DINKES",
            None,
            403,
        ),
        case("(d) import", "POST", "/import/asn?dry_run=false", None, 403),
    ])
    .await;
}

#[tokio::test]
async fn the_same_operations_work_within_ones_powers() {
    let w = setup().await;
    let client = w.client_id.clone();
    // a plain person and a narrower OPD admin: every operation goes through
    for nip in [PLAIN, NARROW] {
        let (s, v) = w
            .call(
                "PATCH",
                &w.actor,
                &format!("/asn/{nip}"),
                Some(json!({"phone": "0811", "email": format!("new.{nip}@kotabogor.go.id")})),
            )
            .await;
        assert_eq!((s, v["phone"].as_str()), (200, Some("0811")), "{v}");
        let (s, v) = w
            .call("POST", &w.actor, &format!("/asn/{nip}/suspend"), None)
            .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("suspended")));
        let (s, v) = w
            .call("POST", &w.actor, &format!("/asn/{nip}/reactivate"), None)
            .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("active")));
        let (s, a) = w
            .call("POST", &w.actor, "/assignments", Some(json!({"nip": nip, "client_id": client, "role": "verifikator", "opd": "PKM-01", "scope": "opd"})))
            .await;
        assert_eq!(s, 201, "{a}");
        let id = a["id"].as_str().unwrap();
        assert_eq!(
            w.call("DELETE", &w.actor, &format!("/assignments/{id}"), None)
                .await
                .0,
            204
        );
        let (s, v) = w
            .call(
                "PATCH",
                &w.actor,
                &format!("/asn/{nip}"),
                Some(json!({"opd": "PKM-07"})),
            )
            .await;
        assert_eq!((s, v["opd_code"].as_str()), (200, Some("PKM-07")), "{v}");
    }
    // super-admins still act on everyone
    for nip in [SUPER, WIDE, NIK_READER, APP_CITY, FUTURE] {
        let (s, v) = w
            .call(
                "PATCH",
                &w.root,
                &format!("/asn/{nip}"),
                Some(json!({"phone": "0822"})),
            )
            .await;
        assert_eq!((s, v["phone"].as_str()), (200, Some("0822")), "{nip}: {v}");
    }
    // the refusal names the reason, not more
    let (s, v) = w
        .call("POST", &w.actor, &format!("/asn/{SUPER}/suspend"), None)
        .await;
    assert_eq!(s, 403);
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("only a super-administrator"),
        "{v}"
    );

    // oneself: editing is fine, suspending or ending one's last opd-admin role is not
    let (s, v) = w
        .call(
            "PATCH",
            &w.actor,
            &format!("/asn/{DINKES_NIP}"),
            Some(json!({"phone": "0833"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = w
        .call(
            "POST",
            &w.actor,
            &format!("/asn/{DINKES_NIP}/suspend"),
            None,
        )
        .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("conflict")));
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("another administrator must do it"),
        "{v}"
    );
    // ending one's own opd-admin: OPD admins do not even see roles of `gapura`
    // through the API, so the rule is checked on the function itself
    let db = &w.app.state.db;
    let now = w.app.state.now();
    let me = w.app.person(DINKES_NIP).await;
    let mine = roles::of_user(db, &me.id, Some(GAPURA_APP), now, false)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let ctx = AdminContext::load(db, me.clone(), now)
        .await
        .unwrap()
        .unwrap();
    match ctx.check_target(db, &me, Act::End(&mine[0])).await {
        Err(DirectoryError::Conflict(m)) => assert!(m.contains("last opd-admin"), "{m}"),
        other => panic!("ending one's last admin role: {other:?}"),
    }
    w.app
        .assign(&me, GAPURA_APP, "opd-admin", Some("PKM-01"), "opd")
        .await;
    let ctx = AdminContext::load(db, me.clone(), now)
        .await
        .unwrap()
        .unwrap();
    assert!(ctx.check_target(db, &me, Act::End(&mine[0])).await.is_ok());
    assert_eq!(w.actor_user.id, me.id);
}

#[tokio::test]
async fn email_conflicts_reveal_nobody() {
    let w = setup().await;
    let taken_in_reach = w.app.person(NARROW).await.email.unwrap();
    let taken_by_super = w.app.person(SUPER).await.email.unwrap();
    let taken_outside = w.app.person(DISDIK_NIP).await.email.unwrap();
    let mut answers = Vec::new();
    for email in [&taken_in_reach, &taken_by_super, &taken_outside] {
        let before = w.snapshot().await;
        let (s, v) = w
            .call(
                "PATCH",
                &w.actor,
                &format!("/asn/{PLAIN}"),
                Some(json!({"email": email.to_uppercase()})),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        let text = v.to_string();
        for secret in [NARROW, SUPER, DISDIK_NIP, email.as_str(), "DISDIK"] {
            assert!(
                !text.to_lowercase().contains(&secret.to_lowercase()),
                "{text} names {secret}"
            );
        }
        assert!(before.0 == w.snapshot().await.0);
        answers.push(v);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    assert_eq!(
        answers[0]["error_description"],
        "this e-mail cannot be used for this account"
    );
    // a super-admin gets the same answer
    let (s, v) = w
        .call(
            "PATCH",
            &w.root,
            &format!("/asn/{PLAIN}"),
            Some(json!({"email": taken_outside})),
        )
        .await;
    assert_eq!((s, &v), (409, &answers[0]));
}

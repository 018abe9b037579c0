//! The command line as an operator runs it (the real binary): exit status, the human
//! output and `--json`, dates in ISO 8601, "none" for nothing, and that what it
//! changes reaches the running server.
use crate::dir_helpers::*;
use crate::helpers::*;
use gapura::clients::NewClient;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn gapura(url: &str, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gapura"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("GAPURA_KEYS_DIR", dir.join("keys"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run gapura")
}

fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn import_commands_report_and_exit_like_a_tool_should() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(dir.path()).await;
    let out = gapura(
        &url,
        dir.path(),
        &["import", "opd", &fixture_path("opd-kota-bogor.csv")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("130 created"));

    let out = gapura(
        &url,
        dir.path(),
        &[
            "--json",
            "import",
            "asn",
            &fixture_path("asn-with-errors.csv"),
        ],
    );
    assert!(!out.status.success(), "rejected rows make the command fail");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON report on stdout");
    assert_eq!(report["rejected"].as_array().unwrap().len(), 10);
    assert_eq!(report["written"], false);
    assert!(String::from_utf8_lossy(&out.stderr).contains("10 rows rejected; nothing was written"));

    let out = gapura(
        &url,
        dir.path(),
        &[
            "import",
            "asn",
            &fixture_path("asn-sample.csv"),
            "--dry-run",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("200 would be created"),
        "{text}"
    );
    let out = gapura(
        &url,
        dir.path(),
        &["import", "asn", &fixture_path("asn-sample.csv")],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("200 created"));
    let out = gapura(
        &url,
        dir.path(),
        &["import", "asn", &fixture_path("asn-sample.csv"), "--sync"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing changed"));
    let out = gapura(
        &url,
        dir.path(),
        &[
            "role",
            "assign",
            "--nip",
            DINKES_NIP,
            "--client",
            "gapura",
            "--role",
            "opd-admin",
            "--opd",
            "DINKES",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = gapura(
        &url,
        dir.path(),
        &["--json", "role", "list", "--nip", DINKES_NIP],
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["role"], "opd-admin");
    assert_eq!(list[0]["scope"], "subtree");
}

/// The CLI for `app`'s database, keys and issuer, every stream piped.
fn command(app: &TestApp, args: &[&str]) -> Command {
    use secrecy::ExposeSecret;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gapura"));
    cmd.args(args)
        .env(
            "DATABASE_URL",
            app.state.settings.database_url.expose_secret(),
        )
        .env("GAPURA_KEYS_DIR", &app.state.settings.keys_dir)
        .env("GAPURA_ISSUER", &app.issuer)
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the CLI against `app`'s database and keys, with `stdin` piped in.
fn cli_in(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = command(app, args).spawn().expect("run gapura");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("gapura output")
}

fn cli(app: &TestApp, args: &[&str]) -> Output {
    cli_in(app, args, "")
}

/// Standard output of a command that must succeed.
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error of a command that must fail.
fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).expect("JSON on stdout")
}

/// `2026-11-30T09:15:00Z`: RFC 3339, UTC, whole seconds.
fn is_iso(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 20
        && b[4] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[19] == b'Z'
        && gapura::domain::time::parse_rfc3339(v).is_ok()
}

/// Any Unix time of this decade, written as a number.
fn has_unix_seconds(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|w| w.len() == 10 && w.starts_with("17"))
}

/// A change made by the CLI reaches the server through the change epochs (polled
/// every 250 ms).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1000)).await;
}

#[test]
fn every_option_and_argument_has_help_text() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        let path = format!("{path} {}", cmd.get_name()).trim().to_owned();
        if cmd.get_about().is_none() && cmd.get_long_about().is_none() {
            missing.push(format!("`{path}` has no description"));
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if ["help", "version"].contains(&id) {
                continue;
            }
            let help = arg
                .get_help()
                .or(arg.get_long_help())
                .map(|h| h.to_string());
            if help.as_deref().is_none_or(|h| h.trim().len() < 8) {
                missing.push(format!("`{path}`: `{id}` has no help text"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &path, missing);
        }
    }
    let mut cmd = gapura::cli::Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    walk(&cmd, "", &mut missing);
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // And the binary shows them.
    let out = Command::new(env!("CARGO_BIN_EXE_gapura"))
        .args(["client", "update", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("an empty value removes it"),
        "help of `client update`: {help}"
    );
}

#[tokio::test]
async fn user_list_and_show_tell_an_operator_who_is_who() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let app = spawn_app().await;
    app.load_directory().await;
    let euis = app.give_password(DINKES_NIP).await;
    let (client, _) = app.web_client().await;
    app.declare(&client.id, "verifikator").await;
    app.assign(&euis, &client.id, "verifikator", Some("DINKES"), "subtree")
        .await;
    app.code_as(&client, "openid", DINKES_NIP).await;

    // Empty results say so; dates are ISO 8601.
    let out = ok(&cli(&app, &["user", "sessions", DISDIK_NIP]));
    assert_eq!(out.trim(), "no sessions");
    let out = ok(&cli(
        &app,
        &[
            "user",
            "suspend",
            DINKES_NIP,
            "--reason",
            "CLTN (cuti di luar tanggungan negara)",
        ],
    ));
    assert!(out.contains("suspended"), "{out}");
    assert_eq!(app.audit_events("account.suspend").await.len(), 1);
    let out = ok(&cli(&app, &["user", "show", DINKES_NIP]));
    for line in [
        "login:          199309072019082009",
        "OPD:            DINKES (Dinas Kesehatan)",
        "position:       Bendahara, III/d",
        "  ".to_owned().as_str(),
        "verifikator@DINKES (subtree)",
        "second factors: none; 0 recovery code(s) left",
    ] {
        assert!(out.contains(line), "`{line}` missing in:\n{out}");
    }
    let status = out
        .lines()
        .find(|l| l.starts_with("status:"))
        .expect("status line");
    let since = status
        .split_whitespace()
        .nth(3)
        .unwrap()
        .trim_end_matches(':');
    assert!(
        status.contains("suspended since") && is_iso(since),
        "{status}"
    );
    assert!(status.ends_with("CLTN (cuti di luar tanggungan negara)"));
    let last = out.lines().find(|l| l.starts_with("last login:")).unwrap();
    assert!(
        is_iso(last.split_whitespace().nth(2).unwrap()),
        "last login: {last}"
    );
    assert!(!has_unix_seconds(&out), "no Unix seconds: {out}");
    let v = json_of(&cli(&app, &["--json", "user", "show", DINKES_NIP]));
    assert_eq!(v["status"], "suspended");
    assert!(is_iso(v["suspended_at"].as_str().unwrap()));
    assert!(is_iso(v["last_login"]["at"].as_str().unwrap()));
    assert_eq!(v["opd"]["name"], "Dinas Kesehatan");
    assert_eq!(v["roles"][0]["role"], "verifikator");
    assert_eq!(v["second_factors"]["passkeys"], 0);
    assert_eq!(v["nik"], "3271********1171", "NIK masked");
    let out = ok(&cli(&app, &["user", "show", DISDIK_NIP]));
    assert!(out.contains("last login:     none recorded"), "{out}");
    assert!(out.contains("roles:          none"), "{out}");

    // The list: filters, limit, and every row as the database has it.
    let all = ok(&cli(&app, &["user", "list", "--limit", "1000"]));
    let total = entity::user_account::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(all.lines().count() as u64, total + 1, "header + rows");
    let out = ok(&cli(&app, &["user", "list", "--limit", "3"]));
    assert_eq!(out.lines().count(), 5, "{out}");
    assert!(out.contains("(first 3 shown"));
    let units: Vec<String> = gapura::directory::opd::subtree(&app.state.db, "DINKES")
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.code)
        .collect();
    let in_dinkes = entity::user_account::Entity::find()
        .filter(entity::user_account::Column::OpdCode.is_in(units.clone()))
        .count(&app.state.db)
        .await
        .unwrap();
    assert!(in_dinkes > 1);
    let v = json_of(&cli(
        &app,
        &[
            "--json", "user", "list", "--opd", "DINKES", "--limit", "500",
        ],
    ));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len() as u64, in_dinkes);
    assert!(
        rows.iter()
            .all(|r| units.contains(&r["opd"].as_str().unwrap().to_owned()))
    );
    assert!(
        rows.iter()
            .all(|r| is_iso(r["created_at"].as_str().unwrap()))
    );
    let suspended = entity::user_account::Entity::find()
        .filter(entity::user_account::Column::Status.eq("suspended"))
        .count(&app.state.db)
        .await
        .unwrap();
    let v = json_of(&cli(
        &app,
        &[
            "--json",
            "user",
            "list",
            "--status",
            "suspended",
            "--limit",
            "500",
        ],
    ));
    assert_eq!(v.as_array().unwrap().len() as u64, suspended);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["username"] == DINKES_NIP)
    );
    let out = ok(&cli(
        &app,
        &["user", "list", "--opd", "PKM-24", "--status", "suspended"],
    ));
    assert_eq!(out.trim(), "no accounts");

    // Unknown OPD codes and statuses are refused, clearly.
    let err = refused(&cli(&app, &["user", "list", "--opd", "NOPE"]));
    assert!(err.contains("no OPD `NOPE`"), "{err}");
    let err = refused(&cli(&app, &["user", "list", "--status", "gone"]));
    assert!(err.contains("active"), "{err}");
    let err = refused(&cli_in(
        &app,
        &[
            "user",
            "add",
            "--username",
            "operator2",
            "--name",
            "Operator",
            "--opd",
            "NOPE",
        ],
        "kata-sandi-yang-kuat-2\n",
    ));
    assert!(err.contains("no OPD `NOPE`"), "{err}");
    assert!(
        gapura::users::find_by_login(&app.state.db, "operator2")
            .await
            .unwrap()
            .is_none()
    );
    ok(&cli_in(
        &app,
        &[
            "user",
            "add",
            "--username",
            "operator2",
            "--name",
            "Operator",
            "--opd",
            "DISKOMINFO",
        ],
        "kata-sandi-yang-kuat-2\n",
    ));

    // Reactivation goes through the same service as the admin API.
    ok(&cli(&app, &["user", "activate", DINKES_NIP]));
    let v = json_of(&cli(&app, &["--json", "user", "show", DINKES_NIP]));
    assert_eq!(v["status"], "active");
    assert_eq!(v["suspended_at"], Value::Null);
    assert_eq!(app.audit_events("account.reactivate").await.len(), 1);
}

#[tokio::test]
async fn opd_list_shows_the_tree_and_who_is_in_it() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let app = spawn_app().await;
    let out = ok(&cli(&app, &["opd", "list"]));
    assert!(out.starts_with("no OPD units"), "{out}");
    app.load_directory().await;
    let out = ok(&cli(&app, &["opd", "list"]));
    let dinkes = out
        .lines()
        .find(|l| l.starts_with("DINKES "))
        .unwrap_or_else(|| panic!("no DINKES row: {out}"));
    assert!(dinkes.ends_with("Dinas Kesehatan"), "{dinkes}");
    assert!(
        out.lines().any(|l| l.starts_with("  PKM-24 ")),
        "units are indented under their parent"
    );
    let v = json_of(&cli(&app, &["--json", "opd", "list"]));
    let units = v.as_array().unwrap();
    assert_eq!(units.len(), 130);
    let row = units.iter().find(|u| u["code"] == "PKM-24").unwrap();
    assert_eq!(row["parent"], "DINKES");
    let active = entity::user_account::Entity::find()
        .filter(entity::user_account::Column::OpdCode.eq("PKM-24"))
        .filter(entity::user_account::Column::Status.eq("active"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert!(active > 0);
    assert_eq!(row["active_asn"], active);
}

#[tokio::test]
async fn roles_are_declared_idempotently_and_dates_are_iso() {
    let app = spawn_app().await;
    app.load_directory().await;
    let (client, _) = app.web_client().await;
    let declare = [
        "role",
        "declare",
        "--client",
        &client.id,
        "--role",
        "verifikator",
    ];
    let out = ok(&cli(&app, &declare));
    assert!(out.contains("now declares role verifikator"), "{out}");
    let out = ok(&cli(&app, &declare));
    assert!(out.contains("already declared role verifikator"), "{out}");
    let mut again = vec!["--json"];
    again.extend(declare);
    assert_eq!(json_of(&cli(&app, &again))["created"], false);
    assert_eq!(app.audit_events("admin.role.declare").await.len(), 1);

    let out = ok(&cli(&app, &["role", "list", "--nip", DINKES_NIP]));
    assert_eq!(out.trim(), "no assignments");
    let assign = |until: &'static str, opd: &'static str| {
        vec![
            "role".to_owned(),
            "assign".into(),
            "--nip".into(),
            DINKES_NIP.into(),
            "--client".into(),
            client.id.to_string(),
            "--role".into(),
            "verifikator".into(),
            "--opd".into(),
            opd.into(),
            "--until".into(),
            until.into(),
        ]
    };
    let args = assign("1798736400", "DINKES");
    let err = refused(&cli(
        &app,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(err.contains("not an ISO 8601 date"), "{err}");
    let args = assign("2026-12-31T17:00:00Z", "NOPE");
    let err = refused(&cli(
        &app,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(err.contains("NOPE"), "{err}");
    let args = assign("2027-01-01T00:00:00+07:00", "DINKES");
    ok(&cli(
        &app,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let out = ok(&cli(&app, &["role", "list", "--nip", DINKES_NIP]));
    assert!(out.contains("until 2026-12-31T17:00:00Z"), "{out}");
    let v = json_of(&cli(&app, &["--json", "role", "list", "--nip", DINKES_NIP]));
    assert_eq!(v[0]["valid_until"], "2026-12-31T17:00:00Z");
    assert!(is_iso(v[0]["created_at"].as_str().unwrap()));
}

#[tokio::test]
async fn an_operator_manages_a_client_from_the_command_line() {
    let app = spawn_app().await;
    app.siti().await;
    // Client ids are random base64url: this one begins with `-`.
    let (client, secret) = app
        .add_client(NewClient {
            name: "e-Kinerja".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
            client_id: Some("-Xy12abcDEF".into()),
            ..NewClient::default()
        })
        .await;
    let secret = secret.unwrap();
    let id = client.id.as_str();

    let out = ok(&cli(&app, &["client", "show", id]));
    assert!(out.contains("status:           active"), "{out}");
    assert!(
        out.contains(&format!("redirect URIs:    {REDIRECT}")),
        "{out}"
    );
    assert!(out.contains("live grants:      0"), "{out}");
    assert!(!has_unix_seconds(&out), "{out}");
    let v = json_of(&cli(&app, &["--json", "client", "show", id]));
    assert_eq!(v["client_id"], id);
    assert!(is_iso(v["created_at"].as_str().unwrap()));
    assert!(!v.to_string().contains("digest"));
    let err = refused(&cli(&app, &["client", "show", "-nope"]));
    assert!(err.contains("no client `-nope`"), "{err}");

    // A grant with a refresh token, before any change.
    let code = app
        .code_for(&client, "openid profile email", VERIFIER)
        .await;
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
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();
    let access = t["access_token"].as_str().unwrap().to_owned();

    // Updates are checked exactly like registration.
    let bad = "https://ekinerja.kotabogor.go.id/cb#fragment";
    let add_err = refused(&cli(
        &app,
        &["client", "add", "--name", "x", "--redirect-uri", bad],
    ));
    let update_err = refused(&cli(&app, &["client", "update", id, "--redirect-uri", bad]));
    assert_eq!(update_err, add_err);
    let err = refused(&cli(
        &app,
        &["client", "update", id, "--scope", "openid bogus"],
    ));
    assert!(err.contains("unknown scope `bogus`"), "{err}");
    let err = refused(&cli(&app, &["client", "update", id]));
    assert!(err.contains("nothing to change"), "{err}");
    let out = ok(&cli(
        &app,
        &[
            "client",
            "update",
            id,
            "--name",
            "e-Kinerja Kota Bogor",
            "--scope",
            "openid profile offline_access",
            "--first-party",
            "false",
            "--backchannel-logout-uri",
            "https://ekinerja.kotabogor.go.id/logout",
        ],
    ));
    assert!(
        out.contains("updated: name, scope, first_party, backchannel_logout_uri"),
        "{out}"
    );
    let out = ok(&cli(
        &app,
        &["client", "update", id, "--name", "e-Kinerja Kota Bogor"],
    ));
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(app.audit_events("admin.client.update").await.len(), 1);
    settle().await;
    // What the client may no longer ask for is not handed on by a refresh either.
    let t = json(
        app.token(
            &client,
            &secret,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await,
    )
    .await;
    assert_eq!(t["scope"], "openid profile", "{t}");
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();

    // A new secret, shown once; the old one is refused at once.
    let v = json_of(&cli(&app, &["--json", "client", "rotate-secret", id]));
    let new_secret = v["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let row = gapura::clients::find_any(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.secret_digest.as_deref(),
        Some(app.state.master.secret_digest(&new_secret).as_str()),
        "stored as the keyed digest"
    );
    settle().await;
    let cc = [("grant_type", "client_credentials")];
    assert_eq!(app.token(&client, &secret, &cc).await.status(), 401);
    assert_eq!(app.token(&client, &new_secret, &cc).await.status(), 200);
    assert_eq!(
        app.audit_events("admin.client.secret_rotate").await.len(),
        1
    );
    let (public, _) = app
        .add_client(NewClient {
            name: "SPA".into(),
            redirect_uris: vec![REDIRECT.into()],
            public: true,
            ..NewClient::default()
        })
        .await;
    let err = refused(&cli(&app, &["client", "rotate-secret", &public.id]));
    assert!(err.contains("has no secret"), "{err}");

    // Disabled: no login, no token, its tokens inactive, its grants revoked.
    let service_token = json(app.token(&client, &new_secret, &cc).await).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (other, other_secret) = app.web_client().await;
    let introspect = |token: String| {
        let (app, other, other_secret) = (&app, &other, &other_secret);
        async move {
            let resp = app
                .http
                .post(app.url("/introspect"))
                .basic_auth(&other.id, Some(other_secret))
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap();
            json(resp).await["active"].clone()
        }
    };
    assert_eq!(introspect(service_token.clone()).await, true);
    let out = ok(&cli(&app, &["client", "disable", id]));
    assert!(out.contains("disabled; 1 grant(s) revoked"), "{out}");
    settle().await;
    let resp = app
        .token(
            &client,
            &new_secret,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(json(resp).await["error"], "invalid_client");
    assert_eq!(app.token(&client, &new_secret, &cc).await.status(), 401);
    let page = app
        .new_browser()
        .get(app.code_url(&client, "&scope=openid"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400, "an error page, no redirect");
    let userinfo = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    assert_eq!(
        introspect(service_token).await,
        false,
        "a client_credentials token (no grant) is inactive too"
    );
    let out = ok(&cli(&app, &["client", "list"]));
    assert!(
        out.lines()
            .any(|l| l.starts_with(id) && l.contains("disabled")),
        "{out}"
    );
    let out = ok(&cli(&app, &["client", "disable", id]));
    assert!(out.contains("already disabled"), "{out}");

    // Enabled again: it works, but what was revoked stays revoked.
    ok(&cli(&app, &["client", "enable", id]));
    settle().await;
    assert_eq!(app.token(&client, &new_secret, &cc).await.status(), 200);
    let resp = app
        .token(
            &client,
            &new_secret,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(json(resp).await["error"], "invalid_grant");
    assert_eq!(app.audit_events("admin.client.disable").await.len(), 1);
    assert_eq!(app.audit_events("admin.client.enable").await.len(), 1);
}

#[tokio::test]
async fn a_password_typed_at_a_terminal_is_not_echoed() {
    use secrecy::ExposeSecret;
    use std::io::Read;
    let app = spawn_app().await;
    app.siti().await;
    let nip = "198609262015052001";
    let secret_pw = "rahasia-sekali-2026";
    // `script` gives the command a real terminal (a pty) whose input we type.
    let command = format!("{} user set-password {nip}", env!("CARGO_BIN_EXE_gapura"));
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env(
            "DATABASE_URL",
            app.state.settings.database_url.expose_secret(),
        )
        .env("GAPURA_KEYS_DIR", &app.state.settings.keys_dir)
        .env("GAPURA_ISSUER", &app.issuer)
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    });
    let mut seen = String::new();
    let wait_for = |what: &str, seen: &mut String| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !seen.contains(what) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(chunk) => seen.push_str(&chunk),
                Err(_) => panic!("no `{what}` prompt; got: {seen}"),
            }
        }
    };
    wait_for("Password: ", &mut seen);
    // The prompt is written just before echo is turned off: give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    stdin
        .write_all(format!("{secret_pw}\n").as_bytes())
        .unwrap();
    wait_for("Password (again): ", &mut seen);
    std::thread::sleep(Duration::from_millis(300));
    stdin
        .write_all(format!("{secret_pw}\n").as_bytes())
        .unwrap();
    wait_for("session(s) ended", &mut seen);
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}");
    assert!(!seen.contains(secret_pw), "the password was echoed: {seen}");
    let user = gapura::users::find_by_login(&app.state.db, nip)
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.state
            .hasher
            .verify(
                &secrecy::SecretString::from(secret_pw),
                user.password_hash.as_deref()
            )
            .await,
        "the typed password is the new one"
    );
}

/// `gapura opd list | head -1`: a reader that stops early ends the command quietly
/// (SIGPIPE, as for any Unix tool), never with a panic message.
#[tokio::test]
async fn output_to_a_closed_pipe_ends_quietly() {
    let app = spawn_app().await;
    app.load_directory().await;
    let mut child = command(&app, &["opd", "list"])
        .stdin(Stdio::null())
        .spawn()
        .expect("run gapura");
    // The reader goes away before the command writes anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("gapura output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

//! The operator's first hour with the real binary: one server per SQLite folder,
//! startup order and messages, `serve --demo` guards, the management address for
//! `/metrics`, and backup and restore end to end.
use crate::helpers::*;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/g.db?mode=rwc", dir.display())
}

/// `gapura ARGS` on the deployment in `dir` (as `spawn_binary` sets it up).
fn gapura(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gapura"));
    cmd.args(args)
        .env("DATABASE_URL", sqlite_url(dir))
        .env("GAPURA_KEYS_DIR", dir.join("keys"))
        .env("GAPURA_ADMIN_PASSWORD", "admin-password-for-tests")
        .env("RUST_LOG", "warn")
        .env_remove("REDIS_URL")
        .env_remove("GAPURA_CONFIG");
    cmd
}

/// Runs a command that must end by itself within 30 s (a server that starts
/// when it should refuse would not).
fn finish(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after 30 s: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `gapura ARGS` with `input` on standard input; must succeed.
fn run_ok(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = gapura(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_folder_refuses_and_names_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = spawn_binary(dir.path(), &[]).await;
    let out = finish(gapura(dir.path(), &["serve"]).env("GAPURA_BIND", "127.0.0.1:0"));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("pid {}", first.id())) && err.contains("`gapura serve`"),
        "{err}"
    );
    assert!(
        err.contains("started 20") && err.contains("g.db.lock"),
        "{err}"
    );
    // `restore` cannot swap the database under it either.
    let out = finish(&mut gapura(dir.path(), &["restore", "/nonexistent.db"]));
    assert!(
        stderr(&out).contains(&format!("pid {}", first.id())),
        "{}",
        stderr(&out)
    );

    // Killed without a chance to clean up: the lock file stays, and blocks nothing.
    let mut first = first;
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(dir.path().join("g.db.lock").exists());
    let (second, _) = spawn_binary(dir.path(), &[]).await;
    assert!(terminate(second).await.success());
}

#[tokio::test]
async fn the_database_is_checked_before_the_port_and_failures_name_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    // A data folder that cannot exist (below a regular file), on a taken port: the
    // database is the complaint, so it was looked at first.
    std::fs::write(dir.path().join("a-file"), "x").unwrap();
    let bad_data = dir.path().join("a-file/data");
    let out = finish(
        gapura(dir.path(), &["serve"])
            .env("GAPURA_BIND", &addr)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/g.db?mode=rwc", bad_data.display()),
            ),
    );
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("cannot create the data folder") && err.contains("a-file/data"),
        "{err}"
    );
    assert!(!err.contains("cannot listen"), "{err}");

    // A keys folder that cannot exist: named.
    let out = finish(
        gapura(dir.path(), &["serve"])
            .env("GAPURA_BIND", &addr)
            .env("GAPURA_KEYS_DIR", dir.path().join("a-file/keys")),
    );
    let err = stderr(&out);
    assert!(err.contains("a-file/keys/master.key"), "{err}");
    assert!(!err.contains("cannot listen"), "{err}");

    // A database path that is a folder: named.
    std::fs::create_dir(dir.path().join("folder.db")).unwrap();
    let out = finish(gapura(dir.path(), &["serve"]).env(
        "DATABASE_URL",
        format!("sqlite://{}/folder.db?mode=rwc", dir.path().display()),
    ));
    let err = stderr(&out);
    assert!(
        err.contains("cannot open the SQLite database") && err.contains("folder.db"),
        "{err}"
    );

    // Everything fine but the port: the address and the likely cause.
    let out = finish(gapura(dir.path(), &["serve"]).env("GAPURA_BIND", &addr));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot listen on {addr}: address already in use (another Gapura or another program?)"
        )),
        "{err}"
    );
    drop(taken);

    // A configuration error is said once.
    let config = dir.path().join("gapura.toml");
    std::fs::write(&config, "[tokens\n").unwrap();
    let out = finish(gapura(dir.path(), &["serve"]).env("GAPURA_CONFIG", &config));
    let err = stderr(&out);
    assert_eq!(err.matches("unclosed table").count(), 1, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("gapura:")).count(),
        1,
        "{err}"
    );
}

#[tokio::test]
async fn demo_data_is_refused_on_a_real_directory_or_a_public_issuer_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "198609262015052001",
            "--name",
            "Siti Aminah",
        ],
        "kata-sandi-yang-kuat-1\n",
    );
    let out = finish(gapura(dir.path(), &["serve", "--demo"]).env("GAPURA_BIND", "127.0.0.1:0"));
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("refusing to load demo data")
            && err.contains("1 account(s) that are not demo accounts (e.g. 198609262015052001)")
            && err.contains("--force-demo"),
        "{err}"
    );

    let empty = tempfile::tempdir().unwrap();
    let out = finish(
        gapura(empty.path(), &["serve", "--demo"])
            .env("GAPURA_BIND", "127.0.0.1:0")
            .env("GAPURA_ISSUER", "https://sso.kotabogor.go.id"),
    );
    let err = stderr(&out);
    assert!(
        err.contains("the issuer https://sso.kotabogor.go.id is not a localhost address"),
        "{err}"
    );

    // Forced: the demo loads beside the real account.
    let (server, _) =
        spawn_binary_with(dir.path(), &["serve", "--demo", "--force-demo"], &[]).await;
    let log = dir.path().join("stdout.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("Demo data loaded")
    {
        assert!(Instant::now() < deadline, "the forced demo did not load");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(terminate(server).await.success());
}

#[tokio::test]
async fn metrics_can_move_to_a_management_address() {
    let app = spawn_app_with(|s| s.metrics_bind = Some("127.0.0.1:0".into())).await;
    let port = app.management_port.expect("a management listener");
    let management = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let resp = app.http.get(management("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("gapura_"));
    for path in ["/health/live", "/health/ready"] {
        assert_eq!(
            app.http
                .get(management(path))
                .send()
                .await
                .unwrap()
                .status(),
            200,
            "{path} on the management address"
        );
    }
    // Nothing else there; and no metrics on the public listener any more.
    for path in [
        "/authorize",
        "/.well-known/openid-configuration",
        "/login",
        "/",
    ] {
        assert_eq!(
            app.http
                .get(management(path))
                .send()
                .await
                .unwrap()
                .status(),
            404,
            "{path} on the management address"
        );
    }
    assert_eq!(
        app.http
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.http
            .get(app.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "load balancers still probe the public port"
    );

    // Without the setting nothing moves.
    let plain = spawn_app().await;
    assert!(plain.management_port.is_none());
    assert_eq!(
        plain
            .http
            .get(plain.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// A password login on a running binary: `true` when it is accepted.
async fn logs_in(port: u16, login: &str, password: &str) -> bool {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let html = browser
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = browser
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("req", ""),
            ("username", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    match resp.status().as_u16() {
        303 => true,
        401 => false,
        other => panic!("login answered {other}"),
    }
}

async fn client_credentials(port: u16, id: &str, secret: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

const SITI: &str = "198609262015052001";
const BUDI: &str = "199001012015031002";

#[tokio::test]
async fn backup_while_running_then_restore_brings_everything_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (server, port) = spawn_binary(d, &[]).await;
    run_ok(
        d,
        &["user", "add", "--username", SITI, "--name", "Siti Aminah"],
        "kata-sandi-sebelum-cadangan\n",
    );
    let client: serde_json::Value = serde_json::from_str(&run_ok(
        d,
        &[
            "--json",
            "client",
            "add",
            "--name",
            "e-Kinerja",
            "--redirect-uri",
            "https://ekinerja.kotabogor.go.id/callback",
            "--grant",
            "client_credentials",
        ],
        "",
    ))
    .unwrap();
    let (id, secret) = (
        client["client_id"].as_str().unwrap().to_owned(),
        client["client_secret"].as_str().unwrap().to_owned(),
    );
    assert!(logs_in(port, SITI, "kata-sandi-sebelum-cadangan").await);
    assert_eq!(client_credentials(port, &id, &secret).await, 200);

    // An online backup, while the server runs.
    let backup = d.join("cadangan.db");
    let text = run_ok(d, &["backup", backup.to_str().unwrap()], "");
    assert!(text.contains("backup written to"), "{text}");
    let master = std::path::absolute(d.join("keys/master.key")).unwrap();
    assert!(
        text.contains("NOT in the backup") && text.contains(&master.display().to_string()),
        "says where the master key is and that it is kept apart: {text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner reads a backup");
    }
    let again = finish(&mut gapura(d, &["backup", backup.to_str().unwrap()]));
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );

    // Changes after the backup.
    run_ok(
        d,
        &["user", "set-password", SITI],
        "kata-sandi-sesudah-cadangan\n",
    );
    run_ok(
        d,
        &["user", "add", "--username", BUDI, "--name", "Budi Santoso"],
        "kata-sandi-budi-santoso\n",
    );
    // Not while the server runs.
    let refused = finish(&mut gapura(d, &["restore", backup.to_str().unwrap()]));
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains(&format!("pid {}", server.id())),
        "{}",
        stderr(&refused)
    );
    assert!(terminate(server).await.success());

    // With another master key: refused, nothing changed.
    let wrong = finish(
        gapura(d, &["restore", backup.to_str().unwrap()])
            .env("GAPURA_MASTER_KEY", gapura::crypto::b64(&[7u8; 32])),
    );
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("cannot be opened with the configured master key")
            && stderr(&wrong).contains("nothing was changed"),
        "{}",
        stderr(&wrong)
    );
    assert!(!std::fs::read_dir(d).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains("replaced")
    }));

    let text = run_ok(d, &["restore", backup.to_str().unwrap()], "");
    assert!(text.contains("restored"), "{text}");
    let aside: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("g.db.replaced-") && !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    assert_eq!(aside.len(), 1, "the replaced database is kept: {aside:?}");
    assert!(text.contains(&aside[0]), "{text}");

    let (server, port) = spawn_binary(d, &[]).await;
    assert!(logs_in(port, SITI, "kata-sandi-sebelum-cadangan").await);
    assert!(!logs_in(port, SITI, "kata-sandi-sesudah-cadangan").await);
    assert!(
        !logs_in(port, BUDI, "kata-sandi-budi-santoso").await,
        "made after the backup"
    );
    assert_eq!(client_credentials(port, &id, &secret).await, 200);
    assert!(terminate(server).await.success());

    // The audit log came back too, and says what happened.
    use sea_orm::{EntityTrait, QueryOrder};
    let db = sea_orm::Database::connect(sqlite_url(d)).await.unwrap();
    let events: Vec<String> = entity::audit_event::Entity::find()
        .order_by_asc(entity::audit_event::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert!(
        events.contains(&"admin.client.create".to_owned()),
        "{events:?}"
    );
    assert!(
        !events.contains(&"admin.user.password".to_owned()),
        "{events:?}"
    );
    assert!(events.contains(&"admin.restore".to_owned()), "{events:?}");
    // The replaced database is intact, with what happened after the backup.
    let old = sea_orm::Database::connect(format!("sqlite://{}/{}?mode=ro", d.display(), aside[0]))
        .await
        .unwrap();
    let budi = gapura::users::find_by_login(&old, BUDI).await.unwrap();
    assert!(budi.is_some());
}

#[tokio::test]
async fn restore_migrates_an_older_backup_and_refuses_what_is_not_one() {
    use migration::MigratorTrait;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A database of an older Gapura: the first ten migrations only.
    let old = d.join("lama.db");
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", old.display()))
        .await
        .unwrap();
    migration::Migrator::up(&db, Some(10)).await.unwrap();
    db.close().await.unwrap();

    // No master key yet: a restore never makes one up.
    let out = finish(&mut gapura(d, &["restore", old.to_str().unwrap()]));
    assert!(
        stderr(&out).contains("the master key is missing"),
        "{}",
        stderr(&out)
    );
    gapura::crypto::MasterKeys::load(None, &d.join("keys")).unwrap();

    let text = run_ok(d, &["--json", "restore", old.to_str().unwrap()], "");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let total = migration::Migrator::migrations().len();
    assert_eq!(report["migrated"], total - 10, "{report}");
    assert!(report["replaced"].is_null(), "there was nothing to replace");
    let db = sea_orm::Database::connect(sqlite_url(d)).await.unwrap();
    assert_eq!(
        migration::Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .len(),
        0
    );
    db.close().await.unwrap();

    // Not a Gapura backup: a text file, an unrelated SQLite database.
    let text_file = d.join("catatan.txt");
    std::fs::write(&text_file, "bukan basis data").unwrap();
    let out = finish(&mut gapura(d, &["restore", text_file.to_str().unwrap()]));
    assert!(
        stderr(&out).contains("is not a Gapura backup: not an SQLite database"),
        "{}",
        stderr(&out)
    );
    let other = d.join("lain.db");
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", other.display()))
        .await
        .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&db, "CREATE TABLE t (x INTEGER)")
        .await
        .unwrap();
    db.close().await.unwrap();
    let out = finish(&mut gapura(d, &["restore", other.to_str().unwrap()]));
    assert!(
        stderr(&out).contains("no migration table"),
        "{}",
        stderr(&out)
    );

    // PostgreSQL: pg_dump, said plainly.
    for command in ["backup", "restore"] {
        let out = finish(
            gapura(d, &[command, "x.db"]).env("DATABASE_URL", "postgres://gapura@127.0.0.1/gapura"),
        );
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("PostgreSQL") && stderr(&out).contains("pg_"),
            "{}",
            stderr(&out)
        );
    }
}

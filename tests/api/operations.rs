//! The operator's first hour with the real binary: one server per SQLite folder,
//! startup order and messages, `serve --demo` guards and the management address
//! for `/metrics`.
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

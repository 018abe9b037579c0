//! What every interop test needs: finding the outside tool (or skipping without
//! it), free ports, child processes that end with the test, and the city's data
//! (the directory, one ASN with a password and a role) behind a Gapura instance.

use crate::helpers::*;
use gapura::clients::{Client, NewClient};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The person every interop test logs in as (a DINKES employee in the sample file).
pub const NIP: &str = DINKES_NIP;
pub const NAME: &str = "Euis Nugraha, S.Kom.";
pub const EMAIL: &str = "euis.nugraha@kotabogor.go.id";
/// The scopes an application team asks for.
pub const SCOPES: &str = "openid profile email asn roles";
/// The role the applications give her.
pub const ROLE: &str = "verifikator@DINKES";

/// Whether `path` (a tool this test needs) exists. Without it the test skips
/// (prints why, returns `false`), except on CI, where a missing tool is a failure.
pub fn have(tool: &str, path: &Path) -> bool {
    if path.exists() {
        return true;
    }
    missing(tool)
}

/// The common ending of a missing tool: fail on CI, skip elsewhere.
pub fn missing(tool: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("{tool} not installed: CI must install it (see the interop step of .ci/run)");
    }
    eprintln!("skipped: {tool} not installed");
    false
}

/// A port nobody listens on right now (another process may take it before we do:
/// callers retry or fail with a clear message).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A child process that is killed (and reaped) when the test ends, however it ends.
pub struct Proc {
    pub child: Child,
    pub what: String,
}

impl Proc {
    pub fn spawn(what: &str, cmd: &mut Command) -> Proc {
        let child = cmd.spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
        Proc {
            child,
            what: what.into(),
        }
    }

    /// Waits until `port` accepts connections; fails with `logs` (the tool's own
    /// words) when the process exits first or takes longer than 20 s.
    pub fn wait_for_port(&mut self, port: u16, logs: &[&Path]) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            let exited = self.child.try_wait().expect("child status");
            if exited.is_some() || Instant::now() > deadline {
                let text: String = logs
                    .iter()
                    .filter_map(|p| std::fs::read_to_string(p).ok())
                    .collect();
                panic!(
                    "{} did not listen on port {port} ({exited:?}):\n{text}",
                    self.what
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder under the target directory that outlives the test (screenshots, logs).
pub fn artifacts(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("interop")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

/// A Gapura instance with the city's directory, Euis (DINKES) with a password, and
/// a client registered as `new` says (scopes: `SCOPES`), in which she holds `ROLE`.
pub async fn city(new: NewClient) -> (TestApp, Client, Option<String>) {
    let app = spawn_app().await;
    app.load_directory().await;
    let euis = app.give_password(NIP).await;
    let (client, secret) = app
        .add_client(NewClient {
            scopes: Some(SCOPES.into()),
            ..new
        })
        .await;
    app.declare(&client.id, "verifikator").await;
    app.assign(&euis, &client.id, "verifikator", Some("DINKES"), "opd")
        .await;
    (app, client, secret)
}

/// The claims every application should receive about Euis, in an ID token or
/// UserInfo answer (`claims`), checked the same way for every relying party.
pub fn assert_euis(claims: &serde_json::Value, source: &str) {
    assert_eq!(claims["preferred_username"], NIP, "{source}: {claims}");
    assert_eq!(claims["nip"], NIP, "{source}: {claims}");
    assert_eq!(claims["name"], NAME, "{source}: {claims}");
    assert_eq!(claims["email"], EMAIL, "{source}: {claims}");
    assert_eq!(claims["opd"]["code"], "DINKES", "{source}: {claims}");
    assert_eq!(
        claims["roles_flat"],
        serde_json::json!([ROLE]),
        "{source}: {claims}"
    );
}

/// Asks a relying party's page and follows what a browser would follow: its own
/// redirects, Gapura's login (as Euis) and consent, back to the application.
/// Returns the last response (not a redirect) and the URL that gave it.
pub async fn browse(
    app: &TestApp,
    browser: &reqwest::Client,
    url: &str,
) -> (String, reqwest::Response) {
    let mut url = url.to_owned();
    for _ in 0..20 {
        let resp = browser.get(&url).send().await.expect("page");
        if !resp.status().is_redirection() {
            return (url, resp);
        }
        let next = location(&resp);
        let next = reqwest::Url::parse(&url)
            .and_then(|base| base.join(&next))
            .expect("redirect target")
            .to_string();
        url = if next.starts_with(&format!("{}/authorize", app.issuer)) {
            // Gapura's pages: login form, consent; returns the redirect to the RP.
            app.authorize(browser, &next, NIP, PASSWORD).await
        } else {
            next
        };
    }
    panic!("too many redirects from {url}")
}

/// Runs a relying party written in another language (`cmd`, which gets the client's
/// secret in `GAPURA_CLIENT_SECRET`): it prints `{"authorization_url": …}`, the test
/// logs in there as a browser would and writes the callback URL to its stdin, and it
/// prints one JSON line with what it saw, which is returned.
pub async fn scripted_rp(app: &TestApp, cmd: &mut Command, secret: &str) -> serde_json::Value {
    use std::io::{BufRead, Read, Write};
    let mut proc = Proc::spawn(
        "the relying party",
        cmd.env("GAPURA_CLIENT_SECRET", secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stdout = proc.child.stdout.take().unwrap();
    let mut stderr = proc.child.stderr.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut next = async || -> Option<serde_json::Value> {
        let line = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .ok()??;
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")))
    };
    let Some(first) = next().await else {
        let _ = proc.child.kill();
        panic!(
            "the relying party printed no authorization URL:\n{}",
            errors.join().unwrap()
        );
    };
    let url = first["authorization_url"]
        .as_str()
        .expect("authorization_url");
    let callback = app.authorize(&app.new_browser(), url, NIP, PASSWORD).await;
    assert!(callback.contains("code="), "login ended at {callback}");
    let mut stdin = proc.child.stdin.take().unwrap();
    stdin.write_all(format!("{callback}\n").as_bytes()).unwrap();
    drop(stdin);
    let result = next().await;
    if result.is_none() {
        let _ = proc.child.kill();
    }
    let status = proc.child.wait().unwrap();
    let errors = errors.join().unwrap();
    match result {
        Some(r) if status.success() => r,
        _ => panic!("the relying party failed ({status}):\n{errors}"),
    }
}

//! The `gapura import` command line as an operator runs it: exit status, the human
//! report and the `--json` report.
use crate::helpers::*;
use std::process::Command;

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

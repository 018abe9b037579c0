//! Apache httpd + mod_auth_openidc (Debian's packages) in front of a protected page:
//! login with PKCE S256 and `client_secret_basic` (Gapura's default), the claims the
//! page sees, RP-initiated logout, and back-channel logout ending Apache's session.

use crate::helpers::*;
use crate::support::*;
use gapura::clients::NewClient;
use gapura::logout::{self, EndReason, backchannel};
use std::path::Path;
use std::process::Command;

const APACHE: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

/// A protected location, as mod_auth_openidc's documentation sets one up.
fn config(dir: &Path, port: u16, issuer: &str, client_id: &str, secret: &str) -> String {
    let d = dir.display();
    let passphrase = uuid::Uuid::new_v4().simple();
    format!(
        r#"ServerRoot "{d}"
ServerName localhost:{port}
Listen 127.0.0.1:{port}
PidFile "{d}/httpd.pid"
DefaultRuntimeDir "{d}"
ErrorLog "{d}/error.log"
LogLevel warn auth_openidc:debug
# One process (-X) serves one connection at a time: no idle keep-alive may hold it.
KeepAlive Off
User nobody
Group nogroup
LoadModule mpm_prefork_module {MODULES}/mod_mpm_prefork.so
LoadModule authn_core_module {MODULES}/mod_authn_core.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule authz_user_module {MODULES}/mod_authz_user.so
LoadModule mime_module {MODULES}/mod_mime.so
LoadModule include_module {MODULES}/mod_include.so
LoadModule auth_openidc_module {MODULES}/mod_auth_openidc.so
TypesConfig "{d}/mime.types"
DocumentRoot "{d}/htdocs"
<Directory "{d}/htdocs">
  Options +Includes
  AddType text/html .shtml
  AddOutputFilter INCLUDES .shtml
  Require all granted
</Directory>

OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {client_id}
OIDCClientSecret {secret}
OIDCRedirectURI http://localhost:{port}/protected/redirect_uri
OIDCCryptoPassphrase {passphrase}
OIDCPKCEMethod S256
OIDCScope "{SCOPES}"
OIDCRemoteUserClaim preferred_username

<Location /protected/>
  AuthType openid-connect
  Require valid-user
</Location>
# Authorisation by the application's roles (roles_flat: "role@OPD").
<Location /protected/verifikator/>
  Require claim roles_flat:verifikator@DINKES
</Location>
<Location /protected/admin/>
  Require claim roles_flat:admin@*
</Location>
"#
    )
}

/// What the protected page shows: the user and every claim mod_auth_openidc passes.
const PAGE: &str = "<pre>\nuser=<!--#echo var=\"REMOTE_USER\" -->\n<!--#printenv -->\n</pre>\n";

/// `OIDC_CLAIM_name=value` lines of the page (HTML entities undone).
fn claim(page: &str, name: &str) -> Option<String> {
    let prefix = format!("OIDC_CLAIM_{name}=");
    page.lines().find_map(|l| l.strip_prefix(&prefix)).map(|v| {
        v.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    })
}

struct Apache {
    _proc: Proc,
    dir: tempfile::TempDir,
    base: String,
}

impl Apache {
    fn start(issuer: &str, client_id: &str, secret: &str, port: u16) -> Apache {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for d in ["htdocs/protected/verifikator", "htdocs/protected/admin"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
            std::fs::write(root.join(d).join("index.html"), "<p>ok</p>\n").unwrap();
        }
        std::fs::write(root.join("mime.types"), "").unwrap();
        std::fs::write(root.join("htdocs/protected/index.shtml"), PAGE).unwrap();
        std::fs::write(
            root.join("htdocs/loggedout.html"),
            "<p>Anda sudah keluar.</p>\n",
        )
        .unwrap();
        let conf = root.join("httpd.conf");
        std::fs::write(&conf, config(root, port, issuer, client_id, secret)).unwrap();
        // Started as root, Apache serves as `nobody`, who must read the pages.
        use std::os::unix::fs::PermissionsExt;
        for p in [
            root.to_path_buf(),
            root.join("htdocs"),
            root.join("htdocs/protected"),
        ] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut proc = Proc::spawn(
            "apache2",
            Command::new(APACHE)
                .arg("-f")
                .arg(&conf)
                .arg("-X")
                .stdin(std::process::Stdio::null())
                .stderr(std::fs::File::create(root.join("startup.log")).unwrap()),
        );
        proc.wait_for_port(port, &[&root.join("startup.log"), &root.join("error.log")]);
        Apache {
            _proc: proc,
            dir,
            base: format!("http://localhost:{port}"),
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

/// A browser for a server-side app: keeps cookies per host, asks for HTML.
fn html_browser() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT,
        "text/html,application/xhtml+xml".parse().unwrap(),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test]
async fn apache_mod_auth_openidc_logs_in_and_out() {
    if !have("apache2", Path::new(APACHE))
        || !have(
            "libapache2-mod-auth-openidc",
            &Path::new(MODULES).join("mod_auth_openidc.so"),
        )
    {
        return;
    }
    let port = free_port();
    let base = format!("http://localhost:{port}");
    // Registered with Gapura's defaults (client_secret_basic, consent asked).
    let (app, client, secret) = city(NewClient {
        name: "Presensi".into(),
        redirect_uris: vec![format!("{base}/protected/redirect_uri")],
        post_logout_redirect_uris: vec![format!("{base}/loggedout.html")],
        backchannel_logout_uri: Some(format!("{base}/protected/redirect_uri?logout=backchannel")),
        backchannel_logout_session_required: true,
        ..NewClient::default()
    })
    .await;
    let apache = Apache::start(&app.issuer, &client.id, &secret.unwrap(), port);
    let browser = html_browser();
    let protected = format!("{}/protected/index.shtml", apache.base);

    // The protected page sends the browser to Gapura, with PKCE S256.
    let first = browser.get(&protected).send().await.unwrap();
    assert_eq!(first.status(), 302, "{}", apache.error_log());
    let authorize = location(&first);
    assert!(
        authorize.starts_with(&format!("{}/authorize?", app.issuer)),
        "{authorize}"
    );
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(client.id.as_str())
    );

    // Login, consent, callback (code exchanged with client_secret_basic), the page.
    let (url, page) = browse(&app, &browser, &protected).await;
    assert_eq!(url, protected);
    assert_eq!(page.status(), 200, "{}", apache.error_log());
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("user={NIP}")), "{page}");
    assert_eq!(
        claim(&page, "preferred_username").as_deref(),
        Some(NIP),
        "{page}"
    );
    assert_eq!(claim(&page, "nip").as_deref(), Some(NIP));
    assert_eq!(claim(&page, "name").as_deref(), Some(NAME));
    assert_eq!(claim(&page, "email").as_deref(), Some(EMAIL));
    assert_eq!(claim(&page, "roles_flat").as_deref(), Some(ROLE));
    let opd: serde_json::Value = serde_json::from_str(&claim(&page, "opd").unwrap()).unwrap();
    assert_eq!(opd["code"], "DINKES");
    assert_eq!(client.auth_method.as_str(), "client_secret_basic");
    // `Require claim` on her roles: the verifikator area opens, the admin area does not.
    let area = |p: &str| {
        browser
            .get(format!("{}/protected/{p}/index.html", apache.base))
            .send()
    };
    assert_eq!(area("verifikator").await.unwrap().status(), 200);
    let refused = area("admin").await.unwrap().status();
    assert!(refused == 401 || refused == 403, "admin area: {refused}");

    // RP-initiated logout: mod_auth_openidc ends its session and sends the browser to
    // Gapura's end_session_endpoint with id_token_hint; Gapura returns it here.
    let logged_out = format!("{}/loggedout.html", apache.base);
    let resp = browser
        .get(format!(
            "{}/protected/redirect_uri?logout={}",
            apache.base,
            enc(&logged_out)
        ))
        .send()
        .await
        .unwrap();
    let end_session = location(&resp);
    assert!(
        end_session.starts_with(&format!("{}/logout?", app.issuer)),
        "{end_session}"
    );
    assert!(
        query_param(&end_session, "id_token_hint").is_some(),
        "{end_session}"
    );
    let resp = browser.get(&end_session).send().await.unwrap();
    let back = if resp.status().is_redirection() {
        location(&resp)
    } else {
        assert_eq!(resp.status(), 200);
        let html = resp.text().await.unwrap();
        assert!(
            html.contains(&logged_out),
            "Gapura's logged-out page continues to the app: {html}"
        );
        logged_out.clone()
    };
    assert!(back.starts_with(&logged_out), "{back}");
    let bye = browser.get(&back).send().await.unwrap();
    assert_eq!(bye.status(), 200);
    // Both sessions are over: Apache sends the browser to Gapura, which asks to log in.
    let again = browser.get(&protected).send().await.unwrap();
    assert_eq!(again.status(), 302);
    let gapura = browser.get(location(&again)).send().await.unwrap();
    assert!(
        location(&gapura).starts_with("/login"),
        "Gapura's session ended too"
    );
    // Its own logout also reached Apache over the back channel (a session it no longer has).
    backchannel::deliver_due(&app.state, 10).await.unwrap();

    // Back-channel logout: log in again, then Gapura ends the session on its side
    // (an administrator's action); Apache learns it and its session ends too.
    let (_, page) = browse(&app, &browser, &protected).await;
    assert_eq!(page.status(), 200);
    let euis = app.person(NIP).await;
    let ended = logout::end_user_sessions(&app.state, &euis.id, EndReason::Admin, None)
        .await
        .unwrap();
    assert_eq!(ended, 1);
    let before = backchannel::list(&app.state, Some("delivered"), 100)
        .await
        .unwrap()
        .len();
    backchannel::deliver_due(&app.state, 10).await.unwrap();
    let delivered = backchannel::list(&app.state, Some("delivered"), 100)
        .await
        .unwrap();
    assert_eq!(
        delivered.len(),
        before + 1,
        "Apache accepted the logout token: {}",
        apache.error_log()
    );
    // The browser still holds Apache's session cookie; Apache no longer honours it.
    let after = browser.get(&protected).send().await.unwrap();
    assert_eq!(after.status(), 302, "{}", apache.error_log());
    assert!(location(&after).starts_with(&format!("{}/authorize?", app.issuer)));
}

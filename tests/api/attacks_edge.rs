//! Attacks at the edge of the server: forged client addresses, bodies that inflate,
//! hostile bytes in every input, and what answers may reveal or let a cache keep.
use crate::helpers::*;

/// A login attempt for Siti through a fresh browser; `forwarded` is sent as
/// `X-Forwarded-For` on every request of the attempt.
async fn login_as_siti_from(
    app: &TestApp,
    client: &gapura::clients::Client,
    forwarded: &str,
    password: &str,
) -> reqwest::Response {
    login_with_header(app, client, ("x-forwarded-for", forwarded), password).await
}

async fn login_with_header(
    app: &TestApp,
    client: &gapura::clients::Client,
    xff: (&str, &str),
    password: &str,
) -> reqwest::Response {
    let url = app.code_url(client, "");
    let browser = app.new_browser();
    let loc = location(&browser.get(url).header(xff.0, xff.1).send().await.unwrap());
    let page = browser
        .get(app.url(&loc))
        .header(xff.0, xff.1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    browser
        .post(app.url("/login"))
        .header(xff.0, xff.1)
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("req", hidden(&page, "req").as_str()),
            ("username", "198609262015052001"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_failures_lock_only_the_forwarded_address() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = gapura::net::TrustedProxies::parse_list("127.0.0.1").unwrap();
    })
    .await;
    app.siti().await;
    let (c, _) = app.web_client().await;
    // the client prepends a forged address; the proxy appends the real one
    let attacker = "6.6.6.6, 198.51.100.7";
    for _ in 0..5 {
        let r = login_as_siti_from(&app, &c, attacker, "wrong-password").await;
        assert_eq!(r.status(), 401);
    }
    let locked = login_as_siti_from(&app, &c, attacker, PASSWORD).await;
    assert_eq!(locked.status(), 429, "the attacking address is locked");
    let siti = login_as_siti_from(&app, &c, "203.0.113.20", PASSWORD).await;
    assert_eq!(siti.status(), 303, "Siti elsewhere is not locked out");
    // the audit log names the forwarded addresses, never the proxy or the forgery
    let events = app.audit_events("login").await;
    let failed: Vec<_> = events.iter().filter(|e| e.outcome == "failure").collect();
    assert!(!failed.is_empty());
    assert!(
        failed
            .iter()
            .all(|e| e.ip.as_deref() == Some("198.51.100.7")),
        "{:?}",
        failed.iter().map(|e| e.ip.clone()).collect::<Vec<_>>()
    );
    assert!(
        events
            .iter()
            .any(|e| e.outcome == "success" && e.ip.as_deref() == Some("203.0.113.20"))
    );
    // Forwarded (RFC 7239) with a quoted IPv6 address works the same way
    let r = login_with_header(
        &app,
        &c,
        ("forwarded", "for=\"[2001:db8::1]:4711\";proto=https"),
        "wrong-password",
    )
    .await;
    assert_eq!(r.status(), 401);
    let events = app.audit_events("login").await;
    assert!(
        events
            .iter()
            .any(|e| e.ip.as_deref() == Some("2001:db8::1"))
    );
    // garbage from the proxy: the proxy's own address, never the garbage
    let r = login_as_siti_from(&app, &c, "unknown", "wrong-password").await;
    assert_eq!(r.status(), 401);
    let events = app.audit_events("login").await;
    assert!(events.iter().any(|e| e.ip.as_deref() == Some("127.0.0.1")));
    assert!(events.iter().all(|e| e.ip.as_deref() != Some("unknown")));
}

#[tokio::test]
async fn an_untrusted_peers_forwarding_headers_are_ignored() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = gapura::net::TrustedProxies::parse_list("192.0.2.1").unwrap();
    })
    .await;
    app.siti().await;
    let (c, _) = app.web_client().await;
    for i in 0..5 {
        let r = login_as_siti_from(&app, &c, &format!("198.51.100.{i}"), "wrong-password").await;
        assert_eq!(r.status(), 401);
    }
    // a "new" forwarded address changes nothing: all came from 127.0.0.1
    let r = login_as_siti_from(&app, &c, "198.51.100.99", PASSWORD).await;
    assert_eq!(r.status(), 429);
    let events = app.audit_events("login").await;
    assert!(
        events.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")),
        "{:?}",
        events.iter().map(|e| e.ip.clone()).collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------
// Bodies that inflate. The test writes its own gzip (RFC 1952) around deflate
// (RFC 1951): stored blocks for real content, and for bombs one fixed-Huffman
// block of zeros (a literal, then 258-byte matches at distance 1: 13 bits each).

fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    for (i, t) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *t = c;
    }
    table
}

fn crc32(data: &[u8]) -> u32 {
    let table = crc_table();
    !data.iter().fold(!0u32, |c, b| {
        table[((c ^ u32::from(*b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

fn gzip_wrap(deflate: Vec<u8>, crc: u32, len: usize) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(deflate);
    out.extend(crc.to_le_bytes());
    out.extend((len as u32).to_le_bytes());
    out
}

/// Real content, uncompressed (stored blocks).
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut d = Vec::new();
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    if chunks.is_empty() {
        d.extend([1, 0, 0, 0xff, 0xff]);
    }
    for (i, c) in chunks.iter().enumerate() {
        d.push(u8::from(i + 1 == chunks.len()));
        let n = c.len() as u16;
        d.extend(n.to_le_bytes());
        d.extend((!n).to_le_bytes());
        d.extend(*c);
    }
    gzip_wrap(d, crc32(data), data.len())
}

/// `n` zero bytes, compressed about 160:1.
fn gzip_zeros(n: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        len: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, bits: u32) {
            self.acc |= u64::from(value) << self.len;
            self.len += bits;
            while self.len >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.len -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, bits: u32) {
            let rev = code.reverse_bits() >> (32 - bits);
            self.put(rev, bits);
        }
    }
    let mut b = Bits {
        out: Vec::with_capacity(n / 150),
        acc: 0,
        len: 0,
    };
    b.put(1, 1); // BFINAL
    b.put(1, 2); // fixed Huffman
    let literal_zero = |b: &mut Bits| b.code(0x30, 8);
    let mut left = n;
    if left > 0 {
        literal_zero(&mut b);
        left -= 1;
    }
    while left >= 258 {
        b.code(0xC5, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        literal_zero(&mut b);
    }
    b.code(0, 7); // end of block
    if b.len > 0 {
        b.out.push(b.acc as u8);
    }
    // The CRC of n zeros, without holding them.
    let table = crc_table();
    let mut crc = !0u32;
    for _ in 0..n {
        crc = table[(crc & 0xFF) as usize] ^ (crc >> 8);
    }
    gzip_wrap(b.out, !crc, n)
}

#[test]
fn the_test_gzip_writer_is_right() {
    // checked against known values: CRC-32 of "123456789" is CBF43926
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(gzip_zeros(0).len(), 10 + 2 + 8);
    let z = gzip_zeros(1000);
    assert_eq!(&z[z.len() - 4..], &1000u32.to_le_bytes());
    assert_eq!(
        u32::from_le_bytes(z[z.len() - 8..z.len() - 4].try_into().unwrap()),
        crc32(&[0u8; 1000])
    );
}

/// The resident set of this process (the test server runs in it), in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The tests that measure memory take turns (they would measure each other).
static MEASURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `work` while sampling the RSS every few milliseconds; the peak growth in MiB.
/// Tests of other modules may run beside it in this process, so callers allow some
/// room; the attacks measured here grow it by hundreds of MiB when they succeed.
async fn peak_growth_mib<F: std::future::Future>(work: F) -> (F::Output, u64) {
    let _turn = MEASURING.lock().await;
    let before = rss_kib();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(rss_kib());
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        peak.max(rss_kib())
    });
    let out = work.await;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    (out, peak.saturating_sub(before) / 1024)
}

#[tokio::test]
async fn an_unauthenticated_gzip_bomb_is_refused_before_a_byte_is_inflated() {
    let app = spawn_app().await;
    // 62 MiB of zeros in about 400 KB (the report's bomb: 59 KB → 62 MB)
    let bomb = gzip_zeros(62 << 20);
    assert!(bomb.len() < 420_000, "{}", bomb.len());
    let send = |token: Option<&'static str>| {
        let mut r = app
            .http
            .post(app.url("/admin/api/v1/import/asn"))
            .header("content-type", "text/csv")
            .header("content-encoding", "gzip")
            .body(bomb.clone());
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let started = std::time::Instant::now();
    let (answers, growth) = peak_growth_mib(async {
        let mut all = Vec::new();
        for round in 0..2 {
            let token = if round == 0 {
                None
            } else {
                Some("not-a-token")
            };
            let sent: Vec<_> = (0..8).map(|_| send(token)).collect();
            for r in futures_util::future::join_all(sent).await {
                let r = r.unwrap();
                let status = r.status().as_u16();
                let www = r.headers().get("www-authenticate").is_some();
                let body: serde_json::Value = r.json().await.unwrap();
                all.push((status, www, body["error"].as_str().map(str::to_owned)));
            }
        }
        all
    })
    .await;
    for (status, www, error) in &answers {
        assert_eq!(*status, 401);
        assert!(*www);
        assert_eq!(error.as_deref(), Some("invalid_token"));
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // Sixteen bombs inflated would be about 1 GB; other tests share this process,
    // so the bound leaves them room.
    assert!(growth < 24, "RSS grew by {growth} MiB");
}

async fn root_token(app: &TestApp) -> String {
    let console = app.admin_console().await;
    let root = app.super_admin().await;
    app.mint(&console, Some(&root), "openid gapura.admin").await
}

#[tokio::test]
async fn uploads_are_bounded_after_decompression_and_still_work() {
    let app = spawn_app().await;
    let token = root_token(&app).await;
    let import = |kind: &str, encoding: Option<&str>, ct: &str, body: Vec<u8>| {
        let mut r = app
            .http
            .post(app.url(&format!("/admin/api/v1/import/{kind}")))
            .bearer_auth(&token)
            .header("content-type", ct)
            .body(body);
        if let Some(e) = encoding {
            r = r.header("content-encoding", e);
        }
        r.send()
    };
    // a real import, gzip-compressed, as multipart
    let mut multipart = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"opd.csv\"\r\nContent-Type: text/csv\r\n\r\n".to_vec();
    multipart.extend(fixture("opd-kota-bogor.csv"));
    multipart.extend(b"\r\n--XyZ--\r\n");
    let r = import(
        "opd",
        Some("gzip"),
        "multipart/form-data; boundary=XyZ",
        gzip_stored(&multipart),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v = json(r).await;
    assert_eq!(v["report"]["created"], 130, "{v}");
    // ... and plain text/csv
    let r = import("asn", None, "text/csv", fixture("asn-sample.csv"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["report"]["created"], 200);
    // 65 MiB once inflated: 413 with the API's error, memory flat
    let (r, growth) = peak_growth_mib(async {
        import("asn", Some("gzip"), "text/csv", gzip_zeros(65 << 20))
            .await
            .unwrap()
    })
    .await;
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v = json(r).await;
    assert_eq!(v["error"], "payload_too_large", "{v}");
    assert!(growth < 24, "RSS grew by {growth} MiB");
    // a truncated or corrupt gzip stream is the client's error
    let mut broken = gzip_stored(&fixture("asn-sample.csv"));
    broken.truncate(broken.len() / 2);
    let r = import("asn", Some("gzip"), "text/csv", broken)
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"], "invalid_request");
    // codings other than gzip, and a wrong content type
    let r = import("asn", Some("br"), "text/csv", b"x".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(r.headers()["accept-encoding"], "gzip, identity");
    let r = import("asn", None, "application/json", b"{}".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn every_extractor_counts_decoded_bytes() {
    let app = spawn_app().await;
    let (c, secret) = app.web_client().await;
    // a form of 62 MiB once inflated, to the token endpoint (no authentication needed
    // to reach the body): refused at 64 KiB, memory flat
    let bomb = gzip_zeros(62 << 20);
    let (answers, growth) = peak_growth_mib(async {
        let sent: Vec<_> = (0..8)
            .map(|_| {
                app.http
                    .post(app.url("/token"))
                    .basic_auth(&c.id, Some(&secret))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("content-encoding", "gzip")
                    .body(bomb.clone())
                    .send()
            })
            .collect();
        futures_util::future::join_all(sent).await
    })
    .await;
    for r in answers {
        assert_eq!(r.unwrap().status(), 413);
    }
    assert!(growth < 24, "RSS grew by {growth} MiB");
    // a small gzip form is read like a plain one
    let form = "grant_type=client_credentials";
    let r = app
        .http
        .post(app.url("/token"))
        .basic_auth(&c.id, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-encoding", "gzip")
        .body(gzip_stored(form.as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

// ---------------------------------------------------------------------------
// NUL and other control characters: refused at the edge, on both back ends
// (PostgreSQL cannot store U+0000; it must never become a 500).

#[tokio::test]
async fn nul_bytes_are_refused_at_the_edge_never_a_500() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, secret) = app.web_client().await;
    // the login form
    let url = app.code_url(&c, "");
    let browser = app.new_browser();
    let loc = location(&browser.get(&url).send().await.unwrap());
    let page = browser
        .get(app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("req", hidden(&page, "req").as_str()),
            ("username", "19860926\u{0}2015052001"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // state and login_hint at /authorize
    for extra in [
        "&state=a%00b",
        "&login_hint=19860926%002015052001",
        "&nonce=%01",
    ] {
        let r = app.http.get(format!("{url}{extra}")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{extra}");
        assert!(r.headers().get("location").is_none());
    }
    // the token endpoint: the spec's invalid_request
    let r = app
        .token(
            &c,
            &secret,
            &[("grant_type", "authorization_code"), ("code", "a\u{0}b")],
        )
        .await;
    assert_eq!(r.status(), 400);
    let v = json(r).await;
    assert_eq!(v["error"], "invalid_request");
    assert!(v["error_description"].as_str().unwrap().contains("U+0000"));
    // a client id with NUL in Basic credentials: 401, and the audit batch survives
    let r = app
        .http
        .post(app.url("/token"))
        .basic_auth("evil%00client", Some("x"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "evil"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        app.audit_events("client.auth")
            .await
            .iter()
            .any(|e| e.client_id.as_deref() == Some("evil")),
        "audit records were lost"
    );
    // a client assertion whose issuer carries a NUL (read before any signature check)
    let header = base64url(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = base64url(br#"{"iss":"a\u0000b","sub":"a\u0000b","aud":"x","exp":1}"#);
    let r = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &format!("{header}.{claims}.c2ln")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

fn base64url(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

#[tokio::test]
async fn nul_bytes_in_admin_json_paths_and_csv_cells() {
    let app = spawn_app().await;
    app.import_opd().await;
    let token = root_token(&app).await;
    let call = |method: &str, path: &str, body: Option<String>| {
        let mut r = app
            .http
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(&token);
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b);
        }
        r.send()
    };
    for (method, path, body) in [
        (
            "POST",
            "/admin/api/v1/opd",
            r#"{"code":"X\u0000","name":"a"}"#,
        ),
        (
            "POST",
            "/admin/api/v1/opd",
            r#"{"code":"XX","name":"a\u0000"}"#,
        ),
        ("PATCH", "/admin/api/v1/opd/DINKES", r#"{"name":"\u0001"}"#),
        (
            "POST",
            "/admin/api/v1/assignments",
            r#"{"user_id":"\u0000"}"#,
        ),
        ("POST", "/admin/api/v1/opd", r#"{"co\u0000de":"XX"}"#),
    ] {
        let r = call(method, path, Some(body.to_owned())).await.unwrap();
        assert_eq!(r.status(), 400, "{method} {path} {body}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let v = json(r).await;
        assert_eq!(v["error"], "invalid_request");
        assert!(
            v["error_description"]
                .as_str()
                .unwrap()
                .contains("control character"),
            "{v}"
        );
    }
    // path segments
    for path in [
        "/admin/api/v1/asn/1986%00",
        "/admin/api/v1/opd/DIN%00KES",
        "/directory/v1/people/1986%00",
        "/scim/v2/Users/%00",
        "/admin/api/v1/asn?q=a%00",
    ] {
        let r = call("GET", path, None).await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
    }
    // CSV cells: a per-row rejection, nothing written
    let mut csv = String::from(ASN_HEADER);
    csv.push('\n');
    csv.push_str(&disdik_line().replace("Budi Disdik", "Budi\u{0}Disdik"));
    csv.push('\n');
    let r = app
        .http
        .post(app.url("/admin/api/v1/import/asn"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v = json(r).await;
    let rejected = &v["report"]["rejected"][0];
    assert_eq!(rejected["key"], DISDIK_NIP);
    assert!(
        rejected["reasons"][0]
            .as_str()
            .unwrap()
            .contains("(`nama`) contains the control character U+0000"),
        "{v}"
    );
    assert_eq!(v["report"]["written"], false);
}

// ---------------------------------------------------------------------------
// What answers may reveal, and to whom.

async fn directory_token(app: &TestApp) -> String {
    let (client, secret) = app
        .add_client(gapura::clients::NewClient {
            name: "SIMPEG".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: Some("directory.read".into()),
            ..Default::default()
        })
        .await;
    let t = json(
        app.token(
            &client,
            &secret.unwrap(),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "directory.read"),
            ],
        )
        .await,
    )
    .await;
    t["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn personal_data_apis_say_no_store_on_every_answer() {
    let app = spawn_app().await;
    app.load_directory().await;
    let admin = root_token(&app).await;
    let directory = directory_token(&app).await;
    let cases: Vec<(&str, String, Option<&str>, u16)> = vec![
        (
            "admin",
            format!("/admin/api/v1/asn/{DINKES_NIP}"),
            Some(&admin),
            200,
        ),
        (
            "admin",
            "/admin/api/v1/asn?limit=2".into(),
            Some(&admin),
            200,
        ),
        ("admin", "/admin/api/v1/opd".into(), Some(&admin), 200),
        (
            "admin",
            "/admin/api/v1/assignments".into(),
            Some(&admin),
            200,
        ),
        ("admin", "/admin/api/v1/openapi.json".into(), None, 200),
        ("admin", "/admin/api/v1/asn/1".into(), Some(&admin), 404),
        ("admin", "/admin/api/v1/opd".into(), None, 401),
        ("admin", "/admin/api/v1/opd".into(), Some(&directory), 403),
        (
            "directory",
            format!("/directory/v1/people/{DINKES_NIP}"),
            Some(&directory),
            200,
        ),
        (
            "directory",
            "/directory/v1/opd/DINKES/subtree".into(),
            Some(&directory),
            200,
        ),
        (
            "directory",
            "/directory/v1/people/1".into(),
            Some(&directory),
            404,
        ),
        (
            "directory",
            format!("/directory/v1/people/{DINKES_NIP}"),
            None,
            401,
        ),
        (
            "scim",
            "/scim/v2/Users?count=2".into(),
            Some(&directory),
            200,
        ),
        (
            "scim",
            "/scim/v2/Groups?count=2".into(),
            Some(&directory),
            200,
        ),
        (
            "scim",
            "/scim/v2/ServiceProviderConfig".into(),
            Some(&directory),
            200,
        ),
        (
            "scim",
            "/scim/v2/Users/nobody".into(),
            Some(&directory),
            404,
        ),
        ("scim", "/scim/v2/Users".into(), None, 401),
        (
            "scim",
            "/scim/v2/Users?filter=bad%20filter".into(),
            Some(&directory),
            400,
        ),
    ];
    for (scope, path, token, status) in cases {
        let mut r = app.http.get(app.url(&path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{scope} {path}");
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{scope} {path} {status}"
        );
    }
}

#[tokio::test]
async fn introspection_gives_the_person_only_to_the_tokens_own_client() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let (other, other_secret) = app.web_client().await;
    let code = app.code_for(&c, "openid profile", VERIFIER).await;
    let body = json(
        app.token(
            &c,
            &s,
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
    let at = body["access_token"].as_str().unwrap();
    let ask = |client: &gapura::clients::Client, secret: &str| {
        app.http
            .post(app.url("/introspect"))
            .basic_auth(&client.id, Some(secret.to_owned()))
            .form(&[("token", at)])
            .send()
    };
    let own = json(ask(&c, &s).await.unwrap()).await;
    assert_eq!(own["active"], true);
    assert_eq!(own["username"], "198609262015052001");
    assert!(own["sub"].is_string() && own["sid"].is_string() && own["acr"].is_string());
    let foreign = json(ask(&other, &other_secret).await.unwrap()).await;
    assert_eq!(foreign["active"], true);
    assert_eq!(foreign["client_id"], c.id.as_str());
    assert_eq!(foreign["scope"], "openid profile");
    assert!(foreign["exp"].is_i64() && foreign["iat"].is_i64());
    for personal in [
        "username",
        "sub",
        "sid",
        "auth_time",
        "acr",
        "roles",
        "roles_flat",
    ] {
        assert!(foreign.get(personal).is_none(), "{personal}: {foreign}");
    }
}

#[tokio::test]
async fn service_scopes_are_never_granted_for_a_person() {
    let app = spawn_app().await;
    let siti = app.siti().await;
    let (c, secret) = app
        .add_client(gapura::clients::NewClient {
            name: "SIMPEG".into(),
            redirect_uris: vec![REDIRECT.into()],
            first_party: true,
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
            scopes: Some("openid profile directory.read".into()),
            ..Default::default()
        })
        .await;
    let secret = secret.unwrap();
    // /authorize answers invalid_scope (back to the client, with state)
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=s1&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        c.id,
        enc(REDIRECT),
        enc("openid directory.read"),
        challenge(VERIFIER)
    );
    let loc = location(&app.new_browser().get(&url).send().await.unwrap());
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("invalid_scope"),
        "{loc}"
    );
    assert_eq!(query_param(&loc, "state").as_deref(), Some("s1"));
    // the same client still gets it for itself
    let r = app
        .token(
            &c,
            &secret,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "directory.read"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    // a grant that holds it (made before the rule) does not hand it on at refresh
    let grant = gapura::oidc::grants::Grant {
        id: "legacy-grant".into(),
        user_id: siti.id.clone(),
        client_id: c.id.to_string(),
        scope: "openid directory.read".into(),
        sid: None,
        auth_time: app.state.now(),
        acr: "1".into(),
        amr: "pwd".into(),
        created_at: app.state.now(),
        revoked_at: None,
        revoked_reason: None,
    };
    gapura::oidc::grants::create(&app.state.db, grant.clone())
        .await
        .unwrap();
    let rt = gapura::oidc::grants::issue_refresh(
        &app.state,
        &app.state.db,
        &grant,
        "openid directory.read",
    )
    .await
    .unwrap();
    let widen = app
        .token(
            &c,
            &secret,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("scope", "directory.read"),
            ],
        )
        .await;
    assert_eq!(json(widen).await["error"], "invalid_scope");
    let r = json(
        app.token(
            &c,
            &secret,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await,
    )
    .await;
    assert_eq!(r["scope"], "openid", "{r}");
    let at = r["access_token"].as_str().unwrap();
    let person = app
        .http
        .get(app.url("/directory/v1/people/1"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(person.status(), 403);
    // and the successor refresh token is narrowed too
    let rt2 = r["refresh_token"].as_str().unwrap();
    let again = app
        .token(
            &c,
            &secret,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt2),
                ("scope", "openid directory.read"),
            ],
        )
        .await;
    assert_eq!(json(again).await["error"], "invalid_scope");
}

async fn exchange_code(
    app: &TestApp,
    client: &gapura::clients::Client,
    secret: &str,
    code: &str,
) -> reqwest::Response {
    app.token(
        client,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn is_active(
    app: &TestApp,
    client: &gapura::clients::Client,
    secret: &str,
    token: &str,
) -> bool {
    let r = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(&client.id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    json(r).await["active"] == true
}

#[tokio::test]
async fn only_the_codes_own_client_can_revoke_by_replaying_it() {
    let app = spawn_app().await;
    app.siti().await;
    let (c, s) = app.web_client().await;
    let (other, other_secret) = app.web_client().await;
    let code = app.code_for(&c, "openid", VERIFIER).await;
    let first = json(exchange_code(&app, &c, &s, &code).await).await;
    let at = first["access_token"].as_str().unwrap();
    // another (authenticated) client replays the used code
    let foreign = exchange_code(&app, &other, &other_secret, &code).await;
    assert_eq!(foreign.status(), 400);
    assert_eq!(json(foreign).await["error"], "invalid_grant");
    assert!(is_active(&app, &c, &s, at).await, "nothing was revoked");
    let attempts = app.audit_events("code.replay.other_client").await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, "failure");
    assert_eq!(attempts[0].client_id.as_deref(), Some(other.id.as_str()));
    assert!(app.audit_events("code.replay").await.is_empty());
    // the code's own client replaying it does end the grant
    let own = exchange_code(&app, &c, &s, &code).await;
    assert_eq!(json(own).await["error"], "invalid_grant");
    assert!(!is_active(&app, &c, &s, at).await);
    assert_eq!(app.audit_events("code.replay").await.len(), 1);
}

#[tokio::test]
async fn pages_with_secrets_beside_reflected_input_are_never_compressed() {
    let app = spawn_app().await;
    let (c, _) = app.web_client().await;
    let hint = "reflected-".repeat(20);
    let url = app.code_url(&c, &format!("&login_hint={hint}"));
    let browser = app.new_browser();
    let loc = location(&browser.get(&url).send().await.unwrap());
    let page = browser
        .get(app.url(&loc))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_ne!(
        page.headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(&hint) && html.contains("name=\"csrf\""));
    // error pages too
    let r = app
        .http
        .get(app.url("/no-such-page"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_ne!(r.headers().get("content-encoding").unwrap(), "gzip");
    // while compression as such is on (so the check above is not vacuous)
    let r = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn over_https_every_cookie_is_secure_and_host_prefixed() {
    // An https issuer (TLS would end at the proxy); the test talks plain HTTP to the port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut app = spawn_app_with(|s| {
        s.bind = format!("127.0.0.1:{port}");
        s.issuer = Some(format!("https://localhost:{port}"));
    })
    .await;
    app.base = Some(format!("http://127.0.0.1:{port}"));
    let r = app
        .http
        .get(app.url("/login?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let set: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(set.len() >= 2, "{set:?}");
    for c in &set {
        assert!(c.starts_with("__Host-"), "{c}");
        for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(!c.contains("Domain="), "{c}");
    }
    assert!(set.iter().any(|c| c.starts_with("__Host-gapura_lang=en")));
    assert!(set.iter().any(|c| c.starts_with("__Host-gapura_csrf=")));
    // the language cookie is read under its prefixed name; a bare one (which any
    // sibling host could set) is not
    let page = |cookie: &'static str| {
        app.http
            .get(app.url("/login"))
            .header("cookie", cookie)
            .send()
    };
    let en = page("__Host-gapura_lang=en")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("lang=\"en\""));
    let id = page("gapura_lang=en").await.unwrap().text().await.unwrap();
    assert!(id.contains("lang=\"id\""));
}

// ---------------------------------------------------------------------------
// The class, not the instance: every route of the server (read from the route
// tables in the sources, so a new route is covered the day it is added), with
// hostile paths, queries, bodies and headers, with and without credentials.
// Never a 5xx, never a dropped connection (a panic), and the server lives on.

const ROUTE_SOURCES: &[&str] = &[
    include_str!("../../src/http/oidc/mod.rs"),
    include_str!("../../src/http/pages/mod.rs"),
    include_str!("../../src/http/logout.rs"),
    include_str!("../../src/http/admin/mod.rs"),
    include_str!("../../src/http/directory.rs"),
    include_str!("../../src/http/scim/mod.rs"),
    include_str!("../../src/http/server.rs"),
];

/// `(method, path pattern)` of every `.route("path", web::method()...)` in the
/// sources, below the file's `web::scope("...")` if it has one.
fn all_routes() -> Vec<(String, String)> {
    let string_after = |s: &str, from: usize| -> Option<(String, usize)> {
        let start = s[from..].find('"')? + from + 1;
        let end = s[start..].find('"')? + start;
        Some((s[start..end].to_owned(), end + 1))
    };
    let mut out = Vec::new();
    for src in ROUTE_SOURCES {
        let prefix = src
            .find("web::scope(")
            .and_then(|i| string_after(src, i))
            .map(|(p, _)| p)
            .unwrap_or_default();
        let mut at = 0;
        while let Some(i) = src[at..].find("route(") {
            let i = at + i;
            at = i + 6;
            let Some((path, after)) = string_after(src, at) else {
                break;
            };
            if !path.starts_with('/') {
                continue;
            }
            let Some(m) = src[after..].find("web::") else {
                break;
            };
            let method: String = src[after + m + 5..]
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect();
            let method = method.to_ascii_uppercase();
            if ["GET", "POST", "PATCH", "DELETE", "PUT"].contains(&method.as_str()) {
                out.push((method, format!("{prefix}{path}")));
            }
        }
    }
    out
}

const PARAM_NAMES: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "req",
    "lang",
    "login_hint",
    "q",
    "filter",
    "cursor",
    "limit",
    "startIndex",
    "count",
    "dry_run",
    "sync",
    "id_token_hint",
    "post_logout_redirect_uri",
    "ui_locales",
    "prompt",
    "max_age",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "claims",
    "token",
    "token_type_hint",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "username",
    "password",
    "decision",
    "ceremony",
    "credential",
    "method",
    "totp",
    "recovery",
    "factor",
    "logout_hint",
];

fn every_param(value: &str, csrf: Option<&str>) -> Vec<u8> {
    let mut s: Vec<String> = PARAM_NAMES.iter().map(|n| format!("{n}={value}")).collect();
    if let Some(c) = csrf {
        s.push(format!("csrf={c}"));
    }
    s.join("&").into_bytes()
}

struct Hostile {
    what: String,
    path: String,
    query: String,
    content_type: Option<&'static str>,
    content_encoding: Option<&'static str>,
    body: Option<Vec<u8>>,
    headers: Vec<(&'static str, Vec<u8>)>,
}

fn hostile_requests(
    method: &str,
    pattern: &str,
    csrf: Option<&str>,
    authorize_query: &str,
) -> Vec<Hostile> {
    let fill = |v: &str| -> String {
        let mut out = String::new();
        let mut rest = pattern;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let close = rest[i..].find('}').unwrap() + i;
            out.push_str(v);
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    };
    let plain = fill("DINKES");
    let base = |what: &str| Hostile {
        what: what.to_owned(),
        path: plain.clone(),
        query: String::new(),
        content_type: None,
        content_encoding: None,
        body: None,
        headers: Vec::new(),
    };
    let mut out = vec![base("plain")];
    if pattern.contains('{') {
        let long = "9".repeat(5000);
        for v in [
            "%00",
            "%FF%FE",
            "%C0%AE%C0%AE",
            "%E2%80%AE",
            "..%2F..%2Fetc%2Fpasswd",
            "%20",
            long.as_str(),
            "198609262015052001",
            DINKES_NIP,
            "asn",
            "opd",
        ] {
            out.push(Hostile {
                path: fill(v),
                ..base(&format!("path {}", &v[..v.len().min(20)]))
            });
        }
    }
    let q = |what: &str, raw: Vec<u8>| Hostile {
        query: format!("?{}", String::from_utf8_lossy(&raw)),
        ..base(what)
    };
    out.push(q("query NUL", every_param("%00", None)));
    out.push(q("query controls", every_param("a%01%1B%7F", None)));
    out.push(q("query bad UTF-8", every_param("%FF%FE%C0", None)));
    let mut dup = every_param("1", None);
    dup.push(b'&');
    dup.extend(every_param("2", None));
    out.push(q("query duplicated", dup));
    out.push(q(
        "query long",
        format!("state={}&client_id={}", "s".repeat(20_000), "c".repeat(300)).into_bytes(),
    ));
    out.push(q(
        "query many",
        (0..200)
            .map(|i| format!("p{i}=1"))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes(),
    ));
    for extra in [
        "claims=%7B%22id_token%22%3A%7B%22acr%22%3A%7B%22essential%22%3Atrue%2C%22values%22%3A%5Bnull%2C1%5D%7D%7D%7D",
        "claims=%5B%5D",
        "claims=%7B%22id_token%22%3A%7B%22acr%22%3A%22x%22%7D%7D",
        "acr_values=%20%20urn%3Ax%20",
        "id_token_hint=a.b.c",
        "id_token_hint=eyJhbGciOiJub25lIn0.e30.",
        "max_age=99999999999999999999",
        "prompt=none%20login",
        "login_hint=%FF%FE",
        "ui_locales=%E2%80%AE",
        "nonce=%F0%9F%98%80",
        "code_challenge=x&code_challenge_method=plain",
        "response_mode=form_post",
        "request=e30",
    ] {
        out.push(q(
            &format!("authorize-like {}", &extra[..extra.len().min(24)]),
            format!("{authorize_query}&{extra}").into_bytes(),
        ));
    }
    out.push(q(
        "query odd JSON",
        b"claims=%7B%22id_token%22%3A%5B1%5D%7D&acr_values=%00&max_age=-1&count=-9&startIndex=99999999999999999999&limit=1e400&filter=userName%20eq%20%22%00%22".to_vec(),
    ));
    let mut headers: Vec<(&'static str, Vec<u8>)> = vec![
        ("authorization", b"Bearer \xff\xfe.garbage.~x".to_vec()),
        (
            "cookie",
            b"gapura_session=\xff; gapura_csrf=%00; gapura_lang=\xfe".to_vec(),
        ),
        ("x-forwarded-for", b"unknown, \xff, [::1".to_vec()),
        ("forwarded", b"for=\"\xff\";for=unknown".to_vec()),
        ("accept-language", b"\xff\xfe,*;q=x".to_vec()),
    ];
    use base64::Engine;
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    headers.push((
        "authorization",
        format!("Basic {}", b64(b"a\0b:c")).into_bytes(),
    ));
    headers.push((
        "authorization",
        format!("Basic {}", b64(b"\xff:\xfe")).into_bytes(),
    ));
    headers.push(("authorization", b"Basic !!!".to_vec()));
    for (name, value) in headers {
        out.push(Hostile {
            headers: vec![(name, value)],
            ..base(&format!("header {name}"))
        });
    }
    if method == "GET" {
        return out;
    }
    let form = Some("application/x-www-form-urlencoded");
    let json_ct = Some("application/json");
    let b =
        |what: &str, ct: Option<&'static str>, ce: Option<&'static str>, body: Vec<u8>| Hostile {
            content_type: ct,
            content_encoding: ce,
            body: Some(body),
            ..base(what)
        };
    out.push(b("form plain", form, None, every_param("x", csrf)));
    out.push(b(
        "form oversized",
        form,
        None,
        every_param(&"y".repeat(16 * 1024 + 1), csrf),
    ));
    out.push(b("form NUL", form, None, every_param("%00", csrf)));
    out.push(b("form controls", form, None, every_param("%08%1B", csrf)));
    let mut raw = every_param("x", csrf);
    raw.extend(b"&username=\xff\xfe\x00&password=\x00");
    out.push(b("form raw bytes", form, None, raw));
    let mut dup = every_param("1", csrf);
    dup.push(b'&');
    dup.extend(every_param("2", None));
    out.push(b("form duplicated", form, None, dup));
    let fields: Vec<String> = [
        "code",
        "name",
        "kind",
        "parent",
        "email",
        "phone",
        "jabatan",
        "reason",
        "user_id",
        "client_id",
        "role",
        "opd_code",
        "scope",
        "valid_from",
        "valid_until",
        "description",
    ]
    .iter()
    .map(|f| format!("\"{f}\":\"x\\u0000y\""))
    .collect();
    out.push(b(
        "JSON NUL",
        json_ct,
        None,
        format!("{{{}}}", fields.join(",")).into_bytes(),
    ));
    out.push(b(
        "JSON wrong types",
        json_ct,
        None,
        br#"{"code":1,"name":[],"parent":{},"valid_from":1e400,"scope":null,"user_id":true}"#
            .to_vec(),
    ));
    out.push(b(
        "JSON deep",
        json_ct,
        None,
        "[".repeat(100_000).into_bytes(),
    ));
    out.push(b(
        "JSON bad UTF-8",
        json_ct,
        None,
        b"{\"name\":\"\xff\xfe\"}".to_vec(),
    ));
    out.push(b("JSON as form", form, None, b"{\"a\":1}".to_vec()));
    out.push(b("form as JSON", json_ct, None, every_param("x", csrf)));
    out.push(b("text/plain", Some("text/plain"), None, b"hello".to_vec()));
    out.push(b(
        "multipart garbage",
        Some("multipart/form-data; boundary=\"\""),
        None,
        b"--\r\n\r\n--".to_vec(),
    ));
    out.push(b(
        "text/csv garbage",
        Some("text/csv"),
        None,
        b"\xff\xfe\x00,\x00\n\"unterminated".to_vec(),
    ));
    out.push(b("no content type", None, None, every_param("x", csrf)));
    out.push(b("empty", form, None, Vec::new()));
    out.push(b("1 MiB", form, None, vec![b'a'; 1 << 20]));
    out.push(b("gzip 2 MiB", form, Some("gzip"), gzip_zeros(2 << 20)));
    out.push(b(
        "gzip garbage",
        form,
        Some("gzip"),
        b"\x1f\x8b\x08garbage".to_vec(),
    ));
    out.push(b(
        "gzip form",
        form,
        Some("gzip"),
        gzip_stored(&every_param("%00", csrf)),
    ));
    out.push(b("brotli", form, Some("br"), b"x".to_vec()));
    out.push(b("gzip twice", form, Some("gzip, gzip"), b"x".to_vec()));
    out
}

#[tokio::test]
async fn every_route_survives_hostile_input() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = gapura::net::TrustedProxies::parse_list("127.0.0.1").unwrap();
    })
    .await;
    app.load_directory().await;
    app.siti().await;
    let routes = all_routes();
    assert!(
        routes.len() >= 55,
        "the route tables were not read: {routes:?}"
    );
    // credentials of every kind
    let admin = root_token(&app).await;
    let directory = directory_token(&app).await;
    let (c, secret) = app.web_client().await;
    let code = app.code_for(&c, "openid profile", VERIFIER).await;
    let person = json(exchange_code(&app, &c, &secret, &code).await).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (browser, jar) = app.browser_with_jar();
    let url = app.code_url(&c, "");
    app.authorize(&browser, &url, "198609262015052001", PASSWORD)
        .await;
    use reqwest::cookie::CookieStore;
    let cookies = jar
        .cookies(&app.issuer.parse().unwrap())
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let csrf_cookie = cookies
        .split("; ")
        .find_map(|c| c.strip_prefix("gapura_csrf="))
        .unwrap()
        .to_owned();
    let csrf = app.state.master.csrf_tag(&csrf_cookie);
    let basic = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.id, secret))
        )
    };
    let credentials = |path: &str| -> Vec<(&'static str, String)> {
        if path.starts_with("/admin/") {
            vec![("authorization", format!("Bearer {admin}"))]
        } else if path.starts_with("/directory/") || path.starts_with("/scim/") {
            vec![("authorization", format!("Bearer {directory}"))]
        } else if path.starts_with("/userinfo") {
            vec![("authorization", format!("Bearer {person}"))]
        } else if ["/token", "/introspect", "/revoke"].contains(&path) {
            vec![("authorization", basic.clone())]
        } else {
            vec![("cookie", cookies.clone())]
        }
    };
    let authorize_query = format!(
        "client_id={}&redirect_uri={}&response_type=code&scope=openid&state=s&code_challenge={}&code_challenge_method=S256",
        c.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut sent = 0;
    for (method, pattern) in &routes {
        for with_credentials in [false, true] {
            let cases = hostile_requests(
                method,
                pattern,
                with_credentials.then_some(csrf.as_str()),
                &authorize_query,
            );
            let requests = cases.into_iter().map(|h| {
                let mut r = app.http.request(
                    method.parse().unwrap(),
                    format!("{}{}{}", app.url(""), h.path, h.query),
                );
                if with_credentials {
                    for (k, v) in credentials(pattern) {
                        r = r.header(k, v);
                    }
                }
                for (k, v) in &h.headers {
                    r = r.header(*k, reqwest::header::HeaderValue::from_bytes(v).unwrap());
                }
                if let Some(ct) = h.content_type {
                    r = r.header("content-type", ct);
                }
                if let Some(ce) = h.content_encoding {
                    r = r.header("content-encoding", ce);
                }
                if let Some(body) = h.body {
                    r = r.body(body);
                }
                let label = format!(
                    "{method} {pattern} [{}{}]",
                    h.what,
                    if with_credentials {
                        ", credentials"
                    } else {
                        ""
                    }
                );
                async move {
                    match r.send().await {
                        Ok(resp) if resp.status().is_server_error() => {
                            let status = resp.status();
                            let text = resp.text().await.unwrap_or_default();
                            let text: String = text.chars().take(200).collect();
                            (status.as_u16(), Some(format!("{label}: {status} {text}")))
                        }
                        Ok(resp) => {
                            let status = resp.status().as_u16();
                            let _ = resp.bytes().await;
                            (status, None)
                        }
                        Err(e) => (0, Some(format!("{label}: no answer ({e})"))),
                    }
                }
            });
            let requests: Vec<_> = requests.collect();
            sent += requests.len();
            for (status, failure) in futures_util::future::join_all(requests).await {
                *statuses.entry(status).or_insert(0) += 1;
                failures.extend(failure);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent}:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // still alive and well
    let r = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    eprintln!(
        "{sent} hostile requests in {:?}, answers: {statuses:?}",
        started.elapsed()
    );
}

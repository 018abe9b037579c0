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
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        client.id,
        enc(REDIRECT),
        challenge(VERIFIER)
    );
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

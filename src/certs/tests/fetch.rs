//! `certs::fetch` against a local HTTP/1.1 server (a tokio listener written
//! here) serving a CRL of a small ECDSA hierarchy whose distribution point is
//! that server: caching, lifetime, a server that is down, size limit, PEM,
//! single fetch under concurrency.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::super::fetch::{FetchConfig, HttpCrls};
use super::*;

/// A server answering every request with `body` (after `delay`), counting
/// requests; when `down`, it closes connections without answering.
struct Server {
    url: String,
    hits: Arc<AtomicUsize>,
    body: Arc<Mutex<Vec<u8>>>,
    down: Arc<AtomicBool>,
}

async fn server(body: Vec<u8>, delay: Duration) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ca.crl", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let body = Arc::new(Mutex::new(body));
    let down = Arc::new(AtomicBool::new(false));
    let (h, b, d) = (hits.clone(), body.clone(), down.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (h, b, d) = (h.clone(), b.clone(), d.clone());
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                if d.load(Ordering::SeqCst) {
                    return;
                }
                tokio::time::sleep(delay).await;
                let body = b.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    Server {
        url,
        hits,
        body,
        down,
    }
}

/// An ECDSA root (the anchor), and under it a good person (serial 1001) and a
/// revoked one (1004), both naming `url` as distribution point; the root's CRL.
struct Hierarchy {
    store: TrustStore,
    good: Vec<u8>,
    revoked: Vec<u8>,
    crl_der: Vec<u8>,
    crl_pem: String,
}

fn hierarchy(url: &str) -> Hierarchy {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let person_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let root_params = ca_params("Fetch Root", "Uji", (2020, 1, 1), (2035, 1, 1));
    let root = root_params.self_signed(&key).unwrap();
    let issuer = Issuer::from_params(&root_params, &key);
    let issue = |serial| {
        person_params("Siti Rahmawati", serial, (2025, 9, 1), url)
            .signed_by(&person_key, &issuer)
            .unwrap()
            .der()
            .to_vec()
    };
    let revocation = RevokedCertParams {
        serial_number: SerialNumber::from(1004u64),
        revocation_time: date_time_ymd(2026, 3, 2),
        reason_code: Some(RevocationReason::KeyCompromise),
        invalidity_date: None,
    };
    let crl = CertificateRevocationListParams {
        this_update: date_time_ymd(2026, 5, 25),
        next_update: date_time_ymd(2026, 6, 8),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![revocation],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .unwrap();
    let mut store = TrustStore::new();
    store.add_anchors_pem("fetch-root", &root.pem()).unwrap();
    Hierarchy {
        store,
        good: issue(1001),
        revoked: issue(1004),
        crl_der: crl.der().to_vec(),
        crl_pem: crl.pem().unwrap(),
    }
}

fn http_crls(config: FetchConfig) -> HttpCrls {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    HttpCrls::new(client, config)
}

const LIFETIME: i64 = 3600;

fn config() -> FetchConfig {
    FetchConfig {
        lifetime: LIFETIME,
        retry_after: 60,
        timeout: Duration::from_secs(5),
        max_bytes: 64 * 1024,
    }
}

async fn check_at(crls: &HttpCrls, h: &Hierarchy, ee: &[u8], at: i64) -> Verdict {
    crls.validate(&h.store, ee, &[], at, Purpose::Signing, &policy())
        .await
}

#[tokio::test]
async fn fetched_once_cached_then_refetched_after_the_lifetime() {
    let srv = server(Vec::new(), Duration::ZERO).await;
    let h = hierarchy(&srv.url);
    *srv.body.lock().unwrap() = h.crl_der.clone();
    let crls = http_crls(config());

    assert!(check_at(&crls, &h, &h.good, now()).await.is_valid());
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
    // A revoked serial, found through the cache without another request.
    let v = check_at(&crls, &h, &h.revoked, now() + 60).await;
    assert!(
        v.english()
            .starts_with("revoked on 2026-03-02, reason keyCompromise"),
        "{}",
        v.english()
    );
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
    // Past the lifetime (nextUpdate is days away): fetched again.
    assert!(
        check_at(&crls, &h, &h.good, now() + LIFETIME)
            .await
            .is_valid()
    );
    assert_eq!(srv.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_server_down_keeps_a_fresh_cached_crl_deciding() {
    let srv = server(Vec::new(), Duration::ZERO).await;
    let h = hierarchy(&srv.url);
    *srv.body.lock().unwrap() = h.crl_der.clone();
    let crls = http_crls(config());
    assert!(check_at(&crls, &h, &h.good, now()).await.is_valid());

    srv.down.store(true, Ordering::SeqCst);
    // Past the lifetime, so it is tried, fails, and the cached CRL (current until
    // 2026-06-08) still decides.
    let later = now() + 2 * LIFETIME;
    let v = check_at(&crls, &h, &h.revoked, later).await;
    assert!(matches!(v, Verdict::Revoked { .. }), "{v:?}");
    assert!(check_at(&crls, &h, &h.good, later).await.is_valid());
    assert_eq!(
        srv.hits.load(Ordering::SeqCst),
        2,
        "no retry within retry_after"
    );
    // Past its nextUpdate the cached CRL is stale: revocation unknown.
    let v = check_at(
        &crls,
        &h,
        &h.good,
        date_time_ymd(2026, 6, 9).unix_timestamp(),
    )
    .await;
    assert!(
        matches!(
            &v,
            Verdict::RevocationUnknown {
                why: Unavailable::Stale { .. },
                ..
            }
        ),
        "{v:?}"
    );
}

#[tokio::test]
async fn a_server_down_with_nothing_cached_is_revocation_unknown() {
    let srv = server(Vec::new(), Duration::ZERO).await;
    srv.down.store(true, Ordering::SeqCst);
    let h = hierarchy(&srv.url);
    let crls = http_crls(config());
    let v = check_at(&crls, &h, &h.good, now()).await;
    assert!(
        matches!(&v, Verdict::RevocationUnknown { why: Unavailable::NotObtained { url }, .. } if *url == srv.url),
        "{v:?}"
    );
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let srv = server(Vec::new(), Duration::ZERO).await;
    let h = hierarchy(&srv.url);
    *srv.body.lock().unwrap() = h.crl_der.clone();
    let crls = http_crls(FetchConfig {
        max_bytes: h.crl_der.len() - 1,
        ..config()
    });
    let v = check_at(&crls, &h, &h.good, now()).await;
    assert!(
        matches!(
            &v,
            Verdict::RevocationUnknown {
                why: Unavailable::NotObtained { .. },
                ..
            }
        ),
        "{v:?}"
    );
    // Exactly at the limit it is accepted.
    let crls = http_crls(FetchConfig {
        max_bytes: h.crl_der.len(),
        ..config()
    });
    assert!(check_at(&crls, &h, &h.good, now()).await.is_valid());
}

#[tokio::test]
async fn a_pem_body_is_accepted_and_garbage_is_not() {
    let srv = server(Vec::new(), Duration::ZERO).await;
    let h = hierarchy(&srv.url);
    *srv.body.lock().unwrap() = h.crl_pem.clone().into_bytes();
    let crls = http_crls(config());
    let v = check_at(&crls, &h, &h.revoked, now()).await;
    assert!(matches!(v, Verdict::Revoked { .. }), "{v:?}");

    *srv.body.lock().unwrap() = b"<html>not found</html>".to_vec();
    let fresh = http_crls(config());
    let v = check_at(&fresh, &h, &h.good, now()).await;
    assert!(
        matches!(
            &v,
            Verdict::RevocationUnknown {
                why: Unavailable::NotObtained { .. },
                ..
            }
        ),
        "{v:?}"
    );
}

#[tokio::test]
async fn concurrent_validations_fetch_once() {
    let srv = server(Vec::new(), Duration::from_millis(200)).await;
    let h = hierarchy(&srv.url);
    *srv.body.lock().unwrap() = h.crl_der.clone();
    let crls = http_crls(config());
    let (a, b, c, d) = tokio::join!(
        check_at(&crls, &h, &h.good, now()),
        check_at(&crls, &h, &h.good, now()),
        check_at(&crls, &h, &h.revoked, now()),
        check_at(&crls, &h, &h.good, now()),
    );
    assert!(a.is_valid() && b.is_valid() && d.is_valid());
    assert!(matches!(c, Verdict::Revoked { .. }), "{c:?}");
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
}

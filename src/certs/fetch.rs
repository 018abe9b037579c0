//! CRLs fetched from certificates' `http://` distribution points (RFC 5280
//! §4.2.1.13), cached per URL, and verified once per CRL and issuer.
//!
//! - **Fetching** is asynchronous and happens before a validation
//!   ([`HttpCrls::refresh_for`], or [`HttpCrls::validate`] which does both); the
//!   validation itself (`certs::validate`, synchronous) reads the cache through
//!   [`CrlSource`]. Only `http://` URLs are fetched (RFC 5280 §4.2.1.13 expects
//!   CRLs over plain HTTP; they are signed); others are skipped and, having no
//!   CRL, count as not obtained.
//! - **A fetch** uses the caller's `reqwest` client (the shared one does not
//!   follow redirects; a response from anywhere but `http`/`https` is refused),
//!   a per-request timeout, status 200 only, and a body of at most
//!   `FetchConfig::max_bytes` (checked on Content-Length and while reading),
//!   DER or PEM (`X509 CRL`). A body that does not parse as a CRL is a failed
//!   fetch; its signature is checked when a validation first uses it.
//! - **Lifetime**: a cached CRL is fetched again after `FetchConfig::lifetime`
//!   seconds or once past its nextUpdate, whichever comes first. Concurrent
//!   refreshes of one URL wait for a single fetch (a per-URL lock).
//! - **Failure**: the reason is logged (`tracing` warning), and the cached CRL,
//!   if any, stays: while it is not stale it still decides, after that the
//!   validation says "revocation unknown" (stale); with nothing cached, "not
//!   obtained". After a failure the URL is not tried again for
//!   `FetchConfig::retry_after` seconds, so that validations do not each wait
//!   for a server that is down.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use x509_parser::certificate::X509Certificate;

use super::crl::{self, CheckedCrl, CrlSource, FetchedCrl, VerifiedCache};
use super::trust::TrustStore;
use super::validate::{self, Policy, Purpose};
use super::verdict::Verdict;

/// How CRLs are fetched and kept.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Seconds after which a cached CRL is fetched again, even before its nextUpdate.
    pub lifetime: i64,
    /// Seconds during which a URL whose fetch failed is not tried again.
    pub retry_after: i64,
    /// The longest one fetch may take.
    pub timeout: Duration,
    /// The largest body accepted, in bytes.
    pub max_bytes: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            lifetime: 3600,
            retry_after: 60,
            timeout: Duration::from_secs(10),
            max_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("the response came from a {0}: URL")]
    Scheme(String),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the body is not a CRL: {0}")]
    NotACrl(String),
}

struct Cached {
    crl: FetchedCrl,
    next_update: Option<i64>,
}

/// CRLs fetched over HTTP, cached per URL; a [`CrlSource`].
pub struct HttpCrls {
    client: reqwest::Client,
    config: FetchConfig,
    cached: Mutex<HashMap<String, Cached>>,
    /// When the last fetch of a URL failed.
    failed: Mutex<HashMap<String, i64>>,
    /// One lock per URL, held while it is fetched.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    verified: VerifiedCache,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HttpCrls {
    pub fn new(client: reqwest::Client, config: FetchConfig) -> Self {
        Self {
            client,
            config,
            cached: Mutex::default(),
            failed: Mutex::default(),
            locks: Mutex::default(),
            verified: VerifiedCache::default(),
        }
    }

    /// Whether the cached CRL of `url` needs no fetch at `now`, or a recent failure
    /// says not to try yet.
    fn needs_no_fetch(&self, url: &str, now: i64) -> bool {
        let fresh = lock(&self.cached).get(url).is_some_and(|c| {
            now < c.crl.fetched_at + self.config.lifetime && c.next_update.is_none_or(|n| now <= n)
        });
        fresh
            || lock(&self.failed)
                .get(url)
                .is_some_and(|&at| now < at + self.config.retry_after)
    }

    /// Fetches the CRL of `url` unless the cached one is still fresh at `now`
    /// (Unix seconds); see the module doc for failures.
    pub async fn refresh(&self, url: &str, now: i64) {
        if !url.starts_with("http://") {
            tracing::debug!(url, "CRL distribution point not over http: not fetched");
            return;
        }
        if self.needs_no_fetch(url, now) {
            return;
        }
        let url_lock = Arc::clone(lock(&self.locks).entry(url.to_owned()).or_default());
        let _held = url_lock.lock().await;
        // Another validation may have fetched it while this one waited.
        if self.needs_no_fetch(url, now) {
            return;
        }
        match self.download(url).await {
            Ok((der, next_update)) => {
                lock(&self.failed).remove(url);
                lock(&self.cached).insert(
                    url.to_owned(),
                    Cached {
                        crl: FetchedCrl {
                            der: Arc::from(der),
                            fetched_at: now,
                        },
                        next_update,
                    },
                );
            }
            Err(e) => {
                lock(&self.failed).insert(url.to_owned(), now);
                let kept = lock(&self.cached).get(url).map(|c| c.next_update);
                match kept {
                    Some(next) if next.is_some_and(|n| now <= n) => tracing::warn!(
                        url,
                        error = %e,
                        "CRL fetch failed; the cached CRL, not yet stale, is still used"
                    ),
                    Some(_) => tracing::warn!(
                        url,
                        error = %e,
                        "CRL fetch failed and the cached CRL is stale: revocation unknown"
                    ),
                    None => tracing::warn!(
                        url,
                        error = %e,
                        "CRL fetch failed and none is cached: revocation unknown"
                    ),
                }
            }
        }
    }

    async fn download(&self, url: &str) -> Result<(Vec<u8>, Option<i64>), FetchError> {
        let max = self.config.max_bytes;
        let mut response = self
            .client
            .get(url)
            .timeout(self.config.timeout)
            .send()
            .await?;
        let scheme = response.url().scheme();
        if scheme != "http" && scheme != "https" {
            return Err(FetchError::Scheme(scheme.to_owned()));
        }
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(FetchError::TooLarge(max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        let der = if body.starts_with(b"-----BEGIN") {
            let (_, pem) = x509_parser::pem::parse_x509_pem(&body)
                .map_err(|e| FetchError::NotACrl(e.to_string()))?;
            if pem.label != "X509 CRL" {
                return Err(FetchError::NotACrl(format!("a PEM `{}` block", pem.label)));
            }
            pem.contents
        } else {
            body
        };
        let next_update = {
            let (_, crl) = x509_parser::parse_x509_crl(&der)
                .map_err(|e| FetchError::NotACrl(e.to_string()))?;
            crl.next_update().map(|t| t.timestamp())
        };
        Ok((der, next_update))
    }

    /// Refreshes the distribution points of these certificates (DER; one that
    /// does not parse is skipped), each URL once, one after the other.
    pub async fn refresh_for(&self, certs: &[&[u8]], now: i64) {
        let mut seen = HashSet::new();
        for der in certs {
            let urls = match x509_parser::parse_x509_certificate(der) {
                Ok((_, cert)) => crl::distribution_points(&cert),
                Err(_) => continue,
            };
            for url in urls {
                if seen.insert(url.clone()) {
                    self.refresh(&url, now).await;
                }
            }
        }
    }

    /// `certs::validate::validate` at `now`, after refreshing the CRLs of the
    /// end entity, the certificates sent along and the store's intermediates.
    pub async fn validate(
        &self,
        store: &TrustStore,
        end_entity: &[u8],
        extra: &[Vec<u8>],
        now: i64,
        purpose: Purpose,
        policy: &Policy,
    ) -> Verdict {
        let certs: Vec<&[u8]> = std::iter::once(end_entity)
            .chain(extra.iter().map(Vec::as_slice))
            .chain(store.intermediates().map(|c| c.der.as_slice()))
            .collect();
        self.refresh_for(&certs, now).await;
        validate::validate(store, end_entity, extra, now, purpose, policy, self)
    }
}

impl CrlSource for HttpCrls {
    fn crl(&self, url: &str) -> Option<FetchedCrl> {
        lock(&self.cached).get(url).map(|c| c.crl.clone())
    }

    fn checked(&self, url: &str, issuer: &X509Certificate<'_>) -> Option<CheckedCrl> {
        let fetched = self.crl(url)?;
        Some(CheckedCrl {
            crl: self.verified.check(url, &fetched, issuer),
            fetched_at: fetched.fetched_at,
        })
    }
}

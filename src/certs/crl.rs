//! Revocation by CRL (RFC 5280 §5 and §6.3), from CRLs the caller supplies.
//!
//! For a certificate and its issuer (already checked to have signed it):
//! - the distribution points are read from the certificate's CRL Distribution
//!   Points extension (§4.2.1.13, full names that are URIs); each URL is asked of
//!   the [`CrlSource`] in turn, and the first usable CRL answers;
//! - a CRL is usable when: it parses; its issuer name is the certificate's issuer
//!   name (indirect CRLs are not accepted, §5.2.5); its signature verifies under
//!   the issuer's key, and the issuer's keyUsage, if present, has cRLSign
//!   (§4.2.1.3); `thisUpdate <= at <= nextUpdate` and a nextUpdate is present
//!   (§5.1.2.4–5; past nextUpdate it is **stale**); it was fetched no longer ago
//!   than the policy's maximum age; it has no critical extension other than an
//!   issuingDistributionPoint whose scope covers the certificate (§5.2.5) and
//!   no entry has a critical extension (certificateIssuer, §5.3.3);
//! - in a usable CRL, an entry with the certificate's serial means revoked, with
//!   its revocation date and reason code (§5.3.1); `removeFromCRL` means not
//!   revoked. A listed certificate counts as revoked whatever the time asked
//!   about: a key reported compromised is not trusted for earlier signatures either.
//!
//! The checks that depend only on the CRL and its issuer (parsing, issuer name,
//! cRLSign, signature, extensions, entries) make a [`VerifiedCrl`], which keeps
//! the revoked serials in a hash map; a [`VerifiedCache`] (in [`CachedCrls`] and
//! in `certs::fetch`) does them once per CRL and issuer, so that a revocation
//! check is then a lookup. The checks that depend on the certificate and the time
//! (its issuer name, thisUpdate, nextUpdate, the maximum age, the scope) are made
//! on every check.
//!
//! No usable CRL is the outcome [`Status::Unknown`] with the reason; the caller's
//! policy decides what it means. Fetching CRLs over HTTP is `certs::fetch`'s
//! business, not this module's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};

use super::signature;

/// A CRL as a source holds it: its DER and when it was fetched (Unix seconds).
#[derive(Debug, Clone)]
pub struct FetchedCrl {
    pub der: Arc<[u8]>,
    pub fetched_at: i64,
}

/// A CRL checked once against its issuer: parsed, its signature verified, its
/// extensions and entries accepted; what revocation checks need is kept, the
/// revoked serials in a hash map.
#[derive(Debug, Clone)]
pub struct VerifiedCrl {
    /// The CRL's issuer name, as encoded.
    issuer: Vec<u8>,
    this_update: i64,
    next_update: Option<i64>,
    /// issuingDistributionPoint onlyContainsCACerts / onlyContainsUserCerts.
    only_ca: bool,
    only_user: bool,
    /// Serial (as encoded, without tag and length) → revocation date and reason.
    revoked: HashMap<Vec<u8>, (i64, Option<Reason>)>,
}

impl VerifiedCrl {
    /// Parses `der` and checks it against `issuer` (the certificate whose key signs
    /// it): the issuer name, the two signature algorithms, cRLSign, the signature,
    /// the critical extensions and the entries (see the module doc). The error is
    /// why it is unusable, in a few words.
    pub fn verify(der: &[u8], issuer: &X509Certificate<'_>) -> Result<Self, String> {
        let (_, crl) =
            x509_parser::parse_x509_crl(der).map_err(|e| format!("does not parse: {e}"))?;
        if crl.issuer().as_raw() != issuer.subject().as_raw() {
            return Err("issued by another CA".to_owned());
        }
        if crl.tbs_cert_list.signature != crl.signature_algorithm {
            return Err("its two signature algorithms differ".to_owned());
        }
        let crl_sign = match issuer.key_usage() {
            Ok(Some(ku)) => ku.value.crl_sign(),
            Ok(None) => true,
            Err(_) => false,
        };
        if !crl_sign {
            return Err("the issuer may not sign CRLs (keyUsage without cRLSign)".to_owned());
        }
        signature::verify(
            &crl.signature_algorithm,
            crl.tbs_cert_list.as_ref(),
            &crl.signature_value.data,
            issuer.public_key(),
        )
        .map_err(|_| "its signature does not verify under the issuer's key".to_owned())?;
        let (mut only_ca, mut only_user) = (false, false);
        for ext in crl.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::IssuingDistributionPoint(idp) => {
                    if idp.indirect_crl
                        || idp.only_contains_attribute_certs
                        || idp.only_some_reasons.is_some()
                    {
                        return Err("a partial or indirect CRL".to_owned());
                    }
                    only_ca = idp.only_contains_ca_certs;
                    only_user = idp.only_contains_user_certs;
                }
                ParsedExtension::CRLNumber(_) | ParsedExtension::AuthorityKeyIdentifier(_) => {}
                _ if ext.critical => {
                    return Err(format!(
                        "an unsupported critical extension {}",
                        ext.oid.to_id_string()
                    ));
                }
                _ => {}
            }
        }
        let mut revoked = HashMap::new();
        for entry in crl.iter_revoked_certificates() {
            if entry.extensions().iter().any(|e| e.critical) {
                return Err("an entry with a critical extension".to_owned());
            }
            let reason = entry.reason_code().map(|(_, code)| Reason(code.0));
            // The first entry for a serial answers, as a scan in order would.
            revoked
                .entry(entry.raw_serial().to_vec())
                .or_insert((entry.revocation_date.timestamp(), reason));
        }
        Ok(Self {
            issuer: crl.issuer().as_raw().to_vec(),
            this_update: crl.last_update().timestamp(),
            next_update: crl.next_update().map(|t| t.timestamp()),
            only_ca,
            only_user,
            revoked,
        })
    }

    /// thisUpdate (Unix seconds).
    pub fn this_update(&self) -> i64 {
        self.this_update
    }

    /// nextUpdate (Unix seconds), if the CRL has one.
    pub fn next_update(&self) -> Option<i64> {
        self.next_update
    }

    /// How many serials it lists.
    pub fn len(&self) -> usize {
        self.revoked.len()
    }

    /// Whether it lists no serial.
    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
    }
}

/// A CRL from a source after the checks against an issuer, and when it was fetched.
#[derive(Debug, Clone)]
pub struct CheckedCrl {
    /// The verified CRL, or why it is unusable.
    pub crl: Result<Arc<VerifiedCrl>, String>,
    pub fetched_at: i64,
}

/// Where CRLs come from: a cache filled over HTTP, an administrator's uploads, a test.
pub trait CrlSource {
    /// The CRL last obtained from a distribution point URL, if any.
    fn crl(&self, url: &str) -> Option<FetchedCrl>;

    /// The CRL of `url` checked against `issuer`. By default it is parsed and
    /// verified on every call; a source that keeps the result (a
    /// [`VerifiedCache`]) makes a revocation check a hash lookup.
    fn checked(&self, url: &str, issuer: &X509Certificate<'_>) -> Option<CheckedCrl> {
        let fetched = self.crl(url)?;
        Some(CheckedCrl {
            crl: VerifiedCrl::verify(&fetched.der, issuer).map(Arc::new),
            fetched_at: fetched.fetched_at,
        })
    }
}

impl CrlSource for HashMap<String, FetchedCrl> {
    fn crl(&self, url: &str) -> Option<FetchedCrl> {
        self.get(url).cloned()
    }
}

/// One verification kept: for this DER, under this issuer.
struct Slot {
    /// The issuer's TBSCertificate (its name, key and keyUsage are in it).
    issuer_tbs: Vec<u8>,
    der: Arc<[u8]>,
    crl: Result<Arc<VerifiedCrl>, String>,
}

/// Verifications of CRLs, kept per URL and issuer for as long as the source
/// hands out the same DER (the same `Arc`): a new CRL from the source is
/// verified once, then looked up. Failed verifications are kept too.
#[derive(Default)]
pub struct VerifiedCache {
    slots: Mutex<HashMap<String, Vec<Slot>>>,
}

impl VerifiedCache {
    /// The verification of `fetched` (from `url`) against `issuer`, done once.
    pub fn check(
        &self,
        url: &str,
        fetched: &FetchedCrl,
        issuer: &X509Certificate<'_>,
    ) -> Result<Arc<VerifiedCrl>, String> {
        let issuer_tbs = issuer.tbs_certificate.as_ref();
        {
            let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(slot) = slots.get(url).and_then(|v| {
                v.iter()
                    .find(|s| Arc::ptr_eq(&s.der, &fetched.der) && s.issuer_tbs == issuer_tbs)
            }) {
                return slot.crl.clone();
            }
        }
        // Verified without the lock: a large CRL takes milliseconds.
        let crl = VerifiedCrl::verify(&fetched.der, issuer).map(Arc::new);
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let for_url = slots.entry(url.to_owned()).or_default();
        // Verifications of an older DER are of no more use.
        for_url.retain(|s| Arc::ptr_eq(&s.der, &fetched.der) && s.issuer_tbs != issuer_tbs);
        for_url.push(Slot {
            issuer_tbs: issuer_tbs.to_vec(),
            der: Arc::clone(&fetched.der),
            crl: crl.clone(),
        });
        crl
    }
}

/// A source whose CRLs are verified once ([`VerifiedCache`]) and then looked up.
pub struct CachedCrls<S> {
    source: S,
    verified: VerifiedCache,
}

impl<S: CrlSource> CachedCrls<S> {
    pub fn new(source: S) -> Self {
        Self {
            source,
            verified: VerifiedCache::default(),
        }
    }

    /// The source underneath.
    pub fn source(&self) -> &S {
        &self.source
    }
}

impl<S: CrlSource> CrlSource for CachedCrls<S> {
    fn crl(&self, url: &str) -> Option<FetchedCrl> {
        self.source.crl(url)
    }

    fn checked(&self, url: &str, issuer: &X509Certificate<'_>) -> Option<CheckedCrl> {
        let fetched = self.source.crl(url)?;
        Some(CheckedCrl {
            crl: self.verified.check(url, &fetched, issuer),
            fetched_at: fetched.fetched_at,
        })
    }
}

/// A CRL reason code (RFC 5280 §5.3.1), named as the RFC names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason(pub u8);

impl Reason {
    /// `keyCompromise`, `cACompromise`, … (the RFC's names; `reason 7` for unknown codes).
    pub fn name(self) -> String {
        let known = match self.0 {
            0 => "unspecified",
            1 => "keyCompromise",
            2 => "cACompromise",
            3 => "affiliationChanged",
            4 => "superseded",
            5 => "cessationOfOperation",
            6 => "certificateHold",
            8 => "removeFromCRL",
            9 => "privilegeWithdrawn",
            10 => "aACompromise",
            n => return format!("reason {n}"),
        };
        known.to_owned()
    }
}

/// Why no CRL could answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The certificate names no CRL distribution point URL.
    NoDistributionPoint,
    /// The source has no CRL for the URL.
    NotObtained { url: String },
    /// The CRL is past its nextUpdate (or has none), or older than the policy allows.
    Stale {
        url: String,
        next_update: Option<i64>,
    },
    /// The CRL's thisUpdate is after the time asked about.
    NotYetIssued { url: String },
    /// The CRL does not parse, is not signed by the issuer, or is of a kind not supported.
    Unusable { url: String, why: String },
}

impl Unavailable {
    /// The distribution point concerned, if any.
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::NoDistributionPoint => None,
            Self::NotObtained { url }
            | Self::Stale { url, .. }
            | Self::NotYetIssued { url }
            | Self::Unusable { url, .. } => Some(url),
        }
    }
}

/// What the CRLs say about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A usable CRL does not list it.
    Good,
    /// A usable CRL lists it.
    Revoked { at: i64, reason: Option<Reason> },
    /// No usable CRL.
    Unknown(Unavailable),
}

/// The URI distribution points of a certificate.
pub fn distribution_points(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut urls = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::CRLDistributionPoints(points) = ext.parsed_extension() {
            for point in points.iter() {
                if let Some(DistributionPointName::FullName(names)) = &point.distribution_point {
                    for name in names {
                        if let GeneralName::URI(uri) = name {
                            urls.push((*uri).to_owned());
                        }
                    }
                }
            }
        }
    }
    urls
}

/// The revocation status of `cert` (issued by `issuer`) at `at`, from `source`.
/// `max_age`: the oldest a fetched CRL may be, in seconds.
pub fn status(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    at: i64,
    max_age: Option<i64>,
    source: &dyn CrlSource,
) -> Status {
    let urls = distribution_points(cert);
    let mut last = Unavailable::NoDistributionPoint;
    for url in urls {
        match from_crl(cert, issuer, at, max_age, source, &url) {
            Ok(status) => return status,
            Err(why) => last = why,
        }
    }
    Status::Unknown(last)
}

fn from_crl(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    at: i64,
    max_age: Option<i64>,
    source: &dyn CrlSource,
    url: &str,
) -> Result<Status, Unavailable> {
    let unusable = |why: &str| Unavailable::Unusable {
        url: url.to_owned(),
        why: why.to_owned(),
    };
    let checked = source
        .checked(url, issuer)
        .ok_or_else(|| Unavailable::NotObtained {
            url: url.to_owned(),
        })?;
    let crl = checked.crl.map_err(|why| unusable(&why))?;
    if crl.issuer != cert.issuer().as_raw() {
        return Err(unusable("issued by another CA"));
    }
    if crl.this_update > at {
        return Err(Unavailable::NotYetIssued {
            url: url.to_owned(),
        });
    }
    let too_old = max_age.is_some_and(|age| checked.fetched_at + age < at);
    if crl.next_update.is_none_or(|next| next < at) || too_old {
        return Err(Unavailable::Stale {
            url: url.to_owned(),
            next_update: crl.next_update,
        });
    }
    let cert_is_ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    if (crl.only_ca && !cert_is_ca) || (crl.only_user && cert_is_ca) {
        return Err(unusable("its scope does not cover the certificate"));
    }
    Ok(match crl.revoked.get(cert.raw_serial()) {
        None | Some((_, Some(Reason(8)))) => Status::Good,
        Some(&(at, reason)) => Status::Revoked { at, reason },
    })
}

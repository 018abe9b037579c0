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
//! No usable CRL is the outcome [`Status::Unknown`] with the reason; the caller's
//! policy decides what it means. Fetching and caching CRLs over HTTP is the
//! source's business, not this module's.

use std::collections::HashMap;
use std::sync::Arc;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};

use super::signature;

/// A CRL as a source holds it: its DER and when it was fetched (Unix seconds).
#[derive(Debug, Clone)]
pub struct FetchedCrl {
    pub der: Arc<[u8]>,
    pub fetched_at: i64,
}

/// Where CRLs come from: a cache filled over HTTP, an administrator's uploads, a test.
pub trait CrlSource {
    /// The CRL last obtained from a distribution point URL, if any.
    fn crl(&self, url: &str) -> Option<FetchedCrl>;
}

impl CrlSource for HashMap<String, FetchedCrl> {
    fn crl(&self, url: &str) -> Option<FetchedCrl> {
        self.get(url).cloned()
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
    let fetched = source.crl(url).ok_or_else(|| Unavailable::NotObtained {
        url: url.to_owned(),
    })?;
    let (_, crl) = x509_parser::parse_x509_crl(&fetched.der)
        .map_err(|e| unusable(&format!("does not parse: {e}")))?;
    if crl.issuer().as_raw() != cert.issuer().as_raw() {
        return Err(unusable("issued by another CA"));
    }
    if crl.tbs_cert_list.signature != crl.signature_algorithm {
        return Err(unusable("its two signature algorithms differ"));
    }
    let crl_sign = match issuer.key_usage() {
        Ok(Some(ku)) => ku.value.crl_sign(),
        Ok(None) => true,
        Err(_) => false,
    };
    if !crl_sign {
        return Err(unusable(
            "the issuer may not sign CRLs (keyUsage without cRLSign)",
        ));
    }
    signature::verify(
        &crl.signature_algorithm,
        crl.tbs_cert_list.as_ref(),
        &crl.signature_value.data,
        issuer.public_key(),
    )
    .map_err(|_| unusable("its signature does not verify under the issuer's key"))?;
    if crl.last_update().timestamp() > at {
        return Err(Unavailable::NotYetIssued {
            url: url.to_owned(),
        });
    }
    let next_update = crl.next_update().map(|t| t.timestamp());
    let too_old = max_age.is_some_and(|age| fetched.fetched_at + age < at);
    if next_update.is_none_or(|next| next < at) || too_old {
        return Err(Unavailable::Stale {
            url: url.to_owned(),
            next_update,
        });
    }
    let cert_is_ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    for ext in crl.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::IssuingDistributionPoint(idp) => {
                if idp.indirect_crl
                    || idp.only_contains_attribute_certs
                    || idp.only_some_reasons.is_some()
                {
                    return Err(unusable("a partial or indirect CRL"));
                }
                if (idp.only_contains_ca_certs && !cert_is_ca)
                    || (idp.only_contains_user_certs && cert_is_ca)
                {
                    return Err(unusable("its scope does not cover the certificate"));
                }
            }
            ParsedExtension::CRLNumber(_) | ParsedExtension::AuthorityKeyIdentifier(_) => {}
            _ if ext.critical => {
                return Err(unusable(&format!(
                    "an unsupported critical extension {}",
                    ext.oid.to_id_string()
                )));
            }
            _ => {}
        }
    }
    let serial = cert.raw_serial();
    for entry in crl.iter_revoked_certificates() {
        if entry.extensions().iter().any(|e| e.critical) {
            return Err(unusable("an entry with a critical extension"));
        }
        if entry.raw_serial() != serial {
            continue;
        }
        let reason = entry.reason_code().map(|(_, code)| Reason(code.0));
        if reason == Some(Reason(8)) {
            return Ok(Status::Good);
        }
        return Ok(Status::Revoked {
            at: entry.revocation_date.timestamp(),
            reason,
        });
    }
    Ok(Status::Good)
}

//! Validation of an end-entity certificate at a given time against the trust
//! store, for a purpose (RFC 5280 §6).
//!
//! **Path building** (§6.1 takes the path as given; building it is ours): from the
//! end entity, each next certificate is one of the caller's extra certificates,
//! the store's intermediates or its anchors whose subject is the current
//! certificate's issuer (names compared as encoded, the common reading of §7.1),
//! and whose subjectKeyIdentifier equals the current certificate's
//! authorityKeyIdentifier where both are present (§4.2.1.1–2). Anchors are tried
//! first; when one candidate fails, the next is tried; no certificate appears
//! twice; at most `Policy::max_intermediates` intermediates and 64 signature
//! checks in all (certificates sent along cannot make it explode). When every
//! path fails, the verdict is the failure of the path that got furthest.
//!
//! **On each candidate**: its signature over the current certificate, and the two
//! signatureAlgorithm fields agreeing (§4.1.1.2, §6.1.3 (a)(1); algorithms in
//! `certs::signature`).
//!
//! **On a complete path**, in this order, the first failure is the verdict:
//! 1. validity (§4.1.2.5, §6.1.3 (a)(2)) of every certificate, anchor included;
//! 2. critical extensions (§4.2) of every certificate but the anchor: the ones
//!    processed here are basicConstraints, keyUsage, extendedKeyUsage, the key
//!    identifiers, subjectAltName, issuerAltName, CRL distribution points and
//!    authority information access; certificatePolicies marked critical passes
//!    only when one of its policies is in `Policy::trusted_policy_oids` (policy
//!    mapping and constraints are not processed, §6.1.3 (d) simplified); any
//!    other critical extension (nameConstraints, policyConstraints, …) refuses;
//! 3. every issuer: basicConstraints cA (§4.2.1.9, §6.1.4 (k)), keyCertSign when
//!    keyUsage is present (§4.2.1.3, §6.1.4 (n)), pathLenConstraint counting the
//!    non-self-issued intermediates below it (§6.1.4 (l)–(m));
//! 4. the end entity's keyUsage for the purpose (§4.2.1.3): `Signing` needs
//!    digitalSignature or nonRepudiation, and keyUsage must be present;
//! 5. revocation of every certificate but the anchor (§6.3, `certs::crl`); a
//!    revoked one refuses (before any unknown status is considered); one that
//!    cannot be checked refuses unless `Policy::allow_unknown_revocation`.

use std::cell::Cell;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

use super::crl::{self, CrlSource, Status};
use super::signature::{self, SignatureError};
use super::trust::TrustStore;
use super::verdict::{Revocation, Verdict};

/// What the certificate is to be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Electronic signatures: keyUsage digitalSignature and/or nonRepudiation.
    Signing,
}

/// The validator's configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Dotted OIDs of certificate policies trusted when certificatePolicies is critical.
    pub trusted_policy_oids: Vec<String>,
    /// Whether a certificate whose revocation cannot be checked passes (default: no).
    pub allow_unknown_revocation: bool,
    /// The oldest a fetched CRL may be, in seconds, even before its nextUpdate.
    pub crl_max_age: Option<i64>,
    /// The most intermediates between the end entity and the anchor.
    pub max_intermediates: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            trusted_policy_oids: Vec::new(),
            allow_unknown_revocation: false,
            crl_max_age: None,
            max_intermediates: 5,
        }
    }
}

/// A certificate that may appear in a path.
struct Node<'a> {
    der: &'a [u8],
    cert: X509Certificate<'a>,
    /// The store's label, for anchors.
    anchor: Option<&'a str>,
}

struct Ctx<'a> {
    pool: Vec<Node<'a>>,
    at: i64,
    purpose: Purpose,
    policy: &'a Policy,
    crls: &'a dyn CrlSource,
    /// Signature checks left: certificates sent along with the same names must
    /// not make path building explode.
    budget: Cell<u32>,
}

/// The most signature checks one path building may spend.
const SIGNATURE_BUDGET: u32 = 64;

/// A failure and how far its path got (complete paths rank above incomplete ones).
type Failure = (usize, Verdict);

/// Validates `end_entity` (DER), with `extra` certificates the person sent along
/// (DER, any order, untrusted), at Unix time `at`.
pub fn validate(
    store: &TrustStore,
    end_entity: &[u8],
    extra: &[Vec<u8>],
    at: i64,
    purpose: Purpose,
    policy: &Policy,
    crls: &dyn CrlSource,
) -> Verdict {
    let ee = match x509_parser::parse_x509_certificate(end_entity) {
        Ok((_, cert)) => cert,
        Err(e) => {
            return Verdict::Malformed {
                detail: e.to_string(),
            };
        }
    };
    let mut pool = vec![Node {
        der: end_entity,
        cert: ee,
        anchor: None,
    }];
    // Anchors first, so the shortest path is tried first; an unparsable extra is skipped.
    for tc in store.anchors() {
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(&tc.der) {
            pool.push(Node {
                der: &tc.der,
                cert,
                anchor: Some(&tc.label),
            });
        }
    }
    let others = extra
        .iter()
        .map(Vec::as_slice)
        .chain(store.intermediates().map(|tc| tc.der.as_slice()));
    for der in others {
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) {
            pool.push(Node {
                der,
                cert,
                anchor: None,
            });
        }
    }
    let ctx = Ctx {
        pool,
        at,
        purpose,
        policy,
        crls,
        budget: Cell::new(SIGNATURE_BUDGET),
    };
    let mut path = vec![0];
    let mut failure = None;
    match extend(&ctx, &mut path, &mut failure) {
        Some(valid) => valid,
        None => failure.map_or_else(
            || Verdict::Malformed {
                detail: "no path was tried".to_owned(),
            },
            |(_, v)| v,
        ),
    }
}

fn subject(cert: &X509Certificate<'_>) -> String {
    cert.subject().to_string()
}

/// The key identifier an issuer must have, from the certificate's authorityKeyIdentifier.
fn authority_key_id<'a>(cert: &X509Certificate<'a>) -> Option<&'a [u8]> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                aki.key_identifier.as_ref().map(|k| k.0)
            }
            _ => None,
        })
}

fn subject_key_id<'a>(cert: &X509Certificate<'a>) -> Option<&'a [u8]> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
            _ => None,
        })
}

fn keep_furthest(best: &mut Option<Failure>, f: Failure) {
    if best.as_ref().is_none_or(|(depth, _)| f.0 > *depth) {
        *best = Some(f);
    }
}

/// Extends `path` (indices into the pool, end entity first) to an anchor and
/// checks it: a valid verdict, or `None` with the furthest failure in `best`.
fn extend(ctx: &Ctx<'_>, path: &mut Vec<usize>, best: &mut Option<Failure>) -> Option<Verdict> {
    let &last = path.last()?;
    let current = &ctx.pool[last].cert;
    let issuer_name = current.issuer().as_raw();
    let aki = authority_key_id(current);
    let mut tried = false;
    for (i, node) in ctx.pool.iter().enumerate().skip(1) {
        if path.contains(&i) || node.cert.subject().as_raw() != issuer_name {
            continue;
        }
        if let (Some(want), Some(have)) = (aki, subject_key_id(&node.cert))
            && want != have
        {
            continue;
        }
        tried = true;
        let depth = path.len();
        let Some(left) = ctx.budget.get().checked_sub(1) else {
            keep_furthest(
                best,
                (
                    depth,
                    Verdict::PathTooLong {
                        subject: subject(current),
                    },
                ),
            );
            break;
        };
        ctx.budget.set(left);
        if current.tbs_certificate.signature != current.signature_algorithm {
            keep_furthest(
                best,
                (
                    depth,
                    Verdict::BadSignature {
                        subject: subject(current),
                    },
                ),
            );
            continue;
        }
        match signature::verify(
            &current.signature_algorithm,
            current.tbs_certificate.as_ref(),
            &current.signature_value.data,
            node.cert.public_key(),
        ) {
            Ok(()) => {}
            Err(SignatureError::Invalid) => {
                keep_furthest(
                    best,
                    (
                        depth,
                        Verdict::BadSignature {
                            subject: subject(current),
                        },
                    ),
                );
                continue;
            }
            Err(SignatureError::Unsupported(oid)) => {
                keep_furthest(
                    best,
                    (
                        depth,
                        Verdict::UnsupportedAlgorithm {
                            subject: subject(current),
                            oid,
                        },
                    ),
                );
                continue;
            }
        }
        path.push(i);
        if node.anchor.is_some() {
            let verdict = check_path(ctx, path);
            if verdict.is_valid() {
                return Some(verdict);
            }
            // A complete path's failure says more than any incomplete one's.
            keep_furthest(best, (usize::MAX / 2 + depth, verdict));
        } else if path.len() - 1 > ctx.policy.max_intermediates {
            keep_furthest(
                best,
                (
                    depth,
                    Verdict::PathTooLong {
                        subject: subject(&node.cert),
                    },
                ),
            );
        } else {
            if let Some(valid) = extend(ctx, path, best) {
                return Some(valid);
            }
        }
        path.pop();
    }
    if !tried {
        keep_furthest(
            best,
            (
                path.len(),
                Verdict::IssuerNotTrusted {
                    issuer: current.issuer().to_string(),
                },
            ),
        );
    }
    None
}

/// The checks of a complete path (see the module doc for the order).
fn check_path(ctx: &Ctx<'_>, path: &[usize]) -> Verdict {
    let certs: Vec<&X509Certificate<'_>> = path.iter().map(|&i| &ctx.pool[i].cert).collect();
    let anchor_at = certs.len() - 1;
    // 1. Validity.
    for cert in &certs {
        let validity = cert.validity();
        if ctx.at < validity.not_before.timestamp() {
            return Verdict::NotYetValid {
                subject: subject(cert),
                not_before: validity.not_before.timestamp(),
            };
        }
        if ctx.at > validity.not_after.timestamp() {
            return Verdict::Expired {
                subject: subject(cert),
                not_after: validity.not_after.timestamp(),
            };
        }
    }
    // 2. Critical extensions.
    for cert in &certs[..anchor_at] {
        if let Some(v) = critical_extensions(cert, ctx.policy) {
            return v;
        }
    }
    // 3. Issuers.
    let mut intermediates_below = 0u32;
    for (k, cert) in certs.iter().enumerate().skip(1) {
        let bc = match cert.basic_constraints() {
            Ok(Some(bc)) if bc.value.ca => bc.value,
            Ok(_) => {
                return Verdict::NotACa {
                    subject: subject(cert),
                };
            }
            Err(e) => {
                return Verdict::Malformed {
                    detail: format!("{}: {e}", subject(cert)),
                };
            }
        };
        match cert.key_usage() {
            Ok(Some(ku)) if !ku.value.key_cert_sign() => {
                return Verdict::NotACa {
                    subject: subject(cert),
                };
            }
            Ok(_) => {}
            Err(e) => {
                return Verdict::Malformed {
                    detail: format!("{}: {e}", subject(cert)),
                };
            }
        }
        if bc
            .path_len_constraint
            .is_some_and(|n| n < intermediates_below)
        {
            return Verdict::PathTooLong {
                subject: subject(cert),
            };
        }
        let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
        if k < anchor_at && !self_issued {
            intermediates_below += 1;
        }
    }
    // 4. The end entity's key usage.
    let ee = certs[0];
    match ctx.purpose {
        Purpose::Signing => {
            let ok = matches!(ee.key_usage(), Ok(Some(ku))
                if ku.value.digital_signature() || ku.value.non_repudiation());
            if !ok {
                return Verdict::WrongKeyUsage {
                    subject: subject(ee),
                    needed: "digitalSignature/nonRepudiation",
                };
            }
        }
    }
    // 5. Revocation.
    let mut unknown = None;
    for k in 0..anchor_at {
        match crl::status(
            certs[k],
            certs[k + 1],
            ctx.at,
            ctx.policy.crl_max_age,
            ctx.crls,
        ) {
            Status::Good => {}
            Status::Revoked { at, reason } => {
                return Verdict::Revoked {
                    subject: subject(certs[k]),
                    serial: certs[k].raw_serial_as_string(),
                    at,
                    reason,
                };
            }
            Status::Unknown(why) => {
                unknown.get_or_insert((k, why));
            }
        }
    }
    if let Some((k, why)) = &unknown
        && !ctx.policy.allow_unknown_revocation
    {
        return Verdict::RevocationUnknown {
            subject: subject(certs[*k]),
            why: why.clone(),
        };
    }
    let anchor_label = ctx.pool[path[anchor_at]]
        .anchor
        .unwrap_or_default()
        .to_owned();
    Verdict::Valid {
        subject: subject(ee),
        anchor_label,
        path: path.iter().map(|&i| ctx.pool[i].der.to_vec()).collect(),
        revocation: unknown.map_or(Revocation::Checked, |(_, why)| Revocation::Unknown(why)),
    }
}

/// The verdict on a certificate's critical extensions, if they refuse it.
fn critical_extensions(cert: &X509Certificate<'_>, policy: &Policy) -> Option<Verdict> {
    for ext in cert.extensions().iter().filter(|e| e.critical) {
        match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(_)
            | ParsedExtension::KeyUsage(_)
            | ParsedExtension::ExtendedKeyUsage(_)
            | ParsedExtension::SubjectKeyIdentifier(_)
            | ParsedExtension::AuthorityKeyIdentifier(_)
            | ParsedExtension::SubjectAlternativeName(_)
            | ParsedExtension::IssuerAlternativeName(_)
            | ParsedExtension::CRLDistributionPoints(_)
            | ParsedExtension::AuthorityInfoAccess(_) => {}
            ParsedExtension::CertificatePolicies(policies) => {
                let ids: Vec<String> = policies
                    .iter()
                    .map(|p| p.policy_id.to_id_string())
                    .collect();
                if !ids.iter().any(|id| policy.trusted_policy_oids.contains(id)) {
                    return Some(Verdict::UntrustedPolicy {
                        subject: subject(cert),
                        policies: ids,
                    });
                }
            }
            _ => {
                return Some(Verdict::UnknownCriticalExtension {
                    subject: subject(cert),
                    oid: ext.oid.to_id_string(),
                });
            }
        }
    }
    None
}

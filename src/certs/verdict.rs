//! The outcome of validating a certificate, with the reason in a sentence a person
//! understands, in Indonesian and in English. Dates are calendar days in WIB
//! (`domain::time::wib_date`); names are distinguished names as RFC 4514 writes
//! them (`CN=…, O=…, C=ID`). Which check gives which verdict is in
//! `certs::validate`.

use crate::domain::time::wib_date;

use super::crl::{Reason, Unavailable};

/// How revocation was settled for an accepted certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Every certificate of the path was checked against a current CRL.
    Checked,
    /// At least one could not be checked, and the policy let that pass.
    Unknown(Unavailable),
}

/// A validation's outcome: accepted, or the first reason it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted: the path from the end entity to the anchor (DER, end entity first).
    Valid {
        subject: String,
        anchor_label: String,
        path: Vec<Vec<u8>>,
        revocation: Revocation,
    },
    /// A certificate of the path is past its notAfter.
    Expired { subject: String, not_after: i64 },
    /// A certificate of the path is before its notBefore.
    NotYetValid { subject: String, not_before: i64 },
    /// A certificate of the path is on its issuer's CRL.
    Revoked {
        subject: String,
        serial: String,
        at: i64,
        reason: Option<Reason>,
    },
    /// No current CRL for a certificate of the path, and the policy wants one.
    RevocationUnknown { subject: String, why: Unavailable },
    /// No path reaches an anchor: the last issuer found is not in the store.
    IssuerNotTrusted { issuer: String },
    /// A signature in the path does not verify.
    BadSignature { subject: String },
    /// A signature algorithm or key this validator does not accept.
    UnsupportedAlgorithm { subject: String, oid: String },
    /// The end entity's keyUsage does not allow the purpose.
    WrongKeyUsage {
        subject: String,
        needed: &'static str,
    },
    /// An issuer is not a CA (basicConstraints) or may not sign certificates (keyUsage).
    NotACa { subject: String },
    /// An issuer's pathLenConstraint is exceeded, or the path is longer than the policy allows.
    PathTooLong { subject: String },
    /// A critical extension this validator does not process.
    UnknownCriticalExtension { subject: String, oid: String },
    /// Critical certificatePolicies naming no policy the configuration trusts.
    UntrustedPolicy {
        subject: String,
        policies: Vec<String>,
    },
    /// The certificate does not parse (or an extension it relies on does not).
    Malformed { detail: String },
}

fn unavailable_id(why: &Unavailable) -> String {
    match why {
        Unavailable::NoDistributionPoint => "sertifikat tidak menyebut alamat CRL".to_owned(),
        Unavailable::NotObtained { url } => format!("CRL dari {url} tidak dapat diperoleh"),
        Unavailable::Stale {
            url,
            next_update: Some(n),
        } => format!(
            "CRL dari {url} sudah usang (pembaruan berikutnya {})",
            wib_date(*n)
        ),
        Unavailable::Stale { url, .. } => format!("CRL dari {url} sudah usang"),
        Unavailable::NotYetIssued { url } => format!("CRL dari {url} belum berlaku"),
        Unavailable::Unusable { url, why } => {
            format!("CRL dari {url} tidak dapat dipakai ({why})")
        }
    }
}

fn unavailable_en(why: &Unavailable) -> String {
    match why {
        Unavailable::NoDistributionPoint => {
            "the certificate names no CRL distribution point".to_owned()
        }
        Unavailable::NotObtained { url } => format!("the CRL from {url} could not be obtained"),
        Unavailable::Stale {
            url,
            next_update: Some(n),
        } => format!(
            "the CRL from {url} is stale (next update was due {})",
            wib_date(*n)
        ),
        Unavailable::Stale { url, .. } => format!("the CRL from {url} is stale"),
        Unavailable::NotYetIssued { url } => format!("the CRL from {url} is not yet valid"),
        Unavailable::Unusable { url, why } => format!("the CRL from {url} is unusable ({why})"),
    }
}

fn reason_name(reason: Option<Reason>) -> String {
    reason.map_or_else(|| "unspecified".to_owned(), Reason::name)
}

impl Verdict {
    /// Whether the certificate is accepted.
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid { .. })
    }

    /// The reason in Indonesian.
    pub fn indonesian(&self) -> String {
        match self {
            Self::Valid {
                subject,
                anchor_label,
                revocation: Revocation::Checked,
                ..
            } => format!("sah: {subject}, dipercaya melalui {anchor_label}"),
            Self::Valid {
                subject,
                anchor_label,
                revocation: Revocation::Unknown(why),
                ..
            } => format!(
                "sah: {subject}, dipercaya melalui {anchor_label}; status pencabutan tidak diketahui: {}",
                unavailable_id(why)
            ),
            Self::Expired { subject, not_after } => {
                format!("kedaluwarsa pada {}: {subject}", wib_date(*not_after))
            }
            Self::NotYetValid {
                subject,
                not_before,
            } => format!("belum berlaku sampai {}: {subject}", wib_date(*not_before)),
            Self::Revoked {
                subject,
                at,
                reason,
                ..
            } => format!(
                "dicabut pada {}, alasan {}: {subject}",
                wib_date(*at),
                reason_name(*reason)
            ),
            Self::RevocationUnknown { subject, why } => format!(
                "status pencabutan tidak diketahui: {}: {subject}",
                unavailable_id(why)
            ),
            Self::IssuerNotTrusted { issuer } => format!("penerbit tidak dipercaya: {issuer}"),
            Self::BadSignature { subject } => format!("tanda tangan tidak sah: {subject}"),
            Self::UnsupportedAlgorithm { subject, oid } => {
                format!("algoritme tanda tangan {oid} tidak didukung: {subject}")
            }
            Self::WrongKeyUsage { subject, needed } => {
                format!("penggunaan kunci tidak sesuai (perlu {needed}): {subject}")
            }
            Self::NotACa { subject } => {
                format!("penerbit bukan otoritas sertifikat: {subject}")
            }
            Self::PathTooLong { subject } => {
                format!("rantai sertifikat terlalu panjang: {subject}")
            }
            Self::UnknownCriticalExtension { subject, oid } => {
                format!("ekstensi kritis {oid} tidak dikenal: {subject}")
            }
            Self::UntrustedPolicy { subject, policies } => format!(
                "kebijakan sertifikat tidak dipercaya ({}): {subject}",
                policies.join(", ")
            ),
            Self::Malformed { detail } => format!("sertifikat rusak: {detail}"),
        }
    }

    /// The reason in English.
    pub fn english(&self) -> String {
        match self {
            Self::Valid {
                subject,
                anchor_label,
                revocation: Revocation::Checked,
                ..
            } => format!("valid: {subject}, trusted through {anchor_label}"),
            Self::Valid {
                subject,
                anchor_label,
                revocation: Revocation::Unknown(why),
                ..
            } => format!(
                "valid: {subject}, trusted through {anchor_label}; revocation unknown: {}",
                unavailable_en(why)
            ),
            Self::Expired { subject, not_after } => {
                format!("expired on {}: {subject}", wib_date(*not_after))
            }
            Self::NotYetValid {
                subject,
                not_before,
            } => format!("not valid before {}: {subject}", wib_date(*not_before)),
            Self::Revoked {
                subject,
                at,
                reason,
                ..
            } => format!(
                "revoked on {}, reason {}: {subject}",
                wib_date(*at),
                reason_name(*reason)
            ),
            Self::RevocationUnknown { subject, why } => {
                format!("revocation unknown: {}: {subject}", unavailable_en(why))
            }
            Self::IssuerNotTrusted { issuer } => format!("issuer not trusted: {issuer}"),
            Self::BadSignature { subject } => format!("signature does not verify: {subject}"),
            Self::UnsupportedAlgorithm { subject, oid } => {
                format!("signature algorithm {oid} not supported: {subject}")
            }
            Self::WrongKeyUsage { subject, needed } => {
                format!("key usage does not allow it (needs {needed}): {subject}")
            }
            Self::NotACa { subject } => format!("issuer is not a certificate authority: {subject}"),
            Self::PathTooLong { subject } => format!("certificate chain too long: {subject}"),
            Self::UnknownCriticalExtension { subject, oid } => {
                format!("unknown critical extension {oid}: {subject}")
            }
            Self::UntrustedPolicy { subject, policies } => format!(
                "certificate policy not trusted ({}): {subject}",
                policies.join(", ")
            ),
            Self::Malformed { detail } => format!("malformed certificate: {detail}"),
        }
    }
}

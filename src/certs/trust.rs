//! The trust store: the certificates Gapura trusts to issue people's certificates
//! (RFC 5280 §6.1.1 (d), "trust anchor information"), each with a label.
//!
//! - **Anchors** are self-signed CA certificates (the national root; the legacy
//!   `OSD LU Kelas 2` root); several at once. Their self-signature is checked
//!   when they are added.
//! - **Intermediates** are CA certificates kept to complete chains people send
//!   without them (the `BSRE CA`); they are not trusted by themselves: a path
//!   through one must still reach an anchor.
//!
//! What is refused when adding, with an error that says which: a PEM block that
//! is not a `CERTIFICATE`, DER that does not parse, a certificate without
//! basicConstraints `cA` (RFC 5280 §4.2.1.9) offered as anchor or intermediate,
//! an anchor whose signature is not its own. Path building and the checks of a
//! path are in `certs::validate`.

use std::path::{Path, PathBuf};

use x509_parser::certificate::X509Certificate;
use x509_parser::pem::Pem;

use super::signature;

/// What a trusted certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A trust anchor: a path ending here is trusted.
    Anchor,
    /// A CA certificate that may complete a path; trusted only through an anchor.
    Intermediate,
}

/// One certificate of the store.
#[derive(Debug, Clone)]
pub struct TrustedCert {
    /// The name an administrator gave it (for a file, its name without `.pem`).
    pub label: String,
    /// Anchor or intermediate.
    pub role: Role,
    /// Its subject as people read it: `CN=BSRE CA DS G1, O=…, C=ID`.
    pub subject: String,
    /// Its DER.
    pub der: Vec<u8>,
}

/// Why a certificate was not added.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{source_name}: not PEM text: {detail}")]
    NotPem { source_name: String, detail: String },
    #[error("{source_name}: the PEM block is `{label}`, not a CERTIFICATE")]
    NotACertificate { source_name: String, label: String },
    #[error("{source_name}: no certificate in it")]
    Empty { source_name: String },
    #[error("{source_name}: the certificate does not parse: {detail}")]
    Malformed { source_name: String, detail: String },
    #[error("{source_name}: {subject} is not a CA certificate (basicConstraints cA is not set)")]
    NotACa {
        source_name: String,
        subject: String,
    },
    #[error("{source_name}: {subject} is offered as an anchor but is not self-signed")]
    NotSelfSigned {
        source_name: String,
        subject: String,
    },
    #[error("{path}: {detail}")]
    Io { path: PathBuf, detail: String },
}

/// Trust anchors and intermediates, each with a label.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    certs: Vec<TrustedCert>,
}

/// The certificates of PEM text, in order; every block must be a CERTIFICATE.
fn pem_certificates(source_name: &str, pem: &str) -> Result<Vec<Vec<u8>>, TrustError> {
    let mut out = Vec::new();
    for block in Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| TrustError::NotPem {
            source_name: source_name.to_owned(),
            detail: e.to_string(),
        })?;
        if block.label != "CERTIFICATE" {
            return Err(TrustError::NotACertificate {
                source_name: source_name.to_owned(),
                label: block.label,
            });
        }
        out.push(block.contents);
    }
    if out.is_empty() {
        return Err(TrustError::Empty {
            source_name: source_name.to_owned(),
        });
    }
    Ok(out)
}

/// Whether a certificate names itself as issuer and its key verifies its own signature.
pub(crate) fn is_self_signed(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
        && signature::verify(
            &cert.signature_algorithm,
            cert.tbs_certificate.as_ref(),
            &cert.signature_value.data,
            cert.public_key(),
        )
        .is_ok()
}

impl TrustStore {
    /// An empty store (trusts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every certificate, anchors and intermediates, in the order added.
    pub fn certs(&self) -> &[TrustedCert] {
        &self.certs
    }

    /// The anchors.
    pub fn anchors(&self) -> impl Iterator<Item = &TrustedCert> {
        self.certs.iter().filter(|c| c.role == Role::Anchor)
    }

    /// The intermediates.
    pub fn intermediates(&self) -> impl Iterator<Item = &TrustedCert> {
        self.certs.iter().filter(|c| c.role == Role::Intermediate)
    }

    /// Adds one certificate (DER) in a role, after the checks of the module doc.
    pub fn add_der(&mut self, label: &str, role: Role, der: Vec<u8>) -> Result<(), TrustError> {
        let source_name = label.to_owned();
        let (_, cert) =
            x509_parser::parse_x509_certificate(&der).map_err(|e| TrustError::Malformed {
                source_name: source_name.clone(),
                detail: e.to_string(),
            })?;
        let subject = cert.subject().to_string();
        let ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
        if !ca {
            return Err(TrustError::NotACa {
                source_name,
                subject,
            });
        }
        if role == Role::Anchor && !is_self_signed(&cert) {
            return Err(TrustError::NotSelfSigned {
                source_name,
                subject,
            });
        }
        drop(cert);
        self.certs.push(TrustedCert {
            label: label.to_owned(),
            role,
            subject,
            der,
        });
        Ok(())
    }

    /// Adds every certificate of PEM text as an anchor. Nothing is added if one is refused.
    pub fn add_anchors_pem(&mut self, label: &str, pem: &str) -> Result<(), TrustError> {
        self.add_pem_as(label, pem, |_| Role::Anchor)
    }

    /// Adds every certificate of PEM text as an intermediate. Nothing is added if one is refused.
    pub fn add_intermediates_pem(&mut self, label: &str, pem: &str) -> Result<(), TrustError> {
        self.add_pem_as(label, pem, |_| Role::Intermediate)
    }

    /// Adds every certificate of PEM text, self-signed ones as anchors and the others
    /// as intermediates (a file may hold a whole chain). Nothing is added if one is refused.
    pub fn add_pem(&mut self, label: &str, pem: &str) -> Result<(), TrustError> {
        self.add_pem_as(
            label,
            pem,
            |der| match x509_parser::parse_x509_certificate(der) {
                Ok((_, c)) if is_self_signed(&c) => Role::Anchor,
                _ => Role::Intermediate,
            },
        )
    }

    fn add_pem_as(
        &mut self,
        label: &str,
        pem: &str,
        role: impl Fn(&[u8]) -> Role,
    ) -> Result<(), TrustError> {
        let ders = pem_certificates(label, pem)?;
        let mut staged = self.clone();
        for der in ders {
            let r = role(&der);
            staged.add_der(label, r, der)?;
        }
        *self = staged;
        Ok(())
    }

    /// The store of a directory's `*.pem` files (`keys/trust/`), in name order,
    /// each labelled with its file name without `.pem`; see [`Self::add_pem`].
    /// Any refused file refuses the whole directory.
    pub fn load_dir(dir: &Path) -> Result<Self, TrustError> {
        let io = |path: &Path, e: std::io::Error| TrustError::Io {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "pem"))
            .collect();
        files.sort();
        let mut store = Self::new();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let label = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            store.add_pem(&label, &text)?;
        }
        Ok(store)
    }
}

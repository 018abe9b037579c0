//! Signatures on certificates and CRLs (RFC 5280 §4.1.1.2, §4.1.1.3, §5.1.1.2,
//! §6.1.3 (a)(1)), checked with `ring` through the issuer's SubjectPublicKeyInfo.
//!
//! Accepted, and nothing else: RSA PKCS#1 v1.5 with SHA-256 or SHA-384
//! (RFC 4055 §5), RSASSA-PSS with SHA-256 or SHA-384, MGF1 over the same hash and
//! a salt as long as the hash (RFC 4055 §3.1; ring verifies exactly that shape),
//! and ECDSA with SHA-256 or SHA-384 on P-256 or P-384 (RFC 5758 §3.2). RSA keys
//! must be 2048 to 8192 bits. The key's algorithm must fit the signature's: an
//! ECDSA signature under an RSA key (or the reverse) is a wrong signature.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_HASH_SHA256,
    OID_NIST_HASH_SHA384, OID_PKCS1_RSAENCRYPTION, OID_PKCS1_RSASSAPSS, OID_PKCS1_SHA256WITHRSA,
    OID_PKCS1_SHA384WITHRSA, OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384,
};
use x509_parser::signature_algorithm::SignatureAlgorithm;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// An algorithm (or key type, curve, PSS shape) this validator does not accept;
    /// the dotted OID of the signature algorithm.
    Unsupported(String),
    /// The signature does not verify under the key.
    Invalid,
}

/// The curve of an EC key, from its SPKI parameters.
fn curve(spki: &SubjectPublicKeyInfo<'_>) -> Option<u16> {
    let oid = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
    if oid == OID_EC_P256 {
        Some(256)
    } else if oid == OID_NIST_EC_P384 {
        Some(384)
    } else {
        None
    }
}

/// The ring algorithm for a signature algorithm under a key, if accepted.
fn algorithm(
    alg: &AlgorithmIdentifier<'_>,
    spki: &SubjectPublicKeyInfo<'_>,
) -> Option<&'static dyn VerificationAlgorithm> {
    let key = &spki.algorithm.algorithm;
    let oid = &alg.algorithm;
    if *key == OID_PKCS1_RSAENCRYPTION {
        if *oid == OID_PKCS1_SHA256WITHRSA {
            return Some(&signature::RSA_PKCS1_2048_8192_SHA256);
        }
        if *oid == OID_PKCS1_SHA384WITHRSA {
            return Some(&signature::RSA_PKCS1_2048_8192_SHA384);
        }
        if *oid == OID_PKCS1_RSASSAPSS {
            let Ok(SignatureAlgorithm::RSASSA_PSS(params)) = SignatureAlgorithm::try_from(alg)
            else {
                return None;
            };
            let hash = params.hash_algorithm_oid();
            let mgf = params.mask_gen_algorithm().ok()?;
            if mgf.hash != *hash || params.trailer_field() != 1 {
                return None;
            }
            if *hash == OID_NIST_HASH_SHA256 && params.salt_length() == 32 {
                return Some(&signature::RSA_PSS_2048_8192_SHA256);
            }
            if *hash == OID_NIST_HASH_SHA384 && params.salt_length() == 48 {
                return Some(&signature::RSA_PSS_2048_8192_SHA384);
            }
        }
        return None;
    }
    if *key == OID_KEY_TYPE_EC_PUBLIC_KEY {
        return match (curve(spki)?, oid) {
            (256, o) if *o == OID_SIG_ECDSA_WITH_SHA256 => Some(&signature::ECDSA_P256_SHA256_ASN1),
            (256, o) if *o == OID_SIG_ECDSA_WITH_SHA384 => Some(&signature::ECDSA_P256_SHA384_ASN1),
            (384, o) if *o == OID_SIG_ECDSA_WITH_SHA256 => Some(&signature::ECDSA_P384_SHA256_ASN1),
            (384, o) if *o == OID_SIG_ECDSA_WITH_SHA384 => Some(&signature::ECDSA_P384_SHA384_ASN1),
            _ => None,
        };
    }
    None
}

/// Whether the key and the signature are of different families (RSA, EC): such a
/// key cannot have made the signature, which is a wrong signature, not an
/// unsupported one.
fn families_differ(alg: &AlgorithmIdentifier<'_>, spki: &SubjectPublicKeyInfo<'_>) -> bool {
    let oid = &alg.algorithm;
    let rsa_sig = *oid == OID_PKCS1_SHA256WITHRSA
        || *oid == OID_PKCS1_SHA384WITHRSA
        || *oid == OID_PKCS1_RSASSAPSS;
    let ec_sig = *oid == OID_SIG_ECDSA_WITH_SHA256 || *oid == OID_SIG_ECDSA_WITH_SHA384;
    let key = &spki.algorithm.algorithm;
    (rsa_sig && *key == OID_KEY_TYPE_EC_PUBLIC_KEY) || (ec_sig && *key == OID_PKCS1_RSAENCRYPTION)
}

/// Checks `sig` over `signed` (the DER of a TBSCertificate or TBSCertList) made
/// with `alg` by the holder of `issuer`'s key.
pub fn verify(
    alg: &AlgorithmIdentifier<'_>,
    signed: &[u8],
    sig: &[u8],
    issuer: &SubjectPublicKeyInfo<'_>,
) -> Result<(), SignatureError> {
    let Some(ring_alg) = algorithm(alg, issuer) else {
        return Err(if families_differ(alg, issuer) {
            SignatureError::Invalid
        } else {
            SignatureError::Unsupported(alg.algorithm.to_id_string())
        });
    };
    UnparsedPublicKey::new(ring_alg, &issuer.subject_public_key.data)
        .verify(signed, sig)
        .map_err(|_| SignatureError::Invalid)
}

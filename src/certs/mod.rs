//! Electronic certificates (BSrE and other PSrE): the X.509 validation core,
//! framework-free (plain values in, a [`verdict::Verdict`] out).
//!
//! - `trust`: the trust store (anchors and intermediates, labelled; `keys/trust/*.pem`);
//! - `validate`: path building and the checks of RFC 5280 §6 for a purpose;
//! - `crl`: revocation by CRLs a caller-supplied source holds (RFC 5280 §5, §6.3),
//!   each verified once and then looked up;
//! - `fetch`: CRLs fetched from `http://` distribution points, cached per URL;
//! - `signature`: the accepted signature algorithms, verified with `ring`;
//! - `verdict`: the outcome, with its reason in Indonesian and English.
//!
//! Binding a certificate to an account, mTLS and the administration of the store
//! build on this and live elsewhere.

pub mod crl;
pub mod fetch;
pub mod signature;
pub mod trust;
pub mod validate;
pub mod verdict;

#[cfg(test)]
mod tests;

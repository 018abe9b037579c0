//! Release-mode latency of one certificate validation with a warm CRL cache (issue #13):
//! `certs::validate::validate` on a BSrE-shaped chain (RSA-2048 root → RSA-2048
//! `BSRE CA` → a person, SHA-256, critical certificatePolicies), both CRLs already
//! in memory (the CA's lists `BENCH_CRL_ENTRIES` other certificates, default 1,000)
//! behind a `certs::crl::CachedCrls`, so each CRL is parsed and its signature
//! verified once (in the first validation) and each validation then verifies two
//! RSA signatures (the two certificates) and looks the serials up. Prints
//! p50/p99/max over 2,000 validations after 200 warm-up.
//!
//! `cargo run --release --example bench-certs`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gapura::certs::crl::{CachedCrls, FetchedCrl};
use gapura::certs::trust::TrustStore;
use gapura::certs::validate::{Policy, Purpose, validate};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber, date_time_ymd,
};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

const POLICY: &str = "1.3.6.1.4.1.55555.1.1";

fn rsa_key() -> anyhow::Result<KeyPair> {
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)?;
    let pem = key.to_pkcs8_pem(LineEnding::LF)?;
    Ok(KeyPair::from_pem_and_sign_algo(
        &pem,
        &rcgen::PKCS_RSA_SHA256,
    )?)
}

/// certificatePolicies (critical) naming [`POLICY`]: SEQUENCE { SEQUENCE { OID } }.
fn policies() -> CustomExtension {
    // 1.3.6.1.4.1.55555.1.1 = 2b 06 01 04 01 83 b2 03 01 01
    let oid = [
        0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb2, 0x03, 0x01, 0x01,
    ];
    let mut der = vec![0x30, 0x0e, 0x30, 0x0c];
    der.extend(oid);
    let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 32], der);
    ext.set_criticality(true);
    ext
}

fn params(cn: &str, ca: bool, crl: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name.push(DnType::CountryName, "ID");
    p.not_before = date_time_ymd(2025, 9, 1);
    p.not_after = date_time_ymd(2027, 9, 1);
    p.use_authority_key_identifier_extension = true;
    p.custom_extensions = vec![policies()];
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    } else {
        p.serial_number = Some(SerialNumber::from(1_000_001u64));
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
    }
    if !crl.is_empty() {
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![crl.to_owned()],
        }];
    }
    p
}

fn crl(issuer: &Issuer<'_, &KeyPair>, entries: u64) -> anyhow::Result<FetchedCrl> {
    let revoked_certs = (0..entries)
        .map(|n| RevokedCertParams {
            serial_number: SerialNumber::from(10_000 + n),
            revocation_time: date_time_ymd(2026, 1, 1),
            reason_code: Some(RevocationReason::Superseded),
            invalidity_date: None,
        })
        .collect();
    let der = CertificateRevocationListParams {
        this_update: date_time_ymd(2026, 5, 30),
        next_update: date_time_ymd(2026, 6, 6),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(issuer)?;
    Ok(FetchedCrl {
        der: Arc::from(der.der().as_ref()),
        fetched_at: date_time_ymd(2026, 5, 31).unix_timestamp(),
    })
}

fn main() -> anyhow::Result<()> {
    let entries: u64 = std::env::var("BENCH_CRL_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let (root_key, ca_key, person_key) = (rsa_key()?, rsa_key()?, rsa_key()?);
    let root_params = params("Root CA Indonesia DS G1", true, "");
    let root = root_params.self_signed(&root_key)?;
    let root_issuer = Issuer::from_params(&root_params, &root_key);
    let ca_params = params("BSRE CA DS G1", true, "http://crl.test/root.crl");
    let ca = ca_params.signed_by(&ca_key, &root_issuer)?;
    let ca_issuer = Issuer::from_params(&ca_params, &ca_key);
    let person = params("Siti Rahmawati", false, "http://crl.test/bsre.crl")
        .signed_by(&person_key, &ca_issuer)?
        .der()
        .to_vec();

    let mut store = TrustStore::new();
    store.add_anchors_pem("root", &root.pem())?;
    store.add_intermediates_pem("bsre", &ca.pem())?;
    let mut crls = HashMap::new();
    crls.insert("http://crl.test/root.crl".to_owned(), crl(&root_issuer, 0)?);
    crls.insert(
        "http://crl.test/bsre.crl".to_owned(),
        crl(&ca_issuer, entries)?,
    );
    let crls = CachedCrls::new(crls);
    let policy = Policy {
        trusted_policy_oids: vec![POLICY.to_owned()],
        ..Policy::default()
    };
    let at = date_time_ymd(2026, 6, 1).unix_timestamp();
    let run = || validate(&store, &person, &[], at, Purpose::Signing, &policy, &crls);
    let first = run();
    anyhow::ensure!(first.is_valid(), "{}", first.english());

    for _ in 0..200 {
        std::hint::black_box(run());
    }
    let mut times: Vec<Duration> = (0..2000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(run());
            t.elapsed()
        })
        .collect();
    times.sort();
    let at_pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    println!(
        "certificate validation, warm verified CRLs ({entries} entries on the CA's CRL), 2000 runs: p50 {:?}, p99 {:?}, max {:?}",
        at_pct(50),
        at_pct(99),
        times[times.len() - 1]
    );
    Ok(())
}

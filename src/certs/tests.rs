//! The validation matrix on hierarchies generated here with `rcgen`: one shaped
//! like BSrE's (root → `BSRE CA DS G1` → a person: RSA-2048 with SHA-256, e-mail
//! in the subject, digitalSignature + nonRepudiation, critical
//! certificatePolicies, two years, a CRL distribution point), the legacy
//! self-signed `OSD LU Kelas 2` with a person under it, and an ECDSA chain
//! (P-384 root, P-256 below). RSA keys come from the `rsa` crate (ring cannot
//! generate them), once per test run. RSASSA-PSS certificates, which rcgen
//! cannot sign, were made once with OpenSSL (`tests/fixtures/certs/README.md`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber, date_time_ymd,
};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

use super::crl::{FetchedCrl, Unavailable};
use super::trust::{Role, TrustError, TrustStore};
use super::validate::{Policy, Purpose, validate};
use super::verdict::{Revocation, Verdict};

const TEST_POLICY: &str = "1.3.6.1.4.1.55555.1.1";
const OTHER_POLICY: &str = "1.3.6.1.4.1.55555.9.9";
const ROOT_CRL: &str = "http://crl.test/root.crl";
const BSRE_CRL: &str = "http://crl.test/bsre.crl";
const LEGACY_CRL: &str = "http://crl.test/legacy.crl";
const EC_ROOT_CRL: &str = "http://crl.test/ec-root.crl";
const EC_CA_CRL: &str = "http://crl.test/ec-ca.crl";

/// 2026-06-01T00:00:00Z: the time of most checks.
fn now() -> i64 {
    date_time_ymd(2026, 6, 1).unix_timestamp()
}

fn rsa_key() -> KeyPair {
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap()
}

/// Four RSA keys, made once: root, BSRE CA, person, legacy root.
fn rsa_keys() -> &'static [KeyPair; 4] {
    static KEYS: OnceLock<[KeyPair; 4]> = OnceLock::new();
    KEYS.get_or_init(|| [rsa_key(), rsa_key(), rsa_key(), rsa_key()])
}

/// DER of an OID (content octets of base 128, with the tag and a short length).
fn oid_der(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = vec![u8::try_from(arcs[0] * 40 + arcs[1]).unwrap()];
    for &arc in &arcs[2..] {
        let mut chunk = vec![u8::try_from(arc & 0x7f).unwrap()];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.push(u8::try_from(rest & 0x7f).unwrap() | 0x80);
            rest >>= 7;
        }
        chunk.reverse();
        body.extend(chunk);
    }
    let mut out = vec![0x06, u8::try_from(body.len()).unwrap()];
    out.extend(body);
    out
}

fn seq(content: Vec<u8>) -> Vec<u8> {
    let mut out = vec![0x30, u8::try_from(content.len()).unwrap()];
    out.extend(content);
    out
}

/// A critical certificatePolicies extension naming one policy (RFC 5280 §4.2.1.4).
fn critical_policies(oid: &str) -> CustomExtension {
    let der = seq(seq(oid_der(oid)));
    let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 32], der);
    ext.set_criticality(true);
    ext
}

fn ca_params(cn: &str, org: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name.push(DnType::OrganizationName, org);
    p.distinguished_name.push(DnType::CountryName, "ID");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(from.0, from.1, from.2);
    p.not_after = date_time_ymd(to.0, to.1, to.2);
    p.use_authority_key_identifier_extension = true;
    p
}

/// A person's signing certificate as BSrE issues them.
fn person_params(name: &str, serial: u64, from: (i32, u8, u8), crl: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, name);
    p.distinguished_name.push(
        DnType::CustomDnType(vec![1, 2, 840, 113_549, 1, 9, 1]),
        rcgen::DnValue::Ia5String("siti.rahmawati@kotabogor.go.id".try_into().unwrap()),
    );
    p.distinguished_name.push(DnType::CountryName, "ID");
    p.serial_number = Some(SerialNumber::from(serial));
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    p.not_before = date_time_ymd(from.0, from.1, from.2);
    p.not_after = date_time_ymd(from.0 + 2, from.1, from.2);
    p.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![crl.to_owned()],
    }];
    p.custom_extensions = vec![critical_policies(TEST_POLICY)];
    p.use_authority_key_identifier_extension = true;
    p
}

/// A CRL by `issuer`, current at [`now`] unless `next` says otherwise.
fn crl(
    issuer: &Issuer<'_, &KeyPair>,
    revoked: Vec<RevokedCertParams>,
    this: (i32, u8, u8),
    next: (i32, u8, u8),
) -> FetchedCrl {
    let params = CertificateRevocationListParams {
        this_update: date_time_ymd(this.0, this.1, this.2),
        next_update: date_time_ymd(next.0, next.1, next.2),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    FetchedCrl {
        der: Arc::from(params.signed_by(issuer).unwrap().der().as_ref()),
        fetched_at: date_time_ymd(this.0, this.1, this.2).unix_timestamp(),
    }
}

fn current_crl(issuer: &Issuer<'_, &KeyPair>, revoked: Vec<RevokedCertParams>) -> FetchedCrl {
    crl(issuer, revoked, (2026, 5, 25), (2026, 6, 8))
}

/// The generated world.
struct World {
    root_pem: String,
    bsre_pem: String,
    bsre_der: Vec<u8>,
    legacy_pem: String,
    ec_root_pem: String,
    /// The person's current certificate (serial 1001).
    person: Vec<u8>,
    /// Other people's certificates, by what is special about them.
    expired: Vec<u8>,
    not_yet: Vec<u8>,
    revoked: Vec<u8>,
    wrong_ku: Vec<u8>,
    other_policy: Vec<u8>,
    unknown_critical: Vec<u8>,
    untrusted_issuer: Vec<u8>,
    legacy_person: Vec<u8>,
    ec_person: Vec<u8>,
    ec_ca: Vec<u8>,
    /// root → CA with pathLen 0 → sub-CA → person.
    pathlen_ca: Vec<u8>,
    pathlen_sub: Vec<u8>,
    pathlen_person: Vec<u8>,
    /// CRLs current at [`now`]: the BSRE CA's lists `revoked` (keyCompromise, 2026-03-02).
    crls: HashMap<String, FetchedCrl>,
    /// The BSRE CA's CRL whose nextUpdate is past at [`now`].
    stale_bsre_crl: FetchedCrl,
    /// A CRL for the BSRE CA's distribution point signed by another key.
    forged_bsre_crl: FetchedCrl,
    /// The root's CRL revoking the BSRE CA (cACompromise, 2026-05-20).
    root_crl_revoking_bsre: FetchedCrl,
    /// CA certificates with the BSRE CA's name and key identifier but other keys.
    fake_bsre_cas: Vec<Vec<u8>>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(build_world)
}

fn build_world() -> World {
    let [root_key, bsre_key, person_key, legacy_key] = rsa_keys();

    let root_params = ca_params(
        "Root CA Indonesia DS G1",
        "Kementerian Komunikasi dan Informatika",
        (2018, 1, 1),
        (2038, 1, 1),
    );
    let root = root_params.self_signed(root_key).unwrap();
    let root_issuer = Issuer::from_params(&root_params, root_key);

    let mut bsre_params = ca_params(
        "BSRE CA DS G1",
        "Badan Siber dan Sandi Negara",
        (2022, 1, 1),
        (2032, 1, 1),
    );
    bsre_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    bsre_params.serial_number = Some(SerialNumber::from(2u64));
    bsre_params.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![ROOT_CRL.to_owned()],
    }];
    bsre_params.custom_extensions = vec![critical_policies(TEST_POLICY)];
    let bsre = bsre_params.signed_by(bsre_key, &root_issuer).unwrap();
    let bsre_issuer = Issuer::from_params(&bsre_params, bsre_key);

    let issue = |p: CertificateParams| {
        p.signed_by(person_key, &bsre_issuer)
            .unwrap()
            .der()
            .to_vec()
    };
    let person = issue(person_params(
        "Siti Rahmawati",
        1001,
        (2025, 9, 1),
        BSRE_CRL,
    ));
    let expired = issue(person_params("Budi Santoso", 1002, (2024, 1, 1), BSRE_CRL));
    let not_yet = issue(person_params("Dewi Lestari", 1003, (2026, 7, 1), BSRE_CRL));
    let revoked = issue(person_params("Agus Pratama", 1004, (2025, 9, 1), BSRE_CRL));
    let mut p = person_params("Rina Wulandari", 1005, (2025, 9, 1), BSRE_CRL);
    p.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    let wrong_ku = issue(p);
    let mut p = person_params("Joko Widodo", 1006, (2025, 9, 1), BSRE_CRL);
    p.custom_extensions = vec![critical_policies(OTHER_POLICY)];
    let other_policy = issue(p);
    let mut p = person_params("Sri Mulyani", 1007, (2025, 9, 1), BSRE_CRL);
    let mut odd =
        CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55_555, 7], vec![0x05, 0x00]);
    odd.set_criticality(true);
    p.custom_extensions.push(odd);
    let unknown_critical = issue(p);

    // A CA nobody trusts, with the same kind of person under it.
    let rogue_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let rogue_params = ca_params("Rogue CA", "Nobody", (2020, 1, 1), (2035, 1, 1));
    let rogue_issuer = Issuer::from_params(&rogue_params, &rogue_key);
    let untrusted_issuer = person_params("Siti Rahmawati", 1001, (2025, 9, 1), BSRE_CRL)
        .signed_by(person_key, &rogue_issuer)
        .unwrap()
        .der()
        .to_vec();

    // The legacy self-signed anchor and a person under it.
    let legacy_params = ca_params(
        "OSD LU Kelas 2",
        "Lembaga Sandi Negara",
        (2016, 8, 18),
        (2026, 8, 18),
    );
    let legacy = legacy_params.self_signed(legacy_key).unwrap();
    let legacy_issuer = Issuer::from_params(&legacy_params, legacy_key);
    let legacy_person = person_params("Siti Rahmawati", 77, (2025, 1, 1), LEGACY_CRL)
        .signed_by(person_key, &legacy_issuer)
        .unwrap()
        .der()
        .to_vec();

    // ECDSA: a P-384 root, a P-256 CA, a P-256 person.
    let ec_root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let ec_root_params = ca_params("EC Root", "Uji", (2020, 1, 1), (2040, 1, 1));
    let ec_root = ec_root_params.self_signed(&ec_root_key).unwrap();
    let ec_root_issuer = Issuer::from_params(&ec_root_params, &ec_root_key);
    let ec_ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ec_ca_params = ca_params("EC CA", "Uji", (2020, 1, 1), (2035, 1, 1));
    ec_ca_params.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![EC_ROOT_CRL.to_owned()],
    }];
    let ec_ca = ec_ca_params.signed_by(&ec_ca_key, &ec_root_issuer).unwrap();
    let ec_ca_issuer = Issuer::from_params(&ec_ca_params, &ec_ca_key);
    let ec_person_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = person_params("Siti Rahmawati", 5, (2025, 9, 1), EC_CA_CRL);
    p.custom_extensions.clear();
    let ec_person = p
        .signed_by(&ec_person_key, &ec_ca_issuer)
        .unwrap()
        .der()
        .to_vec();

    // Under the root: a CA allowed no CA below it (pathLen 0), and a sub-CA anyway.
    let pl_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut pl_params = ca_params("Strict CA", "Uji", (2020, 1, 1), (2035, 1, 1));
    pl_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let pathlen_ca = pl_params
        .signed_by(&pl_key, &root_issuer)
        .unwrap()
        .der()
        .to_vec();
    let pl_issuer = Issuer::from_params(&pl_params, &pl_key);
    let sub_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let sub_params = ca_params("Sub CA", "Uji", (2020, 1, 1), (2035, 1, 1));
    let pathlen_sub = sub_params
        .signed_by(&sub_key, &pl_issuer)
        .unwrap()
        .der()
        .to_vec();
    let sub_issuer = Issuer::from_params(&sub_params, &sub_key);
    let mut p = person_params("Siti Rahmawati", 9, (2025, 9, 1), BSRE_CRL);
    p.crl_distribution_points.clear();
    let pathlen_person = p.signed_by(person_key, &sub_issuer).unwrap().der().to_vec();

    let revocation = RevokedCertParams {
        serial_number: SerialNumber::from(1004u64),
        revocation_time: date_time_ymd(2026, 3, 2) + Duration::from_secs(3 * 3600),
        reason_code: Some(RevocationReason::KeyCompromise),
        invalidity_date: None,
    };
    let mut crls = HashMap::new();
    crls.insert(ROOT_CRL.to_owned(), current_crl(&root_issuer, vec![]));
    crls.insert(
        BSRE_CRL.to_owned(),
        current_crl(&bsre_issuer, vec![revocation.clone()]),
    );
    crls.insert(LEGACY_CRL.to_owned(), current_crl(&legacy_issuer, vec![]));
    crls.insert(EC_ROOT_CRL.to_owned(), current_crl(&ec_root_issuer, vec![]));
    crls.insert(EC_CA_CRL.to_owned(), current_crl(&ec_ca_issuer, vec![]));
    let stale_bsre_crl = crl(&bsre_issuer, vec![revocation], (2026, 4, 1), (2026, 4, 15));
    // Same issuer name, another key.
    let forger_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let forged_bsre_crl = current_crl(&Issuer::from_params(&bsre_params, &forger_key), vec![]);

    let root_crl_revoking_bsre = current_crl(
        &root_issuer,
        vec![RevokedCertParams {
            serial_number: SerialNumber::from(2u64),
            revocation_time: date_time_ymd(2026, 5, 20),
            reason_code: Some(RevocationReason::CaCompromise),
            invalidity_date: None,
        }],
    );

    let bsre_key_id = bsre_params.key_identifier(bsre_key);
    let fake_bsre_cas = (0..70)
        .map(|_| {
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let mut p = bsre_params.clone();
            p.key_identifier_method = KeyIdMethod::PreSpecified(bsre_key_id.clone());
            p.signed_by(&key, &rogue_issuer).unwrap().der().to_vec()
        })
        .collect();

    World {
        root_pem: root.pem(),
        bsre_pem: bsre.pem(),
        bsre_der: bsre.der().to_vec(),
        legacy_pem: legacy.pem(),
        ec_root_pem: ec_root.pem(),
        person,
        expired,
        not_yet,
        revoked,
        wrong_ku,
        other_policy,
        unknown_critical,
        untrusted_issuer,
        legacy_person,
        ec_person,
        ec_ca: ec_ca.der().to_vec(),
        pathlen_ca,
        pathlen_sub,
        pathlen_person,
        crls,
        stale_bsre_crl,
        forged_bsre_crl,
        root_crl_revoking_bsre,
        fake_bsre_cas,
    }
}

/// The store as `keys/trust/` would hold it: the BSrE root and CA, the legacy root, the EC root.
fn store() -> TrustStore {
    let w = world();
    let mut s = TrustStore::new();
    s.add_anchors_pem("root-ca-indonesia-ds-g1", &w.root_pem)
        .unwrap();
    s.add_intermediates_pem("bsre-ca-ds-g1", &w.bsre_pem)
        .unwrap();
    s.add_anchors_pem("osd-lu-kelas-2", &w.legacy_pem).unwrap();
    s.add_anchors_pem("ec-root", &w.ec_root_pem).unwrap();
    s
}

fn policy() -> Policy {
    Policy {
        trusted_policy_oids: vec![TEST_POLICY.to_owned()],
        ..Policy::default()
    }
}

fn check(ee: &[u8]) -> Verdict {
    check_with(ee, &[], &policy(), &world().crls)
}

fn check_with(
    ee: &[u8],
    extra: &[Vec<u8>],
    policy: &Policy,
    crls: &HashMap<String, FetchedCrl>,
) -> Verdict {
    validate(&store(), ee, extra, now(), Purpose::Signing, policy, crls)
}

#[test]
fn the_bsre_person_is_valid_and_names_the_anchor() {
    let v = check(&world().person);
    let Verdict::Valid {
        subject,
        anchor_label,
        path,
        revocation,
    } = &v
    else {
        panic!("{v:?}");
    };
    assert!(subject.contains("CN=Siti Rahmawati"), "{subject}");
    assert_eq!(anchor_label, "root-ca-indonesia-ds-g1");
    assert_eq!(path.len(), 3);
    assert_eq!(path[1], world().bsre_der);
    assert_eq!(*revocation, Revocation::Checked);
    assert!(v.indonesian().starts_with("sah: "), "{}", v.indonesian());
    assert!(v.english().starts_with("valid: "), "{}", v.english());
}

#[test]
fn the_intermediate_may_come_from_the_person_instead_of_the_store() {
    let w = world();
    let mut s = TrustStore::new();
    s.add_anchors_pem("root", &w.root_pem).unwrap();
    let alone = validate(
        &s,
        &w.person,
        &[],
        now(),
        Purpose::Signing,
        &policy(),
        &w.crls,
    );
    assert_eq!(
        alone.english(),
        "issuer not trusted: CN=BSRE CA DS G1, O=Badan Siber dan Sandi Negara, C=ID"
    );
    assert!(
        alone
            .indonesian()
            .starts_with("penerbit tidak dipercaya: CN=BSRE CA DS G1")
    );
    let sent = validate(
        &s,
        &w.person,
        std::slice::from_ref(&w.bsre_der),
        now(),
        Purpose::Signing,
        &policy(),
        &w.crls,
    );
    assert!(sent.is_valid(), "{sent:?}");
}

#[test]
fn expired_and_not_yet_valid() {
    let v = check(&world().expired);
    assert!(matches!(v, Verdict::Expired { .. }), "{v:?}");
    assert!(
        v.indonesian()
            .starts_with("kedaluwarsa pada 2026-01-01: CN=Budi Santoso"),
        "{}",
        v.indonesian()
    );
    assert!(
        v.english().starts_with("expired on 2026-01-01"),
        "{}",
        v.english()
    );

    let v = check(&world().not_yet);
    assert!(matches!(v, Verdict::NotYetValid { .. }), "{v:?}");
    assert!(
        v.indonesian()
            .starts_with("belum berlaku sampai 2026-07-01"),
        "{}",
        v.indonesian()
    );

    // The same certificate is fine inside its period, and expired one second after it.
    let t = date_time_ymd(2027, 1, 1).unix_timestamp();
    let w = world();
    let v = validate(
        &store(),
        &w.not_yet,
        &[],
        t,
        Purpose::Signing,
        &policy(),
        &HashMap::new(),
    );
    assert!(matches!(v, Verdict::RevocationUnknown { .. }), "{v:?}");
    let t = date_time_ymd(2028, 7, 1).unix_timestamp() + 1;
    let v = validate(
        &store(),
        &w.not_yet,
        &[],
        t,
        Purpose::Signing,
        &policy(),
        &w.crls,
    );
    assert!(matches!(v, Verdict::Expired { .. }), "{v:?}");
}

#[test]
fn revoked_with_reason_and_date() {
    let v = check(&world().revoked);
    let Verdict::Revoked { reason, serial, .. } = &v else {
        panic!("{v:?}");
    };
    assert_eq!(reason.map(|r| r.name()).as_deref(), Some("keyCompromise"));
    assert_eq!(serial, "03:ec");
    assert!(
        v.indonesian()
            .starts_with("dicabut pada 2026-03-02, alasan keyCompromise: CN=Agus Pratama"),
        "{}",
        v.indonesian()
    );
    assert!(
        v.english()
            .starts_with("revoked on 2026-03-02, reason keyCompromise"),
        "{}",
        v.english()
    );
}

#[test]
fn a_revoked_intermediate_revokes_the_people_under_it() {
    let w = world();
    let mut crls = w.crls.clone();
    crls.insert(ROOT_CRL.to_owned(), w.root_crl_revoking_bsre.clone());
    let v = check_with(&w.person, &[], &policy(), &crls);
    assert!(
        v.english()
            .starts_with("revoked on 2026-05-20, reason cACompromise: CN=BSRE CA DS G1"),
        "{}",
        v.english()
    );
    // Revoked says more than unknown: without the person's own CRL, still revoked.
    crls.remove(BSRE_CRL);
    let v = check_with(&w.person, &[], &policy(), &crls);
    assert!(matches!(v, Verdict::Revoked { .. }), "{v:?}");
    // The legacy chain does not go through it.
    assert!(check_with(&w.legacy_person, &[], &policy(), &crls).is_valid());
}

#[test]
fn crl_unavailable_fails_by_default_and_passes_when_the_policy_allows() {
    let w = world();
    let mut crls = w.crls.clone();
    crls.remove(BSRE_CRL);
    let v = check_with(&w.person, &[], &policy(), &crls);
    let Verdict::RevocationUnknown { why, .. } = &v else {
        panic!("{v:?}");
    };
    assert_eq!(
        *why,
        Unavailable::NotObtained {
            url: BSRE_CRL.to_owned()
        }
    );
    assert!(
        v.indonesian().starts_with("status pencabutan tidak diketahui: CRL dari http://crl.test/bsre.crl tidak dapat diperoleh"),
        "{}",
        v.indonesian()
    );

    let lenient = Policy {
        allow_unknown_revocation: true,
        ..policy()
    };
    let v = check_with(&w.person, &[], &lenient, &crls);
    let Verdict::Valid { revocation, .. } = &v else {
        panic!("{v:?}");
    };
    assert!(matches!(
        revocation,
        Revocation::Unknown(Unavailable::NotObtained { .. })
    ));
    assert!(
        v.english().contains("revocation unknown"),
        "{}",
        v.english()
    );
    // Allowing the unknown does not let a revoked certificate through.
    let v = check_with(&w.revoked, &[], &lenient, &w.crls);
    assert!(matches!(v, Verdict::Revoked { .. }), "{v:?}");
}

#[test]
fn a_stale_crl_counts_as_unavailable() {
    let w = world();
    let mut crls = w.crls.clone();
    crls.insert(BSRE_CRL.to_owned(), w.stale_bsre_crl.clone());
    let v = check_with(&w.person, &[], &policy(), &crls);
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
    assert!(
        v.english()
            .contains("is stale (next update was due 2026-04-15)"),
        "{}",
        v.english()
    );
    // Even a stale CRL that lists the certificate does not say "revoked" now: unknown.
    let v = check_with(&w.revoked, &[], &policy(), &crls);
    assert!(matches!(v, Verdict::RevocationUnknown { .. }), "{v:?}");

    // Current by its dates but fetched longer ago than the policy's maximum age.
    let mut old = w.crls.clone();
    if let Some(c) = old.get_mut(BSRE_CRL) {
        c.fetched_at = now() - 3 * 86_400;
    }
    let strict = Policy {
        crl_max_age: Some(86_400),
        ..policy()
    };
    let v = check_with(&w.person, &[], &strict, &old);
    assert!(matches!(v, Verdict::RevocationUnknown { .. }), "{v:?}");
    let relaxed = Policy {
        crl_max_age: Some(7 * 86_400),
        ..policy()
    };
    assert!(check_with(&w.person, &[], &relaxed, &old).is_valid());
}

#[test]
fn a_crl_not_signed_by_the_issuer_is_not_used() {
    let w = world();
    let mut crls = w.crls.clone();
    crls.insert(BSRE_CRL.to_owned(), w.forged_bsre_crl.clone());
    let v = check_with(&w.revoked, &[], &policy(), &crls);
    assert!(
        matches!(
            &v,
            Verdict::RevocationUnknown {
                why: Unavailable::Unusable { .. },
                ..
            }
        ),
        "{v:?}"
    );
}

#[test]
fn wrong_key_usage() {
    let v = check(&world().wrong_ku);
    assert!(matches!(v, Verdict::WrongKeyUsage { .. }), "{v:?}");
    assert!(
        v.english().contains("digitalSignature/nonRepudiation"),
        "{}",
        v.english()
    );
}

#[test]
fn unknown_issuer() {
    let v = check(&world().untrusted_issuer);
    assert_eq!(
        v.english(),
        "issuer not trusted: CN=Rogue CA, O=Nobody, C=ID"
    );
    assert_eq!(
        v.indonesian(),
        "penerbit tidak dipercaya: CN=Rogue CA, O=Nobody, C=ID"
    );
}

#[test]
fn a_flipped_byte_breaks_the_signature() {
    let mut der = world().person.clone();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let v = check(&der);
    assert!(matches!(v, Verdict::BadSignature { .. }), "{v:?}");
    assert!(
        v.indonesian()
            .starts_with("tanda tangan tidak sah: CN=Siti Rahmawati")
    );
}

#[test]
fn the_legacy_chain_is_valid() {
    let v = check(&world().legacy_person);
    let Verdict::Valid {
        anchor_label, path, ..
    } = &v
    else {
        panic!("{v:?}");
    };
    assert_eq!(anchor_label, "osd-lu-kelas-2");
    assert_eq!(path.len(), 2);
    // After 2026-08-18 the legacy root itself has expired.
    let t = date_time_ymd(2026, 9, 1).unix_timestamp();
    let v = validate(
        &store(),
        &world().legacy_person,
        &[],
        t,
        Purpose::Signing,
        &policy(),
        &world().crls,
    );
    assert!(
        v.indonesian()
            .contains("kedaluwarsa pada 2026-08-18: CN=OSD LU Kelas 2"),
        "{}",
        v.indonesian()
    );
}

#[test]
fn critical_certificate_policies_need_a_trusted_oid() {
    let v = check(&world().other_policy);
    assert!(matches!(v, Verdict::UntrustedPolicy { .. }), "{v:?}");
    assert!(v.english().contains(OTHER_POLICY), "{}", v.english());
    // With no trusted policy at all, even the BSrE person (and CA) are refused.
    let v = check_with(&world().person, &[], &Policy::default(), &world().crls);
    assert!(matches!(v, Verdict::UntrustedPolicy { .. }), "{v:?}");
}

#[test]
fn an_unknown_critical_extension_is_refused() {
    let v = check(&world().unknown_critical);
    assert!(
        matches!(&v, Verdict::UnknownCriticalExtension { oid, .. } if oid == "1.3.6.1.4.1.55555.7"),
        "{v:?}"
    );
}

#[test]
fn a_path_length_constraint_is_enforced() {
    let w = world();
    let extra = vec![w.pathlen_ca.clone(), w.pathlen_sub.clone()];
    let lenient = Policy {
        allow_unknown_revocation: true,
        ..policy()
    };
    let v = check_with(&w.pathlen_person, &extra, &lenient, &w.crls);
    assert!(
        matches!(&v, Verdict::PathTooLong { subject } if subject.starts_with("CN=Strict CA")),
        "{v:?}"
    );
    // The policy's own bound on intermediates.
    let short = Policy {
        max_intermediates: 1,
        ..lenient
    };
    let v = check_with(&w.pathlen_person, &extra, &short, &w.crls);
    assert!(matches!(v, Verdict::PathTooLong { .. }), "{v:?}");
}

#[test]
fn path_building_tries_alternatives_within_a_bound() {
    let w = world();
    // Ten look-alike CAs sent along are tried (and fail) before the real one in the store.
    let v = check_with(&w.person, &w.fake_bsre_cas[..10], &policy(), &w.crls);
    assert!(v.is_valid(), "{v:?}");
    // Seventy exhaust the signature budget: refused, and quickly.
    let started = std::time::Instant::now();
    let v = check_with(&w.person, &w.fake_bsre_cas, &policy(), &w.crls);
    assert!(matches!(v, Verdict::BadSignature { .. }), "{v:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn the_ecdsa_chain_is_valid() {
    let w = world();
    let v = check_with(
        &w.ec_person,
        std::slice::from_ref(&w.ec_ca),
        &policy(),
        &w.crls,
    );
    let Verdict::Valid {
        anchor_label,
        revocation,
        ..
    } = &v
    else {
        panic!("{v:?}");
    };
    assert_eq!(anchor_label, "ec-root");
    assert_eq!(*revocation, Revocation::Checked);
}

#[test]
fn garbage_is_malformed() {
    let v = check(b"not a certificate");
    assert!(matches!(v, Verdict::Malformed { .. }), "{v:?}");
}

#[test]
fn the_store_refuses_what_is_not_a_ca_certificate() {
    let w = world();
    let mut s = TrustStore::new();
    let key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
    assert!(matches!(
        s.add_anchors_pem("key", key),
        Err(TrustError::NotACertificate { label, .. }) if label == "PRIVATE KEY"
    ));
    assert!(matches!(
        s.add_pem("empty", "hello"),
        Err(TrustError::Empty { .. })
    ));
    let person = pem_of(&w.person);
    let e = s.add_intermediates_pem("person", &person).unwrap_err();
    assert!(matches!(e, TrustError::NotACa { .. }), "{e:?}");
    assert!(e.to_string().contains("CN=Siti Rahmawati"), "{e}");
    assert!(matches!(
        s.add_anchors_pem("person", &person),
        Err(TrustError::NotACa { .. })
    ));
    // A CA that is not self-signed is no anchor; nothing of a refused file is kept.
    let both = format!("{}{}", w.root_pem, w.bsre_pem);
    assert!(matches!(
        s.add_anchors_pem("both", &both),
        Err(TrustError::NotSelfSigned { .. })
    ));
    assert!(s.certs().is_empty());
    // The same file read as a chain: the root becomes the anchor, the CA an intermediate.
    s.add_pem("bsre", &both).unwrap();
    let roles: Vec<Role> = s.certs().iter().map(|c| c.role).collect();
    assert_eq!(roles, vec![Role::Anchor, Role::Intermediate]);
    assert!(
        validate(
            &s,
            &w.person,
            &[],
            now(),
            Purpose::Signing,
            &policy(),
            &w.crls
        )
        .is_valid()
    );
}

fn pem_of(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

#[test]
fn the_store_loads_a_directory_of_pem_files() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bsre.pem"),
        format!("{}{}", w.root_pem, w.bsre_pem),
    )
    .unwrap();
    std::fs::write(dir.path().join("osd-lu-kelas-2.pem"), &w.legacy_pem).unwrap();
    std::fs::write(dir.path().join("README.txt"), "not read").unwrap();
    let s = TrustStore::load_dir(dir.path()).unwrap();
    let anchors: Vec<(&str, &str)> = s
        .anchors()
        .map(|c| (c.label.as_str(), c.subject.as_str()))
        .collect();
    assert_eq!(
        anchors,
        vec![
            (
                "bsre",
                "CN=Root CA Indonesia DS G1, O=Kementerian Komunikasi dan Informatika, C=ID"
            ),
            (
                "osd-lu-kelas-2",
                "CN=OSD LU Kelas 2, O=Lembaga Sandi Negara, C=ID"
            ),
        ]
    );
    assert_eq!(s.intermediates().count(), 1);
    let v = validate(
        &s,
        &w.legacy_person,
        &[],
        now(),
        Purpose::Signing,
        &policy(),
        &w.crls,
    );
    assert!(v.is_valid(), "{v:?}");

    std::fs::write(dir.path().join("zz-person.pem"), pem_of(&w.person)).unwrap();
    let e = TrustStore::load_dir(dir.path()).unwrap_err();
    assert!(e.to_string().starts_with("zz-person: "), "{e}");
    assert!(TrustStore::load_dir(&dir.path().join("missing")).is_err());
}

#[test]
fn rsassa_pss_with_sha256_and_sha384() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/certs");
    let root = std::fs::read_to_string(dir.join("pss-root.pem")).unwrap();
    let person = std::fs::read_to_string(dir.join("pss-person.pem")).unwrap();
    let person = x509_parser::pem::Pem::iter_from_buffer(person.as_bytes())
        .next()
        .unwrap()
        .unwrap()
        .contents;
    let mut s = TrustStore::new();
    // Its self-signature is PSS with SHA-256: the store checks it.
    s.add_anchors_pem("pss-root", &root).unwrap();
    let lenient = Policy {
        allow_unknown_revocation: true,
        ..Policy::default()
    };
    let t = date_time_ymd(2030, 1, 1).unix_timestamp();
    let v = validate(
        &s,
        &person,
        &[],
        t,
        Purpose::Signing,
        &lenient,
        &HashMap::new(),
    );
    assert!(
        matches!(&v, Verdict::Valid { anchor_label, .. } if anchor_label == "pss-root"),
        "{v:?}"
    );
    let mut broken = person.clone();
    let last = broken.len() - 1;
    broken[last] ^= 0x80;
    let v = validate(
        &s,
        &broken,
        &[],
        t,
        Purpose::Signing,
        &lenient,
        &HashMap::new(),
    );
    assert!(matches!(v, Verdict::BadSignature { .. }), "{v:?}");
}

#[test]
fn a_cached_source_verifies_once_and_decides_as_the_plain_one() {
    use super::crl::{CachedCrls, CrlSource};
    let w = world();
    let cached = CachedCrls::new(w.crls.clone());
    let validate_cached = |ee: &[u8]| {
        validate(
            &store(),
            ee,
            &[],
            now(),
            Purpose::Signing,
            &policy(),
            &cached,
        )
    };
    for ee in [&w.person, &w.revoked, &w.expired, &w.legacy_person] {
        assert_eq!(validate_cached(ee), check(ee));
    }
    let v = validate_cached(&w.revoked);
    assert!(
        v.english()
            .starts_with("revoked on 2026-03-02, reason keyCompromise"),
        "{}",
        v.english()
    );
    // The second check of the same CRL under the same issuer is the same verification.
    let (_, bsre) = x509_parser::parse_x509_certificate(&w.bsre_der).unwrap();
    let first = cached.checked(BSRE_CRL, &bsre).unwrap().crl.unwrap();
    let second = cached.checked(BSRE_CRL, &bsre).unwrap().crl.unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(first.len(), 1);

    // A forged CRL is unusable through the cache too, and so is a stale one.
    let mut crls = w.crls.clone();
    crls.insert(BSRE_CRL.to_owned(), w.forged_bsre_crl.clone());
    let forged = CachedCrls::new(crls);
    let v = validate(
        &store(),
        &w.revoked,
        &[],
        now(),
        Purpose::Signing,
        &policy(),
        &forged,
    );
    assert!(
        matches!(
            &v,
            Verdict::RevocationUnknown {
                why: Unavailable::Unusable { .. },
                ..
            }
        ),
        "{v:?}"
    );
    let mut crls = w.crls.clone();
    crls.insert(BSRE_CRL.to_owned(), w.stale_bsre_crl.clone());
    let stale = CachedCrls::new(crls);
    let v = validate(
        &store(),
        &w.revoked,
        &[],
        now(),
        Purpose::Signing,
        &policy(),
        &stale,
    );
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

mod fetch;

//! Time-based one-time passwords: HOTP (RFC 4226 §5.3) over time steps
//! (RFC 6238 §4): HMAC-SHA-1, 6 digits, 30-second steps, one step of tolerance
//! either side (RFC 6238 §5.2), and a replay cache so an accepted code is never
//! accepted again (§5.2: "MUST NOT accept the second attempt"). Secrets are 160
//! bits (RFC 4226 §4 R6), shown as base32 (RFC 4648 §6) in an `otpauth://` URI.
//!
//! The codes, the constant-time check over the window and base32 come from the
//! `totp-rs` crate; the replay cache, the input normalisation, the `otpauth://`
//! URI and the QR code are ours (docs/architecture.md says why).

use crate::store::{Store, StoreError};
use totp_rs::{Algorithm, Builder, Secret, Totp};

pub const STEP: i64 = 30;
pub const DIGITS: u32 = 6;
pub const SECRET_LEN: usize = 20;
/// Steps of tolerance either side of the current one.
pub const SKEW: i64 = 1;
/// How long an accepted (user, step) is remembered: longer than the window in which
/// that step's code can be accepted ((2 × SKEW + 1) × STEP = 90 s).
const REPLAY_TTL: i64 = 120;

/// The generator for `secret` with our parameters and a step of `step_secs`.
///
/// `build_noncompliant` only because `build` also refuses secrets under 128 bits,
/// which would turn a code check into an error path; every secret Gapura makes is
/// 160 bits ([`new_secret`]), and the `parameters_are_compliant` test shows that
/// `build` accepts these parameters.
fn generator(secret: &[u8], step_secs: u64) -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(SKEW as u16)
        .with_step_duration(step_secs)
        .with_secret(secret)
        .build_noncompliant()
}

/// RFC 4226 §5.3: HMAC-SHA-1 of the big-endian counter, dynamic truncation, modulo 10^digits.
/// (A TOTP whose step is one second is HOTP with the time as its counter.)
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    generator(secret, 1)
        .generate(counter)
        .to_string()
        .bytes()
        .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

/// The time step of a Unix time (RFC 6238 §4.2, T0 = 0).
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP)
}

/// The code for a time step, zero-padded.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    // A non-negative step times STEP is at most a non-negative i64 Unix time: no overflow.
    let start = step.max(0) as u64 * STEP as u64;
    generator(secret, STEP as u64).generate(start).to_string()
}

/// The code valid at a Unix time.
pub fn code_at(secret: &[u8], unix: i64) -> String {
    code_at_step(secret, step_of(unix))
}

/// Normalises what a person typed: spaces and dashes dropped; six digits or nothing.
pub fn normalise(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (s.len() == DIGITS as usize && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// The step whose code matches, within ±`SKEW` steps of `now` (compared in
/// constant time). No step matches before 1970.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code = normalise(code)?;
    let now = u64::try_from(now).ok()?;
    let step = generator(secret, STEP as u64).check(&code, now)?;
    i64::try_from(step).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Wrong,
    /// Right code, already used once.
    Replayed,
}

/// Verifies a code for `owner` (a user id) and burns its step in the replay cache.
pub async fn verify(
    store: &Store,
    owner: &str,
    secret: &[u8],
    code: &str,
    now: i64,
) -> Result<Verdict, StoreError> {
    let Some(step) = matching_step(secret, code, now) else {
        return Ok(Verdict::Wrong);
    };
    let fresh = store
        .put_if_absent(&format!("totp-used:{owner}:{step}"), "1", REPLAY_TTL)
        .await?;
    Ok(if fresh {
        Verdict::Accepted
    } else {
        Verdict::Replayed
    })
}

pub fn new_secret() -> Vec<u8> {
    crate::crypto::random_bytes(SECRET_LEN)
}

/// RFC 4648 §6 base32, without padding (as authenticator apps expect).
pub fn base32_encode(data: &[u8]) -> String {
    Secret::from(data).to_base32()
}

/// Reads base32 as people type it: any case, spaces, dashes and padding ignored.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let text: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '=' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Secret::try_from_base32(text)
        .ok()
        .map(|s| s.as_bytes().to_vec())
}

/// Groups of four for reading aloud or typing: `ABCD EFGH ...`.
pub fn grouped(b32: &str) -> String {
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Key URI Format of authenticator apps:
/// `otpauth://totp/Issuer:account?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        base32_encode(secret),
        enc(issuer)
    )
}

/// The URI as a QR code, an SVG document drawn here (no external service).
pub fn qr_svg(uri: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The SVG as a `data:` URI for an `<img>` (the CSP allows `img-src data:`).
pub fn qr_data_uri(uri: &str) -> Option<String> {
    use base64::Engine;
    let svg = qr_svg(uri)?;
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8-digit values; the last 6 digits are
    /// what a 6-digit TOTP gives, since both are the same binary modulo 10^d).
    #[test]
    fn rfc6238_sha1_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, t), eight[2..], "T = {t}");
        }
    }

    /// RFC 4226 Appendix D.
    #[test]
    fn rfc4226_hotp_vectors() {
        let secret = b"12345678901234567890";
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, value) in expected.iter().enumerate() {
            assert_eq!(hotp(secret, counter as u64), *value);
        }
    }

    #[test]
    fn skew_window() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        for d in [-1, 0, 1] {
            let code = code_at(secret, now + d * STEP);
            assert!(matching_step(secret, &code, now).is_some(), "±{d}");
        }
        for d in [-2, 2] {
            let code = code_at(secret, now + d * STEP);
            assert!(matching_step(secret, &code, now).is_none(), "±{d}");
        }
        assert!(matching_step(secret, "12345", now).is_none());
        assert!(matching_step(secret, "abcdef", now).is_none());
    }

    /// The parameters are the ones authenticator apps assume (SHA-1, 6 digits,
    /// 30 s), one step of skew, and the crate's RFC checks accept them with our
    /// secrets (which is why `generator` may use `build_noncompliant`).
    #[test]
    fn parameters_are_compliant() {
        let secret = new_secret();
        assert_eq!(secret.len(), 20);
        let checked = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS as u8)
            .with_skew(SKEW as u16)
            .with_step_duration(STEP as u64)
            .with_secret(secret.as_slice())
            .build();
        assert_eq!(checked, Ok(generator(&secret, STEP as u64)));
        let g = generator(&secret, STEP as u64);
        assert_eq!(
            (g.algorithm(), g.digits(), g.skew(), g.step()),
            (Algorithm::SHA1, 6, 1, 30)
        );
    }

    /// The replay cache keys on the step that matched, so that step must be the
    /// one the code belongs to, not the current one.
    #[test]
    fn matching_step_is_the_codes_step() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let current = step_of(now);
        for d in [-1, 0, 1] {
            let code = code_at_step(secret, current + d);
            assert_eq!(matching_step(secret, &code, now), Some(current + d), "{d}");
        }
        // What people type: spaces and dashes are dropped before the check.
        let code = code_at(secret, now);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(secret, &spaced, now), Some(current));
        let dashed = format!("{}-{}", &code[..3], &code[3..]);
        assert_eq!(matching_step(secret, &dashed, now), Some(current));
        assert_eq!(
            matching_step(secret, &format!("+{}", &code[1..]), now),
            None
        );
        assert_eq!(matching_step(secret, &format!("{code}0"), now), None);
        // Another secret's code does not match.
        assert_eq!(matching_step(b"abcdefghijabcdefghij", &code, now), None);
    }

    #[test]
    fn base32_decode_reads_what_people_type() {
        assert_eq!(base32_decode("mzxw-6ytb-oi").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW6YQ=").unwrap(), b"foob");
        assert_eq!(base32_decode("MZXW6YT1"), None);
        assert_eq!(base32_decode("").unwrap(), b"");
    }

    #[test]
    fn base32_round_trip_and_rfc4648_vectors() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_decode("MZXW 6YTB OI").unwrap(), b"foobar");
        let s = new_secret();
        assert_eq!(base32_decode(&base32_encode(&s)).unwrap(), s);
        assert_eq!(base32_encode(&s).len(), 32);
    }

    #[tokio::test]
    async fn replay_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.path().display()))
            .await
            .unwrap();
        crate::db::migrate(&db).await.unwrap();
        let store = Store::database(db);
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let code = code_at(secret, now);
        assert_eq!(
            verify(&store, "u", secret, &code, now).await.unwrap(),
            Verdict::Accepted
        );
        assert_eq!(
            verify(&store, "u", secret, &code, now).await.unwrap(),
            Verdict::Replayed
        );
        assert_eq!(
            verify(&store, "v", secret, &code, now).await.unwrap(),
            Verdict::Accepted
        );
        assert_eq!(
            verify(&store, "u", secret, "000000", now).await.unwrap(),
            Verdict::Wrong
        );
    }

    #[test]
    fn uri_and_qr() {
        let uri = otpauth_uri(
            "Gapura Kota Bogor",
            "198609262015052001",
            b"12345678901234567890",
        );
        assert!(uri.starts_with("otpauth://totp/Gapura%20Kota%20Bogor:198609262015052001?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gapura%20Kota%20Bogor"));
        assert_eq!(
            uri,
            "otpauth://totp/Gapura%20Kota%20Bogor:198609262015052001?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gapura%20Kota%20Bogor&algorithm=SHA1&digits=6&period=30"
        );
        // Usernames may hold any non-blank character, a colon included.
        assert!(
            otpauth_uri("Gapura", "a:b~c", b"12345678901234567890")
                .starts_with("otpauth://totp/Gapura:a%3Ab%7Ec?")
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg"));
        assert!(
            qr_data_uri(&uri)
                .unwrap()
                .starts_with("data:image/svg+xml;base64,")
        );
    }
}

//! JSON Web Signature (RFC 7515) in compact form and JSON Web Keys (RFC 7517)
//! for the algorithms Gapura signs and accepts: RS256, ES256, EdDSA (Ed25519).
//! `none` and HMAC algorithms are never accepted: a JWT is verified only
//! against an asymmetric key whose own `alg`/`kty` matches the header.

use crate::crypto::{b64, b64_decode};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    Rs256,
    Es256,
    EdDsa,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::Rs256, Alg::Es256, Alg::EdDsa];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "RS256" => Some(Alg::Rs256),
            "ES256" => Some(Alg::Es256),
            "EdDSA" => Some(Alg::EdDsa),
            _ => None,
        }
    }

    /// Left half of the hash of an access token or code (OIDC Core §3.1.3.6, `at_hash`).
    /// SHA-256 for RS256/ES256; SHA-512 for EdDSA over Ed25519 (the convention RPs follow).
    pub fn half_hash(self, value: &str) -> String {
        let alg = match self {
            Alg::Rs256 | Alg::Es256 => &ring::digest::SHA256,
            Alg::EdDsa => &ring::digest::SHA512,
        };
        let d = ring::digest::digest(alg, value.as_bytes());
        let bytes = d.as_ref();
        b64(&bytes[..bytes.len() / 2])
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JoseError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("algorithm not accepted")]
    BadAlgorithm,
    #[error("no key matches the token")]
    UnknownKey,
    #[error("signature does not verify")]
    BadSignature,
    #[error("unsupported critical header")]
    Critical,
}

/// A private signing key of one of the supported algorithms.
pub enum KeyPairKind {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

pub struct SigningKeyPair {
    pub kid: String,
    pub alg: Alg,
    pair: KeyPairKind,
}

impl std::fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKeyPair({}, {})", self.kid, self.alg.as_str())
    }
}

impl SigningKeyPair {
    /// Loads a PKCS#8 DER private key.
    pub fn from_pkcs8(kid: String, alg: Alg, der: &[u8]) -> Result<Self, JoseError> {
        let rng = SystemRandom::new();
        let pair = match alg {
            Alg::Rs256 => {
                KeyPairKind::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|_| JoseError::Malformed)?)
            }
            Alg::Es256 => KeyPairKind::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
                    .map_err(|_| JoseError::Malformed)?,
            ),
            Alg::EdDsa => {
                KeyPairKind::Ed(Ed25519KeyPair::from_pkcs8(der).map_err(|_| JoseError::Malformed)?)
            }
        };
        Ok(Self { kid, alg, pair })
    }

    /// Generates a fresh key and returns its PKCS#8 DER encoding.
    pub fn generate_pkcs8(alg: Alg) -> Result<Vec<u8>, JoseError> {
        let rng = SystemRandom::new();
        match alg {
            Alg::Rs256 => {
                use rsa::pkcs8::EncodePrivateKey;
                let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
                    .map_err(|_| JoseError::Malformed)?;
                Ok(key
                    .to_pkcs8_der()
                    .map_err(|_| JoseError::Malformed)?
                    .as_bytes()
                    .to_vec())
            }
            Alg::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map(|d| d.as_ref().to_vec())
                    .map_err(|_| JoseError::Malformed)
            }
            Alg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng)
                .map(|d| d.as_ref().to_vec())
                .map_err(|_| JoseError::Malformed),
        }
    }

    pub fn public_jwk(&self) -> Jwk {
        let mut jwk = Jwk {
            kty: String::new(),
            kid: Some(self.kid.clone()),
            alg: Some(self.alg.as_str().to_owned()),
            use_: Some("sig".to_owned()),
            ..Jwk::default()
        };
        match &self.pair {
            KeyPairKind::Rsa(k) => {
                let c: signature::RsaPublicKeyComponents<Vec<u8>> = k.public().into();
                jwk.kty = "RSA".into();
                jwk.n = Some(b64(&c.n));
                jwk.e = Some(b64(&c.e));
            }
            KeyPairKind::Ec(k) => {
                let point = k.public_key().as_ref();
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = Some(b64(&point[1..33]));
                jwk.y = Some(b64(&point[33..65]));
            }
            KeyPairKind::Ed(k) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(b64(k.public_key().as_ref()));
            }
        }
        jwk
    }

    fn sign_bytes(&self, msg: &[u8]) -> Result<Vec<u8>, JoseError> {
        let rng = SystemRandom::new();
        match &self.pair {
            KeyPairKind::Rsa(k) => {
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
                    .map_err(|_| JoseError::BadSignature)?;
                Ok(sig)
            }
            KeyPairKind::Ec(k) => k
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| JoseError::BadSignature),
            KeyPairKind::Ed(k) => Ok(k.sign(msg).as_ref().to_vec()),
        }
    }

    /// Signs `claims` as a compact JWS with header `{alg, kid, typ}`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, JoseError> {
        let header = serde_json::json!({"alg": self.alg.as_str(), "kid": self.kid, "typ": typ});
        let mut input = b64(header.to_string().as_bytes());
        input.push('.');
        input.push_str(&b64(
            &serde_json::to_vec(claims).map_err(|_| JoseError::Malformed)?
        ));
        let sig = self.sign_bytes(input.as_bytes())?;
        input.push('.');
        input.push_str(&b64(&sig));
        Ok(input)
    }
}

/// A JSON Web Key as published in a JWKS (public members only).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl Jwk {
    /// Whether this key can verify a signature made with `alg`.
    fn fits(&self, alg: Alg) -> bool {
        if let Some(a) = &self.alg
            && a != alg.as_str()
        {
            return false;
        }
        if self.use_.as_deref().is_some_and(|u| u != "sig") {
            return false;
        }
        match alg {
            Alg::Rs256 => self.kty == "RSA",
            Alg::Es256 => self.kty == "EC" && self.crv.as_deref() == Some("P-256"),
            Alg::EdDsa => self.kty == "OKP" && self.crv.as_deref() == Some("Ed25519"),
        }
    }

    fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> Result<(), JoseError> {
        let field = |v: &Option<String>| {
            v.as_deref()
                .and_then(b64_decode)
                .ok_or(JoseError::UnknownKey)
        };
        let ok = match alg {
            Alg::Rs256 => signature::RsaPublicKeyComponents {
                n: field(&self.n)?,
                e: field(&self.e)?,
            }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
            .is_ok(),
            Alg::Es256 => {
                let (x, y) = (field(&self.x)?, field(&self.y)?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(JoseError::UnknownKey);
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(msg, sig)
                    .is_ok()
            }
            Alg::EdDsa => signature::UnparsedPublicKey::new(&signature::ED25519, field(&self.x)?)
                .verify(msg, sig)
                .is_ok(),
        };
        if ok {
            Ok(())
        } else {
            Err(JoseError::BadSignature)
        }
    }
}

/// A parsed, not yet verified, compact JWS.
#[derive(Debug)]
pub struct UnverifiedJws {
    pub alg: Alg,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

/// Largest JWT accepted anywhere (client assertions, access tokens, hints).
pub const MAX_JWT_LEN: usize = 16 * 1024;

impl UnverifiedJws {
    pub fn parse(token: &str) -> Result<Self, JoseError> {
        if token.len() > MAX_JWT_LEN {
            return Err(JoseError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed);
        };
        let header: Map<String, Value> = b64_decode(h)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(JoseError::Malformed)?;
        if header.contains_key("crit") {
            return Err(JoseError::Critical);
        }
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(Alg::parse)
            .ok_or(JoseError::BadAlgorithm)?;
        let claims: Map<String, Value> = b64_decode(p)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(JoseError::Malformed)?;
        let signature = b64_decode(s).ok_or(JoseError::Malformed)?;
        Ok(Self {
            alg,
            kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
            typ: header.get("typ").and_then(Value::as_str).map(str::to_owned),
            claims,
            signing_input: format!("{h}.{p}"),
            signature,
        })
    }

    /// Verifies against a key set: the key named by `kid`, or, without `kid`,
    /// any key that fits the algorithm.
    pub fn verify(&self, keys: &JwkSet) -> Result<(), JoseError> {
        let candidates = keys
            .keys
            .iter()
            .filter(|k| self.kid.is_none() || k.kid == self.kid)
            .filter(|k| k.fits(self.alg));
        let mut found = false;
        for key in candidates {
            found = true;
            if key
                .verify(self.alg, self.signing_input.as_bytes(), &self.signature)
                .is_ok()
            {
                return Ok(());
            }
        }
        Err(if found {
            JoseError::BadSignature
        } else {
            JoseError::UnknownKey
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(alg: Alg) -> SigningKeyPair {
        let der = SigningKeyPair::generate_pkcs8(alg).unwrap();
        SigningKeyPair::from_pkcs8(format!("k-{}", alg.as_str()), alg, &der).unwrap()
    }

    #[test]
    fn sign_and_verify_each_alg() {
        for alg in Alg::ALL {
            let key = pair(alg);
            let jwt = key.sign("JWT", &serde_json::json!({"sub": "x"})).unwrap();
            let parsed = UnverifiedJws::parse(&jwt).unwrap();
            assert_eq!(parsed.alg, alg);
            let set = JwkSet {
                keys: vec![key.public_jwk()],
            };
            parsed.verify(&set).unwrap();
            // Tampered payload fails.
            let mut parts: Vec<&str> = jwt.split('.').collect();
            let forged = b64(br#"{"sub":"y"}"#);
            parts[1] = &forged;
            let bad = UnverifiedJws::parse(&parts.join(".")).unwrap();
            assert_eq!(bad.verify(&set), Err(JoseError::BadSignature));
        }
    }

    #[test]
    fn rejects_none_hmac_and_crit() {
        let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(b"{}"));
        assert_eq!(
            UnverifiedJws::parse(&none).unwrap_err(),
            JoseError::BadAlgorithm
        );
        let hs = format!("{}.{}.AAAA", b64(br#"{"alg":"HS256"}"#), b64(b"{}"));
        assert_eq!(
            UnverifiedJws::parse(&hs).unwrap_err(),
            JoseError::BadAlgorithm
        );
        let crit = format!(
            "{}.{}.AAAA",
            b64(br#"{"alg":"RS256","crit":["x"]}"#),
            b64(b"{}")
        );
        assert_eq!(
            UnverifiedJws::parse(&crit).unwrap_err(),
            JoseError::Critical
        );
        assert_eq!(
            UnverifiedJws::parse("a.b").unwrap_err(),
            JoseError::Malformed
        );
    }

    #[test]
    fn key_of_other_type_does_not_verify() {
        let rsa = pair(Alg::Rs256);
        let ec = pair(Alg::Es256);
        let jwt = ec.sign("JWT", &serde_json::json!({})).unwrap();
        let parsed = UnverifiedJws::parse(&jwt).unwrap();
        let mut jwk = rsa.public_jwk();
        jwk.kid = Some(ec.kid.clone());
        jwk.alg = None;
        assert_eq!(
            parsed.verify(&JwkSet { keys: vec![jwk] }),
            Err(JoseError::UnknownKey)
        );
    }
}

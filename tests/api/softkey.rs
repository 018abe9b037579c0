//! A minimal software authenticator (WebAuthn §6): an ECDSA P-256 key made with
//! `ring`, attestation `none` (§8.7), assertions signed over
//! authenticatorData || SHA-256(clientDataJSON) (§6.3.3). It answers the same JSON
//! the browser glue (ui/static/webauthn.js) sends, so webauthn-rs verifies it for real.

use gapura::crypto::{b64, b64_decode, sha256};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

pub struct SoftKey {
    pair: EcdsaKeyPair,
    pub cred_id: Vec<u8>,
    user_handle: Option<Vec<u8>>,
    counter: u32,
    /// A synchronised passkey (backup eligible and backed up, WebAuthn §6.1 BE/BS).
    pub synced: bool,
    origin: String,
    rp_id: String,
}

fn cbor_bytes(out: &mut Vec<u8>, b: &[u8]) {
    match b.len() {
        n if n < 24 => out.push(0x40 | n as u8),
        n if n < 256 => out.extend([0x58, n as u8]),
        n => {
            out.push(0x59);
            out.extend((n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(b);
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    assert!(s.len() < 24);
    out.push(0x60 | s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

impl SoftKey {
    /// A key for the relying party at `origin` (`http://localhost:PORT`).
    pub fn new(origin: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let rp_id = url::Url::parse(origin)
            .unwrap()
            .host_str()
            .unwrap()
            .to_owned();
        Self {
            pair,
            cred_id: gapura::crypto::random_bytes(32),
            user_handle: None,
            counter: 0,
            synced: false,
            origin: origin.to_owned(),
            rp_id,
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.pair.public_key().as_ref();
        assert_eq!(point.len(), 65);
        // {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut out, &point[1..33]);
        out.push(0x22);
        cbor_bytes(&mut out, &point[33..65]);
        out
    }

    fn client_data(&self, kind: &str, challenge: &str) -> String {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
    }

    fn auth_data(&self, flags: u8, attested: bool) -> Vec<u8> {
        let flags = if self.synced {
            flags | 0x08 | 0x10
        } else {
            flags
        };
        let mut d = sha256(self.rp_id.as_bytes());
        d.push(flags);
        d.extend(self.counter.to_be_bytes());
        if attested {
            d.extend([0u8; 16]);
            d.extend((self.cred_id.len() as u16).to_be_bytes());
            d.extend(&self.cred_id);
            d.extend(self.cose_key());
        }
        d
    }

    /// `navigator.credentials.create()` for the options Gapura sent (`{publicKey: ...}`).
    pub fn register(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        assert_eq!(
            pk["rp"]["id"],
            self.rp_id.as_str(),
            "RP id is the issuer host"
        );
        let challenge = pk["challenge"].as_str().unwrap();
        self.user_handle = Some(b64_decode(pk["user"]["id"].as_str().unwrap()).unwrap());
        let client_data = self.client_data("webauthn.create", challenge);
        // UP | UV | AT
        let auth_data = self.auth_data(0x01 | 0x04 | 0x40, true);
        let mut att = vec![0xa3];
        cbor_text(&mut att, "fmt");
        cbor_text(&mut att, "none");
        cbor_text(&mut att, "attStmt");
        att.push(0xa0);
        cbor_text(&mut att, "authData");
        cbor_bytes(&mut att, &auth_data);
        json!({
            "id": b64(&self.cred_id),
            "rawId": b64(&self.cred_id),
            "type": "public-key",
            "extensions": {},
            "response": {
                "attestationObject": b64(&att),
                "clientDataJSON": b64(client_data.as_bytes()),
            }
        })
    }

    /// `navigator.credentials.get()`: signs the challenge; a discoverable credential
    /// also returns the user handle it stored at registration.
    pub fn assert(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().unwrap();
        if let Some(allowed) = pk["allowCredentials"].as_array().filter(|a| !a.is_empty()) {
            assert!(
                allowed
                    .iter()
                    .any(|c| c["id"] == b64(&self.cred_id).as_str()),
                "this key is among the allowed credentials"
            );
        }
        self.counter += 1;
        let client_data = self.client_data("webauthn.get", challenge);
        let auth_data = self.auth_data(0x01 | 0x04, false);
        let mut signed = auth_data.clone();
        signed.extend(sha256(client_data.as_bytes()));
        let sig = self.pair.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": b64(&self.cred_id),
            "rawId": b64(&self.cred_id),
            "type": "public-key",
            "extensions": {},
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(client_data.as_bytes()),
                "signature": b64(sig.as_ref()),
                "userHandle": self.user_handle.as_ref().map(|h| b64(h)),
            }
        })
    }
}

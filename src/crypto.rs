//! Cryptographic building blocks: CSPRNG tokens, digests, keyed digests,
//! constant-time comparison, and the master key with its derived sub-keys
//! (AES-256-GCM key-encryption key, client-secret pepper, CSRF key).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::{SecureRandom, SystemRandom};
use ring::{aead, digest, hkdf, hmac};
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;

pub fn b64(data: &[u8]) -> String {
    B64.encode(data)
}

pub fn b64_decode(data: &str) -> Option<Vec<u8>> {
    B64.decode(data.as_bytes()).ok()
}

/// `n` random bytes from the operating system's CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // SystemRandom reads getrandom(2); it fails only if the kernel cannot supply entropy,
    // in which case continuing would be worse than aborting.
    #[allow(clippy::expect_used)]
    SystemRandom::new()
        .fill(&mut buf)
        .expect("operating system CSPRNG unavailable");
    buf
}

/// A URL-safe random token carrying `bytes * 8` bits of entropy.
pub fn random_token(bytes: usize) -> String {
    b64(&random_bytes(bytes))
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// SHA-256 of a high-entropy token, base64url: how opaque tokens are stored.
pub fn token_digest(token: &str) -> String {
    b64(&sha256(token.as_bytes()))
}

/// Constant-time equality of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("master key must be 32 bytes of base64url")]
    BadMasterKey,
    #[error("cannot read or create the master key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("encrypted key material could not be decrypted (wrong master key?)")]
    Decrypt,
}

/// Keys derived from the deployment's master key. Every instance of one deployment
/// must share the same master key (from `GAPURA_MASTER_KEY` or `keys/master.key`).
pub struct MasterKeys {
    kek: aead::LessSafeKey,
    secret_pepper: hmac::Key,
    csrf: hmac::Key,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKeys([redacted])")
    }
}

struct Len(usize);
impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn derive(prk: &hkdf::Prk, label: &[u8]) -> Result<[u8; 32], KeyError> {
    let info = [label];
    let okm = prk
        .expand(&info, Len(32))
        .map_err(|_| KeyError::BadMasterKey)?;
    let mut out = [0u8; 32];
    okm.fill(&mut out).map_err(|_| KeyError::BadMasterKey)?;
    Ok(out)
}

impl MasterKeys {
    pub fn from_bytes(master: &[u8]) -> Result<Self, KeyError> {
        if master.len() != 32 {
            return Err(KeyError::BadMasterKey);
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"gapura master key v1").extract(master);
        let kek = aead::UnboundKey::new(&aead::AES_256_GCM, &derive(&prk, b"kek")?)
            .map_err(|_| KeyError::BadMasterKey)?;
        Ok(Self {
            kek: aead::LessSafeKey::new(kek),
            secret_pepper: hmac::Key::new(hmac::HMAC_SHA256, &derive(&prk, b"client-secret")?),
            csrf: hmac::Key::new(hmac::HMAC_SHA256, &derive(&prk, b"csrf")?),
        })
    }

    /// From the configured value, else from `dir/master.key`, created (mode 0600) if absent.
    pub fn load(configured: Option<&SecretString>, dir: &Path) -> Result<Self, KeyError> {
        if let Some(value) = configured {
            let bytes = b64_decode(value.expose_secret().trim()).ok_or(KeyError::BadMasterKey)?;
            return Self::from_bytes(&bytes);
        }
        let path = dir.join("master.key");
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = b64_decode(text.trim()).ok_or(KeyError::BadMasterKey)?;
                Self::from_bytes(&bytes)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(io)?;
                let bytes = random_bytes(32);
                write_private_file(&path, &b64(&bytes)).map_err(io)?;
                tracing::info!(path = %path.display(), "created a new master key");
                Self::from_bytes(&bytes)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// AES-256-GCM with a random 96-bit nonce; output `nonce || ciphertext+tag`, base64url.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> String {
        let nonce_bytes = random_bytes(12);
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&nonce_bytes);
        let mut buf = plaintext.to_vec();
        // Sealing fails only for inputs larger than GCM's limit (64 GiB).
        #[allow(clippy::expect_used)]
        self.kek
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                &mut buf,
            )
            .expect("plaintext within AES-GCM limits");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        b64(&out)
    }

    pub fn decrypt(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        let bytes = b64_decode(sealed).ok_or(KeyError::Decrypt)?;
        if bytes.len() < 12 + 16 {
            return Err(KeyError::Decrypt);
        }
        let (nonce, rest) = bytes.split_at(12);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Decrypt)?;
        let mut buf = rest.to_vec();
        let plain = self
            .kek
            .open_in_place(nonce, aead::Aad::from(aad), &mut buf)
            .map_err(|_| KeyError::Decrypt)?;
        Ok(plain.to_vec())
    }

    /// Keyed digest of a client secret (HMAC-SHA-256). Secrets are 256-bit random values,
    /// so a fast keyed hash is as strong as a slow one and keeps the token endpoint fast.
    pub fn secret_digest(&self, secret: &str) -> String {
        b64(hmac::sign(&self.secret_pepper, secret.as_bytes()).as_ref())
    }

    pub fn csrf_tag(&self, value: &str) -> String {
        b64(hmac::sign(&self.csrf, value.as_bytes()).as_ref())
    }
}

pub fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let keys = MasterKeys::from_bytes(&[7u8; 32]).unwrap();
        let sealed = keys.encrypt(b"private", b"kid-1");
        assert_eq!(keys.decrypt(&sealed, b"kid-1").unwrap(), b"private");
        assert!(keys.decrypt(&sealed, b"kid-2").is_err());
        let other = MasterKeys::from_bytes(&[8u8; 32]).unwrap();
        assert!(other.decrypt(&sealed, b"kid-1").is_err());
    }

    #[test]
    fn digests_are_keyed() {
        let a = MasterKeys::from_bytes(&[1u8; 32]).unwrap();
        let b = MasterKeys::from_bytes(&[2u8; 32]).unwrap();
        assert_ne!(a.secret_digest("s"), b.secret_digest("s"));
        assert_eq!(a.secret_digest("s"), a.secret_digest("s"));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert_eq!(random_token(32).len(), 43);
    }
}

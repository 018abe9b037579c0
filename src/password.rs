//! Password hashing with argon2id (configurable; default m=19 MiB, t=2, p=1),
//! always off the async executor and bounded to the number of cores, with a dummy
//! verification for unknown accounts so timing does not reveal which exist.

use crate::config::PasswordSettings;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("worker unavailable")]
    Worker,
}

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 1024;

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
}

impl PasswordHasher {
    pub fn new(s: &PasswordSettings) -> Result<Self, PasswordError> {
        let params = Params::new(s.memory_kib, s.iterations, s.parallelism, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let dummy = hash_with(&params, &crate::crypto::random_token(16))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::new(dummy),
        })
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Worker)?;
        let params = self.params.clone();
        let pw = password.clone();
        tokio::task::spawn_blocking(move || hash_with(&params, pw.expose_secret()))
            .await
            .map_err(|_| PasswordError::Worker)?
    }

    /// Verifies `password` against `stored`; with no stored hash, spends the same time
    /// on a dummy hash and fails.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => ((*self.dummy).clone(), false),
        };
        let pw = password.clone();
        let ok = tokio::task::spawn_blocking(move || {
            let pw = pw.expose_secret();
            if pw.len() > MAX_PASSWORD_LEN {
                return false;
            }
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(pw.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        ok && real
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(&crate::crypto::random_bytes(16))
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = PasswordHasher::new(&PasswordSettings {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        let pw = SecretString::from("kata-sandi-rahasia");
        let stored = h.hash(&pw).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify(&pw, Some(&stored)).await);
        assert!(!h.verify(&SecretString::from("salah"), Some(&stored)).await);
        assert!(!h.verify(&pw, None).await);
    }
}

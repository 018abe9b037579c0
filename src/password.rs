//! Password hashing with argon2id (configurable; default m=19 MiB, t=2, p=1),
//! always off the async executor and bounded to the number of cores, with a dummy
//! verification for unknown accounts so timing does not reveal which exist.

use crate::config::PasswordSettings;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::sync::Mutex;
use tokio::sync::oneshot;

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

type Job = Box<dyn FnOnce() + Send>;

/// Hashing runs on a fixed pool of one thread per core: CPU-bound work stays off the
/// async executor, at most `cores` hashes run at once, and memory stays bounded
/// (each argon2id run allocates `m` KiB; a pool of fixed threads reuses it, where a
/// growing set of blocking threads would each keep its own).
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    jobs: std::sync::mpsc::SyncSender<Job>,
    dummy: Arc<String>,
}

impl PasswordHasher {
    pub fn new(s: &PasswordSettings) -> Result<Self, PasswordError> {
        let params = Params::new(s.memory_kib, s.iterations, s.parallelism, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(1024);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..cores {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|_| PasswordError::Worker)?;
        }
        let dummy = hash_with(&params, &crate::crypto::random_token(16))?;
        Ok(Self {
            params,
            jobs,
            dummy: Arc::new(dummy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(job)) => {
                // The queue is bounded: when full, wait (off the executor) rather than grow.
                let jobs = self.jobs.clone();
                tokio::task::spawn_blocking(move || jobs.send(job))
                    .await
                    .map_err(|_| PasswordError::Worker)?
                    .map_err(|_| PasswordError::Worker)?;
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                return Err(PasswordError::Worker);
            }
        }
        rx.await.map_err(|_| PasswordError::Worker)
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let pw = password.clone();
        self.run(move || hash_with(&params, pw.expose_secret()))
            .await?
    }

    /// Verifies `password` against `stored`; with no stored hash, spends the same time
    /// on a dummy hash and fails.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> bool {
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => ((*self.dummy).clone(), false),
        };
        let pw = password.clone();
        let ok = self
            .run(move || {
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

//! Password hashing with argon2id (configurable; default m=19 MiB, t=2, p=1),
//! always off the async executor and bounded to the number of cores, with a dummy
//! verification for unknown accounts so timing does not reveal which exist.

use crate::config::PasswordSettings;
use crate::cpu_pool::CpuPool;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

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

thread_local! {
    /// argon2 working memory of one pool thread, reused from one run to the next
    /// while the pool is busy and given back after it has been idle a while.
    static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How long a hashing thread keeps its memory without work.
const KEEP_MEMORY: std::time::Duration = std::time::Duration::from_secs(2);

fn release_memory() {
    MEMORY.with(|m| *m.borrow_mut() = Vec::new());
    crate::alloc::trim();
}

/// Hashing runs on a fixed pool of one thread per core (see `cpu_pool`): CPU-bound
/// work stays off the async executor, at most `cores` hashes run at once, and
/// memory stays bounded (each argon2id run needs `m` KiB; each pool thread reuses
/// its own while busy and frees it when idle).
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    pool: CpuPool,
    dummy: Arc<String>,
}

impl PasswordHasher {
    pub fn new(s: &PasswordSettings) -> Result<Self, PasswordError> {
        let params = Params::new(s.memory_kib, s.iterations, s.parallelism, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        let pool = CpuPool::per_core("argon2", 1024, Some((KEEP_MEMORY, release_memory)))
            .map_err(|_| PasswordError::Worker)?;
        let dummy = hash_with(&params, &crate::crypto::random_token(16), &mut Vec::new())?;
        Ok(Self {
            params,
            pool,
            dummy: Arc::new(dummy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        self.pool
            .run(move || MEMORY.with(|m| work(&mut m.borrow_mut())))
            .await
            .map_err(|_| PasswordError::Worker)
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let pw = password.clone();
        self.run(move |memory| hash_with(&params, pw.expose_secret(), memory))
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
            .run(move |memory| {
                let pw = pw.expose_secret();
                pw.len() <= MAX_PASSWORD_LEN && verify_with(pw, &hash, memory).unwrap_or(false)
            })
            .await
            .unwrap_or(false);
        ok && real
    }
}

/// Sizes the reusable memory for `params` (grows only; never reallocated per call).
fn blocks(memory: &mut Vec<Block>, params: &Params) -> Result<(), PasswordError> {
    let n = params.block_count();
    if n > 4 * 1024 * 1024 {
        return Err(PasswordError::Params("memory cost too large".into()));
    }
    if memory.len() < n {
        memory.resize(n, Block::default());
    }
    Ok(())
}

fn hash_with(
    params: &Params,
    password: &str,
    memory: &mut Vec<Block>,
) -> Result<String, PasswordError> {
    let err = |e: &dyn std::fmt::Display| PasswordError::Hash(e.to_string());
    let salt_bytes = crate::crypto::random_bytes(16);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| err(&e))?;
    blocks(memory, params)?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt_bytes,
            &mut out,
            &mut memory[..params.block_count()],
        )
        .map_err(|e| err(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| err(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| err(&e))?),
    };
    Ok(phc.to_string())
}

/// Verifies against a PHC string, in constant time over the output.
fn verify_with(password: &str, phc: &str, memory: &mut Vec<Block>) -> Option<bool> {
    let parsed = PasswordHash::new(phc).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .ok()?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).ok()?;
    let expected = parsed.hash?;
    let mut salt_buf = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
    blocks(memory, &params).ok()?;
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory[..params.block_count()],
        )
        .ok()?;
    Some(crate::crypto::ct_eq(&out, expected.as_bytes()))
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
        // Hashes made by the argon2 crate's own API verify too (and vice versa).
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(1024, 1, 1, None).unwrap();
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password(b"kata-sandi-rahasia", &salt)
            .unwrap()
            .to_string();
        assert!(h.verify(&pw, Some(&theirs)).await);
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"kata-sandi-rahasia", &parsed)
                .is_ok()
        );
    }
}

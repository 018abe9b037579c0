//! The floors: what this machine can do at best with the same crypto code Gapura
//! runs, on all cores at once.

use gapura::config::PasswordSettings;
use gapura::jose::{Alg, SigningKeyPair};
use gapura::password::PasswordHasher;
use secrecy::SecretString;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Floors {
    pub argon2: f64,
    pub rs256: f64,
    pub es256: f64,
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// Signatures per second with `alg` on every core.
fn signatures(alg: Alg, for_how_long: Duration) -> anyhow::Result<f64> {
    let der = SigningKeyPair::generate_pkcs8(alg).map_err(|e| anyhow::anyhow!("{e}"))?;
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut threads = Vec::new();
    for _ in 0..cores() {
        let key = SigningKeyPair::from_pkcs8("floor".into(), alg, &der)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let count = count.clone();
        threads.push(std::thread::spawn(move || {
            let claims = serde_json::json!({"iss": "https://sso.example", "sub": "floor", "aud": "x", "iat": 1, "exp": 2, "jti": "abcdefghijklmnop", "scope": "openid"});
            while start.elapsed() < for_how_long {
                if key.sign("at+jwt", &claims).is_ok() {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in threads {
        let _ = t.join();
    }
    Ok(count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

async fn argon2(for_how_long: Duration) -> anyhow::Result<f64> {
    let settings = PasswordSettings {
        memory_kib: 19456,
        iterations: 2,
        parallelism: 1,
    };
    let hasher = PasswordHasher::new(&settings)?;
    let pw = SecretString::from("floor-password-123");
    let hash = hasher.hash(&pw).await?;
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..cores() * 2 {
        let (hasher, hash, pw, count) = (hasher.clone(), hash.clone(), pw.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < for_how_long {
                if hasher.verify(&pw, Some(&hash)).await {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    Ok(count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

/// RS256 signatures/s measured now (each scenario gets a floor measured just
/// before it: this machine's speed drifts by 10-20% over minutes).
pub async fn rs256_now() -> anyhow::Result<f64> {
    tokio::task::spawn_blocking(|| signatures(Alg::Rs256, Duration::from_secs(2))).await?
}

/// argon2id verifications/s measured now.
pub async fn argon2_now() -> anyhow::Result<f64> {
    argon2(Duration::from_secs(3)).await
}

pub async fn measure(each: Duration) -> anyhow::Result<Floors> {
    let argon2 = argon2(each).await?;
    let rs256 = tokio::task::spawn_blocking(move || signatures(Alg::Rs256, each)).await??;
    let es256 = tokio::task::spawn_blocking(move || signatures(Alg::Es256, each)).await??;
    Ok(Floors {
        argon2,
        rs256,
        es256,
    })
}

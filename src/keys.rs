//! Token-signing keys: stored in the database with the private part sealed by the
//! key-encryption key, so every instance signs with the same keys.
//!
//! Rotation (`gapura keys rotate`): the new key is published in the JWKS at once,
//! signs from `activates_at` on (after a configurable delay, so RPs caching the
//! JWKS learn it first), and the key it replaces stays published until every
//! token it signed has expired.

use crate::cpu_pool::CpuPool;
use crate::crypto::{MasterKeys, random_token};
use crate::jose::{Alg, Jwk, JwkSet, SigningKeyPair};
use entity::signing_key;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::sync::{Arc, RwLock};

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("key material: {0}")]
    Key(#[from] crate::crypto::KeyError),
    #[error("signing key {0} could not be loaded")]
    BadKey(String),
    #[error("no signing key for {0}")]
    NoKey(&'static str),
    #[error("signing: {0}")]
    Sign(#[from] crate::jose::JoseError),
    #[error("the signing pool is unavailable")]
    Pool,
}

pub struct LoadedKey {
    pub pair: SigningKeyPair,
    pub jwk: Jwk,
    pub activates_at: i64,
    pub retires_at: Option<i64>,
    pub remove_at: Option<i64>,
}

/// The keys currently known, refreshed from the database.
pub struct KeyManager {
    db: DatabaseConnection,
    master: Arc<MasterKeys>,
    keys: RwLock<Arc<Vec<Arc<LoadedKey>>>>,
    /// RSA signatures (about a millisecond of a core each) run here, off the
    /// event loops; see `cpu_pool`.
    pool: CpuPool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub retires_at: Option<i64>,
    pub remove_at: Option<i64>,
    pub state: &'static str,
}

impl KeyManager {
    pub fn new(db: DatabaseConnection, master: Arc<MasterKeys>) -> Result<Self, KeysError> {
        Ok(Self {
            db,
            master,
            keys: RwLock::new(Arc::new(Vec::new())),
            pool: CpuPool::per_core("sign", 4096, None).map_err(|_| KeysError::Pool)?,
        })
    }

    /// Signs `claims` as a compact JWS with the key that signs `alg` at `now`. RSA
    /// runs on the signing pool; ECDSA and EdDSA (tens of microseconds) run inline,
    /// where handing them to another thread would cost more than it frees.
    pub async fn sign(
        &self,
        alg: Alg,
        now: i64,
        typ: &'static str,
        claims: impl serde::Serialize + Send + 'static,
    ) -> Result<String, KeysError> {
        let key = self.signer(alg, now)?;
        if alg == Alg::Rs256 {
            self.pool
                .run(move || key.pair.sign(typ, &claims))
                .await
                .map_err(|_| KeysError::Pool)?
                .map_err(KeysError::Sign)
        } else {
            key.pair.sign(typ, &claims).map_err(KeysError::Sign)
        }
    }

    fn snapshot(&self) -> Arc<Vec<Arc<LoadedKey>>> {
        self.keys
            .read()
            .map(|k| k.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Makes sure each algorithm has a key that can sign now; generates any that is missing.
    pub async fn ensure_keys(&self, now: i64) -> Result<(), KeysError> {
        self.reload(now).await?;
        let keys = self.snapshot();
        for alg in Alg::ALL {
            let usable = keys.iter().any(|k| {
                k.pair.alg == alg && k.activates_at <= now && k.retires_at.is_none_or(|r| r > now)
            });
            if !usable {
                self.create_key(alg, now, now).await?;
            }
        }
        self.reload(now).await
    }

    async fn create_key(&self, alg: Alg, now: i64, activates_at: i64) -> Result<String, KeysError> {
        let der = tokio::task::spawn_blocking(move || SigningKeyPair::generate_pkcs8(alg))
            .await
            .map_err(|_| KeysError::NoKey(alg.as_str()))?
            .map_err(|_| KeysError::NoKey(alg.as_str()))?;
        let kid = random_token(12);
        let pair = SigningKeyPair::from_pkcs8(kid.clone(), alg, &der)
            .map_err(|_| KeysError::BadKey(kid.clone()))?;
        let jwk = serde_json::to_string(&pair.public_jwk())
            .map_err(|_| KeysError::BadKey(kid.clone()))?;
        signing_key::ActiveModel {
            kid: Set(kid.clone()),
            alg: Set(alg.as_str().to_owned()),
            public_jwk: Set(jwk),
            private_key_enc: Set(self.master.encrypt(&der, kid.as_bytes())),
            created_at: Set(now),
            activates_at: Set(activates_at),
            retires_at: Set(None),
            remove_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        tracing::info!(kid = %kid, alg = alg.as_str(), activates_at, "signing key created");
        Ok(kid)
    }

    /// Re-reads the published keys (cheap: a handful of rows; private keys are
    /// decrypted only for keys not already loaded).
    pub async fn reload(&self, now: i64) -> Result<(), KeysError> {
        let rows = signing_key::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(signing_key::Column::RemoveAt.is_null())
                    .add(signing_key::Column::RemoveAt.gt(now)),
            )
            .all(&self.db)
            .await?;
        let current = self.snapshot();
        let mut loaded = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(alg) = Alg::parse(&row.alg) else {
                continue;
            };
            if let Some(existing) = current.iter().find(|k| k.pair.kid == row.kid)
                && existing.retires_at == row.retires_at
                && existing.remove_at == row.remove_at
            {
                loaded.push(existing.clone());
                continue;
            }
            let der = self
                .master
                .decrypt(&row.private_key_enc, row.kid.as_bytes())?;
            let pair = SigningKeyPair::from_pkcs8(row.kid.clone(), alg, &der)
                .map_err(|_| KeysError::BadKey(row.kid.clone()))?;
            let jwk = pair.public_jwk();
            loaded.push(Arc::new(LoadedKey {
                pair,
                jwk,
                activates_at: row.activates_at,
                retires_at: row.retires_at,
                remove_at: row.remove_at,
            }));
        }
        loaded.sort_by(|a, b| {
            b.activates_at
                .cmp(&a.activates_at)
                .then_with(|| a.pair.kid.cmp(&b.pair.kid))
        });
        match self.keys.write() {
            Ok(mut guard) => *guard = Arc::new(loaded),
            Err(e) => *e.into_inner() = Arc::new(loaded),
        }
        Ok(())
    }

    /// The key that signs with `alg` at `now`: the newest active one.
    pub fn signer(&self, alg: Alg, now: i64) -> Result<Arc<LoadedKey>, KeysError> {
        self.snapshot()
            .iter()
            .find(|k| {
                k.pair.alg == alg && k.activates_at <= now && k.retires_at.is_none_or(|r| r > now)
            })
            .cloned()
            .ok_or(KeysError::NoKey(alg.as_str()))
    }

    /// Every published key (pending, active and retired-but-still-verifying).
    pub fn jwks(&self, now: i64) -> JwkSet {
        JwkSet {
            keys: self
                .snapshot()
                .iter()
                .filter(|k| k.remove_at.is_none_or(|r| r > now))
                .map(|k| k.jwk.clone())
                .collect(),
        }
    }

    /// Publishes a new key for each algorithm; it signs after `delay` seconds and the
    /// keys it replaces stay in the JWKS `keep` seconds after that.
    pub async fn rotate(&self, now: i64, delay: i64, keep: i64) -> Result<Vec<String>, KeysError> {
        let mut kids = Vec::new();
        for alg in Alg::ALL {
            let activates = now + delay;
            let old = signing_key::Entity::find()
                .filter(signing_key::Column::Alg.eq(alg.as_str()))
                .filter(signing_key::Column::RetiresAt.is_null())
                .all(&self.db)
                .await?;
            kids.push(self.create_key(alg, now, activates).await?);
            for row in old {
                let mut active: signing_key::ActiveModel = row.into();
                active.retires_at = Set(Some(activates));
                active.remove_at = Set(Some(activates + keep));
                active.update(&self.db).await?;
            }
        }
        self.reload(now).await?;
        Ok(kids)
    }

    pub async fn list(&self, now: i64) -> Result<Vec<KeyInfo>, KeysError> {
        let mut rows = signing_key::Entity::find().all(&self.db).await?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        Ok(rows
            .into_iter()
            .map(|r| {
                let state = if r.remove_at.is_some_and(|t| t <= now) {
                    "removed"
                } else if r.retires_at.is_some_and(|t| t <= now) {
                    "retired"
                } else if r.activates_at > now {
                    "pending"
                } else {
                    "active"
                };
                KeyInfo {
                    kid: r.kid,
                    alg: r.alg,
                    created_at: r.created_at,
                    activates_at: r.activates_at,
                    retires_at: r.retires_at,
                    remove_at: r.remove_at,
                    state,
                }
            })
            .collect())
    }
}

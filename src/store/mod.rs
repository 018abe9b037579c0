//! The key-value store: values that expire by TTL, sets and time indexes. One
//! interface, two back ends:
//!
//! - the database (`kv_entry`, `kv_member`): the authority for security state —
//!   SSO sessions, replay caches, revocations, lockouts. It is `AppState::store`,
//!   always: shared by every instance and by the CLI, kept across restarts.
//! - Redis (`REDIS_URL`): `AppState::volatile`, for what is safe to lose because
//!   losing it only refuses (an authorization code's 60 s, a WebAuthn ceremony, a
//!   logout confirmation, a TOTP enrolment in progress). Without Redis the volatile
//!   store is the database too.
//!
//! Protocol lifetimes (a code's 60 s) are checked against the injected clock in the
//! stored value itself; the TTL here bounds how long the value lives at all.

mod db_store;
mod redis_store;

pub use db_store::DbStore;
pub use redis_store::RedisStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

#[derive(Clone)]
pub enum Store {
    Database(DbStore),
    Redis(RedisStore),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $body:expr) => {
        match $self {
            Store::Database($s) => $body.await,
            Store::Redis($s) => $body.await,
        }
    };
}

impl Store {
    pub fn database(db: sea_orm::DatabaseConnection) -> Self {
        Store::Database(DbStore::new(db))
    }

    /// Connects lazily: Gapura starts while Redis is down and recovers when it returns.
    pub fn redis(url: &str, prefix: &str) -> Result<Self, StoreError> {
        Ok(Store::Redis(RedisStore::new(url, prefix)?))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Database(_) => "database",
            Store::Redis(_) => "redis",
        }
    }

    pub async fn put(&self, key: &str, value: &str, ttl_secs: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.put(key, value, ttl_secs))
    }

    /// Stores only if the key is absent; `true` when this call stored it.
    pub async fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl_secs: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.put_if_absent(key, value, ttl_secs))
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.get(key))
    }

    /// Whether any of `keys` holds a live value (one round trip on Redis).
    pub async fn exists_any(&self, keys: &[String]) -> Result<bool, StoreError> {
        if keys.is_empty() {
            return Ok(false);
        }
        dispatch!(self, s => s.exists_any(keys))
    }

    /// Atomically reads and removes: the basis of single-use values.
    pub async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.take(key))
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.delete(key))
    }

    /// Increments a counter, starting its TTL on creation; returns the new value.
    pub async fn incr(&self, key: &str, ttl_secs: i64) -> Result<i64, StoreError> {
        dispatch!(self, s => s.incr(key, ttl_secs))
    }

    /// Adds a member to a set, extending the set's TTL; returns the set's size.
    pub async fn set_add(
        &self,
        key: &str,
        member: &str,
        ttl_secs: i64,
    ) -> Result<usize, StoreError> {
        dispatch!(self, s => s.set_add(key, member, ttl_secs))
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_remove(key, member))
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        dispatch!(self, s => s.set_members(key))
    }

    /// Schedules `member` at `at` (Unix seconds) in a time index.
    pub async fn schedule(&self, key: &str, member: &str, at: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.schedule(key, member, at))
    }

    /// Members scheduled at or before `now`, at most `limit`.
    pub async fn due(&self, key: &str, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        dispatch!(self, s => s.due(key, now, limit))
    }

    /// Removes a member from a time index; `true` for the one caller that removed it.
    pub async fn unschedule(&self, key: &str, member: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.unschedule(key, member))
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping())
    }

    /// Drops expired entries (the database; Redis expires by itself).
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        match self {
            Store::Database(s) => s.sweep().await,
            Store::Redis(_) => Ok(0),
        }
    }

    pub async fn put_json<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl: i64,
    ) -> Result<(), StoreError> {
        let text =
            serde_json::to_string(value).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.put(key, &text, ttl).await
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .get(key)
            .await?
            .and_then(|t| serde_json::from_str(&t).ok()))
    }

    pub async fn take_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .take(key)
            .await?
            .and_then(|t| serde_json::from_str(&t).ok()))
    }
}

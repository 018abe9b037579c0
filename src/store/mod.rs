//! The ephemeral store: sessions, authorization codes, pending login requests,
//! replay caches. Every value expires by TTL. One interface, two back ends:
//! in-process (the embedded default) and Redis (several instances as one).
//!
//! Protocol lifetimes (a code's 60 s) are checked against the injected clock in
//! the stored value itself; the TTL here only bounds how long garbage lives.

mod memory;

pub use memory::MemoryStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

#[derive(Clone)]
pub enum Store {
    Memory(MemoryStore),
}

impl Store {
    pub fn memory() -> Self {
        Store::Memory(MemoryStore::default())
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Memory(_) => "memory",
        }
    }

    pub async fn put(&self, key: &str, value: &str, ttl_secs: i64) -> Result<(), StoreError> {
        match self {
            Store::Memory(m) => {
                m.put(key, value, ttl_secs);
                Ok(())
            }
        }
    }

    /// Stores only if the key is absent; `true` when this call stored it.
    pub async fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl_secs: i64,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Memory(m) => Ok(m.put_if_absent(key, value, ttl_secs)),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            Store::Memory(m) => Ok(m.get(key)),
        }
    }

    /// Atomically reads and removes: the basis of single-use values.
    pub async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            Store::Memory(m) => Ok(m.take(key)),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Store::Memory(m) => {
                m.take(key);
                Ok(())
            }
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Memory(_) => Ok(()),
        }
    }

    /// Drops expired entries (the in-process store; Redis expires by itself).
    pub fn sweep(&self) {
        match self {
            Store::Memory(m) => m.sweep(),
        }
    }

    /// JSON helpers.
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

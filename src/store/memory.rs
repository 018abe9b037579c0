//! In-process store: a sharded map with monotonic-clock expiry.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SHARDS: usize = 32;

type Shard = Mutex<HashMap<String, (String, Instant)>>;

#[derive(Clone)]
pub struct MemoryStore {
    shards: Arc<Vec<Shard>>,
    hasher: RandomState,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            shards: Arc::new((0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect()),
            hasher: RandomState::new(),
        }
    }
}

fn expiry(ttl_secs: i64) -> Instant {
    Instant::now() + Duration::from_secs(ttl_secs.max(1) as u64)
}

impl MemoryStore {
    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        // A poisoned shard only means another thread panicked mid-insert; the map is intact.
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn put(&self, key: &str, value: &str, ttl_secs: i64) {
        self.shard(key)
            .insert(key.to_owned(), (value.to_owned(), expiry(ttl_secs)));
    }

    pub fn put_if_absent(&self, key: &str, value: &str, ttl_secs: i64) -> bool {
        let mut shard = self.shard(key);
        match shard.get(key) {
            Some((_, exp)) if *exp > Instant::now() => false,
            _ => {
                shard.insert(key.to_owned(), (value.to_owned(), expiry(ttl_secs)));
                true
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        let shard = self.shard(key);
        match shard.get(key) {
            Some((v, exp)) if *exp > Instant::now() => Some(v.clone()),
            _ => None,
        }
    }

    pub fn take(&self, key: &str) -> Option<String> {
        match self.shard(key).remove(key) {
            Some((v, exp)) if exp > Instant::now() => Some(v),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|m| m.len()).unwrap_or(0))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn sweep(&self) {
        let now = Instant::now();
        for shard in self.shards.iter() {
            if let Ok(mut map) = shard.lock() {
                map.retain(|_, (_, exp)| *exp > now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_is_single_use_and_put_if_absent_once() {
        let s = MemoryStore::default();
        s.put("a", "1", 60);
        assert_eq!(s.get("a").as_deref(), Some("1"));
        assert_eq!(s.take("a").as_deref(), Some("1"));
        assert_eq!(s.take("a"), None);
        assert!(s.put_if_absent("j", "x", 60));
        assert!(!s.put_if_absent("j", "y", 60));
        assert_eq!(s.len(), 1);
    }
}

//! A small in-process cache with a time-to-live, for rows read on every request
//! (clients, accounts, grant liveness). Changes made here invalidate at once; a
//! change made anywhere else (another instance, the CLI, SQL) is seen through the
//! change epochs (`crate::changes`), which clear the cache within a poll interval.
//! The TTL only bounds how long an entry lives if that signal were ever missed.
//!
//! A reader that loaded a row while the cache was cleared must not put its (maybe
//! stale) row back: `generation()` before the load, `insert_at()` after it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    map: RwLock<HashMap<K, (V, Instant)>>,
    ttl: Duration,
    capacity: usize,
    generation: AtomicU64,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            ttl,
            capacity,
            generation: AtomicU64::new(0),
        }
    }

    /// Taken before loading a value from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Inserts a value loaded since `generation()`, unless the cache was cleared
    /// in between (the value may predate the change that cleared it).
    pub fn insert_at(&self, generation: u64, key: K, value: V) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        drop(map.remove(&key));
        Self::bounded(&mut map, self.capacity, self.ttl);
        map.insert(key, (value, Instant::now()));
    }

    /// Drops everything (a change epoch moved).
    pub fn clear(&self) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.clear();
    }

    fn bounded(map: &mut HashMap<K, (V, Instant)>, capacity: usize, ttl: Duration) {
        if map.len() >= capacity {
            map.retain(|_, (_, at)| at.elapsed() < ttl);
            if map.len() >= capacity {
                map.clear();
            }
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        match map.get(key) {
            Some((v, at)) if at.elapsed() < self.ttl => Some(v.clone()),
            _ => None,
        }
    }

    pub fn insert(&self, key: K, value: V) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        Self::bounded(&mut map, self.capacity, self.ttl);
        map.insert(key, (value, Instant::now()));
    }

    pub fn invalidate(&self, key: &K) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_and_is_bounded() {
        let c = TtlCache::new(Duration::from_millis(20), 2);
        c.insert("a", 1);
        assert_eq!(c.get(&"a"), Some(1));
        c.insert("b", 2);
        c.insert("c", 3);
        assert!(c.get(&"c").is_some());
        std::thread::sleep(Duration::from_millis(25));
        assert_eq!(c.get(&"c"), None);
        c.insert("d", 4);
        c.invalidate(&"d");
        assert_eq!(c.get(&"d"), None);
    }
}

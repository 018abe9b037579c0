//! A small in-process cache with a time-to-live, for rows read on every request
//! (clients, accounts). Entries are at most `ttl` old, so a change made by another
//! instance is seen within that time; changes made here invalidate at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    map: RwLock<HashMap<K, (V, Instant)>>,
    ttl: Duration,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            ttl,
            capacity,
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
        if map.len() >= self.capacity {
            let ttl = self.ttl;
            map.retain(|_, (_, at)| at.elapsed() < ttl);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(key, (value, Instant::now()));
    }

    pub fn invalidate(&self, key: &K) {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
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

//! In-process store: sharded maps with monotonic-clock expiry.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const SHARDS: usize = 32;

type Shard = Mutex<HashMap<String, (String, Instant)>>;

#[derive(Default)]
struct Collections {
    sets: HashMap<String, (HashSet<String>, Instant)>,
    schedules: HashMap<String, HashMap<String, i64>>,
}

#[derive(Clone)]
pub struct MemoryStore {
    shards: Arc<Vec<Shard>>,
    collections: Arc<Mutex<Collections>>,
    hasher: RandomState,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            shards: Arc::new((0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect()),
            collections: Arc::new(Mutex::new(Collections::default())),
            hasher: RandomState::new(),
        }
    }
}

fn expiry(ttl_secs: i64) -> Instant {
    Instant::now() + Duration::from_secs(ttl_secs.max(1) as u64)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked mid-operation; the data is intact.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryStore {
    fn shard(&self, key: &str) -> MutexGuard<'_, HashMap<String, (String, Instant)>> {
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        lock(&self.shards[i])
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

    pub fn delete(&self, key: &str) {
        self.shard(key).remove(key);
    }

    pub fn incr(&self, key: &str, ttl_secs: i64) -> i64 {
        let mut shard = self.shard(key);
        let now = Instant::now();
        let entry = shard
            .entry(key.to_owned())
            .or_insert_with(|| ("0".into(), expiry(ttl_secs)));
        if entry.1 <= now {
            *entry = ("0".into(), expiry(ttl_secs));
        }
        let n = entry.0.parse::<i64>().unwrap_or(0) + 1;
        entry.0 = n.to_string();
        n
    }

    pub fn set_add(&self, key: &str, member: &str, ttl_secs: i64) -> usize {
        let mut c = lock(&self.collections);
        let now = Instant::now();
        let entry = c
            .sets
            .entry(key.to_owned())
            .or_insert_with(|| (HashSet::new(), now));
        if entry.1 <= now {
            entry.0.clear();
        }
        entry.0.insert(member.to_owned());
        entry.1 = entry.1.max(expiry(ttl_secs));
        entry.0.len()
    }

    pub fn set_remove(&self, key: &str, member: &str) {
        let mut c = lock(&self.collections);
        if let Some((set, _)) = c.sets.get_mut(key) {
            set.remove(member);
            if set.is_empty() {
                c.sets.remove(key);
            }
        }
    }

    pub fn set_members(&self, key: &str) -> Vec<String> {
        let c = lock(&self.collections);
        match c.sets.get(key) {
            Some((set, exp)) if *exp > Instant::now() => set.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub fn schedule(&self, key: &str, member: &str, at: i64) {
        lock(&self.collections)
            .schedules
            .entry(key.to_owned())
            .or_default()
            .insert(member.to_owned(), at);
    }

    pub fn due(&self, key: &str, now: i64, limit: usize) -> Vec<String> {
        let c = lock(&self.collections);
        let Some(index) = c.schedules.get(key) else {
            return Vec::new();
        };
        let mut due: Vec<(&String, &i64)> = index.iter().filter(|(_, at)| **at <= now).collect();
        due.sort_by_key(|(_, at)| **at);
        due.into_iter()
            .take(limit)
            .map(|(m, _)| m.clone())
            .collect()
    }

    pub fn unschedule(&self, key: &str, member: &str) -> bool {
        lock(&self.collections)
            .schedules
            .get_mut(key)
            .is_some_and(|index| index.remove(member).is_some())
    }

    pub fn ping(&self) {}

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn sweep(&self) {
        let now = Instant::now();
        for shard in self.shards.iter() {
            lock(shard).retain(|_, (_, exp)| *exp > now);
        }
        lock(&self.collections)
            .sets
            .retain(|_, (_, exp)| *exp > now);
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

    #[test]
    fn counters_sets_and_schedules() {
        let s = MemoryStore::default();
        assert_eq!(s.incr("c", 60), 1);
        assert_eq!(s.incr("c", 60), 2);
        assert_eq!(s.set_add("set", "a", 60), 1);
        assert_eq!(s.set_add("set", "b", 60), 2);
        assert_eq!(s.set_add("set", "a", 60), 2);
        s.set_remove("set", "a");
        assert_eq!(s.set_members("set"), vec!["b".to_string()]);
        s.schedule("idx", "early", 10);
        s.schedule("idx", "late", 100);
        assert_eq!(s.due("idx", 50, 10), vec!["early".to_string()]);
        assert!(s.unschedule("idx", "early"));
        assert!(!s.unschedule("idx", "early"));
    }
}

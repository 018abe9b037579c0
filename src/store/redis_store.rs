//! Redis back end (redis 1.x with a reconnecting connection manager). Keys carry a
//! deployment prefix; every operation has a timeout so an unreachable Redis gives
//! a prompt `StoreError` (answered as 503), never a hang.

use super::StoreError;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl RedisStore {
    pub fn new(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let conn = client
            .get_connection_manager_lazy(config)
            .map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
        })
    }

    fn k(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    pub async fn put(&self, key: &str, value: &str, ttl: i64) -> Result<(), StoreError> {
        self.conn()
            .set_ex::<_, _, ()>(self.k(key), value, ttl.max(1) as u64)
            .await
            .map_err(unavailable)
    }

    pub async fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: i64,
    ) -> Result<bool, StoreError> {
        let reply: Option<String> = redis::cmd("SET")
            .arg(self.k(key))
            .arg(value)
            .arg("NX")
            .arg("EX")
            .arg(ttl.max(1))
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(reply.is_some())
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn().get(self.k(key)).await.map_err(unavailable)
    }

    pub async fn exists_any(&self, keys: &[String]) -> Result<bool, StoreError> {
        let keys: Vec<String> = keys.iter().map(|k| self.k(k)).collect();
        let n: i64 = self.conn().exists(keys).await.map_err(unavailable)?;
        Ok(n > 0)
    }

    pub async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn().get_del(self.k(key)).await.map_err(unavailable)
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.conn()
            .del::<_, ()>(self.k(key))
            .await
            .map_err(unavailable)
    }

    pub async fn incr(&self, key: &str, ttl: i64) -> Result<i64, StoreError> {
        let key = self.k(key);
        let (n, _): (i64, i64) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ttl.max(1))
            .arg("NX")
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(n)
    }

    pub async fn set_add(&self, key: &str, member: &str, ttl: i64) -> Result<usize, StoreError> {
        let key = self.k(key);
        let (_, n, _): (i64, usize, i64) = redis::pipe()
            .atomic()
            .sadd(&key, member)
            .scard(&key)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ttl.max(1))
            .arg("GT")
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        // EXPIRE GT does not set a TTL on a key without one: make sure it has one.
        let _: i64 = redis::cmd("EXPIRE")
            .arg(&key)
            .arg(ttl.max(1))
            .arg("NX")
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(n)
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        self.conn()
            .srem::<_, _, ()>(self.k(key), member)
            .await
            .map_err(unavailable)
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        self.conn().smembers(self.k(key)).await.map_err(unavailable)
    }

    pub async fn schedule(&self, key: &str, member: &str, at: i64) -> Result<(), StoreError> {
        self.conn()
            .zadd::<_, _, _, ()>(self.k(key), member, at)
            .await
            .map_err(unavailable)
    }

    pub async fn due(&self, key: &str, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        redis::cmd("ZRANGE")
            .arg(self.k(key))
            .arg("-inf")
            .arg(now)
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    pub async fn unschedule(&self, key: &str, member: &str) -> Result<bool, StoreError> {
        let removed: i64 = self
            .conn()
            .zrem(self.k(key), member)
            .await
            .map_err(unavailable)?;
        Ok(removed == 1)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.conn())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}

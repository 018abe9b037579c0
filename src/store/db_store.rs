//! The database back end of the store (tables `kv_entry` and `kv_member`): the
//! authority for security state. Every operation is one statement (or a few for
//! sets), atomic in the database, so several instances and the CLI share it.
//!
//! Expiry uses the wall clock (Unix seconds): it only bounds how long a value
//! lives; protocol lifetimes are checked against the injected clock by callers.

use super::StoreError;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

#[derive(Clone)]
pub struct DbStore {
    db: DatabaseConnection,
}

fn failed(e: sea_orm::DbErr) -> StoreError {
    StoreError::Unavailable(format!("database: {e}"))
}

fn wall_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn expiry(ttl_secs: i64) -> i64 {
    wall_now().saturating_add(ttl_secs.max(1))
}

/// Scheduled members never expire by themselves: `unschedule` removes them.
const NEVER: i64 = i64::MAX;

impl DbStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        let backend = self.db.get_database_backend();
        // Statements are written with `$n` placeholders; SQLite spells them `?n`.
        let sql = match backend {
            DbBackend::Postgres => sql.to_owned(),
            _ => sql.replace('$', "?"),
        };
        Statement::from_sql_and_values(backend, sql, values)
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
        self.db
            .execute_raw(self.stmt(sql, values))
            .await
            .map(|r| r.rows_affected())
            .map_err(failed)
    }

    async fn first_string(
        &self,
        sql: &str,
        values: Vec<Value>,
        column: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = self
            .db
            .query_one_raw(self.stmt(sql, values))
            .await
            .map_err(failed)?;
        match row {
            Some(r) => r.try_get::<String>("", column).map(Some).map_err(failed),
            None => Ok(None),
        }
    }

    pub async fn put(&self, key: &str, value: &str, ttl: i64) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO kv_entry (key, value, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
            vec![key.into(), value.into(), expiry(ttl).into()],
        )
        .await
        .map(|_| ())
    }

    pub async fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: i64,
    ) -> Result<bool, StoreError> {
        // Inserts, or replaces a value that has expired; a live value stays.
        let stored = self
            .first_string(
                "INSERT INTO kv_entry (key, value, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at \
                 WHERE kv_entry.expires_at <= $4 RETURNING key",
                vec![
                    key.into(),
                    value.into(),
                    expiry(ttl).into(),
                    wall_now().into(),
                ],
                "key",
            )
            .await?;
        Ok(stored.is_some())
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.first_string(
            "SELECT value FROM kv_entry WHERE key = $1 AND expires_at > $2",
            vec![key.into(), wall_now().into()],
            "value",
        )
        .await
    }

    pub async fn exists_any(&self, keys: &[String]) -> Result<bool, StoreError> {
        let mut values: Vec<Value> = vec![wall_now().into()];
        let mut marks = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            marks.push(format!("${}", i + 2));
            values.push(k.as_str().into());
        }
        let sql = format!(
            "SELECT key FROM kv_entry WHERE expires_at > $1 AND key IN ({}) LIMIT 1",
            marks.join(", ")
        );
        Ok(self.first_string(&sql, values, "key").await?.is_some())
    }

    pub async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .db
            .query_one_raw(self.stmt(
                "DELETE FROM kv_entry WHERE key = $1 RETURNING value, expires_at",
                vec![key.into()],
            ))
            .await
            .map_err(failed)?;
        let Some(row) = row else { return Ok(None) };
        let expires: i64 = row.try_get("", "expires_at").map_err(failed)?;
        if expires <= wall_now() {
            return Ok(None);
        }
        row.try_get::<String>("", "value").map(Some).map_err(failed)
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.exec("DELETE FROM kv_entry WHERE key = $1", vec![key.into()])
            .await
            .map(|_| ())
    }

    pub async fn incr(&self, key: &str, ttl: i64) -> Result<i64, StoreError> {
        let value = self
            .first_string(
                "INSERT INTO kv_entry (key, value, expires_at) VALUES ($1, '1', $2) \
                 ON CONFLICT (key) DO UPDATE SET \
                 value = CASE WHEN kv_entry.expires_at <= $3 THEN '1' \
                         ELSE CAST(CAST(kv_entry.value AS BIGINT) + 1 AS TEXT) END, \
                 expires_at = CASE WHEN kv_entry.expires_at <= $3 THEN excluded.expires_at \
                         ELSE kv_entry.expires_at END \
                 RETURNING value",
                vec![key.into(), expiry(ttl).into(), wall_now().into()],
                "value",
            )
            .await?;
        value
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| StoreError::Unavailable(format!("counter {key} is not a number")))
    }

    pub async fn set_add(&self, key: &str, member: &str, ttl: i64) -> Result<usize, StoreError> {
        let until = expiry(ttl);
        self.exec(
            "INSERT INTO kv_member (key, member, score, expires_at) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (key, member) DO UPDATE SET expires_at = excluded.expires_at",
            vec![key.into(), member.into(), until.into()],
        )
        .await?;
        // The whole set lives as long as its newest member (as a Redis key's TTL).
        self.exec(
            "UPDATE kv_member SET expires_at = $2 WHERE key = $1 AND expires_at < $2",
            vec![key.into(), until.into()],
        )
        .await?;
        let count = self
            .db
            .query_one_raw(self.stmt(
                "SELECT COUNT(*) AS n FROM kv_member WHERE key = $1 AND expires_at > $2",
                vec![key.into(), wall_now().into()],
            ))
            .await
            .map_err(failed)?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()
            .map_err(failed)?
            .unwrap_or(0);
        Ok(usize::try_from(count).unwrap_or(0))
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM kv_member WHERE key = $1 AND member = $2",
            vec![key.into(), member.into()],
        )
        .await
        .map(|_| ())
    }

    async fn members(&self, sql: &str, values: Vec<Value>) -> Result<Vec<String>, StoreError> {
        let rows = self
            .db
            .query_all_raw(self.stmt(sql, values))
            .await
            .map_err(failed)?;
        rows.iter()
            .map(|r| r.try_get::<String>("", "member").map_err(failed))
            .collect()
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        self.members(
            "SELECT member FROM kv_member WHERE key = $1 AND expires_at > $2",
            vec![key.into(), wall_now().into()],
        )
        .await
    }

    pub async fn schedule(&self, key: &str, member: &str, at: i64) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO kv_member (key, member, score, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key, member) DO UPDATE SET score = excluded.score, expires_at = excluded.expires_at",
            vec![key.into(), member.into(), at.into(), NEVER.into()],
        )
        .await
        .map(|_| ())
    }

    pub async fn due(&self, key: &str, now: i64, limit: usize) -> Result<Vec<String>, StoreError> {
        self.members(
            "SELECT member FROM kv_member WHERE key = $1 AND score <= $2 ORDER BY score LIMIT $3",
            vec![
                key.into(),
                now.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        )
        .await
    }

    pub async fn unschedule(&self, key: &str, member: &str) -> Result<bool, StoreError> {
        Ok(self
            .exec(
                "DELETE FROM kv_member WHERE key = $1 AND member = $2",
                vec![key.into(), member.into()],
            )
            .await?
            > 0)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.exec("SELECT 1", vec![]).await.map(|_| ())
    }

    /// Removes what has expired; returns how many entries and members went.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        let now = wall_now();
        let a = self
            .exec(
                "DELETE FROM kv_entry WHERE expires_at <= $1",
                vec![now.into()],
            )
            .await?;
        let b = self
            .exec(
                "DELETE FROM kv_member WHERE expires_at <= $1",
                vec![now.into()],
            )
            .await?;
        Ok(a + b)
    }
}

//! Database connection (SQLite by default, PostgreSQL by `DATABASE_URL`) and migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let file = sqlite_path(url);
    if let Some(path) = &file
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            DbErr::Custom(format!(
                "cannot create the data folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 20 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        // Per-connection settings belong to every connection of the pool, not only
        // to the first: `synchronous` left at FULL on the others made each of their
        // commits an fsync.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Checkpoints run in the background (`spawn_checkpointer`), not in
                // whichever request's commit crosses the threshold.
                .pragma("wal_autocheckpoint", "0")
        })
        .map_sqlx_sqlite_pool_opts(|o| {
            o.after_connect(|conn, _| {
                Box::pin(async move {
                    let mut handle = conn.lock_handle().await?;
                    let raw = handle.as_raw_handle();
                    // SAFETY: the handle is a live connection, locked for us (its
                    // worker thread waits); `busy_wait` is a plain function that
                    // neither unwinds nor touches the connection.
                    unsafe {
                        libsqlite3_sys::sqlite3_busy_handler(
                            raw.as_ptr(),
                            Some(busy_wait),
                            std::ptr::null_mut(),
                        );
                    }
                    Ok(())
                })
            })
        });
    let db = Database::connect(options).await;
    match (db, file) {
        // SQLite's own message ("unable to open database file") does not say which.
        (Err(e), Some(path)) => Err(DbErr::Custom(format!(
            "cannot open the SQLite database {path}: {e}"
        ))),
        (db, _) => db,
    }
}

/// Waiting for SQLite's write lock. SQLite's own busy handler sleeps 1, 2, 5, 10 …
/// 100 ms between attempts: a writer that finds the lock taken sleeps a
/// millisecond or more although writes here take tens of microseconds, and under
/// concurrent writes the machine idles while every connection sleeps. This one
/// retries after 20 µs, growing to 1 ms, and gives up after about 5 s, as before.
extern "C" fn busy_wait(_: *mut std::ffi::c_void, attempts: std::ffi::c_int) -> std::ffi::c_int {
    const RAMP: u64 = 50;
    const LIMIT: u64 = RAMP + 5_000;
    let attempts = u64::try_from(attempts).unwrap_or(0);
    if attempts >= LIMIT {
        return 0;
    }
    std::thread::sleep(Duration::from_micros((20 * (attempts + 1)).min(1_000)));
    1
}

/// The file path of an `sqlite://` URL, if it names a file.
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_owned())
    }
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Copies the SQLite write-ahead log into the database every second, off the
/// request path: with SQLite's automatic checkpoints, the commit that crosses 1,000
/// pages copies them and syncs the file while every other writer waits for it.
/// Passive: it never blocks readers or writers. (A process that closes the
/// database last checkpoints it on close, so CLI commands need no checkpointer.)
pub fn spawn_checkpointer(db: DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = db
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await
            {
                tracing::debug!(error = %e, "WAL checkpoint");
            }
        }
    });
}

/// A write transaction that, on SQLite, first waits its turn in process.
///
/// SQLite has one writer at a time: transactions that run into each other's lock
/// retry in the busy handler, each retry a sleep, and the one holding the lock
/// needs several round trips to its connection before it lets go. Queueing them
/// in process (FIFO, no sleeping) before `BEGIN` lets each start the moment the
/// previous one ends. PostgreSQL locks rows, and needs no turn.
pub struct WriteTxn {
    txn: sea_orm::DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn begin(
        db: &DatabaseConnection,
        turn: &std::sync::Arc<tokio::sync::Mutex<()>>,
    ) -> Result<Self, DbErr> {
        use sea_orm::TransactionTrait;
        let turn = match db.get_database_backend() {
            sea_orm::DbBackend::Sqlite => Some(turn.clone().lock_owned().await),
            _ => None,
        };
        Ok(Self {
            txn: db.begin().await?,
            _turn: turn,
        })
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = sea_orm::DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_paths() {
        assert_eq!(
            super::sqlite_path("sqlite://data/g.db?mode=rwc").as_deref(),
            Some("data/g.db")
        );
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
        assert_eq!(super::sqlite_path("postgres://x/y"), None);
    }
}

//! The durable store: sessions, replay caches, revocations and lockouts live in the
//! database (the authority for security state), shared by every instance and by the
//! CLI, and kept across restarts. Plus the change epochs: triggers bump a counter
//! whenever a cached table changes, whoever wrote it (server, CLI, import, SQL), and
//! every running instance drops the matching cache within a poll interval.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
CREATE TABLE kv_entry (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX idx_kv_entry_expires ON kv_entry (expires_at);
CREATE TABLE kv_member (
    key TEXT NOT NULL,
    member TEXT NOT NULL,
    score BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (key, member)
);
CREATE INDEX idx_kv_member_score ON kv_member (key, score);
CREATE INDEX idx_kv_member_expires ON kv_member (expires_at);
CREATE TABLE cache_epoch (
    kind VARCHAR(32) NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO cache_epoch (kind, version) VALUES ('client', 0), ('user', 0), ('grant', 0), ('keys', 0);
CREATE TABLE health_probe (
    id INTEGER NOT NULL PRIMARY KEY,
    at BIGINT NOT NULL
);
INSERT INTO health_probe (id, at) VALUES (1, 0);
";

/// (trigger name, table, SQLite event, PostgreSQL event, epoch kind)
const TRIGGERS: &[(&str, &str, &str, &str, &str)] = &[
    ("client_ins", "client", "INSERT", "INSERT", "client"),
    ("client_upd", "client", "UPDATE", "UPDATE", "client"),
    ("client_del", "client", "DELETE", "DELETE", "client"),
    ("user_ins", "user_account", "INSERT", "INSERT", "user"),
    ("user_upd", "user_account", "UPDATE", "UPDATE", "user"),
    ("user_del", "user_account", "DELETE", "DELETE", "user"),
    (
        "grant_rev",
        "auth_grant",
        "UPDATE OF revoked_at",
        "UPDATE OF revoked_at",
        "grant",
    ),
    ("grant_del", "auth_grant", "DELETE", "DELETE", "grant"),
    ("keys_ins", "signing_key", "INSERT", "INSERT", "keys"),
    ("keys_upd", "signing_key", "UPDATE", "UPDATE", "keys"),
    ("keys_del", "signing_key", "DELETE", "DELETE", "keys"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        for stmt in TABLES.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            db.execute_unprepared(stmt).await?;
        }
        if backend == DbBackend::Postgres {
            // One statement-level trigger per change: an import of 100,000 rows bumps
            // the epoch once, not 100,000 times.
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION gapura_bump_epoch() RETURNS trigger AS $$ \
                 BEGIN UPDATE cache_epoch SET version = version + 1 WHERE kind = TG_ARGV[0]; \
                 RETURN NULL; END $$ LANGUAGE plpgsql",
            )
            .await?;
        }
        for (name, table, sqlite_event, pg_event, kind) in TRIGGERS {
            let sql = match backend {
                DbBackend::Postgres => format!(
                    "CREATE TRIGGER epoch_{name} AFTER {pg_event} ON {table} \
                     FOR EACH STATEMENT EXECUTE FUNCTION gapura_bump_epoch('{kind}')"
                ),
                _ => format!(
                    "CREATE TRIGGER epoch_{name} AFTER {sqlite_event} ON {table} \
                     BEGIN UPDATE cache_epoch SET version = version + 1 WHERE kind = '{kind}'; END"
                ),
            };
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        for (name, table, ..) in TRIGGERS {
            let sql = match backend {
                DbBackend::Postgres => format!("DROP TRIGGER IF EXISTS epoch_{name} ON {table}"),
                _ => format!("DROP TRIGGER IF EXISTS epoch_{name}"),
            };
            db.execute_unprepared(&sql).await?;
        }
        if backend == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS gapura_bump_epoch()")
                .await?;
        }
        for t in ["health_probe", "cache_epoch", "kv_member", "kv_entry"] {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {t}"))
                .await?;
        }
        Ok(())
    }
}

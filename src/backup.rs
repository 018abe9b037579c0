//! Backup and restore of a SQLite deployment (the regulations' *ketersediaan*).
//!
//! `gapura backup FILE` makes a consistent online copy while the server runs
//! (`VACUUM INTO`: one read transaction, a snapshot): the directory, clients,
//! signing keys (sealed under the master key), sessions and the audit log. The
//! master key is not in it, by design: it is kept separately.
//!
//! `gapura restore FILE` brings a copy back: it refuses while a server holds the
//! database (`data_lock`), checks the file is a sound Gapura database of this or
//! an older version, migrates a working copy forward, checks the configured master
//! key opens its signing keys, and only then swaps it in, keeping the database it
//! replaces beside it (renamed with a timestamp). Until the swap nothing changes.
//!
//! PostgreSQL deployments use `pg_dump`/`pg_restore` (README, "Backup and restore").

use crate::audit::{Audit, AuditEvent};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::crypto::MasterKeys;
use crate::data_lock;
use crate::db::sqlite_path;
use crate::keys::KeyManager;
use anyhow::{Context, bail};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use secrecy::ExposeSecret;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const PG_BACKUP: &str = "this deployment uses PostgreSQL: back it up with pg_dump \
     (e.g. `pg_dump --format=custom --file=gapura.dump DATABASE`) and keep the master key \
     separately; see README, \"Backup and restore\"";
const PG_RESTORE: &str = "this deployment uses PostgreSQL: restore a pg_dump archive with \
     pg_restore (e.g. `pg_restore --clean --if-exists --dbname=DATABASE gapura.dump`) while \
     Gapura is stopped; see README, \"Backup and restore\"";

/// What a backup or a restored database holds.
#[derive(Debug, Clone, Serialize)]
pub struct Contents {
    pub accounts: i64,
    pub clients: i64,
    pub signing_keys: i64,
    pub audit_records: i64,
}

/// Where the master key the backup needs lives.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "source", content = "path", rename_all = "snake_case")]
pub enum MasterKeyPlace {
    /// `GAPURA_MASTER_KEY` (or `master_key` in the configuration file).
    Setting,
    File(PathBuf),
}

impl MasterKeyPlace {
    pub fn of(settings: &Settings) -> Self {
        if settings.master_key.is_some() {
            return Self::Setting;
        }
        let path = settings.keys_dir.join("master.key");
        Self::File(std::path::absolute(&path).unwrap_or(path))
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Setting => {
                "the GAPURA_MASTER_KEY setting (environment or configuration file)".into()
            }
            Self::File(p) => format!("the file {}", p.display()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BackupReport {
    pub file: PathBuf,
    pub bytes: u64,
    pub contents: Contents,
    pub master_key: MasterKeyPlace,
}

impl BackupReport {
    pub fn text(&self) -> String {
        format!(
            "backup written to {} ({} bytes): {} accounts, {} clients, {} signing keys, \
             {} audit records.\n\
             The master key is NOT in the backup, by design: the signing keys, TOTP secrets and \
             client secrets in it can be used only with it. Keep a copy of the master key, \
             separately from the backups (another place, another medium). This deployment \
             reads it from {}.",
            self.file.display(),
            self.bytes,
            self.contents.accounts,
            self.contents.clients,
            self.contents.signing_keys,
            self.contents.audit_records,
            self.master_key.describe()
        )
    }
}

#[derive(Debug, Serialize)]
pub struct RestoreReport {
    pub file: PathBuf,
    pub database: String,
    /// Where the database that was replaced now is (`None`: there was none).
    pub replaced: Option<PathBuf>,
    /// Migrations applied to bring the backup to this version.
    pub migrated: usize,
    pub contents: Contents,
}

impl RestoreReport {
    pub fn text(&self) -> String {
        let mut s = format!(
            "restored {} into {}: {} accounts, {} clients, {} signing keys, {} audit records",
            self.file.display(),
            self.database,
            self.contents.accounts,
            self.contents.clients,
            self.contents.signing_keys,
            self.contents.audit_records
        );
        if self.migrated > 0 {
            s.push_str(&format!(
                "; {} migration(s) applied to bring it up to date",
                self.migrated
            ));
        }
        match &self.replaced {
            Some(p) => s.push_str(&format!(
                ".\nThe database it replaced is kept as {} (delete it when no longer needed).",
                p.display()
            )),
            None => s.push('.'),
        }
        s.push_str("\nSessions in the backup are as they were when it was made; start the server.");
        s
    }
}

/// A plain connection to one SQLite file (no WAL switch, no migration).
async fn open_file(path: &Path, mode: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode={mode}", path.display()));
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options).await
}

async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> Result<i64, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    match row {
        Some(r) => r.try_get_by_index::<i64>(0),
        None => Ok(0),
    }
}

async fn contents(db: &DatabaseConnection) -> Result<Contents, sea_orm::DbErr> {
    Ok(Contents {
        accounts: scalar_i64(db, "SELECT COUNT(*) FROM user_account").await?,
        clients: scalar_i64(db, "SELECT COUNT(*) FROM client").await?,
        signing_keys: scalar_i64(db, "SELECT COUNT(*) FROM signing_key").await?,
        audit_records: scalar_i64(db, "SELECT COUNT(*) FROM audit_event").await?,
    })
}

/// `'…'` for SQLite, quotes doubled.
fn sql_string(path: &Path) -> anyhow::Result<String> {
    let text = path
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
    Ok(format!("'{}'", text.replace('\'', "''")))
}

/// `PRAGMA integrity_check` says `ok`, or what is wrong.
async fn integrity(db: &DatabaseConnection) -> Result<Result<(), String>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await?;
    let lines: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    if lines.len() == 1 && lines[0] == "ok" {
        Ok(Ok(()))
    } else {
        Ok(Err(lines
            .into_iter()
            .take(3)
            .collect::<Vec<_>>()
            .join("; ")))
    }
}

fn partial_name(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

pub async fn backup(
    settings: &Settings,
    clock: SharedClock,
    file: &Path,
) -> anyhow::Result<BackupReport> {
    let url = settings.database_url.expose_secret();
    let Some(db_path) = sqlite_path(url) else {
        if url.starts_with("postgres") {
            bail!("{PG_BACKUP}");
        }
        bail!("there is no database file to back up (an in-memory database)");
    };
    if !Path::new(&db_path).is_file() {
        bail!("there is no database at {db_path}: nothing to back up");
    }
    if file.exists() {
        bail!(
            "{} exists already: a backup never overwrites a file; choose a new name",
            file.display()
        );
    }
    let partial = partial_name(file, ".partial");
    let _ = std::fs::remove_file(&partial);
    // Only the owner reads a backup: it holds password hashes and NIKs.
    crate::crypto::write_private_file(&partial, "")
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let result = write_backup(url, &db_path, &partial).await;
    let contents = match result {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot move {} to {}", partial.display(), file.display()))?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let file = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
    let db = crate::db::connect(url).await?;
    Audit::new(db)
        .record(
            clock.now(),
            AuditEvent::new("admin.backup", true)
                .actor("cli")
                .detail(serde_json::json!({"file": file.display().to_string(), "bytes": bytes})),
        )
        .await?;
    tracing::info!(file = %file.display(), bytes, "backup written");
    Ok(BackupReport {
        file,
        bytes,
        contents,
        master_key: MasterKeyPlace::of(settings),
    })
}

/// The snapshot into `partial`, then checked: sound, and what it holds.
async fn write_backup(url: &str, db_path: &str, partial: &Path) -> anyhow::Result<Contents> {
    let live = crate::db::connect(url).await?;
    let known = scalar_i64(
        &live,
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
    )
    .await?;
    if known == 0 {
        bail!("{db_path} is not a Gapura database (no migration table)");
    }
    live.execute_unprepared(&format!("VACUUM INTO {}", sql_string(partial)?))
        .await
        .with_context(|| format!("copying {db_path} to {}", partial.display()))?;
    live.close().await?;
    let copy = open_file(partial, "ro").await?;
    if let Err(what) = integrity(&copy).await? {
        bail!("the copy failed its integrity check ({what}); nothing was written");
    }
    let contents = contents(&copy).await?;
    copy.close().await?;
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", partial.display()))?;
    Ok(contents)
}

/// What `inspect` learnt of a backup file.
struct Inspected {
    applied: usize,
}

/// Refuses a file that is not a sound Gapura database of this or an older version.
async fn inspect(file: &Path) -> anyhow::Result<Inspected> {
    let not_gapura =
        |why: &str| anyhow::anyhow!("{} is not a Gapura backup: {why}", file.display());
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if !meta.is_file() {
        return Err(not_gapura("not a file"));
    }
    let mut header = [0u8; 16];
    {
        use std::io::Read;
        let mut f =
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        if f.read_exact(&mut header).is_err() || &header != b"SQLite format 3\0" {
            return Err(not_gapura("not an SQLite database"));
        }
    }
    let db = open_file(file, "ro")
        .await
        .map_err(|e| not_gapura(&format!("cannot be opened ({e})")))?;
    match integrity(&db).await {
        Ok(Ok(())) => {}
        Ok(Err(what)) => return Err(not_gapura(&format!("damaged ({what})"))),
        Err(e) => return Err(not_gapura(&format!("cannot be read ({e})"))),
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await
        .map_err(|_| not_gapura("it has no migration table"))?;
    let applied: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if applied.is_empty() {
        return Err(not_gapura("its migration table is empty"));
    }
    if let Some(newer) = applied.iter().find(|v| !known.contains(v)) {
        bail!(
            "{} was made by a newer Gapura (migration {newer} is unknown to this version): \
             restore it with that version or a later one",
            file.display()
        );
    }
    db.close().await?;
    Ok(Inspected {
        applied: applied.len(),
    })
}

/// Folds the write-ahead log of a database no one else has open into the file,
/// so the copy set aside is one file. Best effort: a database too damaged to open
/// is moved with its log as it is.
async fn settle(path: &Path) {
    let Ok(db) = open_file(path, "rw").await else {
        return;
    };
    if let Err(e) = db
        .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
    {
        tracing::info!(error = %e, "the replaced database keeps its write-ahead log");
    }
    let _ = db.close().await;
}

/// Renames a SQLite database with its write-ahead log and shared-memory files.
fn move_database(from: &Path, to: &Path) -> std::io::Result<()> {
    for suffix in ["-wal", "-shm"] {
        let side = partial_name(from, suffix);
        if side.exists() {
            std::fs::rename(&side, partial_name(to, suffix))?;
        }
    }
    std::fs::rename(from, to)
}

pub async fn restore(
    settings: &Settings,
    clock: SharedClock,
    file: &Path,
) -> anyhow::Result<RestoreReport> {
    let url = settings.database_url.expose_secret();
    let Some(db_path) = sqlite_path(url) else {
        if url.starts_with("postgres") {
            bail!("{PG_RESTORE}");
        }
        bail!("there is no database file to restore into (an in-memory database)");
    };
    let db_path = PathBuf::from(db_path);
    // Held until the end: no server starts on a half-restored database.
    let _lock = data_lock::acquire(url, "restore")?;
    let inspected = inspect(file).await?;
    let master = master_key(settings)?;

    let working = partial_name(&db_path, ".restoring");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(partial_name(&working, suffix));
    }
    crate::crypto::write_private_file(&working, "")
        .with_context(|| format!("cannot create {}", working.display()))?;
    let prepared = prepare_working_copy(file, &working, master, clock.now()).await;
    let migrated = match prepared {
        Ok(n) => n.saturating_sub(inspected.applied),
        Err(e) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(partial_name(&working, suffix));
            }
            return Err(anyhow::anyhow!("{e:#}; nothing was changed"));
        }
    };

    let replaced = if db_path.exists() {
        settle(&db_path).await;
        let aside = partial_name(
            &db_path,
            &format!(".replaced-{}", data_lock::utc_compact(clock.now())),
        );
        move_database(&db_path, &aside)
            .with_context(|| format!("cannot move {} aside", db_path.display()))?;
        Some(std::path::absolute(&aside).unwrap_or(aside))
    } else {
        None
    };
    if let Err(e) = move_database(&working, &db_path) {
        // Put the previous database back rather than leave none.
        if let Some(aside) = &replaced {
            let _ = move_database(aside, &db_path);
        }
        return Err(anyhow::Error::from(e).context(format!(
            "cannot move the restored database into {}",
            db_path.display()
        )));
    }

    let db = crate::db::connect(url).await?;
    let contents = contents(&db).await?;
    let file_abs = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
    Audit::new(db)
        .record(
            clock.now(),
            AuditEvent::new("admin.restore", true)
                .actor("cli")
                .detail(serde_json::json!({
                    "file": file_abs.display().to_string(),
                    "replaced": replaced.as_ref().map(|p| p.display().to_string()),
                    "migrated": migrated,
                })),
        )
        .await?;
    tracing::info!(file = %file_abs.display(), "database restored");
    Ok(RestoreReport {
        file: file_abs,
        database: db_path.display().to_string(),
        replaced,
        migrated,
        contents,
    })
}

/// The configured master key, which must exist already: a restore never creates
/// one (a new key could open nothing in the backup).
fn master_key(settings: &Settings) -> anyhow::Result<Arc<MasterKeys>> {
    if settings.master_key.is_none() {
        let path = settings.keys_dir.join("master.key");
        if !path.is_file() {
            bail!(
                "the master key is missing: put the master key file that belongs to this backup \
                 at {} (or set GAPURA_MASTER_KEY) before restoring; nothing was changed",
                path.display()
            );
        }
    }
    Ok(Arc::new(MasterKeys::load(
        settings.master_key.as_ref(),
        &settings.keys_dir,
    )?))
}

/// Copies the backup into `working`, migrates it forward, and checks the master
/// key opens its signing keys. Returns the number of migrations it then has.
async fn prepare_working_copy(
    file: &Path,
    working: &Path,
    master: Arc<MasterKeys>,
    now: i64,
) -> anyhow::Result<usize> {
    let source = open_file(file, "ro").await?;
    source
        .execute_unprepared(&format!("VACUUM INTO {}", sql_string(working)?))
        .await
        .with_context(|| format!("copying {}", file.display()))?;
    source.close().await?;
    let url = format!("sqlite://{}?mode=rw", working.display());
    let db = crate::db::connect(&url).await?;
    crate::db::migrate(&db)
        .await
        .context("migrating the backup to this version")?;
    let keys = KeyManager::new(db.clone(), master)?;
    if let Err(e) = keys.reload(now).await {
        bail!(
            "the signing keys in the backup cannot be opened with the configured master key ({e}): \
             the backup belongs to another master key; configure that one and try again"
        );
    }
    drop(keys);
    let applied = scalar_i64(&db, "SELECT COUNT(*) FROM seaql_migrations").await?;
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await?;
    db.close().await?;
    Ok(usize::try_from(applied).unwrap_or(0))
}

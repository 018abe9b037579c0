//! One server per SQLite database: `gapura serve` (and `gapura restore`) hold an
//! advisory lock (`flock` on Unix, `LockFileEx` on Windows, through the standard
//! library) on `<database>.lock`, beside the database, for as long as they run.
//! The file names the holder (process id, command, start time) so a second server
//! can say which process is in the way. The operating system releases the lock
//! when the holder exits, however it exits: a file left by a killed process
//! blocks nothing. PostgreSQL deployments run several instances on purpose: no
//! lock there.

use crate::db::sqlite_path;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    path: PathBuf,
}

impl DataLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the database {database} is in use by another Gapura process ({holder}); stop that process first. \
         (Lock file: {lock}. Several instances of one deployment need PostgreSQL.)"
    )]
    Held {
        database: String,
        lock: String,
        holder: String,
    },
    #[error("cannot {what} {path}: {cause}")]
    Io {
        what: &'static str,
        path: String,
        cause: std::io::Error,
    },
}

/// The lock file of a database URL: `None` for PostgreSQL and in-memory SQLite.
pub fn lock_path(database_url: &str) -> Option<PathBuf> {
    let db = sqlite_path(database_url)?;
    Some(PathBuf::from(format!("{db}.lock")))
}

/// Takes the lock of the database `database_url` names, for `command` (written
/// into the lock file). `Ok(None)` where there is nothing to lock (PostgreSQL).
pub fn acquire(database_url: &str, command: &str) -> Result<Option<DataLock>, LockError> {
    let Some(path) = lock_path(database_url) else {
        return Ok(None);
    };
    let io = |cause| LockError::Io {
        what: "use the lock file",
        path: path.display().to_string(),
        cause,
    };
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|cause| LockError::Io {
            what: "create the data folder",
            path: dir.display().to_string(),
            cause,
        })?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            // A holder that has just locked may not have written yet: then unknown.
            let _ = file.read_to_string(&mut holder);
            let database = path.to_string_lossy().trim_end_matches(".lock").to_owned();
            tracing::info!(lock = %path.display(), "database lock held by another process");
            return Err(LockError::Held {
                database,
                lock: path.display().to_string(),
                holder: describe_holder(&holder),
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let text = format!(
        "pid={}\ncommand=gapura {command}\nstarted={}\n",
        std::process::id(),
        crate::domain::time::rfc3339(now)
    );
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_data().map_err(io)?;
    Ok(Some(DataLock { _file: file, path }))
}

/// "pid 4242, `gapura serve`, started 2026-12-01T03:15:00Z" from the lock file.
fn describe_holder(text: &str) -> String {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() < 200)
    };
    let mut parts = vec![format!("pid {}", field("pid").unwrap_or("unknown"))];
    if let Some(c) = field("command") {
        parts.push(format!("`{c}`"));
    }
    if let Some(s) = field("started") {
        parts.push(format!("started {s}"));
    }
    parts.join(", ")
}

/// A UTC time for file names: `20261201T031500Z`.
pub fn utc_compact(secs: i64) -> String {
    crate::domain::time::rfc3339(secs).replace(['-', ':'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_times() {
        assert_eq!(utc_compact(1_796_094_245), "20261201T030405Z");
    }

    #[test]
    fn a_second_lock_names_the_first_holder_and_a_released_lock_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/g.db?mode=rwc", dir.path().display());
        let first = acquire(&url, "serve").unwrap().unwrap();
        let e = acquire(&url, "restore").unwrap_err().to_string();
        assert!(
            e.contains(&format!("pid {}", std::process::id())) && e.contains("`gapura serve`"),
            "{e}"
        );
        assert!(e.contains("g.db.lock"), "{e}");
        drop(first);
        assert!(acquire(&url, "serve").unwrap().is_some());
        assert!(
            acquire("postgres://u@h/db", "serve").unwrap().is_none(),
            "no lock on PostgreSQL"
        );
    }
}

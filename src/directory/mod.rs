//! The ASN directory: the OPD tree (materialized paths), ASN records and their
//! import from SIASN-style CSV exports (issue #3). Framework-free services; the
//! HTTP faces are `admin`, `scim` and `directory::http` (the apps' directory API).

pub mod asn_import;
pub mod asn_row;
pub mod asn_store;
pub mod csv_in;
pub mod mutasi;
pub mod opd;
pub mod opd_import;
pub mod people;
pub mod report;
pub mod suspend;

use sea_orm::DbErr;

/// Errors of the directory and access services, mapped to HTTP by each API.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("{0}")]
    Audit(#[from] crate::audit::AuditError),
    /// A shared service (sessions, grants, the store behind them) failed.
    #[error("{0}")]
    Service(#[from] crate::error::BackendError),
}

pub fn invalid(msg: impl Into<String>) -> DirectoryError {
    DirectoryError::Invalid(msg.into())
}

/// Upper bound (exclusive) of a prefix range: every string starting with `prefix`
/// sorts in `[prefix, upper)`. Lets btree indexes serve prefix search on SQLite and
/// PostgreSQL alike (LIKE cannot use them without special collations).
pub fn prefix_upper(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    "\u{10FFFF}".to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefix_ranges() {
        assert_eq!(super::prefix_upper("/DINKES/"), "/DINKES0");
        assert_eq!(super::prefix_upper("siti"), "sitj");
        assert!("siti aminah" >= "siti" && "siti aminah" < super::prefix_upper("siti").as_str());
    }
}

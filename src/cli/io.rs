//! What every command shares: passwords read without echo from a terminal (one
//! line from a pipe, for scripts), points in time written and read as RFC 3339 in
//! UTC (`2026-11-30T09:15:00Z`, never Unix seconds), and "none" for an empty result.

use anyhow::{Context, bail};
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal};

/// A new password: typed twice without echo at a terminal, else one line of
/// standard input.
pub fn read_new_password() -> anyhow::Result<SecretString> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        if first.is_empty() {
            bail!("no password given");
        }
        let again =
            rpassword::prompt_password("Password (again): ").context("reading the password")?;
        if !crate::crypto::ct_eq(first.as_bytes(), again.as_bytes()) {
            bail!("the two passwords differ; nothing was changed");
        }
        return Ok(SecretString::from(first));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(SecretString::from(password))
}

/// A point in time for people: `2026-11-30T09:15:00Z`.
pub fn when(t: i64) -> String {
    crate::domain::time::rfc3339(t)
}

/// `when`, or `-` for nothing (tables).
pub fn when_or_dash(t: Option<i64>) -> String {
    t.map(when).unwrap_or_else(|| "-".into())
}

/// `when`, or JSON `null`.
pub fn when_json(t: Option<i64>) -> serde_json::Value {
    t.map(|t| serde_json::Value::String(when(t)))
        .unwrap_or(serde_json::Value::Null)
}

/// A date argument (clap value parser): RFC 3339 or a bare `YYYY-MM-DD` (midnight UTC).
pub fn parse_when(s: &str) -> Result<i64, String> {
    crate::domain::time::parse_rfc3339(s).map_err(|e| e.to_string())
}

/// The width of a table column: its widest value, at least `min` (the heading).
pub fn width<'a>(values: impl Iterator<Item = &'a str>, min: usize) -> usize {
    values
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .max(min)
}

/// Prints `empty` instead of a table with no rows; true when it did.
pub fn say_if_empty<T>(rows: &[T], empty: &str) -> bool {
    if rows.is_empty() {
        println!("{empty}");
    }
    rows.is_empty()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_in_and_out() {
        assert_eq!(super::when(1_796_030_100), "2026-11-30T09:15:00Z");
        assert_eq!(super::when_or_dash(None), "-");
        assert_eq!(super::parse_when("2026-11-30T09:15:00Z"), Ok(1_796_030_100));
        assert!(super::parse_when("1796030100").is_err());
    }
}

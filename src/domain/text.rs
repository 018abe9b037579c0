//! Text Gapura accepts from outside: no NUL and no other C0 control character
//! except tab, CR and LF. PostgreSQL `text` cannot hold U+0000 at all (a NUL would
//! reach the database as an error, a 500), and the other controls have no business
//! in names, identifiers, hints or CSV cells. Checked at the edge: request
//! parameters, JSON bodies, CSV cells, URL paths.

/// The first forbidden control character in `s`, if any.
pub fn forbidden_control(s: &str) -> Option<char> {
    s.chars().find(|c| is_forbidden(*c))
}

pub fn is_forbidden(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\n' | '\r')
}

/// `U+0000`-style name of a character, for error messages.
pub fn describe(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// `s` with every forbidden control character replaced by U+FFFD: for quoting
/// untrusted text back (reports, audit records) without carrying the character.
pub fn quoted(s: &str) -> String {
    s.chars()
        .map(|c| if is_forbidden(c) { '\u{FFFD}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls() {
        assert_eq!(forbidden_control("Siti Aminah"), None);
        assert_eq!(forbidden_control("a\tb\r\nc"), None);
        assert_eq!(forbidden_control("ab\0c"), Some('\0'));
        assert_eq!(forbidden_control("\u{1b}[31m"), Some('\u{1b}'));
        assert_eq!(forbidden_control("caf\u{e9} \u{7f}"), None);
        assert_eq!(describe('\0'), "U+0000");
    }
}

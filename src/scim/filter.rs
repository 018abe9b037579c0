//! The SCIM filters Gapura answers (RFC 7644 §3.4.2.2): `ATTR eq "VALUE"` for the
//! attributes provisioning clients look up by. Anything else is `invalidFilter`.

use super::error::ScimError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eq {
    /// Lower-cased attribute path (attribute names are case-insensitive, §3.10).
    pub attr: String,
    pub value: String,
}

pub fn parse(filter: &str, allowed: &[&str]) -> Result<Eq, ScimError> {
    let f = filter.trim();
    let mut parts = f.splitn(3, char::is_whitespace);
    let (Some(attr), Some(op), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ScimError::invalid_filter(format!(
            "cannot parse filter `{f}`"
        )));
    };
    if !op.eq_ignore_ascii_case("eq") {
        return Err(ScimError::invalid_filter(format!(
            "operator `{op}` is not supported; use eq"
        )));
    }
    let attr = attr.to_ascii_lowercase();
    if !allowed.contains(&attr.as_str()) {
        return Err(ScimError::invalid_filter(format!(
            "filtering on `{attr}` is not supported (supported: {})",
            allowed.join(", ")
        )));
    }
    let rest = rest.trim();
    let value: String = serde_json::from_str(rest).map_err(|_| {
        ScimError::invalid_filter("the value must be a quoted string, e.g. userName eq \"…\"")
    })?;
    Ok(Eq { attr, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_filters() {
        let allowed = ["username", "externalid"];
        let f = parse("userName eq \"199312172018112012\"", &allowed).unwrap();
        assert_eq!(f.attr, "username");
        assert_eq!(f.value, "199312172018112012");
        assert!(parse("userName co \"1993\"", &allowed).is_err());
        assert!(parse("title eq \"x\"", &allowed).is_err());
        assert!(parse("userName eq 1993", &allowed).is_err());
        assert!(parse("userName", &allowed).is_err());
    }
}

//! Authentication levels (OIDC Core §2 `acr`, Gapura's classes) and methods
//! (RFC 8176 `amr`), and how methods combine into a level.

use serde::{Deserialize, Serialize};

/// Authentication context classes of Gapura, weakest first; the order is the
/// strength order (`Acr::Mfa > Acr::Pwd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Acr {
    /// Something the person knows: a password.
    Pwd,
    /// Two independent factors (password + TOTP or passkey, or a user-verifying passkey).
    Mfa,
    /// An electronic certificate (BSrE); filled in by the certificates work.
    Cert,
}

impl Acr {
    pub const ALL: [Acr; 3] = [Acr::Pwd, Acr::Mfa, Acr::Cert];

    pub fn as_str(self) -> &'static str {
        match self {
            Acr::Pwd => "urn:gapura:acr:pwd",
            Acr::Mfa => "urn:gapura:acr:mfa",
            Acr::Cert => "urn:gapura:acr:cert",
        }
    }

    pub fn parse(s: &str) -> Option<Acr> {
        Acr::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Short names for the command line: `pwd`, `mfa`, `cert` (or the full URN).
    pub fn parse_short(s: &str) -> Option<Acr> {
        match s {
            "pwd" => Some(Acr::Pwd),
            "mfa" => Some(Acr::Mfa),
            "cert" => Some(Acr::Cert),
            other => Acr::parse(other),
        }
    }

    /// Whether Gapura can bring a session to this level today.
    pub fn reachable(self) -> bool {
        self <= Acr::Mfa
    }
}

impl std::fmt::Display for Acr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 8176 method values used by Gapura.
pub mod amr {
    pub const PWD: &str = "pwd";
    pub const OTP: &str = "otp";
    pub const HWK: &str = "hwk";
    pub const SWK: &str = "swk";
    pub const USER: &str = "user";
    pub const PIN: &str = "pin";
    pub const MFA: &str = "mfa";
}

/// Adds `methods` to what a session already proved and says whether the result is
/// multi-factor: something known or inherent (`pwd`, `pin`) plus something held
/// (`otp`, `hwk`, `swk`). Returns the new `amr` (with `mfa` when earned) and `acr`.
pub fn combine(previous: &[String], methods: &[&str]) -> (Vec<String>, Acr) {
    let mut out: Vec<String> = previous
        .iter()
        .filter(|m| m.as_str() != amr::MFA)
        .cloned()
        .collect();
    for m in methods {
        if !out.iter().any(|x| x == m) {
            out.push((*m).to_owned());
        }
    }
    let has = |m: &str| out.iter().any(|x| x == m);
    let knows = has(amr::PWD) || has(amr::PIN);
    let holds = has(amr::OTP) || has(amr::HWK) || has(amr::SWK);
    if knows && holds {
        out.push(amr::MFA.to_owned());
        (out, Acr::Mfa)
    } else {
        (out, Acr::Pwd)
    }
}

/// The level a session's `acr` claim stands for (unknown values count as the weakest).
pub fn level_of(acr: &str) -> Acr {
    Acr::parse(acr).unwrap_or(Acr::Pwd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_round_trip() {
        assert!(Acr::Pwd < Acr::Mfa && Acr::Mfa < Acr::Cert);
        for a in Acr::ALL {
            assert_eq!(Acr::parse(a.as_str()), Some(a));
        }
        assert_eq!(Acr::parse_short("mfa"), Some(Acr::Mfa));
        assert_eq!(Acr::parse("urn:other"), None);
        assert!(!Acr::Cert.reachable());
    }

    #[test]
    fn amr_combination() {
        let (amr, acr) = combine(&["pwd".into()], &["otp"]);
        assert_eq!(amr, vec!["pwd", "otp", "mfa"]);
        assert_eq!(acr, Acr::Mfa);
        let (amr, acr) = combine(&[], &["hwk", "user", "pin"]);
        assert_eq!(amr, vec!["hwk", "user", "pin", "mfa"]);
        assert_eq!(acr, Acr::Mfa);
        let (amr, acr) = combine(&[], &["hwk", "user"]);
        assert_eq!(acr, Acr::Pwd, "presence alone is one factor: {amr:?}");
        let (amr, _) = combine(&["pwd".into(), "otp".into(), "mfa".into()], &["otp"]);
        assert_eq!(amr, vec!["pwd", "otp", "mfa"]);
    }
}

//! NIK, the national identity number (Dukcapil): 16 digits, no checksum.
//! `PP KK CC DDMMYY SSSS`: province, regency/city, district, birth date with 40
//! added to the day for women, sequence. Personal data: shown masked
//! (`3271********0001`) except to administrators with explicit permission, never logged.

use super::nip::{Nip, Sex, days_in_month};
use std::fmt;

/// A parsed NIK. `Debug` is redacted so it never reaches a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Nik {
    value: String,
    /// Province code (32 = Jawa Barat).
    pub province: u8,
    /// Regency/city code within the province (3271 = Kota Bogor → 71).
    pub regency: u8,
    pub district: u8,
    /// (day, month, two-digit year), with the +40 removed.
    pub birth: (u32, u32, u32),
    pub sex: Sex,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NikError {
    #[error("NIK was turned into a number by a spreadsheet")]
    Scientific,
    #[error("NIK must be 16 digits (it has {0})")]
    Format(String),
    #[error("NIK province code is not valid")]
    Province,
    #[error("NIK birth date (digits 7-12, DDMMYY, +40 on the day for women) is not a date")]
    BirthDate,
    #[error("NIK sequence must not be 0000")]
    Sequence,
}

/// A disagreement between the NIK and the NIP or the declared data: flagged for
/// review, never a reason to reject (legacy data is messy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    BirthDate,
    Sex,
}

impl Mismatch {
    pub fn code(self) -> &'static str {
        match self {
            Mismatch::BirthDate => "nik_birth_date",
            Mismatch::Sex => "nik_sex",
        }
    }
}

fn num(s: &str) -> u32 {
    s.parse().unwrap_or(0)
}

impl Nik {
    pub fn parse(input: &str) -> Result<Self, NikError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if super::nip::looks_scientific(&s) {
            return Err(NikError::Scientific);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NikError::Format("characters other than digits".into()));
        }
        if s.len() != 16 {
            return Err(NikError::Format(format!("{} digits", s.len())));
        }
        let province = num(&s[0..2]);
        if !(11..=99).contains(&province) {
            return Err(NikError::Province);
        }
        let (mut day, month, yy) = (num(&s[6..8]), num(&s[8..10]), num(&s[10..12]));
        let sex = if day > 40 {
            day -= 40;
            Sex::Female
        } else {
            Sex::Male
        };
        // The century is unknown: 29 February is accepted for any year.
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(2000, month) {
            return Err(NikError::BirthDate);
        }
        if num(&s[12..16]) == 0 {
            return Err(NikError::Sequence);
        }
        Ok(Self {
            province: province as u8,
            regency: num(&s[2..4]) as u8,
            district: num(&s[4..6]) as u8,
            birth: (day, month, yy),
            sex,
            value: s,
        })
    }

    /// The full value: only for administrators with explicit permission.
    pub fn reveal(&self) -> &str {
        &self.value
    }

    /// `3271********0001`.
    pub fn masked(&self) -> String {
        mask(&self.value)
    }

    /// Compares birth date and sex with the NIP's.
    pub fn cross_check(&self, nip: &Nip) -> Vec<Mismatch> {
        let mut out = Vec::new();
        let (y, m, d) = nip.birth;
        if self.birth != (d, m, y % 100) {
            out.push(Mismatch::BirthDate);
        }
        if self.sex != nip.sex {
            out.push(Mismatch::Sex);
        }
        out
    }
}

/// Masks any stored NIK-like value: first 4 and last 4 characters kept.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({})", self.masked())
    }
}

impl fmt::Display for Nik {
    /// Displays masked: revealing is always explicit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_men_and_women() {
        let w = Nik::parse("3271025712939430").unwrap();
        assert_eq!((w.province, w.regency, w.district), (32, 71, 2));
        assert_eq!(w.birth, (17, 12, 93));
        assert_eq!(w.sex, Sex::Female);
        let m = Nik::parse("3271022607900341").unwrap();
        assert_eq!(m.birth, (26, 7, 90));
        assert_eq!(m.sex, Sex::Male);
        assert!(Nik::parse("3271 0226 0790 0341").is_ok());
    }

    #[test]
    fn rejects() {
        assert_eq!(
            Nik::parse("3271AB0101900001").unwrap_err().to_string(),
            "NIK must be 16 digits (it has characters other than digits)"
        );
        assert!(matches!(
            Nik::parse("327102260790034"),
            Err(NikError::Format(_))
        ));
        assert_eq!(
            Nik::parse("0271022607900341").unwrap_err(),
            NikError::Province
        );
        assert_eq!(
            Nik::parse("3271023207900341").unwrap_err(),
            NikError::BirthDate
        );
        assert_eq!(
            Nik::parse("3271027207900341").unwrap_err(),
            NikError::BirthDate
        );
        assert_eq!(
            Nik::parse("3271022613900341").unwrap_err(),
            NikError::BirthDate
        );
        assert_eq!(
            Nik::parse("3271023102900341").unwrap_err(),
            NikError::BirthDate
        );
        assert_eq!(
            Nik::parse("3271022607900000").unwrap_err(),
            NikError::Sequence
        );
        assert_eq!(
            Nik::parse("3.27102260790034E+15").unwrap_err(),
            NikError::Scientific
        );
        // 29 February: century unknown, accepted; +40 for a woman born on the 29th
        assert!(Nik::parse("3271016902880001").is_ok());
    }

    #[test]
    fn masks_and_never_debugs_in_clear() {
        let n = Nik::parse("3271025712939430").unwrap();
        assert_eq!(n.masked(), "3271********9430");
        assert_eq!(format!("{n:?}"), "Nik(3271********9430)");
        assert_eq!(n.to_string(), "3271********9430");
        assert_eq!(n.reveal(), "3271025712939430");
        assert_eq!(mask("1234"), "****");
    }

    #[test]
    fn cross_check_with_nip() {
        let nip = Nip::parse("199312172018112012").unwrap();
        assert!(
            Nik::parse("3271025712939430")
                .unwrap()
                .cross_check(&nip)
                .is_empty()
        );
        // the man's NIK for a woman's NIP: sex mismatch (day not +40)
        assert_eq!(
            Nik::parse("3271021712939430").unwrap().cross_check(&nip),
            vec![Mismatch::Sex]
        );
        // another birth date
        assert_eq!(
            Nik::parse("3271025812939430").unwrap().cross_check(&nip),
            vec![Mismatch::BirthDate]
        );
        let pppk = Nip::parse("199704252024232009").unwrap();
        assert!(
            Nik::parse("3271036504970001")
                .unwrap()
                .cross_check(&pppk)
                .is_empty()
        );
    }
}

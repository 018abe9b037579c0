//! NIP, the civil-servant number: 18 digits, no check digit (BKN; CONTEXT.md).
//! PNS: `YYYYMMDD YYYYMM G NNN` (birth date, TMT CPNS, sex 1/2, sequence).
//! PPPK (NI PPPK): `YYYYMMDD YYYY 2 f G NNN` (birth date, appointment year,
//! marker 2, contracts 1-9, sex, sequence); told apart by digit 13 = 2 with
//! digits 13-14 not a month.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pns,
    Pppk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// `L` (laki-laki) or `P` (perempuan), as SIASN writes it.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "L",
            Sex::Female => "P",
        }
    }

    /// `L`/`P`, `M`/`F`, `1`/`2` or the words, case-insensitive.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "l" | "m" | "1" | "laki-laki" | "pria" | "male" => Some(Sex::Male),
            "p" | "f" | "2" | "perempuan" | "wanita" | "female" => Some(Sex::Female),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nip {
    value: String,
    pub kind: Kind,
    pub sex: Sex,
    /// (year, month, day)
    pub birth: (u32, u32, u32),
    /// Appointment: TMT CPNS (year, month) for PNS; (year, None) for PPPK.
    pub appointed: (u32, Option<u32>),
    /// PPPK only: how many contracts (1-9).
    pub contracts: Option<u8>,
    pub sequence: u16,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NipError {
    #[error("NIP was turned into a number by a spreadsheet ({0})")]
    Scientific(String),
    #[error("NIP must be 18 digits (got {0})")]
    Format(String),
    #[error("NIP birth date (first 8 digits) is not a real date")]
    BirthDate,
    #[error("NIP appointment date (digits 9-14) is not a real month")]
    AppointmentDate,
    #[error("NIP sex digit must be 1 or 2")]
    Sex,
    #[error("NIP PPPK contract count must be 1 to 9")]
    Contracts,
    #[error("NIP sequence must start from 001")]
    Sequence,
    #[error("NIP appointment is less than 18 years after birth")]
    TooYoung,
}

fn num(s: &str) -> u32 {
    s.parse().unwrap_or(0)
}

pub fn days_in_month(y: u32, m: u32) -> u32 {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub fn is_real_date(y: u32, m: u32, d: u32) -> bool {
    (1900..=2100).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// True for what a spreadsheet makes of a long number: `1.98609262015051E+17`.
pub fn looks_scientific(s: &str) -> bool {
    let t = s.trim();
    t.contains(['E', 'e'])
        && t.chars().any(|c| c == '.' || c == ',')
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | 'E' | 'e' | '+' | '-'))
}

impl Nip {
    pub fn parse(input: &str) -> Result<Self, NipError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if looks_scientific(&s) {
            return Err(NipError::Scientific(s));
        }
        if s.len() != 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            let shown: String = s.chars().take(24).collect();
            return Err(NipError::Format(format!("`{shown}`")));
        }
        let (by, bm, bd) = (num(&s[0..4]), num(&s[4..6]), num(&s[6..8]));
        if !is_real_date(by, bm, bd) {
            return Err(NipError::BirthDate);
        }
        let d13_14 = num(&s[12..14]);
        let pppk = &s[12..13] == "2" && !(1..=12).contains(&d13_14);
        let appointed_year = num(&s[8..12]);
        let (kind, appointed, contracts) = if pppk {
            let c = num(&s[13..14]);
            if c == 0 {
                return Err(NipError::Contracts);
            }
            if !(1900..=2100).contains(&appointed_year) {
                return Err(NipError::AppointmentDate);
            }
            (Kind::Pppk, (appointed_year, None), Some(c as u8))
        } else {
            if !is_real_date(appointed_year, d13_14, 1) {
                return Err(NipError::AppointmentDate);
            }
            (Kind::Pns, (appointed_year, Some(d13_14)), None)
        };
        let sex = match &s[14..15] {
            "1" => Sex::Male,
            "2" => Sex::Female,
            _ => return Err(NipError::Sex),
        };
        let sequence = num(&s[15..18]) as u16;
        if sequence == 0 {
            return Err(NipError::Sequence);
        }
        if appointed_year < by + 18 {
            return Err(NipError::TooYoung);
        }
        Ok(Self {
            value: s,
            kind,
            sex,
            birth: (by, bm, bd),
            appointed,
            contracts,
            sequence,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pns_fields() {
        let n = Nip::parse("199312172018112012").unwrap();
        assert_eq!(n.kind, Kind::Pns);
        assert_eq!(n.sex, Sex::Female);
        assert_eq!(n.birth, (1993, 12, 17));
        assert_eq!(n.appointed, (2018, Some(11)));
        assert_eq!(n.contracts, None);
        assert_eq!(n.sequence, 12);
        // spaces as printed on ID cards are tolerated
        assert!(Nip::parse("19860926 201505 1 001").is_ok());
    }

    #[test]
    fn pppk_fields() {
        let p = Nip::parse("199001012022211001").unwrap();
        assert_eq!(p.kind, Kind::Pppk);
        assert_eq!(p.sex, Sex::Male);
        assert_eq!(p.appointed, (2022, None));
        assert_eq!(p.contracts, Some(1));
        let p = Nip::parse("199704252024232009").unwrap();
        assert_eq!(
            (p.kind, p.sex, p.contracts),
            (Kind::Pppk, Sex::Female, Some(3))
        );
        // December appointment: digits 13-14 = 12, a month → PNS
        let n = Nip::parse("199001012015121001").unwrap();
        assert_eq!(n.kind, Kind::Pns);
        assert_eq!(n.appointed, (2015, Some(12)));
    }

    #[test]
    fn rejects() {
        assert_eq!(
            Nip::parse("1.98609262015051E+17").unwrap_err(),
            NipError::Scientific("1.98609262015051E+17".into())
        );
        assert_eq!(
            Nip::parse("1.98609262015051E+17").unwrap_err().to_string(),
            "NIP was turned into a number by a spreadsheet (1.98609262015051E+17)"
        );
        assert!(matches!(Nip::parse("12345"), Err(NipError::Format(_))));
        assert!(matches!(
            Nip::parse("19710520200023200"),
            Err(NipError::Format(_))
        ));
        assert!(matches!(
            Nip::parse("19931217201811201A"),
            Err(NipError::Format(_))
        ));
        assert_eq!(
            Nip::parse("199302302018112012").unwrap_err(),
            NipError::BirthDate
        );
        assert_eq!(
            Nip::parse("198613322019082009").unwrap_err(),
            NipError::BirthDate
        );
        assert_eq!(
            Nip::parse("199312172018002012").unwrap_err(),
            NipError::AppointmentDate
        );
        assert_eq!(Nip::parse("199312172018113012").unwrap_err(), NipError::Sex);
        assert_eq!(
            Nip::parse("199312172018112000").unwrap_err(),
            NipError::Sequence
        );
        assert_eq!(
            Nip::parse("199001012022201001").unwrap_err(),
            NipError::Contracts
        );
        assert_eq!(
            Nip::parse("200512172010112012").unwrap_err(),
            NipError::TooYoung
        );
        assert_eq!(
            Nip::parse("200512172010211012").unwrap_err(),
            NipError::TooYoung
        );
    }

    #[test]
    fn leap_days_and_sex_codes() {
        assert!(Nip::parse("198802292010011001").is_ok());
        assert_eq!(
            Nip::parse("198902292010011001").unwrap_err(),
            NipError::BirthDate
        );
        assert_eq!(Sex::parse("P"), Some(Sex::Female));
        assert_eq!(Sex::parse("l"), Some(Sex::Male));
        assert_eq!(Sex::parse("x"), None);
        assert!(looks_scientific("1,98609E+17"));
        assert!(!looks_scientific("198609262015051001"));
    }
}

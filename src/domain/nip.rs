//! NIP, the civil-servant number: 18 digits, no check digit.
//! PNS: `YYYYMMDD YYYYMM G NNN` (birth date, TMT CPNS, sex 1/2, sequence).
//! PPPK: `YYYYMMDD YYYY 2 f G NNN` (birth date, appointment year, marker 2,
//! contracts 1-9, sex, sequence); told apart by digit 13 = 2 with digits 13-14
//! not a month.

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nip {
    value: String,
    pub kind: Kind,
    pub sex: Sex,
    /// (year, month, day)
    pub birth: (u32, u32, u32),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NipError {
    #[error("NIP was turned into a number by a spreadsheet ({0})")]
    Scientific(String),
    #[error("NIP must be 18 digits")]
    Format,
    #[error("NIP birth date is not a real date")]
    BirthDate,
    #[error("NIP appointment date is not a real date")]
    AppointmentDate,
    #[error("NIP sex digit must be 1 or 2")]
    Sex,
    #[error("NIP appointment is less than 18 years after birth")]
    TooYoung,
}

fn num(s: &str) -> u32 {
    s.parse().unwrap_or(0)
}

pub fn is_real_date(y: u32, m: u32, d: u32) -> bool {
    if !(1900..=2100).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

impl Nip {
    pub fn parse(input: &str) -> Result<Self, NipError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.contains(['E', 'e']) && s.chars().any(|c| c == '.' || c == ',') {
            return Err(NipError::Scientific(s));
        }
        if s.len() != 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NipError::Format);
        }
        let (by, bm, bd) = (num(&s[0..4]), num(&s[4..6]), num(&s[6..8]));
        if !is_real_date(by, bm, bd) {
            return Err(NipError::BirthDate);
        }
        let d13_14 = num(&s[12..14]);
        let pppk = &s[12..13] == "2" && !(1..=12).contains(&d13_14);
        let (kind, appointed_year, sex_digit) = if pppk {
            (Kind::Pppk, num(&s[8..12]), &s[14..15])
        } else {
            let (ay, am) = (num(&s[8..12]), num(&s[12..14]));
            if !is_real_date(ay, am, 1) {
                return Err(NipError::AppointmentDate);
            }
            (Kind::Pns, ay, &s[14..15])
        };
        let sex = match sex_digit {
            "1" => Sex::Male,
            "2" => Sex::Female,
            _ => return Err(NipError::Sex),
        };
        if appointed_year < by + 18 {
            return Err(NipError::TooYoung);
        }
        Ok(Self {
            value: s,
            kind,
            sex,
            birth: (by, bm, bd),
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
    fn pns_and_pppk() {
        let n = Nip::parse("199312172018112012").unwrap();
        assert_eq!(n.kind, Kind::Pns);
        assert_eq!(n.sex, Sex::Female);
        assert_eq!(n.birth, (1993, 12, 17));
        let p = Nip::parse("199001012022211001").unwrap();
        assert_eq!(p.kind, Kind::Pppk);
        assert_eq!(p.sex, Sex::Male);
    }

    #[test]
    fn rejects() {
        assert_eq!(
            Nip::parse("1.98609262015051E+17").unwrap_err(),
            NipError::Scientific("1.98609262015051E+17".into())
        );
        assert_eq!(Nip::parse("12345").unwrap_err(), NipError::Format);
        assert_eq!(
            Nip::parse("199302302018112012").unwrap_err(),
            NipError::BirthDate
        );
        assert_eq!(Nip::parse("199312172018113012").unwrap_err(), NipError::Sex);
        assert_eq!(
            Nip::parse("200512172010112012").unwrap_err(),
            NipError::TooYoung
        );
    }
}

//! Points in time as people read and type them: RFC 3339 (the ISO 8601 profile)
//! in UTC, `2026-11-30T09:15:00Z`. Gapura stores Unix seconds; this is the only
//! place that turns them into text and back (and into the calendar day in WIB,
//! for sentences shown to people).

use super::nip::days_in_month;

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an ISO 8601 date: write 2026-11-30T09:15:00Z (UTC), 2026-11-30T16:15:00+07:00 or 2026-11-30"
)]
pub struct BadDate(pub String);

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (the inverse of the above).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-30T09:15:00Z` for a Unix time.
pub fn rfc3339(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The calendar day in Western Indonesia Time (UTC+7) of a Unix time, as people
/// in Bogor read it: `2026-03-02`.
pub fn wib_date(t: i64) -> String {
    let (y, m, d) = civil_from_days((t + 7 * 3600).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Digits only, exactly `n` of them.
fn digits(s: &str, n: usize) -> Option<i64> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The Unix time of an RFC 3339 date-time (`Z` or a `±HH:MM` offset; fractions of
/// a second are dropped), or of a bare date `YYYY-MM-DD` (its midnight, UTC).
pub fn parse_rfc3339(input: &str) -> Result<i64, BadDate> {
    let bad = || BadDate(input.chars().take(64).collect());
    let s = input.trim();
    if !s.is_ascii() || s.len() < 10 {
        return Err(bad());
    }
    let (date, rest) = s.split_at(10);
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let y = digits(&date[0..4], 4).ok_or_else(bad)?;
    let m = digits(&date[5..7], 2).ok_or_else(bad)?;
    let d = digits(&date[8..10], 2).ok_or_else(bad)?;
    let real = (1..=12).contains(&m)
        && d >= 1
        && u32::try_from(y)
            .ok()
            .zip(u32::try_from(m).ok())
            .is_some_and(|(y, m)| d <= i64::from(days_in_month(y, m)));
    if !real {
        return Err(bad());
    }
    let day = days_from_civil(y, m, d) * 86_400;
    if rest.is_empty() {
        return Ok(day);
    }
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .filter(|r| r.len() >= 9)
        .ok_or_else(bad)?;
    let (clock, mut zone) = rest.split_at(8);
    let c = clock.as_bytes();
    if c[2] != b':' || c[5] != b':' {
        return Err(bad());
    }
    let hh = digits(&clock[0..2], 2).ok_or_else(bad)?;
    let mm = digits(&clock[3..5], 2).ok_or_else(bad)?;
    let ss = digits(&clock[6..8], 2).ok_or_else(bad)?;
    if hh > 23 || mm > 59 || ss > 60 {
        return Err(bad());
    }
    if let Some(frac) = zone.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        zone = &frac[n..];
    }
    let offset = match zone {
        "Z" | "z" => 0,
        _ if zone.len() == 6 && zone.as_bytes()[3] == b':' => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let oh = digits(&zone[1..3], 2).ok_or_else(bad)?;
            let om = digits(&zone[4..6], 2).ok_or_else(bad)?;
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            sign * (oh * 3600 + om * 60)
        }
        _ => return Err(bad()),
    };
    // A leap second is read as the last second of its minute.
    Ok(day + hh * 3600 + mm * 60 + ss.min(59) - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(rfc3339(1_796_030_100), "2026-11-30T09:15:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn wib_dates_turn_at_17_utc() {
        // 2026-03-01T16:59:59Z is still 1 March in Bogor; one second later it is the 2nd.
        let t = parse_rfc3339("2026-03-01T16:59:59Z").unwrap();
        assert_eq!(wib_date(t), "2026-03-01");
        assert_eq!(wib_date(t + 1), "2026-03-02");
        assert_eq!(wib_date(-7 * 3600 - 1), "1969-12-31");
    }

    #[test]
    fn parses_what_it_writes_and_offsets() {
        for t in [0, 1_795_000_000, 1_796_030_100, 951_782_400, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Ok(t));
        }
        assert_eq!(
            parse_rfc3339("2026-11-30T16:15:00+07:00"),
            Ok(1_796_030_100)
        );
        assert_eq!(parse_rfc3339("2026-11-30t09:15:00.123z"), Ok(1_796_030_100));
        assert_eq!(parse_rfc3339("2026-11-30 09:15:00Z"), Ok(1_796_030_100));
        assert_eq!(
            parse_rfc3339("2026-11-30"),
            Ok(1_796_030_100 - 9 * 3600 - 15 * 60)
        );
        assert_eq!(parse_rfc3339("2024-02-29"), Ok(1_709_164_800));
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for s in [
            "",
            "1796030100",
            "2026-11-31",
            "2025-02-29",
            "2026-13-01",
            "2026-11-30T09:15:00",
            "2026-11-30T24:00:00Z",
            "2026-11-30T09:15Z",
            "2026-11-30T09:15:00+0700",
            "2026-11-30T09:15:00.Z",
            "30-11-2026",
            "2026-1-30",
            "２０２６-11-30",
        ] {
            assert!(parse_rfc3339(s).is_err(), "{s} accepted");
        }
        let e = parse_rfc3339("1796030100").unwrap_err().to_string();
        assert!(e.contains("2026-11-30T09:15:00Z"), "{e}");
    }
}

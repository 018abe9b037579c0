//! Reading the CSV files that really arrive: UTF-8 with or without BOM, `,` or `;`
//! separators (sniffed from the header line), CRLF line ends, any column order, and
//! SIASN header aliases. Rows are streamed, never loaded whole.

use super::DirectoryError;
use super::report::Refused;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

/// How large a header line may be for separator sniffing.
const SNIFF: usize = 64 * 1024;

/// Opens a streaming CSV reader: BOM skipped, separator chosen from the header line.
pub fn reader<R: Read>(input: R) -> std::io::Result<csv::Reader<BufReader<R>>> {
    let mut buf = BufReader::with_capacity(SNIFF, input);
    let head = buf.fill_buf()?;
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let start = if bom { 3 } else { 0 };
    let line_end = head[start..]
        .iter()
        .position(|b| *b == b'\n')
        .map(|p| p + start)
        .unwrap_or(head.len());
    let delimiter = sniff(&head[start..line_end]);
    if bom {
        buf.consume(3);
    }
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(buf))
}

/// `;` when the header line has more semicolons than commas outside quotes.
fn sniff(line: &[u8]) -> u8 {
    let (mut commas, mut semis, mut quoted) = (0, 0, false);
    for b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if semis > commas { b';' } else { b',' }
}

/// The file line a record starts on (the header is line 1). The csv crate counts
/// the line before the record's first byte is consumed, hence the `+ 1`.
pub fn line_of(row: &csv::StringRecord, fallback: u64) -> u64 {
    row.position().map_or(fallback, |p| p.line() + 1)
}

/// Why a row is refused when one of its cells carries a control character other
/// than tab, CR or LF (`domain::text`; PostgreSQL cannot store NUL).
pub fn control_characters(headers: &csv::StringRecord, row: &csv::StringRecord) -> Option<String> {
    use crate::domain::text::{describe, forbidden_control, is_forbidden};
    row.iter().enumerate().find_map(|(i, cell)| {
        let c = forbidden_control(cell)?;
        let column: String = headers
            .get(i)
            .unwrap_or_default()
            .chars()
            .filter(|c| !is_forbidden(*c))
            .take(40)
            .collect();
        Some(format!(
            "column {} (`{column}`) contains the control character {}",
            i + 1,
            describe(c)
        ))
    })
}

/// `nipBaru`, `NIP Baru`, `nip_baru` → `nipbaru`.
pub fn normalise_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Column positions by canonical field name.
#[derive(Debug, Clone, Default)]
pub struct Columns(HashMap<&'static str, usize>);

impl Columns {
    /// Maps headers to fields by `aliases` (field, accepted normalised headers);
    /// `Err` lists required fields that have no column.
    pub fn map(
        headers: &csv::StringRecord,
        aliases: &[(&'static str, &[&str])],
        required: &[&str],
    ) -> Result<Self, String> {
        let mut map = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let n = normalise_header(h);
            if let Some((field, _)) = aliases
                .iter()
                .find(|(_, names)| names.contains(&n.as_str()))
            {
                map.entry(*field).or_insert(i);
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .filter(|f| !map.contains_key(**f))
            .copied()
            .collect();
        if missing.is_empty() {
            Ok(Columns(map))
        } else {
            Err(format!(
                "the header has no column for: {} (found: {})",
                missing.join(", "),
                headers.iter().collect::<Vec<_>>().join(", ")
            ))
        }
    }

    /// The trimmed value of `field` in `row`, `None` when empty or absent.
    pub fn get<'r>(&self, row: &'r csv::StringRecord, field: &str) -> Option<&'r str> {
        self.0
            .get(field)
            .and_then(|i| row.get(*i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// A CSV file opened for import: the streaming reader, its header line and the
/// columns mapped from it.
pub struct Input<R: Read> {
    reader: csv::Reader<BufReader<R>>,
    pub headers: csv::StringRecord,
    pub cols: Columns,
}

/// One data row, with the line it starts on and its key (`key` column) as written.
pub struct Row {
    pub line: u64,
    pub key: String,
    pub record: csv::StringRecord,
}

impl<R: Read> Input<R> {
    /// Opens `input` and maps its header by `aliases`: `Io` when it cannot be read,
    /// `Invalid` when it is not CSV or lacks a `required` column.
    pub fn open(
        input: R,
        aliases: &[(&'static str, &[&str])],
        required: &[&str],
    ) -> Result<Self, DirectoryError> {
        let mut reader = reader(input).map_err(|e| DirectoryError::Io(e.to_string()))?;
        let headers = reader
            .headers()
            .map_err(|e| DirectoryError::Invalid(format!("the file is not CSV: {e}")))?
            .clone();
        let cols = Columns::map(&headers, aliases, required).map_err(DirectoryError::Invalid)?;
        Ok(Self {
            reader,
            headers,
            cols,
        })
    }

    /// The data rows, streamed, each keyed by its `key` column; an unreadable row
    /// or one carrying a control character is refused with its reason.
    pub fn rows(self, key: &'static str) -> impl Iterator<Item = Result<Row, Refused>> {
        let Self {
            reader,
            headers,
            cols,
        } = self;
        reader
            .into_records()
            .enumerate()
            .map(move |(i, result)| checked_row(&headers, &cols, key, 2 + i as u64, result))
    }
}

/// A row as read: its line (`fallback` when the reader cannot tell), its key, and
/// refused when unreadable or carrying a control character.
fn checked_row(
    headers: &csv::StringRecord,
    cols: &Columns,
    key: &str,
    fallback: u64,
    result: csv::Result<csv::StringRecord>,
) -> Result<Row, Refused> {
    let record = result.map_err(|e| Refused {
        line: fallback,
        key: String::new(),
        reasons: vec![format!("unreadable CSV row: {e}")],
    })?;
    let line = line_of(&record, fallback);
    let key = cols.get(&record, key).unwrap_or_default().to_owned();
    if let Some(why) = control_characters(headers, &record) {
        return Err(Refused {
            line,
            key,
            reasons: vec![why],
        });
    }
    Ok(Row { line, key, record })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_semicolons_crlf() {
        let data = b"\xEF\xBB\xBFcode;name;kind;parent_code\r\nDINKES;Dinas Kesehatan;dinas;\r\nPKM-01;\"Puskesmas; Satu\";puskesmas;DINKES\r\n";
        let mut r = reader(&data[..]).unwrap();
        let headers = r.headers().unwrap().clone();
        assert_eq!(&headers[0], "code");
        let cols = Columns::map(
            &headers,
            &[("code", &["code"]), ("parent", &["parentcode"])],
            &["code"],
        )
        .unwrap();
        let rows: Vec<_> = r.records().map(|x| x.unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(cols.get(&rows[1], "parent"), Some("DINKES"));
        assert_eq!(&rows[1][1], "Puskesmas; Satu");
        assert_eq!(cols.get(&rows[0], "parent"), None);
        assert!(Columns::map(&headers, &[("nip", &["nip"])], &["nip"]).is_err());
    }

    #[test]
    fn line_numbers() {
        let data = b"a,b\r\n1,2\r\n\"x\ny\",3\r\n4,5\r\n";
        let mut r = reader(&data[..]).unwrap();
        let lines: Vec<u64> = r.records().map(|x| line_of(&x.unwrap(), 0)).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn control_characters_in_cells() {
        let data = b"code,name\nA,Dinas\tSatu\nB,Di\x00nas\n";
        let mut r = reader(&data[..]).unwrap();
        let headers = r.headers().unwrap().clone();
        let rows: Vec<_> = r.records().map(|x| x.unwrap()).collect();
        assert_eq!(control_characters(&headers, &rows[0]), None);
        assert_eq!(
            control_characters(&headers, &rows[1]).unwrap(),
            "column 2 (`name`) contains the control character U+0000"
        );
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"a,b;c,d"), b',');
        assert_eq!(sniff(b"a;b;\"c,d,e\""), b';');
        assert_eq!(normalise_header("\u{feff}NIP Baru"), "nipbaru");
    }
}

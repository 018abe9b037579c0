//! One ASN row of a SIASN/SIMPEG export, validated (CONTEXT.md: NIP and NI PPPK
//! rules, NIK cross-check, kedudukan codes) into a normalised record. Rejections
//! carry reasons a person understands; NIK/NIP disagreements are review flags.

use super::csv_in::Columns;
use crate::domain::asn::{JenisPegawai, Kedudukan};
use crate::domain::nip::{Kind, Sex, is_real_date};
use crate::domain::{Nik, Nip};

/// Accepted headers (normalised: lower-case letters and digits) per field.
pub const ALIASES: &[(&str, &[&str])] = &[
    ("nip", &["nipbaru", "nip", "nip18", "nipppk"]),
    ("nik", &["nik"]),
    ("nama", &["nama", "name", "namalengkap"]),
    ("gelar_depan", &["gelardepan"]),
    ("gelar_belakang", &["gelarbelakang"]),
    ("tgl_lahir", &["tgllahir", "tanggallahir", "birthdate"]),
    ("sex", &["jeniskelamin", "sex", "jk"]),
    ("email", &["email", "emailgov", "emaildinas"]),
    ("phone", &["nohp", "nohandphone", "phone", "telepon"]),
    ("jenis_pegawai", &["jenispegawai", "statuspegawai"]),
    (
        "kedudukan",
        &[
            "kedudukanpnsid",
            "kedudukanpns",
            "kedudukan",
            "kedudukanhukumid",
        ],
    ),
    ("opd", &["opdkode", "opd", "kodeopd", "unorindukid"]),
    ("unit_kerja", &["unornama", "unitkerja"]),
    ("jenis_jabatan", &["jenisjabatan", "jenisjabatannama"]),
    ("jabatan", &["jabatannama", "jabatan"]),
    ("eselon", &["eselon", "eselonnama"]),
    ("golongan", &["golruangakhir", "golongan", "golruang"]),
];

pub const REQUIRED: &[&str] = &["nip", "nama", "opd"];

/// A validated, normalised ASN record: what the directory stores.
#[derive(Clone, PartialEq, Eq)]
pub struct AsnRecord {
    pub nip: String,
    pub nik: Option<String>,
    pub name: String,
    pub gelar_depan: Option<String>,
    pub gelar_belakang: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub jenis_pegawai: Option<String>,
    pub kedudukan: String,
    pub opd_code: String,
    pub unit_kerja: Option<String>,
    pub jenis_jabatan: Option<String>,
    pub jabatan: Option<String>,
    pub eselon: Option<String>,
    pub golongan: Option<String>,
    /// Space-separated review flags, `None` when the row is consistent.
    pub review: Option<String>,
}

impl std::fmt::Debug for AsnRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the NIK in clear, even in a debug print.
        f.debug_struct("AsnRecord")
            .field("nip", &self.nip)
            .field("name", &self.name)
            .field("opd_code", &self.opd_code)
            .field("kedudukan", &self.kedudukan)
            .finish_non_exhaustive()
    }
}

impl AsnRecord {
    pub fn kedudukan(&self) -> Option<Kedudukan> {
        Kedudukan::parse(&self.kedudukan)
    }
}

/// `17-12-1993`, `17/12/1993` or `1993-12-17` → `1993-12-17`.
pub fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n = |p: &str| p.parse::<u32>().ok();
    let (y, m, d) = if parts[0].len() == 4 {
        (n(parts[0])?, n(parts[1])?, n(parts[2])?)
    } else if parts[2].len() == 4 {
        (n(parts[2])?, n(parts[1])?, n(parts[0])?)
    } else {
        return None;
    };
    is_real_date(y, m, d).then_some((y, m, d))
}

fn clean(v: Option<&str>, max: usize) -> Option<String> {
    v.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(max).collect())
}

/// Validates one row. `Err` holds every reason the row is rejected.
pub fn parse(cols: &Columns, row: &csv::StringRecord) -> Result<AsnRecord, Vec<String>> {
    let mut why = Vec::new();
    let mut flags: Vec<&str> = Vec::new();
    let nip = match cols.get(row, "nip").map(Nip::parse) {
        None => {
            why.push("NIP is empty".to_owned());
            None
        }
        Some(Err(e)) => {
            why.push(e.to_string());
            None
        }
        Some(Ok(n)) => Some(n),
    };
    let name = clean(cols.get(row, "nama"), 200);
    if name.is_none() {
        why.push("name (nama) is empty".to_owned());
    }
    let birth = match cols.get(row, "tgl_lahir") {
        None => None,
        Some(raw) => match parse_date(raw) {
            Some(d) => Some(d),
            None => {
                why.push(format!(
                    "birth date `{raw}` is not a real date (DD-MM-YYYY)"
                ));
                None
            }
        },
    };
    let sex = match cols.get(row, "sex") {
        None => None,
        Some(raw) => match Sex::parse(raw) {
            Some(s) => Some(s),
            None => {
                why.push(format!("sex (jenisKelamin) `{raw}` is not L or P"));
                None
            }
        },
    };
    let nik = match cols.get(row, "nik").map(Nik::parse) {
        None => None,
        Some(Err(e)) => {
            why.push(e.to_string());
            None
        }
        Some(Ok(n)) => Some(n),
    };
    let email = match cols.get(row, "email") {
        None => None,
        Some(raw) => match crate::users::normalise_email(raw) {
            Ok(e) => Some(e),
            Err(_) => {
                why.push(format!("e-mail `{raw}` is not an e-mail address"));
                None
            }
        },
    };
    let jenis = match cols.get(row, "jenis_pegawai") {
        None => None,
        Some(raw) => match JenisPegawai::parse(raw) {
            Some(j) => Some(j),
            None => {
                why.push(format!("jenisPegawai `{raw}` is not PNS, CPNS or PPPK"));
                None
            }
        },
    };
    let kedudukan = match cols.get(row, "kedudukan") {
        None => Some(Kedudukan::Aktif),
        Some(raw) => match Kedudukan::parse(raw) {
            Some(k) => Some(k),
            None => {
                why.push(format!(
                    "unknown kedudukan code `{raw}` (01, 02, 03, 04, 20, 51, 66 or 99)"
                ));
                None
            }
        },
    };
    let opd = cols.get(row, "opd").map(str::to_owned);
    if opd.is_none() {
        why.push("OPD code (opdKode) is empty".to_owned());
    }
    if let (Some(n), Some(j)) = (&nip, jenis)
        && n.kind != j.nip_kind()
    {
        let nip_kind = if n.kind == Kind::Pppk {
            "a PPPK"
        } else {
            "a PNS"
        };
        why.push(format!(
            "the NIP is {nip_kind} number but jenisPegawai is {}",
            j.as_str()
        ));
    }
    if let Some(n) = &nip {
        if let Some(k) = &nik {
            flags.extend(k.cross_check(n).into_iter().map(|m| m.code()));
        }
        if birth.is_some_and(|b| b != n.birth) {
            flags.push("nip_birth_date");
        }
        if sex.is_some_and(|s| s != n.sex) {
            flags.push("nip_sex");
        }
    }
    let (Some(nip), Some(name), Some(kedudukan), Some(opd_code), true) =
        (nip, name, kedudukan, opd, why.is_empty())
    else {
        return Err(why);
    };
    Ok(AsnRecord {
        nip: nip.to_string(),
        nik: nik.map(|n| n.reveal().to_owned()),
        name,
        gelar_depan: clean(cols.get(row, "gelar_depan"), 60),
        gelar_belakang: clean(cols.get(row, "gelar_belakang"), 100),
        birth_date: birth.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        sex: sex.map(|s| s.code().to_owned()),
        email,
        phone: clean(cols.get(row, "phone"), 32),
        jenis_pegawai: jenis.map(|j| j.as_str().to_owned()),
        kedudukan: kedudukan.code().to_owned(),
        opd_code,
        unit_kerja: clean(cols.get(row, "unit_kerja"), 200),
        jenis_jabatan: clean(cols.get(row, "jenis_jabatan"), 60),
        jabatan: clean(cols.get(row, "jabatan"), 200),
        eselon: clean(cols.get(row, "eselon"), 16),
        golongan: clean(cols.get(row, "golongan"), 16),
        review: (!flags.is_empty()).then(|| flags.join(" ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "nipBaru,nik,nama,gelarDepan,gelarBelakang,tglLahir,jenisKelamin,email,noHp,jenisPegawai,kedudukanPnsId,kedudukanPnsNama,opdKode,unorIndukNama,unorNama,jenisJabatan,jabatanNama,eselon,golRuangAkhir";

    fn one(line: &str) -> Result<AsnRecord, Vec<String>> {
        let data = format!("{HEADER}\n{line}\n");
        let mut r = crate::directory::csv_in::reader(data.as_bytes()).unwrap();
        let cols = Columns::map(&r.headers().unwrap().clone(), ALIASES, REQUIRED).unwrap();
        let row = r.records().next().unwrap().unwrap();
        parse(&cols, &row)
    }

    const GOOD: &str = "199312172018112012,3271025712939430,Siti Hermawan,,S.Sos.,17-12-1993,P,Siti.Hermawan0@kotabogor.go.id,084510758962,PNS,01,Aktif,PKM-24,UPTD Puskesmas Sukasari,UPTD Puskesmas Sukasari - Subbagian Umum,Fungsional Umum,Bendahara,,II/a";

    #[test]
    fn good_row() {
        let r = one(GOOD).unwrap();
        assert_eq!(r.nip, "199312172018112012");
        assert_eq!(r.birth_date.as_deref(), Some("1993-12-17"));
        assert_eq!(r.email.as_deref(), Some("siti.hermawan0@kotabogor.go.id"));
        assert_eq!(r.kedudukan, "01");
        assert_eq!(r.review, None);
        assert!(!format!("{r:?}").contains("3271025712939430"));
    }

    #[test]
    fn defects_have_human_reasons() {
        let sci = GOOD.replacen("199312172018112012", "1.98609262015051E+17", 1);
        assert_eq!(
            one(&sci).unwrap_err(),
            vec!["NIP was turned into a number by a spreadsheet (1.98609262015051E+17)"]
        );
        let bad_date = GOOD.replacen("17-12-1993", "31-02-1990", 1);
        assert!(one(&bad_date).unwrap_err()[0].contains("31-02-1990"));
        let ked = GOOD.replacen(",01,Aktif", ",77,Aktif", 1);
        assert!(one(&ked).unwrap_err()[0].contains("kedudukan code `77`"));
        let mail = GOOD.replacen("Siti.Hermawan0@kotabogor.go.id", "bukan-email", 1);
        assert!(one(&mail).unwrap_err()[0].contains("bukan-email"));
        let nik = GOOD.replacen("3271025712939430", "3271AB0101900001", 1);
        assert!(one(&nik).unwrap_err()[0].starts_with("NIK must be 16 digits"));
        let empty = GOOD.replacen("Siti Hermawan", "", 1);
        assert_eq!(one(&empty).unwrap_err(), vec!["name (nama) is empty"]);
        let kind = GOOD.replacen(",PNS,", ",PPPK,", 1);
        assert!(one(&kind).unwrap_err()[0].contains("PNS number but jenisPegawai is PPPK"));
    }

    #[test]
    fn every_row_of_the_sample_export_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/asn-sample.csv");
        let data = std::fs::read(path).unwrap();
        let mut r = crate::directory::csv_in::reader(&data[..]).unwrap();
        let cols = Columns::map(&r.headers().unwrap().clone(), ALIASES, REQUIRED).unwrap();
        let mut n = 0;
        for row in r.records() {
            let row = row.unwrap();
            let rec = parse(&cols, &row).unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
            assert!(
                rec.review.is_none(),
                "NIK, NIP and birth data agree: {rec:?}"
            );
            n += 1;
        }
        assert_eq!(n, 200);
    }

    #[test]
    fn mismatches_are_flagged_not_rejected() {
        let nik = GOOD.replacen("3271025712939430", "3271021712939430", 1);
        assert_eq!(one(&nik).unwrap().review.as_deref(), Some("nik_sex"));
        let birth = GOOD.replacen("17-12-1993", "18-12-1993", 1);
        assert_eq!(
            one(&birth).unwrap().review.as_deref(),
            Some("nip_birth_date")
        );
        assert_eq!(parse_date("1993-12-17"), Some((1993, 12, 17)));
        assert_eq!(parse_date("17/12/1993"), Some((1993, 12, 17)));
        assert_eq!(parse_date("1993"), None);
    }
}

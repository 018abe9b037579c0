//! What one uploaded ASN file goes through before the database: the multipart
//! envelope (`admin::multipart`), the CSV reader (BOM, separator sniffing,
//! `directory::csv_in`), the header mapping, and each row's parsing and validation
//! (`directory::asn_row`, NIP and NIK). The first byte picks the input's shape:
//! even, the rest is a whole file (or a multipart body); odd, the rest are rows under
//! the SIASN header, so the fuzzer spends its time on rows.
#![no_main]

use gapura::http::admin::multipart;
use gapura::directory::asn_row;
use gapura::directory::csv_in::{self, Columns};
use gapura::domain::{Nik, Nip};
use libfuzzer_sys::fuzz_target;

const HEADER: &str = "nipBaru,nik,nama,gelarDepan,gelarBelakang,tglLahir,jenisKelamin,email,noHp,jenisPegawai,kedudukanPnsId,kedudukanPnsNama,opdKode,unorIndukNama,unorNama,jenisJabatan,jabatanNama,eselon,golRuangAkhir";

fn file(data: &[u8]) {
    let Ok(mut reader) = csv_in::reader(data) else {
        return;
    };
    let Ok(headers) = reader.headers().cloned() else {
        return;
    };
    let Ok(cols) = Columns::map(&headers, asn_row::ALIASES, asn_row::REQUIRED) else {
        return;
    };
    for (i, result) in reader.records().enumerate() {
        let Ok(row) = result else {
            continue;
        };
        let _ = csv_in::line_of(&row, 2 + i as u64);
        let _ = cols.get(&row, "nip");
        if let Ok(rec) = asn_row::parse(&cols, &row) {
            // What reaches the database is normalised and valid.
            let nip = Nip::parse(&rec.nip).expect("a valid NIP");
            assert_eq!(nip.to_string(), rec.nip);
            if let Some(n) = &rec.nik {
                assert_eq!(Nik::parse(n).expect("a valid NIK").reveal(), n);
            }
            assert!(!rec.name.is_empty() && !rec.opd_code.is_empty());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let mut spool = std::io::Cursor::new(rest);
        if let Ok(Some((start, end))) = multipart::locate_file_part(&mut spool, "XyZ") {
            let (start, end) = (start as usize, end as usize);
            assert!(start <= end && end <= rest.len(), "the part lies inside the body");
            file(&rest[start..end]);
        }
        file(rest);
    } else {
        let mut whole = Vec::with_capacity(HEADER.len() + 1 + rest.len());
        whole.extend_from_slice(HEADER.as_bytes());
        whole.push(b'\n');
        whole.extend_from_slice(rest);
        file(&whole);
    }
    if let Ok(s) = std::str::from_utf8(rest) {
        let _ = Nip::parse(s);
        let _ = Nik::parse(s);
        let _ = multipart::boundary(s);
    }
});

//! ASN employment vocabulary from SIASN exports: employment type
//! (`jenisPegawai`) and *kedudukan* (`kedudukanPnsId`), whose codes 04, 66 and 99
//! are the deprovisioning signal.

use super::nip::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JenisPegawai {
    Pns,
    Cpns,
    Pppk,
}

impl JenisPegawai {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PNS" => Some(Self::Pns),
            "CPNS" => Some(Self::Cpns),
            "PPPK" | "P3K" => Some(Self::Pppk),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pns => "PNS",
            Self::Cpns => "CPNS",
            Self::Pppk => "PPPK",
        }
    }

    /// The kind of number this employment type carries.
    pub fn nip_kind(self) -> Kind {
        match self {
            Self::Pns | Self::Cpns => Kind::Pns,
            Self::Pppk => Kind::Pppk,
        }
    }
}

/// Kedudukan hukum (employment state), by SIASN code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kedudukan {
    Aktif,
    Cltn,
    TugasBelajar,
    PemberhentianSementara,
    Mpp,
    CpnsBelumSk,
    Diberhentikan,
    Pensiun,
}

impl Kedudukan {
    pub const ALL: [Kedudukan; 8] = [
        Self::Aktif,
        Self::Cltn,
        Self::TugasBelajar,
        Self::PemberhentianSementara,
        Self::Mpp,
        Self::CpnsBelumSk,
        Self::Diberhentikan,
        Self::Pensiun,
    ];

    /// Accepts `01` and also `1` (spreadsheets drop leading zeros).
    pub fn parse(code: &str) -> Option<Self> {
        let c = code.trim();
        if c.is_empty() || c.len() > 2 || !c.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let padded = format!("{c:0>2}");
        Self::ALL.into_iter().find(|k| k.code() == padded)
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Aktif => "01",
            Self::Cltn => "02",
            Self::TugasBelajar => "03",
            Self::PemberhentianSementara => "04",
            Self::Mpp => "20",
            Self::CpnsBelumSk => "51",
            Self::Diberhentikan => "66",
            Self::Pensiun => "99",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Aktif => "Aktif",
            Self::Cltn => "CLTN",
            Self::TugasBelajar => "Tugas Belajar",
            Self::PemberhentianSementara => "Pemberhentian Sementara",
            Self::Mpp => "MPP",
            Self::CpnsBelumSk => "CPNS belum SK",
            Self::Diberhentikan => "Diberhentikan",
            Self::Pensiun => "Pensiun",
        }
    }

    /// 04, 66, 99: the account must be suspended (`--sync`).
    pub fn ends_access(self) -> bool {
        matches!(
            self,
            Self::PemberhentianSementara | Self::Diberhentikan | Self::Pensiun
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(Kedudukan::parse("01"), Some(Kedudukan::Aktif));
        assert_eq!(Kedudukan::parse("1"), Some(Kedudukan::Aktif));
        assert_eq!(Kedudukan::parse("99"), Some(Kedudukan::Pensiun));
        assert_eq!(Kedudukan::parse("77"), None);
        assert_eq!(Kedudukan::parse(""), None);
        assert!(Kedudukan::parse("66").is_some_and(Kedudukan::ends_access));
        assert!(Kedudukan::parse("04").is_some_and(Kedudukan::ends_access));
        assert!(!Kedudukan::Cltn.ends_access());
        assert_eq!(JenisPegawai::parse("pppk"), Some(JenisPegawai::Pppk));
        assert_eq!(JenisPegawai::Cpns.nip_kind(), Kind::Pns);
        assert_eq!(JenisPegawai::parse("honorer"), None);
    }
}

//! Texts of the strong-authentication pages (second factor, enrolment, recovery
//! codes, account security) in Bahasa Indonesia (default) and English.

pub struct MfaTexts {
    pub title_mfa: &'static str,
    pub mfa_intro: &'static str,
    pub totp_label: &'static str,
    pub verify: &'static str,
    pub passkey_heading: &'static str,
    pub use_passkey: &'static str,
    pub recovery_label: &'static str,
    pub use_recovery: &'static str,
    pub cancel: &'static str,
    pub mfa_failed: &'static str,
    pub passkey_failed: &'static str,
    pub mfa_locked: &'static str,
    pub title_enroll: &'static str,
    pub enroll_intro: &'static str,
    pub totp_heading: &'static str,
    pub totp_scan: &'static str,
    pub totp_confirm: &'static str,
    pub activate: &'static str,
    pub passkey_register_intro: &'static str,
    pub passkey_name_label: &'static str,
    pub register_passkey: &'static str,
    pub title_recovery: &'static str,
    pub recovery_intro: &'static str,
    pub continue_label: &'static str,
    pub title_security: &'static str,
    pub security_level: &'static str,
    pub level_pwd: &'static str,
    pub level_mfa: &'static str,
    pub no_factors: &'static str,
    pub totp_active: &'static str,
    pub remove: &'static str,
    pub added: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub recovery_left: &'static str,
    pub regenerate: &'static str,
    pub add_factor: &'static str,
    pub verify_first: &'static str,
    pub login_passkey: &'static str,
    pub passkey_unsupported: &'static str,
    pub or: &'static str,
}

pub static ID: MfaTexts = MfaTexts {
    title_mfa: "Verifikasi dua langkah",
    mfa_intro: "Akses ini memerlukan verifikasi tambahan. Gunakan salah satu cara berikut.",
    totp_label: "Kode verifikasi dari aplikasi autentikator",
    verify: "Verifikasi",
    passkey_heading: "Passkey atau kunci keamanan",
    use_passkey: "Gunakan passkey",
    recovery_label: "Kode pemulihan",
    use_recovery: "Gunakan kode pemulihan",
    cancel: "Batal",
    mfa_failed: "Kode verifikasi salah atau sudah pernah dipakai.",
    passkey_failed: "Passkey tidak dapat diverifikasi. Coba lagi.",
    mfa_locked: "Terlalu banyak percobaan yang gagal. Coba lagi beberapa menit lagi.",
    title_enroll: "Aktifkan verifikasi dua langkah",
    enroll_intro: "Akun Anda wajib memakai verifikasi dua langkah sebelum melanjutkan. Pilih salah satu cara di bawah.",
    totp_heading: "Aplikasi autentikator (TOTP)",
    totp_scan: "Pindai kode QR ini dengan aplikasi autentikator (misalnya Google Authenticator, Microsoft Authenticator atau FreeOTP), atau ketik kunci berikut:",
    totp_confirm: "Masukkan kode 6 angka yang ditampilkan aplikasi untuk mengaktifkannya.",
    activate: "Aktifkan",
    passkey_register_intro: "Daftarkan passkey pada perangkat ini (sidik jari, wajah atau PIN) atau sebuah kunci keamanan.",
    passkey_name_label: "Nama passkey",
    register_passkey: "Daftarkan passkey",
    title_recovery: "Kode pemulihan",
    recovery_intro: "Simpan kode-kode ini di tempat yang aman. Jika perangkat Anda hilang, setiap kode dapat dipakai satu kali. Kode ini hanya ditampilkan sekarang.",
    continue_label: "Lanjutkan",
    title_security: "Keamanan akun",
    security_level: "Tingkat autentikasi sesi ini",
    level_pwd: "kata sandi",
    level_mfa: "dua langkah",
    no_factors: "Verifikasi dua langkah belum diaktifkan.",
    totp_active: "Aplikasi autentikator aktif",
    remove: "Hapus",
    added: "ditambahkan",
    last_used: "terakhir dipakai",
    never: "belum pernah",
    recovery_left: "Kode pemulihan yang tersisa",
    regenerate: "Buat kode pemulihan baru",
    add_factor: "Tambah cara verifikasi",
    verify_first: "Untuk mengubah pengaturan ini, lakukan verifikasi dua langkah terlebih dahulu.",
    login_passkey: "Masuk dengan passkey",
    passkey_unsupported: "Peramban ini tidak mendukung passkey.",
    or: "atau",
};

pub static EN: MfaTexts = MfaTexts {
    title_mfa: "Two-step verification",
    mfa_intro: "This access needs an additional verification. Use one of the following.",
    totp_label: "Verification code from your authenticator app",
    verify: "Verify",
    passkey_heading: "Passkey or security key",
    use_passkey: "Use a passkey",
    recovery_label: "Recovery code",
    use_recovery: "Use a recovery code",
    cancel: "Cancel",
    mfa_failed: "The verification code is wrong or was already used.",
    passkey_failed: "The passkey could not be verified. Try again.",
    mfa_locked: "Too many failed attempts. Try again in a few minutes.",
    title_enroll: "Set up two-step verification",
    enroll_intro: "Your account must use two-step verification before you continue. Choose one of the ways below.",
    totp_heading: "Authenticator app (TOTP)",
    totp_scan: "Scan this QR code with an authenticator app (for example Google Authenticator, Microsoft Authenticator or FreeOTP), or type this key:",
    totp_confirm: "Enter the 6-digit code the app shows to activate it.",
    activate: "Activate",
    passkey_register_intro: "Register a passkey on this device (fingerprint, face or PIN) or a security key.",
    passkey_name_label: "Passkey name",
    register_passkey: "Register passkey",
    title_recovery: "Recovery codes",
    recovery_intro: "Keep these codes somewhere safe. If you lose your device, each code can be used once. They are shown only now.",
    continue_label: "Continue",
    title_security: "Account security",
    security_level: "Authentication level of this session",
    level_pwd: "password",
    level_mfa: "two-step",
    no_factors: "Two-step verification is not set up yet.",
    totp_active: "Authenticator app active",
    remove: "Remove",
    added: "added",
    last_used: "last used",
    never: "never",
    recovery_left: "Recovery codes left",
    regenerate: "Generate new recovery codes",
    add_factor: "Add a verification method",
    verify_first: "To change these settings, complete two-step verification first.",
    login_passkey: "Log in with a passkey",
    passkey_unsupported: "This browser does not support passkeys.",
    or: "or",
};

/// A Unix time as `YYYY-MM-DD HH:MM WIB` (UTC+7, the time of Bogor).
pub fn wib(unix: i64) -> String {
    let t = unix + 7 * 3600;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} WIB",
        secs / 3600,
        (secs % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn wib_dates() {
        assert_eq!(super::wib(0), "1970-01-01 07:00 WIB");
        assert_eq!(super::wib(1_795_400_000), "2026-11-23 09:13 WIB");
    }
}

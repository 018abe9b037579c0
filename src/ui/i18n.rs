//! Texts of the pages in Bahasa Indonesia (default) and English.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

pub const LANG_COOKIE: &str = "gapura_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_', ';'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "id" | "in" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// `ui_locales` (first supported tag) > `lang` cookie > `Accept-Language` >
    /// Indonesian (the edge reads the three from the request: `http::lang`).
    pub fn negotiate(
        ui_locales: Option<&str>,
        cookie: Option<&str>,
        accept_language: Option<&str>,
    ) -> Lang {
        ui_locales
            .and_then(|u| u.split(' ').find_map(Lang::parse))
            .or_else(|| cookie.and_then(Lang::parse))
            .or_else(|| accept_language.and_then(|v| v.split(',').find_map(Lang::parse)))
            .unwrap_or(Lang::Id)
    }

    pub fn mfa(self) -> &'static super::MfaTexts {
        match self {
            Lang::Id => &super::i18n_mfa::ID,
            Lang::En => &super::i18n_mfa::EN,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Id => &ID,
            Lang::En => &EN,
        }
    }
}

pub struct Texts {
    pub title_login: &'static str,
    pub login_intro: &'static str,
    pub login_to_app: &'static str,
    pub username_label: &'static str,
    pub password_label: &'static str,
    pub submit_login: &'static str,
    pub login_failed: &'static str,
    pub title_consent: &'static str,
    pub consent_intro: &'static str,
    pub consent_allow: &'static str,
    pub consent_deny: &'static str,
    pub logged_in_as: &'static str,
    pub scope_openid: &'static str,
    pub scope_profile: &'static str,
    pub scope_email: &'static str,
    pub scope_phone: &'static str,
    pub scope_offline_access: &'static str,
    pub scope_asn: &'static str,
    pub scope_roles: &'static str,
    pub scope_nik: &'static str,
    pub title_home: &'static str,
    pub home_intro: &'static str,
    pub logout: &'static str,
    pub login: &'static str,
    pub title_error: &'static str,
    pub back_home: &'static str,
    pub err_unknown_client: &'static str,
    pub err_missing_client: &'static str,
    pub err_missing_redirect_uri: &'static str,
    pub err_bad_redirect_uri: &'static str,
    pub err_expired: &'static str,
    pub err_csrf: &'static str,
    pub err_unavailable: &'static str,
    pub err_not_found: &'static str,
    pub error_reference: &'static str,
    pub err_bad_request: &'static str,
    pub err_bad_logout_hint: &'static str,
    pub err_bad_post_logout_redirect_uri: &'static str,
    pub err_locked: &'static str,
    pub title_logout: &'static str,
    pub logout_question: &'static str,
    pub logout_from_app: &'static str,
    pub logout_yes: &'static str,
    pub title_logged_out: &'static str,
    pub logged_out_text: &'static str,
    pub continue_label: &'static str,
    pub title_password_change: &'static str,
    pub password_change_intro: &'static str,
    pub new_password_label: &'static str,
    pub confirm_password_label: &'static str,
    pub save_password: &'static str,
    pub err_password_mismatch: &'static str,
    /// `{}`: the minimum length.
    pub err_password_short: &'static str,
    pub err_password_long: &'static str,
    pub err_password_same: &'static str,
    pub footer: &'static str,
}

pub static ID: Texts = Texts {
    title_login: "Masuk",
    login_intro: "Masuk dengan akun ASN Anda: NIP atau alamat e-mail dan kata sandi.",
    login_to_app: "untuk melanjutkan ke",
    username_label: "NIP atau e-mail",
    password_label: "Kata sandi",
    submit_login: "Masuk",
    login_failed: "NIP/e-mail atau kata sandi salah.",
    title_consent: "Persetujuan",
    consent_intro: "meminta izin untuk mengakses data berikut:",
    consent_allow: "Izinkan",
    consent_deny: "Tolak",
    logged_in_as: "Masuk sebagai",
    scope_openid: "Identitas akun Anda",
    scope_profile: "Nama dan NIP",
    scope_email: "Alamat e-mail",
    scope_phone: "Nomor telepon",
    scope_offline_access: "Akses tetap berlaku saat Anda tidak sedang masuk",
    scope_asn: "Data kepegawaian: NIP, perangkat daerah, jabatan, golongan",
    scope_roles: "Peran Anda di aplikasi ini",
    scope_nik: "NIK (nomor induk kependudukan)",
    title_home: "Gapura",
    home_intro: "Sistem masuk tunggal (SSO) Pemerintah Kota Bogor.",
    logout: "Keluar",
    login: "Masuk",
    title_error: "Permintaan tidak dapat diproses",
    back_home: "Kembali ke beranda",
    err_unknown_client: "Aplikasi tidak dikenal atau tidak aktif.",
    err_missing_client: "Permintaan tidak menyebutkan aplikasi (client_id).",
    err_missing_redirect_uri: "Permintaan tidak menyebutkan alamat kembali (redirect_uri).",
    err_bad_redirect_uri: "Alamat kembali (redirect_uri) tidak terdaftar untuk aplikasi ini.",
    err_expired: "Permintaan masuk sudah kedaluwarsa. Silakan mulai lagi dari aplikasi.",
    err_csrf: "Formulir sudah tidak berlaku. Muat ulang halaman lalu coba lagi.",
    err_unavailable: "Layanan sedang tidak tersedia. Coba lagi beberapa saat lagi.",
    err_not_found: "Halaman tidak ditemukan.",
    error_reference: "Jika perlu melapor ke Diskominfo, sebutkan kode rujukan ini:",
    err_bad_request: "Permintaan tidak valid.",
    err_bad_logout_hint: "Token identitas (id_token_hint) tidak valid untuk permintaan keluar ini.",
    err_bad_post_logout_redirect_uri: "Alamat kembali setelah keluar (post_logout_redirect_uri) tidak terdaftar untuk aplikasi ini.",
    err_locked: "Terlalu banyak percobaan masuk yang gagal. Akun ini dikunci sementara; coba lagi setelah {} menit.",
    title_logout: "Keluar",
    logout_question: "Apakah Anda ingin keluar dari semua aplikasi Pemerintah Kota Bogor yang menggunakan akun ini?",
    logout_from_app: "Permintaan keluar dari",
    logout_yes: "Ya, keluar",
    title_logged_out: "Anda sudah keluar",
    logged_out_text: "Anda telah keluar dari Gapura dan aplikasi yang terhubung.",
    continue_label: "Lanjutkan",
    title_password_change: "Buat kata sandi baru",
    password_change_intro: "Kata sandi Anda adalah kata sandi sekali pakai. Buat kata sandi baru sebelum melanjutkan.",
    new_password_label: "Kata sandi baru",
    confirm_password_label: "Ulangi kata sandi baru",
    save_password: "Simpan kata sandi",
    err_password_mismatch: "Kedua kata sandi tidak sama.",
    err_password_short: "Kata sandi baru minimal {} karakter.",
    err_password_long: "Kata sandi baru terlalu panjang.",
    err_password_same: "Kata sandi baru harus berbeda dari kata sandi sekali pakai.",
    footer: "Dinas Komunikasi dan Informatika Kota Bogor",
};

pub static EN: Texts = Texts {
    title_login: "Log in",
    login_intro: "Log in with your ASN account: NIP or e-mail address and password.",
    login_to_app: "to continue to",
    username_label: "NIP or e-mail",
    password_label: "Password",
    submit_login: "Log in",
    login_failed: "Wrong NIP/e-mail or password.",
    title_consent: "Consent",
    consent_intro: "asks for access to the following:",
    consent_allow: "Allow",
    consent_deny: "Deny",
    logged_in_as: "Logged in as",
    scope_openid: "Your account identity",
    scope_profile: "Name and NIP",
    scope_email: "E-mail address",
    scope_phone: "Phone number",
    scope_offline_access: "Access that lasts while you are not logged in",
    scope_asn: "Employment data: NIP, department (OPD), position, rank",
    scope_roles: "Your roles in this application",
    scope_nik: "NIK (national identity number)",
    title_home: "Gapura",
    home_intro: "Single sign-on for the City Government of Bogor.",
    logout: "Log out",
    login: "Log in",
    title_error: "The request cannot be processed",
    back_home: "Back to the home page",
    err_unknown_client: "Unknown or inactive application.",
    err_missing_client: "The request does not name an application (client_id).",
    err_missing_redirect_uri: "The request does not name a return address (redirect_uri).",
    err_bad_redirect_uri: "The return address (redirect_uri) is not registered for this application.",
    err_expired: "The login request has expired. Please start again from the application.",
    err_csrf: "The form is no longer valid. Reload the page and try again.",
    err_unavailable: "The service is unavailable. Please try again shortly.",
    err_not_found: "Page not found.",
    error_reference: "If you report this to Diskominfo, quote this reference:",
    err_bad_request: "Invalid request.",
    err_bad_logout_hint: "The identity token (id_token_hint) is not valid for this logout request.",
    err_bad_post_logout_redirect_uri: "The post-logout return address (post_logout_redirect_uri) is not registered for this application.",
    err_locked: "Too many failed login attempts. This account is locked for now; try again in {} minutes.",
    title_logout: "Log out",
    logout_question: "Do you want to log out of every City of Bogor application that uses this account?",
    logout_from_app: "Logout requested by",
    logout_yes: "Yes, log out",
    title_logged_out: "You are logged out",
    logged_out_text: "You have logged out of Gapura and the connected applications.",
    continue_label: "Continue",
    title_password_change: "Choose a new password",
    password_change_intro: "Your password is a one-time password. Choose a new password before you continue.",
    new_password_label: "New password",
    confirm_password_label: "Repeat the new password",
    save_password: "Save the password",
    err_password_mismatch: "The two passwords differ.",
    err_password_short: "The new password needs at least {} characters.",
    err_password_long: "The new password is too long.",
    err_password_same: "The new password must differ from the one-time password.",
    footer: "Communication and Informatics Office, City of Bogor",
};

impl Texts {
    pub fn scope(&self, scope: &str) -> &'static str {
        match scope {
            "openid" => self.scope_openid,
            "profile" => self.scope_profile,
            "email" => self.scope_email,
            "phone" => self.scope_phone,
            "offline_access" => self.scope_offline_access,
            "asn" => self.scope_asn,
            "roles" => self.scope_roles,
            "nik" => self.scope_nik,
            _ => "",
        }
    }
}

//! Claims about a person, released by scope (OIDC Core §5.1, §5.4) and, for the
//! directory (issue #3), `asn` (NIP, OPD, position ...), `nik` (clients an admin
//! allowed only) and `roles` (the requesting application's roles, placed where the
//! client is configured). `preferred_username` is the NIP, as BKN's SSO does.
//!
//! Each claim set is a typed struct ([`UserClaims`], [`AsnClaims`],
//! [`RoleClaims`]): a claim's name is a field's name, so a misspelt one does not
//! compile. The ID token (`oidc::tokens`) flattens [`UserClaims`] in beside its own.

use crate::access::claims::{RoleClaims, UnitClaim};
use crate::clients::{ClaimTarget, Client};
use crate::domain::Scopes;
use crate::domain::asn::Kedudukan;
use crate::domain::scope::{ASN, NIK, ROLES};
use crate::error::OAuthError;
use crate::state::AppState;
use crate::users::{User, display_name};
use serde::Serialize;

/// Directory claims loaded once per token request (one primary-key query for the
/// OPD, one indexed query for the roles).
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// `asn` claims: ID token and UserInfo.
    pub asn: Option<Asn>,
    /// `nik`: ID token and UserInfo, for clients an administrator allowed it.
    pub nik: Option<String>,
    /// `roles` and `roles_flat`: wherever the client's `role_claims` says.
    pub roles: Option<RoleClaims>,
}

impl Extra {
    /// The role claims, if the client wants them in `target`.
    pub fn roles_for(&self, client: &Client, target: ClaimTarget) -> Option<&RoleClaims> {
        self.roles
            .as_ref()
            .filter(|_| client.role_claims.contains(target))
    }
}

/// What the `asn` scope releases: `name` and `preferred_username` (the same values
/// as `profile` releases, so one member each), and the directory claims.
#[derive(Debug, Clone)]
pub struct Asn {
    pub name: String,
    pub preferred_username: String,
    pub directory: AsnClaims,
}

/// The ASN directory claims (issue #3).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AsnClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opd: Option<UnitClaim>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_kerja: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jabatan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jenis_jabatan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eselon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golongan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jenis_pegawai: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kedudukan: Option<KedudukanClaim>,
}

/// The `kedudukan` claim: SIASN's code and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KedudukanClaim {
    pub code: &'static str,
    pub name: &'static str,
}

impl From<Kedudukan> for KedudukanClaim {
    fn from(k: Kedudukan) -> Self {
        Self {
            code: k.code(),
            name: k.name(),
        }
    }
}

/// Claims about a person (OIDC Core §5.1): UserInfo's answer, and the person's part
/// of an ID token. [`user_claims`] fills in what the scopes release, [`apply`] the
/// directory claims.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserClaims {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    #[serde(flatten)]
    pub asn: Option<AsnClaims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nik: Option<String>,
    #[serde(flatten)]
    pub roles: Option<RoleClaims>,
}

pub async fn load(
    state: &AppState,
    client: &Client,
    user: &User,
    scopes: &Scopes,
) -> Result<Extra, OAuthError> {
    let mut extra = Extra::default();
    // One round trip for the person's unit and the client's roles; none when
    // neither was asked for.
    let (unit, roles) = if scopes.contains(ASN) || scopes.contains(ROLES) {
        crate::access::claims::for_token(
            &state.db,
            &user.id,
            user.opd_code.as_deref().filter(|_| scopes.contains(ASN)),
            scopes.contains(ROLES).then_some(client.id.as_str()),
            state.now(),
        )
        .await
        .map_err(OAuthError::internal)?
    } else {
        Default::default()
    };
    extra.roles = roles;
    if scopes.contains(ASN) {
        extra.asn = Some(Asn {
            name: display_name(user),
            preferred_username: user.username.clone(),
            directory: AsnClaims {
                nip: user.nip.clone(),
                opd: unit,
                unit_kerja: user.unit_kerja.clone(),
                jabatan: user.jabatan.clone(),
                jenis_jabatan: user.jenis_jabatan.clone(),
                eselon: user.eselon.clone(),
                golongan: user.golongan.clone(),
                jenis_pegawai: user.jenis_pegawai.clone(),
                kedudukan: user
                    .kedudukan
                    .as_deref()
                    .and_then(Kedudukan::parse)
                    .map(KedudukanClaim::from),
            },
        });
    }
    if scopes.contains(NIK) && client.nik_allowed && client.allowed_scopes.contains(NIK) {
        extra.nik = user.nik.clone();
    }
    Ok(extra)
}

/// Adds the directory claims meant for `target` (the ID token or UserInfo; the
/// access token and introspection take only [`Extra::roles_for`]).
pub fn apply(c: &mut UserClaims, extra: &Extra, client: &Client, target: ClaimTarget) {
    if matches!(target, ClaimTarget::IdToken | ClaimTarget::UserInfo) {
        if let Some(asn) = &extra.asn {
            c.name = Some(asn.name.clone());
            c.preferred_username = Some(asn.preferred_username.clone());
            c.asn = Some(asn.directory.clone());
        }
        if let Some(nik) = &extra.nik {
            c.nik = Some(nik.clone());
        }
    }
    if let Some(r) = extra.roles_for(client, target) {
        c.roles = Some(r.clone());
    }
}

/// `roles` and `roles_flat` for `target` as JSON members, for an answer that is
/// not built as a struct (introspection); empty when the client does not want them.
pub fn role_members(
    extra: &Extra,
    client: &Client,
    target: ClaimTarget,
) -> serde_json::Map<String, serde_json::Value> {
    match extra.roles_for(client, target).map(serde_json::to_value) {
        Some(Ok(serde_json::Value::Object(m))) => m,
        _ => serde_json::Map::new(),
    }
}

pub fn user_claims(user: &User, scopes: &Scopes) -> UserClaims {
    let mut c = UserClaims {
        sub: user.id.clone(),
        ..UserClaims::default()
    };
    if scopes.contains("profile") {
        c.name = Some(display_name(user));
        let mut parts = user.name.trim().rsplitn(2, ' ');
        let last = parts.next().unwrap_or_default();
        match parts.next() {
            Some(first) => {
                c.given_name = Some(first.to_owned());
                c.family_name = Some(last.to_owned());
            }
            None => c.given_name = Some(last.to_owned()),
        }
        c.preferred_username = Some(user.username.clone());
        c.updated_at = Some(user.updated_at);
    }
    if scopes.contains("email")
        && let Some(email) = &user.email
    {
        c.email = Some(email.clone());
        c.email_verified = Some(user.email_verified);
    }
    if scopes.contains("phone")
        && let Some(phone) = &user.phone
    {
        c.phone_number = Some(phone.clone());
        c.phone_number_verified = Some(false);
    }
    c
}

//! Claims about a person, released by scope (OIDC Core §5.1, §5.4) and, for the
//! directory (issue #3), `asn` (NIP, OPD, position ...), `nik` (clients an admin
//! allowed only) and `roles` (the requesting application's roles, placed where the
//! client is configured). `preferred_username` is the NIP, as BKN's SSO does.

use crate::clients::{ClaimTarget, Client};
use crate::domain::Scopes;
use crate::domain::scope::{ASN, NIK, ROLES};
use crate::error::OAuthError;
use crate::state::AppState;
use crate::users::{User, display_name};
use serde_json::{Map, Value, json};

/// Directory claims loaded once per token request (one primary-key query for the
/// OPD, one indexed query for the roles).
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// `asn` (and `nik`) claims: ID token and UserInfo.
    pub person: Map<String, Value>,
    /// `roles` and `roles_flat`: wherever the client's `role_claims` says.
    pub roles: Option<crate::access::claims::RoleClaims>,
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
        let p = &mut extra.person;
        p.insert("name".into(), json!(display_name(user)));
        p.insert("preferred_username".into(), json!(user.username));
        if let Some(nip) = &user.nip {
            p.insert("nip".into(), json!(nip));
        }
        if let Some(u) = unit {
            p.insert(
                "opd".into(),
                json!({"code": u.code, "name": u.name, "path": u.path}),
            );
        }
        for (name, value) in [
            ("unit_kerja", &user.unit_kerja),
            ("jabatan", &user.jabatan),
            ("jenis_jabatan", &user.jenis_jabatan),
            ("eselon", &user.eselon),
            ("golongan", &user.golongan),
            ("jenis_pegawai", &user.jenis_pegawai),
        ] {
            if let Some(v) = value {
                p.insert(name.into(), json!(v));
            }
        }
        if let Some(k) = user
            .kedudukan
            .as_deref()
            .and_then(crate::domain::asn::Kedudukan::parse)
        {
            p.insert(
                "kedudukan".into(),
                json!({"code": k.code(), "name": k.name()}),
            );
        }
    }
    if scopes.contains(NIK)
        && client.nik_allowed
        && client.allowed_scopes.contains(NIK)
        && let Some(nik) = &user.nik
    {
        extra.person.insert("nik".into(), json!(nik));
    }
    Ok(extra)
}

/// Adds the directory claims meant for `target`.
pub fn apply(c: &mut Map<String, Value>, extra: &Extra, client: &Client, target: ClaimTarget) {
    if matches!(target, ClaimTarget::IdToken | ClaimTarget::UserInfo) {
        for (k, v) in &extra.person {
            c.insert(k.clone(), v.clone());
        }
    }
    if let Some(r) = &extra.roles
        && client.role_claims.contains(target)
    {
        c.insert("roles".into(), json!(r.structured));
        c.insert("roles_flat".into(), json!(r.flat));
    }
}

pub fn user_claims(user: &User, scopes: &Scopes) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("sub".into(), json!(user.id));
    if scopes.contains("profile") {
        c.insert("name".into(), json!(display_name(user)));
        let mut parts = user.name.trim().rsplitn(2, ' ');
        let last = parts.next().unwrap_or_default();
        match parts.next() {
            Some(first) => {
                c.insert("given_name".into(), json!(first));
                c.insert("family_name".into(), json!(last));
            }
            None => {
                c.insert("given_name".into(), json!(last));
            }
        }
        c.insert("preferred_username".into(), json!(user.username));
        c.insert("updated_at".into(), json!(user.updated_at));
    }
    if scopes.contains("email")
        && let Some(email) = &user.email
    {
        c.insert("email".into(), json!(email));
        c.insert("email_verified".into(), json!(user.email_verified));
    }
    if scopes.contains("phone")
        && let Some(phone) = &user.phone
    {
        c.insert("phone_number".into(), json!(phone));
        c.insert("phone_number_verified".into(), json!(false));
    }
    c
}

//! A registered client as every layer sees it (settings parsed from its row):
//! its authentication method, redirect URIs, grant types, scopes, keys, logout
//! URIs, claim rules and status. No I/O: the registry is `crate::clients`.

use crate::domain::Scopes;
use crate::domain::acr::Acr;
use crate::jose::{Alg, JwkSet};
use entity::client;
use sea_orm::DbErr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    /// `client_secret_basic` or `client_secret_post`: the client proves itself with
    /// its secret, in the header or in the body.
    pub fn carries_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }

    pub const SUPPORTED: [&'static str; 4] = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "client_secret_basic" => Some(AuthMethod::ClientSecretBasic),
            "client_secret_post" => Some(AuthMethod::ClientSecretPost),
            "private_key_jwt" => Some(AuthMethod::PrivateKeyJwt),
            "none" => Some(AuthMethod::None),
            _ => None,
        }
    }
}

/// `client.status` of a client that may be used.
pub const STATUS_ACTIVE: &str = "active";
/// `client.status` of a client an administrator disabled: refused everywhere.
pub const STATUS_DISABLED: &str = "disabled";

pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// A client as the protocol code sees it.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: crate::domain::ClientId,
    pub name: String,
    pub auth_method: AuthMethod,
    pub secret_digest: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub allowed_scopes: Scopes,
    pub first_party: bool,
    pub alg: Alg,
    pub jwks: Option<JwkSet>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    /// The weakest authentication level this client accepts (`None`: any).
    pub min_acr: Option<Acr>,
    pub active: bool,
    /// An administrator allowed the `nik` claim.
    pub nik_allowed: bool,
    /// Where role claims go.
    pub role_claims: RoleClaims,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The places role claims can be released to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimTarget {
    IdToken,
    UserInfo,
    AccessToken,
    Introspection,
}

impl ClaimTarget {
    pub const ALL: [ClaimTarget; 4] = [
        ClaimTarget::IdToken,
        ClaimTarget::UserInfo,
        ClaimTarget::AccessToken,
        ClaimTarget::Introspection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimTarget::IdToken => "id_token",
            ClaimTarget::UserInfo => "userinfo",
            ClaimTarget::AccessToken => "access_token",
            ClaimTarget::Introspection => "introspection",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A set of claim targets, stored space-separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleClaims(u8);

impl RoleClaims {
    pub const ALL: RoleClaims = RoleClaims(0b1111);

    pub fn parse(s: &str) -> Result<Self, String> {
        let mut bits = 0u8;
        for word in s.split([' ', ',']).filter(|w| !w.is_empty()) {
            let t = ClaimTarget::parse(word).ok_or_else(|| {
                format!(
                    "unknown role claim target `{word}` (id_token, userinfo, access_token, introspection)"
                )
            })?;
            bits |= 1 << (t as u8);
        }
        Ok(RoleClaims(bits))
    }

    pub fn contains(self, t: ClaimTarget) -> bool {
        self.0 & (1 << (t as u8)) != 0
    }
}

impl std::fmt::Display for RoleClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v: Vec<&str> = ClaimTarget::ALL
            .into_iter()
            .filter(|t| self.contains(*t))
            .map(ClaimTarget::as_str)
            .collect();
        f.write_str(&v.join(" "))
    }
}

/// The reserved application id of Gapura itself (roles `opd-admin`, `nik-reader`).
pub const GAPURA_APP: &str = "gapura";

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    pub(super) fn from_row(row: client::Model) -> Result<Self, DbErr> {
        let bad = |what: &str| DbErr::Custom(format!("client {}: bad {what}", row.client_id));
        Ok(Self {
            auth_method: AuthMethod::parse(&row.token_endpoint_auth_method)
                .ok_or_else(|| bad("auth method"))?,
            redirect_uris: serde_json::from_str(&row.redirect_uris)
                .map_err(|_| bad("redirect_uris"))?,
            post_logout_redirect_uris: serde_json::from_str(&row.post_logout_redirect_uris)
                .map_err(|_| bad("post_logout_redirect_uris"))?,
            grant_types: row
                .grant_types
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            allowed_scopes: Scopes::parse(&row.allowed_scopes).map_err(|_| bad("scopes"))?,
            alg: Alg::parse(&row.id_token_signed_response_alg).ok_or_else(|| bad("alg"))?,
            jwks: match &row.jwks {
                Some(j) => Some(serde_json::from_str(j).map_err(|_| bad("jwks"))?),
                None => None,
            },
            min_acr: row.min_acr.as_deref().and_then(Acr::parse),
            active: row.status == "active",
            backchannel_logout_uri: row.backchannel_logout_uri,
            backchannel_logout_session_required: row.backchannel_logout_session_required,
            frontchannel_logout_uri: row.frontchannel_logout_uri,
            frontchannel_logout_session_required: row.frontchannel_logout_session_required,
            nik_allowed: row.nik_allowed,
            role_claims: RoleClaims::parse(&row.role_claims).map_err(|_| bad("role_claims"))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
            id: row.client_id.into(),
            name: row.name,
            secret_digest: row.secret_digest,
            first_party: row.first_party,
        })
    }
}

//! Passkeys and security keys (Web Authentication Level 3, via webauthn-rs):
//! registration (§7.1), authentication with the person's credentials as a second
//! factor (§7.2), and username-less authentication with a discoverable credential
//! as a first factor. The relying-party id is the issuer's host and the origin the
//! issuer's origin (an IP-address issuer has no WebAuthn: §5.1.2 needs a domain).
//! Ceremony state stays in the store for five minutes under a random ceremony id;
//! it never reaches the browser.

use super::factors::{self, Factor};
use crate::crypto::{b64, random_token};
use crate::state::AppState;
use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

const CEREMONY_TTL: i64 = 300;
const DISCOVERABLE_AAD: &[u8] = b"gapura discoverable passkey ceremony v1";

/// A username-less ceremony, sealed into the `ceremony` value the browser returns
/// (AES-256-GCM under the master key: it can be neither read nor altered), so an
/// unauthenticated login page costs the server no storage. It is single use: once
/// an assertion verifies, its id is marked used in the durable store.
#[derive(serde::Serialize, serde::Deserialize)]
struct SealedCeremony {
    id: String,
    expires_at: i64,
    auth: DiscoverableAuthentication,
}

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("passkeys need an issuer with a domain name")]
    Unavailable,
    #[error("the ceremony expired or is unknown")]
    Expired,
    #[error("the credential was not accepted: {0}")]
    Rejected(String),
    #[error("this credential is already registered")]
    Duplicate,
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// The relying party for an issuer, or `None` when the issuer's host is an address.
pub fn relying_party(issuer: &str) -> Option<Webauthn> {
    let origin = Url::parse(issuer).ok()?;
    let rp_id = origin.domain()?.to_owned();
    WebauthnBuilder::new(&rp_id, &origin)
        .ok()?
        .rp_name("Gapura")
        .build()
        .ok()
}

fn rp(state: &AppState) -> Result<&Webauthn, PasskeyError> {
    state.webauthn.as_deref().ok_or(PasskeyError::Unavailable)
}

fn key(kind: &str, id: &str) -> String {
    format!("webauthn:{kind}:{id}")
}

fn user_uuid(user_id: &str) -> Uuid {
    // Account ids are UUIDs; any other id maps to a stable name-based value.
    Uuid::parse_str(user_id).unwrap_or_else(|_| {
        let d = crate::crypto::sha256(user_id.as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&d[..16]);
        Uuid::from_bytes(b)
    })
}

fn passkey_of(f: &Factor) -> Option<Passkey> {
    serde_json::from_str(&f.data).ok()
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, PasskeyError> {
    serde_json::to_value(v).map_err(|e| PasskeyError::Rejected(e.to_string()))
}

/// Options for `navigator.credentials.create()`, with the ceremony id to send back.
pub async fn start_registration(
    state: &AppState,
    user_id: &str,
    username: &str,
    display_name: &str,
) -> Result<(String, Value), PasskeyError> {
    let existing: Vec<_> = factors::summary(&state.db, user_id)
        .await?
        .passkeys
        .iter()
        .filter_map(passkey_of)
        .map(|p| p.cred_id().clone())
        .collect();
    let (ccr, reg) = rp(state)?
        .start_passkey_registration(
            user_uuid(user_id),
            username,
            display_name,
            Some(existing).filter(|e| !e.is_empty()),
        )
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let ceremony = random_token(24);
    state
        .volatile
        .put_json(&key("reg", &ceremony), &(user_id, reg), CEREMONY_TTL)
        .await?;
    let mut options = to_json(&ccr)?;
    // Ask for a discoverable credential where the authenticator can keep one, so the
    // same passkey also works without a login name.
    if let Some(sel) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(Value::as_object_mut)
    {
        sel.insert("residentKey".into(), Value::from("preferred"));
    }
    Ok((ceremony, options))
}

/// Verifies the attestation and stores the passkey under `label`.
pub async fn finish_registration(
    state: &AppState,
    user_id: &str,
    ceremony: &str,
    credential_json: &str,
    label: &str,
) -> Result<Factor, PasskeyError> {
    let Some((owner, reg)) = state
        .volatile
        .take_json::<(String, PasskeyRegistration)>(&key("reg", ceremony))
        .await?
    else {
        return Err(PasskeyError::Expired);
    };
    if owner != user_id {
        return Err(PasskeyError::Expired);
    }
    let credential: RegisterPublicKeyCredential =
        serde_json::from_str(credential_json).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let passkey = rp(state)?
        .finish_passkey_registration(&credential, &reg)
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let cred_id = b64(passkey.cred_id().as_ref());
    if factors::by_credential_id(&state.db, &cred_id)
        .await?
        .is_some()
    {
        return Err(PasskeyError::Duplicate);
    }
    let label = label.trim();
    let label = if label.is_empty() {
        "Passkey".to_owned()
    } else {
        label.chars().take(60).collect()
    };
    let data =
        serde_json::to_string(&passkey).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    Ok(factors::add_passkey(&state.db, user_id, &label, &cred_id, data, state.now()).await?)
}

/// What an assertion proved, as RFC 8176 methods.
#[derive(Debug, Clone)]
pub struct Verified {
    pub user_id: String,
    pub factor_id: String,
    pub label: String,
    /// `hwk` for a device-bound key, `swk` for a synchronised (backup-eligible) one;
    /// `user` (presence), `pin` when the authenticator verified the person.
    pub methods: Vec<&'static str>,
}

fn methods(res: &webauthn_rs::prelude::AuthenticationResult) -> Vec<&'static str> {
    let mut m = vec![if res.backup_eligible() {
        super::amr::SWK
    } else {
        super::amr::HWK
    }];
    m.push(super::amr::USER);
    if res.user_verified() {
        m.push(super::amr::PIN);
    }
    m
}

/// Options for `navigator.credentials.get()` restricted to this person's passkeys.
pub async fn start_authentication(
    state: &AppState,
    user_id: &str,
) -> Result<(String, Value), PasskeyError> {
    let keys: Vec<Passkey> = factors::summary(&state.db, user_id)
        .await?
        .passkeys
        .iter()
        .filter_map(passkey_of)
        .collect();
    let (rcr, auth) = rp(state)?
        .start_passkey_authentication(&keys)
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let ceremony = random_token(24);
    state
        .volatile
        .put_json(&key("auth", &ceremony), &(user_id, auth), CEREMONY_TTL)
        .await?;
    Ok((ceremony, to_json(&rcr)?))
}

async fn record_use(
    state: &AppState,
    f: &Factor,
    mut passkey: Passkey,
    res: &webauthn_rs::prelude::AuthenticationResult,
) -> Result<(), PasskeyError> {
    let data = if passkey.update_credential(res) == Some(true) {
        serde_json::to_string(&passkey).ok()
    } else {
        None
    };
    factors::touch(&state.db, &f.id, state.now(), data).await?;
    Ok(())
}

/// Verifies a second-factor assertion by `user_id`.
pub async fn finish_authentication(
    state: &AppState,
    user_id: &str,
    ceremony: &str,
    credential_json: &str,
) -> Result<Verified, PasskeyError> {
    let Some((owner, auth)) = state
        .volatile
        .take_json::<(String, PasskeyAuthentication)>(&key("auth", ceremony))
        .await?
    else {
        return Err(PasskeyError::Expired);
    };
    if owner != user_id {
        return Err(PasskeyError::Expired);
    }
    let credential: PublicKeyCredential =
        serde_json::from_str(credential_json).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let res = rp(state)?
        .finish_passkey_authentication(&credential, &auth)
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let f = factors::by_credential_id(&state.db, &b64(res.cred_id().as_ref()))
        .await?
        .filter(|f| f.user_id == user_id)
        .ok_or_else(|| PasskeyError::Rejected("unknown credential".into()))?;
    let passkey = passkey_of(&f).ok_or_else(|| PasskeyError::Rejected("stored key".into()))?;
    record_use(state, &f, passkey, &res).await?;
    Ok(Verified {
        user_id: f.user_id.clone(),
        factor_id: f.id.clone(),
        label: f.label.clone(),
        methods: methods(&res),
    })
}

/// Options for a username-less login (conditional mediation where the browser has it).
pub async fn start_discoverable(state: &AppState) -> Result<(String, Value), PasskeyError> {
    let (rcr, auth) = rp(state)?
        .start_discoverable_authentication()
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let sealed = SealedCeremony {
        id: random_token(16),
        expires_at: state.now() + CEREMONY_TTL,
        auth,
    };
    let json = serde_json::to_vec(&sealed).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let ceremony = state.master.encrypt(&json, DISCOVERABLE_AAD);
    Ok((ceremony, to_json(&rcr)?))
}

/// Verifies a username-less assertion: the credential names its account.
pub async fn finish_discoverable(
    state: &AppState,
    ceremony: &str,
    credential_json: &str,
) -> Result<Verified, PasskeyError> {
    let sealed: SealedCeremony = state
        .master
        .decrypt(ceremony, DISCOVERABLE_AAD)
        .ok()
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .filter(|s: &SealedCeremony| state.now() < s.expires_at)
        .ok_or(PasskeyError::Expired)?;
    let auth = sealed.auth;
    let credential: PublicKeyCredential =
        serde_json::from_str(credential_json).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let webauthn = rp(state)?;
    let (uuid, cred_id) = webauthn
        .identify_discoverable_authentication(&credential)
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let f = factors::by_credential_id(&state.db, &b64(cred_id))
        .await?
        .filter(|f| user_uuid(&f.user_id) == uuid)
        .ok_or_else(|| PasskeyError::Rejected("unknown credential".into()))?;
    let passkey = passkey_of(&f).ok_or_else(|| PasskeyError::Rejected("stored key".into()))?;
    let res = webauthn
        .finish_discoverable_authentication_v2(&credential, auth, DiscoverableKey::from(&passkey))
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    // Only a verified assertion writes anything: its ceremony is used up.
    if !state
        .store
        .put_if_absent(
            &format!("webauthn-used:{}", sealed.id),
            "1",
            CEREMONY_TTL + 60,
        )
        .await?
    {
        return Err(PasskeyError::Expired);
    }
    record_use(state, &f, passkey, &res).await?;
    Ok(Verified {
        user_id: f.user_id.clone(),
        factor_id: f.id.clone(),
        label: f.label.clone(),
        methods: methods(&res),
    })
}

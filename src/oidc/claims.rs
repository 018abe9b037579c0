//! Claims about a person, released by scope (OIDC Core §5.1, §5.4).
//! `preferred_username` is the login name: the NIP for ASN, as BKN's SSO does.

use crate::domain::Scopes;
use crate::users::{User, display_name};
use serde_json::{Map, Value, json};

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

//! Sea-ORM entities of Gapura: plain table mappings, no logic, no `Serialize`
//! (rows are never DTOs; secrets stay inside the crate that owns them).
//! Timestamps are Unix seconds (`i64`) so SQLite and PostgreSQL agree.

pub mod acr_policy;
pub mod app_role;
pub mod audit_event;
pub mod authn_factor;
pub mod backchannel_delivery;
pub mod client;
pub mod consent;
pub mod grant;
pub mod opd;
pub mod recovery_code;
pub mod refresh_token;
pub mod role_assignment;
pub mod signing_key;
pub mod user_account;

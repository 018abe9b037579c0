//! Integration tests: the real server on port 0, the real database (SQLite file,
//! or PostgreSQL when `DATABASE_URL` says so), a real HTTP client, and the
//! `openidconnect` crate as the relying party.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dir_helpers;
mod helpers;

mod admin_api;
mod attacks_admin;
mod attacks_edge;
mod attacks_flow;
mod browser_apps;
mod claim_sets;
mod cli;
mod client_auth;
mod code_flow;
mod demo_rp;
mod directory_claims;
mod directory_import;
mod discovery;
mod instances;
mod keys;
mod layering;
mod login_ui;
mod logout;
mod mfa_passkeys;
mod mfa_policy;
mod mfa_support;
mod mfa_totp;
mod negative;
mod opd_tree;
mod operations;
mod password_change;
mod scim;
mod sessions;
mod softkey;
mod tokens;

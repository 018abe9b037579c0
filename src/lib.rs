//! Gapura: the single sign-on OpenID Connect provider of the City Government of Bogor.

pub mod audit;
pub mod cli;
pub mod clients;
pub mod clock;
pub mod config;
pub mod consent;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod health;
pub mod http;
pub mod interaction;
pub mod jose;
pub mod keys;
pub mod oidc;
pub mod password;
pub mod session;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod ui;
pub mod users;

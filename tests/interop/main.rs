//! Interoperability tests (issue #11): Gapura in-process, as in `tests/api`, and
//! relying-party software nobody here wrote, each configured as its own
//! documentation says and registered with Gapura's defaults:
//!
//! - Apache httpd + mod_auth_openidc in front of a protected page (`apache`);
//! - a plain-JS single-page app in real Chromium through WebDriver (`spa`);
//! - Node's openid-client 6 with its defaults (`node`);
//! - Python's Authlib (`authlib`).
//!
//! A tool that is not installed skips its test with "skipped: <tool> not installed",
//! unless `CI` is set: then it fails (`.ci/run` installs them all).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../api/dir_helpers.rs"]
mod dir_helpers;
#[path = "../api/helpers.rs"]
mod helpers;

mod support;
mod webdriver;

mod apache;
mod authlib;
mod node;
mod spa;

//! Roles per OPD (issue #3): applications declare roles; an assignment gives a person
//! a role of one application over one OPD, an OPD sub-tree or the whole city, with an
//! optional validity period. Also who may administer whom (super-admins and OPD
//! administrators, scoped to their sub-tree) and the role claims put in tokens.

pub mod admin;
pub mod claims;
pub mod roles;

pub use admin::AdminContext;

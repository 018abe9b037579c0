//! Framework-free types for protocol values and identifiers, parsed once at the edge.

pub mod acr;
pub mod asn;
pub mod ids;
pub mod meta;
pub mod nik;
pub mod nip;
pub mod params;
pub mod redirect_uri;
pub mod scope;
pub mod text;
pub mod time;

pub use ids::{ClientId, Sid, UserId};
pub use meta::RequestMeta;
pub use nik::Nik;
pub use nip::Nip;
pub use params::Params;
pub use redirect_uri::RedirectUri;
pub use scope::Scopes;

//! Typed settings: embedded defaults < optional TOML file < `GAPURA_*` environment
//! (plus the conventional `DATABASE_URL` and `REDIS_URL`). Validated once at start.

use crate::net::TrustedProxies;
use secrecy::SecretString;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use url::Url;

const DEFAULTS: &str = r#"
bind = "127.0.0.1:8080"
database_url = "sqlite://data/gapura.db?mode=rwc"
keys_dir = "keys"
log_format = "text"
store_prefix = "gapura:"
background_jobs = true

[tokens]
access_token_ttl = 600
id_token_ttl = 3600
refresh_token_ttl = 2592000
code_ttl = 60
key_activation_delay = 3600

[password]
memory_kib = 19456
iterations = 2
parallelism = 1

[session]
idle_timeout = 1800
absolute_lifetime = 36000

[login_guard]
pair_threshold = 5
account_addresses = 10
base_lock = 60
max_lock = 3600
window = 900
"#;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Public issuer identifier; `None` means `http://<bound address>` (loopback only).
    pub issuer: Option<String>,
    pub bind: String,
    /// A separate management address for `/metrics` (and the health checks); when
    /// set, the public listener no longer answers `/metrics`.
    pub metrics_bind: Option<String>,
    pub database_url: SecretString,
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key (several deployments may share one Redis).
    pub store_prefix: String,
    pub keys_dir: PathBuf,
    /// Base64url 32-byte master key; when absent it is read from (or created in) `keys_dir`.
    pub master_key: Option<SecretString>,
    pub admin_password: Option<SecretString>,
    pub log_format: String,
    /// Back-channel deliveries, session expiry and key reloads in the background
    /// (tests that drive these by hand turn them off).
    pub background_jobs: bool,
    /// OTLP/HTTP traces endpoint (e.g. `http://collector:4318/v1/traces`); off when unset.
    pub otlp_endpoint: Option<String>,
    pub tokens: TokenSettings,
    pub password: PasswordSettings,
    pub session: SessionSettings,
    pub login_guard: LoginGuardSettings,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed
    /// (addresses and CIDR blocks). `GAPURA_TRUSTED_PROXIES` is comma-separated;
    /// a TOML file may give a list. Empty: the TCP peer is the client.
    #[serde(default, deserialize_with = "trusted_proxies")]
    pub trusted_proxies: TrustedProxies,
}

/// A comma-separated string (from the environment) or a list of strings (TOML),
/// each an address or CIDR block; a bad entry stops the start with its text.
fn trusted_proxies<'de, D: serde::Deserializer<'de>>(d: D) -> Result<TrustedProxies, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
    }
    let parsed = match Raw::deserialize(d)? {
        Raw::One(s) => TrustedProxies::parse_list(&s),
        Raw::Many(v) => TrustedProxies::from_entries(v.iter().map(String::as_str)),
    };
    parsed.map_err(|e| serde::de::Error::custom(format!("invalid trusted proxy: {e}")))
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenSettings {
    pub access_token_ttl: i64,
    pub id_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub code_ttl: i64,
    /// Seconds between publishing a rotated key and signing with it.
    pub key_activation_delay: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PasswordSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// Brute-force protection: failures counted per (account, address) pair and per account.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginGuardSettings {
    /// Failures from one address against one account before that pair is locked.
    pub pair_threshold: i64,
    /// Distinct addresses failing against one account before the account itself is locked.
    pub account_addresses: usize,
    /// First lock, in seconds; each further lock doubles it, up to `max_lock`.
    pub base_lock: i64,
    pub max_lock: i64,
    /// How long failures are remembered.
    pub window: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionSettings {
    pub idle_timeout: i64,
    pub absolute_lifetime: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid setting `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

impl Settings {
    /// Loads defaults, then `file` (TOML) if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("GAPURA")
                .prefix_separator("_")
                .separator("__"),
        );
        for (var, key) in [("DATABASE_URL", "database_url"), ("REDIS_URL", "redis_url")] {
            if let Ok(value) = std::env::var(var)
                && !value.is_empty()
            {
                builder = builder.set_override(key, value)?;
            }
        }
        Self::from_builder(builder)
    }

    fn from_builder(
        builder: config::ConfigBuilder<config::builder::DefaultState>,
    ) -> Result<Self, ConfigError> {
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Defaults only, for tests and tools that configure themselves in code.
    pub fn defaults() -> Result<Self, ConfigError> {
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()?
            .try_deserialize()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(issuer) = &self.issuer {
            validate_issuer(issuer)?;
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "bind",
                format!("`{}` is not an address:port", self.bind),
            ));
        }
        if let Some(m) = &self.metrics_bind {
            let Ok(addr) = m.parse::<std::net::SocketAddr>() else {
                return Err(invalid(
                    "metrics_bind",
                    format!("`{m}` is not an address:port"),
                ));
            };
            if addr.port() != 0 && Some(addr) == self.bind.parse().ok() {
                return Err(invalid(
                    "metrics_bind",
                    "must differ from `bind` (it is meant to be a separate address)",
                ));
            }
        }
        let t = &self.tokens;
        for (key, value, min, max) in [
            ("tokens.access_token_ttl", t.access_token_ttl, 30, 86_400),
            ("tokens.id_token_ttl", t.id_token_ttl, 30, 86_400),
            (
                "tokens.refresh_token_ttl",
                t.refresh_token_ttl,
                60,
                31_536_000,
            ),
            ("tokens.code_ttl", t.code_ttl, 10, 600),
            (
                "tokens.key_activation_delay",
                t.key_activation_delay,
                0,
                604_800,
            ),
            (
                "session.idle_timeout",
                self.session.idle_timeout,
                60,
                86_400,
            ),
            (
                "session.absolute_lifetime",
                self.session.absolute_lifetime,
                60,
                604_800,
            ),
        ] {
            if !(min..=max).contains(&value) {
                return Err(invalid(
                    key,
                    format!("{value} is outside {min}..={max} seconds"),
                ));
            }
        }
        let p = &self.password;
        if p.memory_kib < 8 * p.parallelism.max(1) || p.iterations == 0 || p.parallelism == 0 {
            return Err(invalid("password", "argon2id parameters out of range"));
        }
        let g = &self.login_guard;
        if g.pair_threshold < 1
            || g.account_addresses < 1
            || g.base_lock < 1
            || g.max_lock < g.base_lock
            || g.window < 60
        {
            return Err(invalid(
                "login_guard",
                "thresholds must be positive and max_lock >= base_lock",
            ));
        }
        if let Some(url) = &self.redis_url {
            let url = secrecy::ExposeSecret::expose_secret(url);
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(invalid(
                    "redis_url",
                    "must start with redis:// or rediss://",
                ));
            }
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(invalid("log_format", "must be `text` or `json`"));
        }
        Ok(())
    }
}

/// An issuer is an absolute `https` URL without query or fragment (OIDC Discovery §3);
/// plain `http` is accepted only for loopback hosts, for development.
pub fn validate_issuer(issuer: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(issuer)
        .map_err(|e| invalid("issuer", format!("`{issuer}` is not an absolute URL ({e})")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("issuer", "must not have a query or fragment"));
    }
    if issuer.ends_with('/') {
        return Err(invalid("issuer", "must not end with `/`"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(invalid(
            "issuer",
            "must use https (http only for localhost)",
        )),
        other => Err(invalid(
            "issuer",
            format!("scheme `{other}` is not http(s)"),
        )),
    }
}

/// Whether an issuer names this machine (`localhost` or a loopback address).
pub fn is_localhost_issuer(issuer: &str) -> bool {
    Url::parse(issuer).is_ok_and(|u| is_loopback(&u))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_rules() {
        assert!(validate_issuer("https://sso.kotabogor.go.id").is_ok());
        assert!(validate_issuer("http://127.0.0.1:8080").is_ok());
        assert!(validate_issuer("http://sso.kotabogor.go.id").is_err());
        assert!(validate_issuer("sso.kotabogor.go.id").is_err());
        assert!(validate_issuer("https://sso.kotabogor.go.id/?a=b").is_err());
        assert!(validate_issuer("https://sso.kotabogor.go.id/").is_err());
    }

    #[test]
    fn defaults_are_valid() {
        let s = Settings::defaults().unwrap();
        s.validate().unwrap();
        assert_eq!(s.tokens.code_ttl, 60);
        assert!(s.trusted_proxies.is_empty());
    }

    fn with(key: &str, value: config::Value) -> Result<Settings, ConfigError> {
        Settings::from_builder(
            config::Config::builder()
                .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
                .set_override(key, value)?,
        )
    }

    #[test]
    fn trusted_proxies_from_env_string_or_list() {
        // as GAPURA_TRUSTED_PROXIES arrives: one comma-separated string
        let s = with("trusted_proxies", "10.0.0.0/8, 2001:db8::1".into()).unwrap();
        assert_eq!(s.trusted_proxies.nets().len(), 2);
        assert!(s.trusted_proxies.contains("10.9.9.9".parse().unwrap()));
        let s = with("trusted_proxies", vec!["192.0.2.1", "::1/128"].into()).unwrap();
        assert_eq!(s.trusted_proxies.nets().len(), 2);
        let e = with("trusted_proxies", "10.0.0.0/8, 10.0.0.300".into())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("invalid trusted proxy") && e.contains("`10.0.0.300`"),
            "{e}"
        );
        let e = with("trusted_proxies", "10.0.0.1/8".into())
            .unwrap_err()
            .to_string();
        assert!(e.contains("10.0.0.0/8"), "{e}");
    }
}

//! Client addresses behind reverse proxies, free of any web framework: the TCP peer,
//! the configured trusted proxies (addresses and CIDR blocks, IPv4 and IPv6) and the
//! raw values of the `Forwarded` (RFC 7239) and `X-Forwarded-For` headers go in, the
//! address of the client comes out.
//!
//! The rules:
//! - the headers are read only when the TCP peer is a trusted proxy; from anyone
//!   else they are ignored and the peer is the client;
//! - the chain is walked from the right (the hop nearest to Gapura first), skipping
//!   hops that are themselves trusted proxies; the first untrusted address is the
//!   client;
//! - a value that is not an address (`unknown`, an obfuscated `_hidden`, garbage,
//!   a missing `for=`) stops the walk: the client is then the last trusted hop,
//!   never anything the garbage claims;
//! - when both headers are present and name different clients, one of them was
//!   written by the client rather than by a proxy: neither is believed and the
//!   client is again the last trusted hop (a proxy appends to the header it
//!   maintains, so the header it does not maintain can name any address).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `2001:db8::/32`;
/// a bare address is a network of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("`{0}` is not an IP address or CIDR block")]
    NotAnAddress(String),
    #[error("`{0}` has a prefix length outside 0..={1}")]
    Prefix(String, u8),
    #[error("`{0}` has host bits set beyond its prefix (the network is `{1}`)")]
    HostBits(String, IpNet),
}

impl IpNet {
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, NetError> {
        let max = max_prefix(&addr);
        if prefix > max {
            return Err(NetError::Prefix(format!("{addr}/{prefix}"), max));
        }
        Ok(Self { addr, prefix })
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies in this network. IPv4-mapped IPv6 addresses
    /// (`::ffff:192.0.2.1`) count as the IPv4 address they carry.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask32(self.prefix);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask128(self.prefix);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn max_prefix(addr: &IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for IpNet {
    type Err = NetError;

    fn from_str(s: &str) -> Result<Self, NetError> {
        let s = s.trim();
        let bad = || NetError::NotAnAddress(s.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            None => {
                let addr = IpAddr::from_str(s).map_err(|_| bad())?.to_canonical();
                return Ok(Self {
                    addr,
                    prefix: max_prefix(&addr),
                });
            }
            Some((a, p)) => {
                let addr = IpAddr::from_str(a).map_err(|_| bad())?;
                // Only plain decimal digits: no sign, no spaces, no leading `+`.
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                let prefix: u8 = p
                    .parse()
                    .map_err(|_| NetError::Prefix(s.to_owned(), max_prefix(&addr)))?;
                (addr, prefix)
            }
        };
        let max = max_prefix(&addr);
        if prefix > max {
            return Err(NetError::Prefix(s.to_owned(), max));
        }
        // An IPv4-mapped block (`::ffff:10.0.0.0/104`) is the IPv4 block it maps.
        let (addr, prefix) = match addr {
            IpAddr::V6(v6) if prefix >= 96 && v6.to_ipv4_mapped().is_some() => (
                IpAddr::V4(v6.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED)),
                prefix - 96,
            ),
            other => (other, prefix),
        };
        let network = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        let net = Self {
            addr: network,
            prefix,
        };
        if network != addr {
            return Err(NetError::HostBits(s.to_owned(), net));
        }
        Ok(net)
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The reverse proxies whose forwarding headers are believed. Empty by default:
/// then the TCP peer is always the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// A comma-separated list (`10.0.0.0/8, 2001:db8::1`); blanks are skipped.
    pub fn parse_list(s: &str) -> Result<Self, NetError> {
        Self::from_entries(s.split(','))
    }

    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, NetError> {
        let mut nets = Vec::new();
        for e in entries {
            if !e.trim().is_empty() {
                nets.push(e.parse()?);
            }
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn nets(&self) -> &[IpNet] {
        &self.0
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client of a request that arrived from `peer` with these header values
    /// (each element one header line, in the order received). See the module docs.
    pub fn resolve(
        &self,
        peer: IpAddr,
        forwarded: &[&[u8]],
        x_forwarded_for: &[&[u8]],
    ) -> ClientAddr {
        let peer = peer.to_canonical();
        let direct = ClientAddr {
            ip: peer,
            peer,
            via_trusted_proxy: false,
        };
        if !self.contains(peer) {
            return direct;
        }
        let from = |hops: Option<Vec<Hop>>| hops.map(|h| self.walk(peer, &h));
        let f = (!forwarded.is_empty()).then(|| from(forwarded_hops(forwarded)));
        let x = (!x_forwarded_for.is_empty()).then(|| from(xff_hops(x_forwarded_for)));
        let ip = match (f, x) {
            (None, None) => peer,
            (Some(one), None) | (None, Some(one)) => one.unwrap_or(peer),
            (Some(a), Some(b)) => match (a, b) {
                (Some(a), Some(b)) if a == b => a,
                // Disagreeing (or unreadable) headers: believe neither.
                _ => peer,
            },
        };
        ClientAddr {
            ip,
            peer,
            via_trusted_proxy: true,
        }
    }

    /// From the right: skip trusted hops, stop at the first untrusted address, and
    /// at garbage return the last trusted hop.
    fn walk(&self, peer: IpAddr, hops: &[Hop]) -> IpAddr {
        let mut last_trusted = peer;
        for hop in hops.iter().rev() {
            match hop {
                Hop::Addr(ip) if self.contains(*ip) => last_trusted = *ip,
                Hop::Addr(ip) => return *ip,
                Hop::Unknown => return last_trusted,
            }
        }
        last_trusted
    }
}

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client, as far as trusted proxies can tell.
    pub ip: IpAddr,
    /// The TCP peer.
    pub peer: IpAddr,
    /// The peer is a trusted proxy: what it forwards (addresses, and one day client
    /// certificates) may be believed.
    pub via_trusted_proxy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    Addr(IpAddr),
    /// `unknown`, obfuscated, or not an address at all.
    Unknown,
}

/// The hops of `X-Forwarded-For` lines (`client, proxy1, proxy2`). `None` when a
/// line is not even text.
fn xff_hops(lines: &[&[u8]]) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    for line in lines {
        let line = std::str::from_utf8(line).ok()?;
        for item in line.split(',') {
            hops.push(node(item.trim()).map_or(Hop::Unknown, Hop::Addr));
        }
    }
    Some(hops)
}

/// The hops of `Forwarded` lines (RFC 7239 §4): elements separated by `,`, each a
/// `;`-separated list of `token=value` pairs where value is a token or a quoted
/// string. An element without a readable `for=` is an unknown hop.
fn forwarded_hops(lines: &[&[u8]]) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    for line in lines {
        let line = std::str::from_utf8(line).ok()?;
        for element in split_outside_quotes(line, ',') {
            let mut hop = Hop::Unknown;
            let mut fors = 0;
            for pair in split_outside_quotes(element, ';') {
                let Some((name, value)) = pair.split_once('=') else {
                    continue;
                };
                if !name.trim().eq_ignore_ascii_case("for") {
                    continue;
                }
                fors += 1;
                hop = unquote(value.trim())
                    .and_then(|v| node(&v))
                    .map_or(Hop::Unknown, Hop::Addr);
            }
            // RFC 7239 §4: each parameter at most once per element.
            if fors > 1 {
                hop = Hop::Unknown;
            }
            hops.push(hop);
        }
    }
    Some(hops)
}

/// Splits at `sep` where it is not inside a quoted string (backslash escapes).
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// A token, or a quoted string without its quotes and escapes.
fn unquote(v: &str) -> Option<String> {
    let Some(inner) = v.strip_prefix('"') else {
        return (!v.is_empty() && !v.contains(['"', '\\'])).then(|| v.to_owned());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// A node (RFC 7239 §6): `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711`, or a bare IPv6 address (as `X-Forwarded-For` carries it).
/// `unknown`, `_obfuscated` and anything else are `None`.
fn node(v: &str) -> Option<IpAddr> {
    if let Some(rest) = v.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || port(after.strip_prefix(':')?)) {
            return None;
        }
        return Ipv6Addr::from_str(inside)
            .ok()
            .map(|a| IpAddr::V6(a).to_canonical());
    }
    if let Ok(ip) = IpAddr::from_str(v) {
        return Some(ip.to_canonical());
    }
    let (host, p) = v.rsplit_once(':')?;
    if !port(p) {
        return None;
    }
    Ipv4Addr::from_str(host).ok().map(IpAddr::V4)
}

/// A port: digits (RFC 7239 also allows an obfuscated `_port`).
fn port(p: &str) -> bool {
    match p.strip_prefix('_') {
        Some(obf) => {
            !obf.is_empty()
                && obf
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        }
        None => !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_parsing() {
        assert_eq!(net("10.0.0.0/8").to_string(), "10.0.0.0/8");
        assert_eq!(net(" 192.0.2.7 ").to_string(), "192.0.2.7/32");
        assert_eq!(net("2001:db8::/32").to_string(), "2001:db8::/32");
        assert_eq!(net("::1").to_string(), "::1/128");
        assert_eq!(net("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert_eq!(net("::/0").to_string(), "::/0");
        // IPv4-mapped forms are the IPv4 addresses they carry
        assert_eq!(net("::ffff:10.1.2.3").to_string(), "10.1.2.3/32");
        assert_eq!(net("::ffff:10.0.0.0/104").to_string(), "10.0.0.0/8");
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0.0/+8",
            "10.0.0.0/ 8",
            "10.0.0.0/8/8",
            "10.0.0.256",
            "2001:db8::/129",
            "2001:db8::/0400",
            "example.org",
            "unknown",
            "10.0.0.0/-1",
            "[::1]",
        ] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad} was accepted");
        }
        match "10.0.0.1/8".parse::<IpNet>() {
            Err(NetError::HostBits(_, n)) => assert_eq!(n.to_string(), "10.0.0.0/8"),
            other => panic!("{other:?}"),
        }
        assert!("2001:db8::1/32".parse::<IpNet>().is_err());
        assert!(
            NetError::Prefix("10.0.0.0/33".into(), 32)
                .to_string()
                .contains("0..=32")
        );
    }

    #[test]
    fn cidr_matching() {
        let n = net("10.0.0.0/8");
        assert!(n.contains(ip("10.255.0.1")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.0.0.9")), "v4-mapped peer");
        assert!(!n.contains(ip("::a00:9")), "v4-compatible is not mapped");
        let n = net("192.0.2.128/25");
        assert!(n.contains(ip("192.0.2.200")));
        assert!(!n.contains(ip("192.0.2.127")));
        let n = net("2001:db8:cafe::/48");
        assert!(n.contains(ip("2001:db8:cafe:1::17")));
        assert!(!n.contains(ip("2001:db8:caff::17")));
        assert!(!n.contains(ip("10.0.0.1")));
        assert!(net("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!net("0.0.0.0/0").contains(ip("2001:db8::1")));
        assert!(net("::/0").contains(ip("2001:db8::1")));
        assert!(net("127.0.0.1").contains(ip("127.0.0.1")));
        assert!(!net("127.0.0.1").contains(ip("127.0.0.2")));
        assert!(net("::1").contains(ip("::1")));
    }

    #[test]
    fn lists() {
        let t = TrustedProxies::parse_list("10.0.0.0/8, 2001:db8::1,,").unwrap();
        assert_eq!(t.nets().len(), 2);
        assert!(TrustedProxies::parse_list("").unwrap().is_empty());
        let e = TrustedProxies::parse_list("10.0.0.0/8, 300.1.1.1").unwrap_err();
        assert!(e.to_string().contains("`300.1.1.1`"), "{e}");
    }

    fn proxies() -> TrustedProxies {
        TrustedProxies::parse_list("10.0.0.0/8, 2001:db8:ffff::/48").unwrap()
    }

    fn resolve(peer: &str, fwd: &[&str], xff: &[&str]) -> String {
        let f: Vec<&[u8]> = fwd.iter().map(|s| s.as_bytes()).collect();
        let x: Vec<&[u8]> = xff.iter().map(|s| s.as_bytes()).collect();
        proxies().resolve(ip(peer), &f, &x).ip.to_string()
    }

    #[test]
    fn untrusted_peers_headers_are_ignored() {
        assert_eq!(
            resolve("203.0.113.5", &[], &["198.51.100.1"]),
            "203.0.113.5"
        );
        assert_eq!(
            resolve("203.0.113.5", &["for=198.51.100.1"], &[]),
            "203.0.113.5"
        );
        let a = proxies().resolve(ip("203.0.113.5"), &[], &[b"198.51.100.1"]);
        assert!(!a.via_trusted_proxy);
        // nothing trusted at all (the default)
        let none = TrustedProxies::default();
        assert_eq!(
            none.resolve(ip("10.0.0.1"), &[], &[b"198.51.100.1"]).ip,
            ip("10.0.0.1")
        );
    }

    #[test]
    fn x_forwarded_for_chains() {
        assert_eq!(resolve("10.0.0.1", &[], &[]), "10.0.0.1");
        assert_eq!(resolve("10.0.0.1", &[], &["198.51.100.1"]), "198.51.100.1");
        // the client may prepend anything; the rightmost untrusted hop wins
        assert_eq!(
            resolve("10.0.0.1", &[], &["1.2.3.4, 198.51.100.1"]),
            "198.51.100.1"
        );
        // trusted hops are skipped, also across header lines
        assert_eq!(
            resolve("10.0.0.1", &[], &["1.2.3.4, 198.51.100.1", "10.0.0.7"]),
            "198.51.100.1"
        );
        // garbage stops the walk at the last trusted hop
        assert_eq!(resolve("10.0.0.1", &[], &["unknown"]), "10.0.0.1");
        assert_eq!(
            resolve("10.0.0.1", &[], &["198.51.100.1, garbage, 10.0.0.7"]),
            "10.0.0.7"
        );
        assert_eq!(resolve("10.0.0.1", &[], &[""]), "10.0.0.1");
        assert_eq!(resolve("10.0.0.1", &[], &["198.51.100.1,"]), "10.0.0.1");
        // only trusted hops: the leftmost of them
        assert_eq!(
            resolve("10.0.0.1", &[], &["10.0.0.3, 10.0.0.2"]),
            "10.0.0.3"
        );
        // ports and IPv6 forms
        assert_eq!(
            resolve("10.0.0.1", &[], &["198.51.100.1:4711"]),
            "198.51.100.1"
        );
        assert_eq!(resolve("10.0.0.1", &[], &["2001:db8::1"]), "2001:db8::1");
        assert_eq!(
            resolve("10.0.0.1", &[], &["[2001:db8::1]:4711"]),
            "2001:db8::1"
        );
        assert_eq!(
            resolve("10.0.0.1", &[], &["::ffff:198.51.100.1"]),
            "198.51.100.1"
        );
        assert_eq!(resolve("10.0.0.1", &[], &["[2001:db8::1"]), "10.0.0.1");
        assert_eq!(
            resolve("10.0.0.1", &[], &["198.51.100.1:99999x"]),
            "10.0.0.1"
        );
        // an IPv6 proxy peer, and an IPv4-mapped peer of a dual-stack socket
        assert_eq!(
            resolve("2001:db8:ffff::9", &[], &["198.51.100.1"]),
            "198.51.100.1"
        );
        assert_eq!(
            resolve("::ffff:10.0.0.1", &[], &["198.51.100.1"]),
            "198.51.100.1"
        );
    }

    #[test]
    fn forwarded_chains() {
        assert_eq!(
            resolve("10.0.0.1", &["for=198.51.100.1;proto=https"], &[]),
            "198.51.100.1"
        );
        assert_eq!(
            resolve("10.0.0.1", &["for=\"[2001:db8::1]:4711\""], &[]),
            "2001:db8::1"
        );
        assert_eq!(
            resolve("10.0.0.1", &["For=\"[2001:db8:cafe::17]\""], &[]),
            "2001:db8:cafe::17"
        );
        assert_eq!(
            resolve(
                "10.0.0.1",
                &["for=1.2.3.4, for=198.51.100.1;by=10.0.0.1", "for=10.0.0.9"],
                &[]
            ),
            "198.51.100.1"
        );
        // quoted separators do not split elements
        assert_eq!(
            resolve(
                "10.0.0.1",
                &["for=198.51.100.9, for=198.51.100.1;host=\"a,b;c\""],
                &[]
            ),
            "198.51.100.1"
        );
        for garbage in [
            "for=unknown",
            "for=_hidden",
            "for=\"_hidden:_port\"",
            "proto=https",
            "for=198.51.100.1;for=198.51.100.2",
            "for=\"198.51.100.1",
            "for=[2001:db8::1]x",
            "for=",
            "for=\"unterminated\\",
        ] {
            assert_eq!(
                resolve("10.0.0.1", &[garbage], &[]),
                "10.0.0.1",
                "{garbage}"
            );
        }
        // garbage behind a trusted hop: that hop
        assert_eq!(
            resolve("10.0.0.1", &["for=unknown, for=10.0.0.5"], &[]),
            "10.0.0.5"
        );
        // not UTF-8
        let odd: &[u8] = b"for=\xff";
        assert_eq!(
            proxies().resolve(ip("10.0.0.1"), &[odd], &[]).ip,
            ip("10.0.0.1")
        );
    }

    #[test]
    fn both_headers_must_agree() {
        assert_eq!(
            resolve("10.0.0.1", &["for=198.51.100.1"], &["198.51.100.1"]),
            "198.51.100.1"
        );
        // the proxy maintains X-Forwarded-For; the client forged Forwarded
        assert_eq!(
            resolve("10.0.0.1", &["for=192.0.2.66"], &["198.51.100.1"]),
            "10.0.0.1"
        );
        assert_eq!(
            resolve("10.0.0.1", &["for=unknown"], &["198.51.100.1"]),
            "10.0.0.1"
        );
    }
}

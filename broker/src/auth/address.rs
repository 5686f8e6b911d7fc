//! Remote-address patterns of `whiteRemoteAddress` and `globalWhiteRemoteAddresses`, as Java's
//! `RemoteAddressStrategyFactory` and `AclUtils` (4.9.x) read and match them:
//!
//! ```text
//!   "" / absent        never matches          "*", "*.*.*.*", "*:*:*:*:*:*:*:*"   always
//!   192.168.1.{1,7}    one of a list          192.168.1.1,10.0.0.1                 one of a list
//!   192.168.*.*        a range in one part    192.168.1.1-100, 1050::5:600:300c:*  the same, IPv6
//!   192.168.1.1        exactly this address (IPv6 compared in expanded form)
//! ```
//! The quirks are Java's: a range looks at one part only (the first `*` or `a-b` among the 2nd
//! to 4th), and a pattern Java refuses is refused here with Java's message.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::permission::split_tokens;

/// One parsed pattern (Java's `RemoteAddressStrategy` implementations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressPattern {
    /// Blank pattern: nothing matches (`BlankRemoteAddressStrategy`).
    Blank,
    /// `*`: everything matches (`NullRemoteAddressStrategy`).
    Any,
    /// Exact addresses (`MultipleRemoteAddressStrategy`), IPv6 ones expanded.
    Multiple(HashSet<String>),
    /// One address (`OneRemoteAddressStrategy`).
    One(String),
    /// One part in `start..=end` after a fixed head (`RangeRemoteAddressStrategy`).
    Range(Range),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    head: Option<String>,
    start: u32,
    end: u32,
    index: usize,
}

impl AddressPattern {
    /// Java `RemoteAddressStrategyFactory.getRemoteAddressStrategy`; `Err` carries the
    /// `AclException` message Java throws for a malformed pattern.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if pattern.trim().is_empty() {
            return Ok(AddressPattern::Blank);
        }
        if matches!(pattern, "*" | "*.*.*.*" | "*:*:*:*:*:*:*:*") {
            return Ok(AddressPattern::Any);
        }
        if pattern.ends_with('}') {
            let colon = pattern.contains(':');
            let parts = split_tokens(pattern, if colon { ':' } else { '.' });
            if !colon && parts.len() < 4 {
                return Err(
                    "MultipleRemoteAddressStrategy has got a/some wrong format IP(s) ".into(),
                );
            }
            let last = parts.last().copied().unwrap_or("");
            if !last.starts_with('{') {
                return Err(
                    "MultipleRemoteAddressStrategy netaddress examine scope Exception netaddress"
                        .into(),
                );
            }
            let prefix = &pattern[..pattern.find('{').unwrap_or(0)];
            let list = split_tokens(&last[1..last.len() - 1], ',');
            let full: Vec<String> = list.iter().map(|p| format!("{prefix}{p}")).collect();
            return multiple(full.iter().map(String::as_str));
        }
        if pattern.contains(',') {
            return multiple(split_tokens(pattern, ','));
        }
        if pattern.contains('*') || pattern.contains('-') {
            return Range::parse(pattern).map(AddressPattern::Range);
        }
        if !(is_inet4(pattern) || is_inet6(pattern)) {
            return Err(format!(
                "Netaddress examine Exception netaddress is {pattern}"
            ));
        }
        Ok(AddressPattern::One(pattern.to_string()))
    }

    /// Whether `remote` (the peer's host as Java prints it, no port) matches.
    pub fn matches(&self, remote: &str) -> bool {
        match self {
            AddressPattern::Blank => false,
            AddressPattern::Any => true,
            AddressPattern::Multiple(set) => {
                if is_inet6(remote) {
                    set.contains(&expand_ip(remote, 8))
                } else {
                    set.contains(remote)
                }
            }
            AddressPattern::One(net) => expand_ip(net, 8) == expand_ip(remote, 8),
            AddressPattern::Range(r) => r.matches(remote),
        }
    }
}

fn multiple<'a>(addrs: impl IntoIterator<Item = &'a str>) -> Result<AddressPattern, String> {
    let mut set = HashSet::new();
    for a in addrs {
        if is_inet4(a) {
            set.insert(a.to_string());
        } else if is_inet6(a) {
            set.insert(expand_ip(a, 8));
        } else {
            return Err(format!("Netaddress examine Exception netaddress is {a}"));
        }
    }
    Ok(AddressPattern::Multiple(set))
}

impl Range {
    fn parse(pattern: &str) -> Result<Range, String> {
        let mut r = Range {
            head: None,
            start: 0,
            end: 0,
            index: 0,
        };
        if pattern.contains(':') {
            ipv6_check(pattern)?;
            let parts = split_tokens(pattern, ':');
            for (i, part) in parts.iter().enumerate().skip(1) {
                if r.analyse(part, i, 16, 0xffff)? {
                    verify(pattern, r.index - 1)?;
                    let head = v6_head(pattern);
                    r.index = split_tokens(&head, ':').len();
                    r.head = Some(head);
                    break;
                }
            }
            return Ok(r);
        }
        let parts = split_tokens(pattern, '.');
        let oob = |i: usize| format!("Index {i} out of bounds for length {}", parts.len());
        for i in 1..=3 {
            let part = parts.get(i).ok_or_else(|| oob(i))?;
            if r.analyse(part, i, 10, 255)? {
                verify(pattern, r.index - 1)?;
                r.head = Some(
                    parts[..r.index]
                        .iter()
                        .map(|p| format!("{}.", p.trim()))
                        .collect(),
                );
                break;
            }
        }
        Ok(r)
    }

    /// Java `analysis` / `ipv6Analysis`: `*` or `a-b` in part `index`.
    fn analyse(&mut self, part: &str, index: usize, radix: u32, max: u32) -> Result<bool, String> {
        let value = part.trim();
        self.index = index;
        if value == "*" {
            (self.start, self.end) = (0, max);
        } else if value.contains('-') {
            if value.starts_with('-') {
                return Err(format!(
                    "RangeRemoteAddressStrategy netaddress examine scope Exception value {value} "
                ));
            }
            let bounds = split_tokens(value, '-');
            let num = |s: Option<&&str>| {
                let s = s.copied().unwrap_or("");
                i64::from_str_radix(s, radix).map_err(|_| format!("For input string: \"{s}\""))
            };
            let (start, end) = (num(bounds.first())?, num(bounds.get(1))?);
            let ok = |n: i64| (0..=i64::from(max)).contains(&n);
            if !(ok(start) && ok(end) && start <= end) {
                return Err(format!(
                    "RangeRemoteAddressStrategy netaddress examine scope Exception start is {start} , end is {end}"
                ));
            }
            (self.start, self.end) = (start as u32, end as u32);
        }
        Ok(self.end > 0)
    }

    fn matches(&self, remote: &str) -> bool {
        let Some(head) = &self.head else { return false };
        let value = if is_inet4(remote) {
            if !remote.starts_with(head.as_str()) {
                return false;
            }
            let last = remote.rfind('.').unwrap_or(remote.len());
            let end = match self.index {
                3 => remote.len(),
                2 => last,
                _ => remote[..last].rfind('.').unwrap_or(last),
            };
            remote
                .get(head.len()..end)
                .and_then(|v| v.parse::<u32>().ok())
        } else if is_inet6(remote) {
            let full = expand_ip(remote, 8);
            if !full.starts_with(head.as_str()) {
                return false;
            }
            let at = 5 * self.index;
            full.get(at..at + 4)
                .and_then(|v| u32::from_str_radix(v, 16).ok())
        } else {
            None
        };
        value.is_some_and(|v| v >= self.start && v <= self.end)
    }
}

/// Java `AclUtils.IPv6AddressCheck`: `*` only at the end, `-` only in the last part (or the one
/// before a trailing `*`).
fn ipv6_check(p: &str) -> Result<(), String> {
    let err = || format!("Netaddress examine scope Exception netaddress is {p}");
    let star = p.find('*');
    if star.is_some_and(|s| s != p.len() - 1) {
        return Err(err());
    }
    if let Some(minus) = p.find('-') {
        let last = p.rfind(':').unwrap_or(0);
        let limit = match star {
            None => Some(last),
            Some(_) => p[..last].rfind(':'),
        };
        if limit.is_some_and(|l| minus <= l) {
            return Err(err());
        }
    }
    Ok(())
}

/// Java `AclUtils.verify`: the first `index` parts are numbers in range.
fn verify(p: &str, index: usize) -> Result<(), String> {
    let in_scope = if p.contains(':') {
        let full = expand_ip(p, 8);
        let parts = split_tokens(&full, ':');
        parts
            .iter()
            .take(index)
            .all(|s| u32::from_str_radix(s, 16).is_ok_and(|v| v <= 0xffff))
            && parts.len() >= index
    } else {
        let parts = split_tokens(p, '.');
        if parts.len() != 4 {
            false
        } else {
            let mut ok = true;
            for s in parts.iter().take(index) {
                let n: i64 = s
                    .trim()
                    .parse()
                    .map_err(|_| format!("For input string: \"{s}\""))?;
                ok &= (0..=255).contains(&n);
            }
            ok
        }
    };
    if in_scope {
        Ok(())
    } else {
        Err(format!(
            "Netaddress examine scope Exception netaddress is {p}"
        ))
    }
}

/// Java `AclUtils.v6ipProcess`: the expanded parts before the ranged one.
fn v6_head(p: &str) -> String {
    let (star, minus) = (p.contains('*'), p.contains('-'));
    let last = p.rfind(':').unwrap_or(0);
    let (part, sub) = match (star, minus) {
        (true, true) => (6, &p[..p[..last].rfind(':').unwrap_or(0)]),
        (false, false) => (8, p),
        _ => (7, &p[..last]),
    };
    expand_ip(sub, part)
}

/// Java `AclUtils.expandIP`: upper case, `::` widened to `part` groups, each group four digits.
pub fn expand_ip(addr: &str, part: usize) -> String {
    let mut a = addr.to_uppercase();
    let colons = a.matches(':').count();
    if part > colons {
        a = a.replace("::", &":".repeat(part - colons + 1));
    }
    a.split(':')
        .map(|g| format!("{g:0>4}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Commons-validator `isValidInet4Address`: four decimal parts 0..=255, no leading zeros.
pub fn is_inet4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// Commons-validator `isValidInet6Address`.
pub fn is_inet6(s: &str) -> bool {
    s.contains(':') && s.parse::<Ipv6Addr>().is_ok()
}

/// The peer's host as Java's `RemotingHelper.parseChannelRemoteAddr` prints it: dotted IPv4
/// (IPv4-mapped IPv6 included), IPv6 as eight lower-case groups without `::`.
pub fn java_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Ipv4Addr::to_string(&v4),
            None => v6
                .segments()
                .iter()
                .map(|g| format!("{g:x}"))
                .collect::<Vec<_>>()
                .join(":"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // From the rocketmq-acl 4.9.7 jar: a one-off Java program printed, for each pattern and
    // address, `RemoteAddressStrategyFactory.getRemoteAddressStrategy(pattern).match(r)` with
    // `r.setWhiteRemoteAddress(address)`, or the AclException message of a refused pattern.
    const JAVA_MATCHES: &[(&str, &str, bool)] = &[
        ("*", "192.168.1.1", true),
        ("*", "192.168.1.100", true),
        ("*", "192.168.1.101", true),
        ("*", "192.168.0.1", true),
        ("*", "192.168.2.5", true),
        ("*", "10.0.0.1", true),
        ("*", "127.0.0.1", true),
        ("*.*.*.*", "192.168.1.1", true),
        ("*.*.*.*", "192.168.1.100", true),
        ("*.*.*.*", "192.168.1.101", true),
        ("*.*.*.*", "192.168.0.1", true),
        ("*.*.*.*", "192.168.2.5", true),
        ("*.*.*.*", "10.0.0.1", true),
        ("*.*.*.*", "127.0.0.1", true),
        ("192.168.*.*", "192.168.1.1", true),
        ("192.168.*.*", "192.168.1.100", true),
        ("192.168.*.*", "192.168.1.101", true),
        ("192.168.*.*", "192.168.0.1", true),
        ("192.168.*.*", "192.168.2.5", true),
        ("192.168.*.*", "10.0.0.1", false),
        ("192.168.*.*", "127.0.0.1", false),
        ("192.168.1.*", "192.168.1.1", true),
        ("192.168.1.*", "192.168.1.100", true),
        ("192.168.1.*", "192.168.1.101", true),
        ("192.168.1.*", "192.168.0.1", false),
        ("192.168.1.*", "192.168.2.5", false),
        ("192.168.1.*", "10.0.0.1", false),
        ("192.168.1.*", "127.0.0.1", false),
        ("192.*.*.*", "192.168.1.1", true),
        ("192.*.*.*", "192.168.1.100", true),
        ("192.*.*.*", "192.168.1.101", true),
        ("192.*.*.*", "192.168.0.1", true),
        ("192.*.*.*", "192.168.2.5", true),
        ("192.*.*.*", "10.0.0.1", false),
        ("192.*.*.*", "127.0.0.1", false),
        ("192.168.1.1-100", "192.168.1.1", true),
        ("192.168.1.1-100", "192.168.1.100", true),
        ("192.168.1.1-100", "192.168.1.101", false),
        ("192.168.1.1-100", "192.168.0.1", false),
        ("192.168.1.1-100", "192.168.2.5", false),
        ("192.168.1.1-100", "10.0.0.1", false),
        ("192.168.1.1-100", "127.0.0.1", false),
        ("192.168.0-1.*", "192.168.1.1", true),
        ("192.168.0-1.*", "192.168.1.100", true),
        ("192.168.0-1.*", "192.168.1.101", true),
        ("192.168.0-1.*", "192.168.0.1", true),
        ("192.168.0-1.*", "192.168.2.5", false),
        ("192.168.0-1.*", "10.0.0.1", false),
        ("192.168.0-1.*", "127.0.0.1", false),
        ("192.168.1.{1,100,101}", "192.168.1.1", true),
        ("192.168.1.{1,100,101}", "192.168.1.100", true),
        ("192.168.1.{1,100,101}", "192.168.1.101", true),
        ("192.168.1.{1,100,101}", "192.168.0.1", false),
        ("192.168.1.{1,100,101}", "192.168.2.5", false),
        ("192.168.1.{1,100,101}", "10.0.0.1", false),
        ("192.168.1.{1,100,101}", "127.0.0.1", false),
        ("192.168.1.1,127.0.0.1", "192.168.1.1", true),
        ("192.168.1.1,127.0.0.1", "192.168.1.100", false),
        ("192.168.1.1,127.0.0.1", "192.168.1.101", false),
        ("192.168.1.1,127.0.0.1", "192.168.0.1", false),
        ("192.168.1.1,127.0.0.1", "192.168.2.5", false),
        ("192.168.1.1,127.0.0.1", "10.0.0.1", false),
        ("192.168.1.1,127.0.0.1", "127.0.0.1", true),
        ("192.168.1.1", "192.168.1.1", true),
        ("192.168.1.1", "192.168.1.100", false),
        ("192.168.1.1", "192.168.1.101", false),
        ("192.168.1.1", "192.168.0.1", false),
        ("192.168.1.1", "192.168.2.5", false),
        ("192.168.1.1", "10.0.0.1", false),
        ("192.168.1.1", "127.0.0.1", false),
        ("", "192.168.1.1", false),
        ("", "192.168.1.100", false),
        ("", "192.168.1.101", false),
        ("", "192.168.0.1", false),
        ("", "192.168.2.5", false),
        ("", "10.0.0.1", false),
        ("", "127.0.0.1", false),
        (
            "1050::5:600:300c:326b",
            "1050:0000:0000:0000:0005:0600:300c:326b",
            true,
        ),
        ("1050::5:600:300c:326b", "1050::5:600:300c:326b", true),
        ("1050::5:600:300c:326b", "1050::5:600:300c:326c", false),
        ("1050::5:600:300c:326b", "::1", false),
        ("1050::5:600:300c:326b", "1050::5:601:300c:1", false),
        ("1050::5:600:300c:326b", "192.168.1.1", false),
        (
            "1050:0:0:0:5:600:300c:*",
            "1050:0000:0000:0000:0005:0600:300c:326b",
            true,
        ),
        ("1050:0:0:0:5:600:300c:*", "1050::5:600:300c:326b", true),
        ("1050:0:0:0:5:600:300c:*", "1050::5:600:300c:326c", true),
        ("1050:0:0:0:5:600:300c:*", "::1", false),
        ("1050:0:0:0:5:600:300c:*", "1050::5:601:300c:1", false),
        ("1050:0:0:0:5:600:300c:*", "192.168.1.1", false),
        (
            "1050::5:600:300c:326a-326b",
            "1050:0000:0000:0000:0005:0600:300c:326b",
            true,
        ),
        ("1050::5:600:300c:326a-326b", "1050::5:600:300c:326b", true),
        ("1050::5:600:300c:326a-326b", "1050::5:600:300c:326c", false),
        ("1050::5:600:300c:326a-326b", "::1", false),
        ("1050::5:600:300c:326a-326b", "1050::5:601:300c:1", false),
        ("1050::5:600:300c:326a-326b", "192.168.1.1", false),
        (
            "1050::5:600:300c:{326b,326c}",
            "1050:0000:0000:0000:0005:0600:300c:326b",
            true,
        ),
        (
            "1050::5:600:300c:{326b,326c}",
            "1050::5:600:300c:326b",
            true,
        ),
        (
            "1050::5:600:300c:{326b,326c}",
            "1050::5:600:300c:326c",
            true,
        ),
        ("1050::5:600:300c:{326b,326c}", "::1", false),
        ("1050::5:600:300c:{326b,326c}", "1050::5:601:300c:1", false),
        ("1050::5:600:300c:{326b,326c}", "192.168.1.1", false),
        ("::1", "1050:0000:0000:0000:0005:0600:300c:326b", false),
        ("::1", "1050::5:600:300c:326b", false),
        ("::1", "1050::5:600:300c:326c", false),
        ("::1", "::1", true),
        ("::1", "1050::5:601:300c:1", false),
        ("::1", "192.168.1.1", false),
        (
            "*:*:*:*:*:*:*:*",
            "1050:0000:0000:0000:0005:0600:300c:326b",
            true,
        ),
        ("*:*:*:*:*:*:*:*", "1050::5:600:300c:326b", true),
        ("*:*:*:*:*:*:*:*", "1050::5:600:300c:326c", true),
        ("*:*:*:*:*:*:*:*", "::1", true),
        ("*:*:*:*:*:*:*:*", "1050::5:601:300c:1", true),
        ("*:*:*:*:*:*:*:*", "192.168.1.1", true),
    ];

    const JAVA_REFUSED: &[(&str, &str)] = &[
        (
            "192.168.1.256",
            "Netaddress examine Exception netaddress is 192.168.1.256",
        ),
        (
            "192.168.1.100-1",
            "RangeRemoteAddressStrategy netaddress examine scope Exception start is 100 , end is 1",
        ),
        (
            "192.168.1.-1",
            "RangeRemoteAddressStrategy netaddress examine scope Exception value -1 ",
        ),
        ("abc", "Netaddress examine Exception netaddress is abc"),
        (
            "192.168.{1,2}",
            "MultipleRemoteAddressStrategy has got a/some wrong format IP(s) ",
        ),
        (
            "1050::5:600-601:*:*",
            "Netaddress examine scope Exception netaddress is 1050::5:600-601:*:*",
        ),
    ];

    #[test]
    fn patterns_match_as_java_does() {
        for (pattern, addr, java) in JAVA_MATCHES {
            let p = AddressPattern::parse(pattern).unwrap();
            assert_eq!(p.matches(addr), *java, "{pattern} vs {addr}");
        }
    }

    #[test]
    fn malformed_patterns_are_refused_with_javas_message() {
        for (pattern, msg) in JAVA_REFUSED {
            assert_eq!(
                AddressPattern::parse(pattern).unwrap_err(),
                *msg,
                "{pattern}"
            );
        }
    }

    #[test]
    fn peers_print_as_java_prints_them() {
        assert_eq!(java_host("127.0.0.1".parse().unwrap()), "127.0.0.1");
        assert_eq!(java_host("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
        assert_eq!(java_host("::1".parse().unwrap()), "0:0:0:0:0:0:0:1");
    }
}

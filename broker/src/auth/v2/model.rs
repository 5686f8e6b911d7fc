//! The users and ACLs of 5.x auth (Java `auth` module: `User`, `Acl`, `Policy`,
//! `PolicyEntry`, `Resource`, `Environment`; enums of `common`: `ResourceType`,
//! `ResourcePattern`, `Action`, `Decision`, `PolicyType`), with Java's names on the wire and in
//! the JSON file, and the matching rules of `AclAuthorizationHandler`.
//!
//! ```text
//!   resource key  "*" (any) | "Topic:*" | "Topic:orders" | "Group:pay_*" | "Cluster:c1"
//!   subject key   "User:<username>"
//! ```

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Java `MixAll.RETRY_GROUP_TOPIC_PREFIX` / `DLQ_GROUP_TOPIC_PREFIX`.
pub const RETRY_PREFIX: &str = "%RETRY%";
const DLQ_PREFIX: &str = "%DLQ%";

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($v),* }
        impl $name {
            /// Java's name (`getName`).
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $text),* }
            }
            /// Java `getByName`: case-insensitive, `None` for anything else.
            pub fn by_name(s: &str) -> Option<Self> {
                [$($name::$v),*].into_iter().find(|v| v.name().eq_ignore_ascii_case(s))
            }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::by_name(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown {s}")))
            }
        }
    };
}

named_enum!(
    /// Java `UserType`.
    UserType { Super = "Super", Normal = "Normal" }
);
named_enum!(
    /// Java `UserStatus`.
    UserStatus { Enable = "enable", Disable = "disable" }
);
named_enum!(
    /// Java `ResourceType`.
    ResourceType {
        Unknown = "Unknown", Any = "Any", Cluster = "Cluster", Namespace = "Namespace",
        Topic = "Topic", Group = "Group",
    }
);
named_enum!(
    /// Java `Action`.
    Action {
        Unknown = "Unknown", All = "All", Any = "Any", Pub = "Pub", Sub = "Sub",
        Create = "Create", Update = "Update", Delete = "Delete", Get = "Get", List = "List",
    }
);
named_enum!(
    /// Java `Decision`.
    Decision { Allow = "Allow", Deny = "Deny" }
);
named_enum!(
    /// Java `PolicyType`.
    PolicyType { Custom = "Custom", Default = "Default" }
);

/// Java `ResourcePattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Any,
    Literal,
    Prefixed,
}

/// A user as stored and as Java's `UserInfo` body carries it (field names are Java's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    // fastjson's field order (alphabetical), so the bodies are Java's byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_status: Option<UserStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    pub username: String,
}

/// Java `Resource`: a type, a name (`None` for the ANY patterns, or a missing request field)
/// and a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub kind: ResourceType,
    pub name: Option<String>,
    pub pattern: Pattern,
}

impl Resource {
    pub fn literal(kind: ResourceType, name: Option<&str>) -> Resource {
        Resource {
            kind,
            name: name.map(str::to_string),
            pattern: Pattern::Literal,
        }
    }

    pub fn topic(name: Option<&str>) -> Resource {
        Self::literal(ResourceType::Topic, name)
    }

    /// Java `Resource.ofGroup`: a retry topic names its group.
    pub fn group(name: Option<&str>) -> Resource {
        let name = name.map(|n| match is_retry_topic(n) {
            true => without_retry_and_dlq(n),
            false => n,
        });
        Self::literal(ResourceType::Group, name)
    }

    /// Java `Resource.of(String)`: `None` for a blank key or an unknown type.
    pub fn parse(key: &str) -> Option<Resource> {
        if key.trim().is_empty() {
            return None;
        }
        if key == "*" {
            return Some(Resource {
                kind: ResourceType::Any,
                name: None,
                pattern: Pattern::Any,
            });
        }
        let (kind, name) = key.split_once(':').unwrap_or((key, ""));
        let kind = ResourceType::by_name(kind)?;
        let (name, pattern) = if name == "*" {
            (None, Pattern::Any)
        } else if name.ends_with('*') {
            let prefix = name.split('*').next().unwrap_or_default();
            (Some(prefix.to_string()), Pattern::Prefixed)
        } else {
            (Some(name.to_string()), Pattern::Literal)
        };
        Some(Resource {
            kind,
            name,
            pattern,
        })
    }

    /// Java `getResourceKey`.
    pub fn key(&self) -> String {
        if self.kind == ResourceType::Any {
            return "*".into();
        }
        let name = self.name.as_deref().unwrap_or("null");
        match self.pattern {
            Pattern::Any => format!("{}:*", self.kind.name()),
            Pattern::Literal => format!("{}:{name}", self.kind.name()),
            Pattern::Prefixed => format!("{}:{name}*", self.kind.name()),
        }
    }

    /// Java `Resource.isMatch`: whether this (a policy's) resource covers `r` (a request's).
    pub fn covers(&self, r: &Resource) -> bool {
        if self.kind == ResourceType::Any {
            return true;
        }
        if self.kind != r.kind {
            return false;
        }
        match self.pattern {
            Pattern::Any => true,
            Pattern::Literal => r.name.is_some() && r.name == self.name,
            Pattern::Prefixed => match (&r.name, &self.name) {
                (Some(n), Some(p)) => n.starts_with(p.as_str()),
                _ => false,
            },
        }
    }
}

/// Java `NamespaceUtil.isRetryTopic`.
pub fn is_retry_topic(s: &str) -> bool {
    !s.trim().is_empty() && s.starts_with(RETRY_PREFIX)
}

fn without_retry_and_dlq(s: &str) -> &str {
    s.strip_prefix(RETRY_PREFIX)
        .or_else(|| s.strip_prefix(DLQ_PREFIX))
        .unwrap_or(s)
}

/// Java `PolicyEntry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntry {
    pub resource: Resource,
    pub actions: Vec<Action>,
    pub source_ips: Vec<String>,
    pub decision: Decision,
}

impl PolicyEntry {
    /// Java `isMatchAction`.
    pub fn matches_actions(&self, wanted: &[Action]) -> bool {
        if self.actions.is_empty() {
            return false;
        }
        if wanted.contains(&Action::Any) {
            return true;
        }
        wanted
            .iter()
            .any(|a| self.actions.contains(a) || self.actions.contains(&Action::All))
    }

    /// Java `isMatchEnvironment` (`IPAddressUtils.isIPInRange` per listed address or CIDR).
    pub fn matches_source(&self, ip: &str) -> bool {
        self.source_ips.is_empty() || self.source_ips.iter().any(|range| ip_in_range(ip, range))
    }
}

/// Java `Policy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub policy_type: PolicyType,
    pub entries: Vec<PolicyEntry>,
}

/// Java `Acl`: a subject's policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub subject: String,
    pub policies: Vec<Policy>,
}

impl Acl {
    /// Java `Acl.updatePolicy`: entries of a known type go into that policy, replacing the
    /// entry of the same resource in place.
    pub fn update_policies(&mut self, new: Vec<Policy>) {
        for p in new {
            match self
                .policies
                .iter_mut()
                .find(|o| o.policy_type == p.policy_type)
            {
                None => self.policies.push(p),
                Some(old) => {
                    for e in p.entries {
                        match old.entries.iter_mut().find(|o| o.resource == e.resource) {
                            Some(o) => *o = e,
                            None => old.entries.push(e),
                        }
                    }
                }
            }
        }
    }

    /// Java `Acl.deletePolicy`.
    pub fn delete_entry(&mut self, kind: PolicyType, resource: &Resource) {
        let Some(i) = self.policies.iter().position(|p| p.policy_type == kind) else {
            return;
        };
        let p = &mut self.policies[i];
        if let Some(j) = p.entries.iter().position(|e| &e.resource == resource) {
            p.entries.remove(j);
        }
        if p.entries.is_empty() {
            self.policies.remove(i);
        }
    }
}

/// Java `IPAddressUtils.isValidIPOrCidr`.
pub fn valid_ip_or_cidr(s: &str) -> bool {
    match s.split_once('/') {
        None => s.parse::<IpAddr>().is_ok(),
        Some((ip, prefix)) => match (ip.parse::<IpAddr>(), prefix.parse::<u8>()) {
            (Ok(IpAddr::V4(_)), Ok(p)) => p <= 32,
            (Ok(IpAddr::V6(_)), Ok(p)) => p <= 128,
            _ => false,
        },
    }
}

/// Java `IPAddressUtils.isIPInRange`: an address equals the text, a CIDR contains it.
pub fn ip_in_range(ip: &str, range: &str) -> bool {
    let Some((net, prefix)) = range.split_once('/') else {
        return ip == range;
    };
    let (Ok(net), Ok(prefix), Ok(ip)) = (
        net.parse::<IpAddr>(),
        prefix.parse::<u32>(),
        ip.parse::<IpAddr>(),
    ) else {
        return false;
    };
    let bits = |a: IpAddr| -> (u128, u32) {
        match a {
            IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
            IpAddr::V6(v) => (u128::from(v), 128),
        }
    };
    let ((n, width), (i, _)) = (bits(net), bits(ip));
    if prefix > width {
        return false;
    }
    let host_bits = width - prefix;
    let mask = if host_bits >= 128 {
        0
    } else {
        u128::MAX << host_bits
    };
    let low = n & mask;
    let high = low
        | !mask
            & (if width == 32 {
                u128::from(u32::MAX)
            } else {
                u128::MAX
            });
    i >= low && i <= high
}

/// Java `AclAuthorizationHandler.comparePolicyEntries`, quirks included: between a literal and
/// a prefixed entry the first one compared wins, and DENY goes after ALLOW on a tie (the list
/// is sorted and its first entry decides).
pub fn compare_entries(a: &PolicyEntry, b: &PolicyEntry) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let (r1, r2) = (&a.resource, &b.resource);
    let mut c = Equal;
    if r1.kind != r2.kind {
        if r1.kind == ResourceType::Any {
            c = Greater;
        }
        if r2.kind == ResourceType::Any {
            c = Less;
        }
    } else if r1.pattern == r2.pattern {
        if r1.pattern == Pattern::Prefixed {
            let len = |r: &Resource| r.name.as_deref().map_or(0, |n| n.encode_utf16().count());
            c = len(r1).cmp(&len(r2));
        }
    } else if matches!(r1.pattern, Pattern::Literal | Pattern::Prefixed) {
        c = Less;
    }
    if c != Equal {
        return c;
    }
    match (a.decision, b.decision) {
        (Decision::Deny, _) => Greater,
        (_, Decision::Deny) => Less,
        _ => Equal,
    }
}

/// Java's `List.sort` of a short list (`TimSort` below 32 elements: the ascending run at the
/// head, then binary insertion), so an inconsistent comparator picks what Java picks.
pub fn java_sort<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    use std::cmp::Ordering::*;
    let n = v.len();
    if n < 2 {
        return;
    }
    // countRunAndMakeAscending
    let mut run = 2;
    if cmp(&v[1], &v[0]) == Less {
        while run < n && cmp(&v[run], &v[run - 1]) == Less {
            run += 1;
        }
        v[..run].reverse();
    } else {
        while run < n && cmp(&v[run], &v[run - 1]) != Less {
            run += 1;
        }
    }
    // binarySort from `run` on
    for start in run..n {
        let (mut left, mut right) = (0, start);
        while left < right {
            let mid = (left + right) >> 1;
            if cmp(&v[start], &v[mid]) == Less {
                right = mid;
            } else {
                left = mid + 1;
            }
        }
        v[left..=start].rotate_right(1);
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;

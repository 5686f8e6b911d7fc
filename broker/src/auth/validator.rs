//! One request against the ACL tables: what it needs (Java `PlainAccessValidator.parse`) and
//! whether its account has it (`PlainPermissionManager.validate` and `checkPerm`).
//!
//! ```text
//!   global white address ─yes─▶ pass
//!   no AccessKey / unknown key ─▶ refuse
//!   account's white address ─yes─▶ pass (no signature, no permissions)
//!   wrong Signature ─▶ refuse;  RMQ_SYS_TRACE_TOPIC=PUB ─▶ pass
//!   admin-only code from a non-admin, or a resource without the permission ─▶ refuse
//! ```
//! Resources are checked in the order Java's `HashMap` iterates them, so the first refusal
//! (and its remark) is Java's.

use remoting::code::request as rq;
use remoting::Command;

use super::permission::{check_permission, needs_admin, PUB, SUB};
use super::plain::{Tables, RETRY_PREFIX};
use super::sign;
use crate::clients::HeartbeatData;

/// Java `TopicValidator.RMQ_SYS_TRACE_TOPIC`: trace sends skip the permission check.
const TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";

/// What a request asks for (Java's `PlainAccessResource` of the request).
#[derive(Debug, Default)]
pub struct Needed {
    pub code: i32,
    pub access_key: Option<String>,
    /// Resources (topics, and groups as retry topics) with the permission each needs.
    pub perms: Vec<(String, u8)>,
}

/// Why a request is refused: Java's `AclException` message and the frame that threw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub message: String,
    frame: &'static str,
}

// Top stack frames of the AclException in rocketmq-acl 4.9.7, as Java's remoting layer puts
// them in the remark (`RemotingHelper.exceptionSimpleDesc`).
const NO_KEY: &str = "PlainPermissionManager.validate(PlainPermissionManager.java:663)";
const UNKNOWN_KEY: &str = "PlainPermissionManager.validate(PlainPermissionManager.java:667)";
const BAD_SIGNATURE: &str = "PlainPermissionManager.validate(PlainPermissionManager.java:683)";
const NOT_ADMIN: &str = "PlainPermissionManager.checkPerm(PlainPermissionManager.java:580)";
const NO_DEFAULT: &str = "PlainPermissionManager.checkPerm(PlainPermissionManager.java:605)";
const NO_PERM: &str = "PlainPermissionManager.checkPerm(PlainPermissionManager.java:610)";
const PARSE: &str = "PlainAccessValidator.parse(PlainAccessValidator.java:134)";

impl Denied {
    fn new(frame: &'static str, message: String) -> Self {
        Denied { message, frame }
    }

    /// The remark of Java's SYSTEM_ERROR answer.
    pub fn remark(&self) -> String {
        format!(
            "org.apache.rocketmq.acl.common.AclException: {}, org.apache.rocketmq.acl.plain.{}",
            self.message, self.frame
        )
    }
}

/// Java `PlainAccessValidator.parse`.
pub fn parse(req: &Command) -> Result<Needed, Denied> {
    let mut n = Needed {
        code: req.code,
        ..Needed::default()
    };
    if req.ext_fields.is_empty() {
        return Ok(n);
    }
    n.access_key = req.ext(sign::ACCESS_KEY).map(str::to_string);
    let mut perms: Vec<(String, u8)> = Vec::new();
    let mut add = |r: Option<String>, p: u8| {
        if let Some(r) = r {
            perms.push((r, p));
        }
    };
    let retry = |g: Option<&str>| g.map(|g| format!("{RETRY_PREFIX}{g}"));
    let field = |name: &'static str| req.ext(name).map(str::to_string);
    match req.code {
        rq::SEND_MESSAGE | rq::SEND_MESSAGE_V2 => {
            let (t, g) = if req.code == rq::SEND_MESSAGE {
                ("topic", "group")
            } else {
                ("b", "a")
            };
            match field(t) {
                Some(topic) if topic.starts_with(RETRY_PREFIX) => add(retry(req.ext(g)), SUB),
                topic => add(topic, PUB),
            }
        }
        rq::CONSUMER_SEND_MSG_BACK => add(retry(req.ext("group")), SUB),
        rq::PULL_MESSAGE => {
            add(field("topic"), SUB);
            add(retry(req.ext("consumerGroup")), SUB);
        }
        rq::QUERY_MESSAGE => add(field("topic"), SUB),
        rq::HEART_BEAT => {
            let body = req.body.as_deref().unwrap_or_default();
            let data: HeartbeatData =
                remoting::body::from_body(body).map_err(|e| Denied::new(PARSE, e.to_string()))?;
            for c in &data.consumer_data_set {
                add(retry(Some(&c.group_name)), SUB);
                for s in &c.subscription_data_set {
                    add(Some(s.topic.clone()), SUB);
                }
            }
        }
        // 4.9.x header decoding logs a missing field and goes on with null: no resource then.
        rq::UNREGISTER_CLIENT | rq::GET_CONSUMER_LIST_BY_GROUP => {
            add(retry(req.ext("consumerGroup")), SUB);
        }
        rq::UPDATE_CONSUMER_OFFSET => {
            add(retry(req.ext("consumerGroup")), SUB);
            add(field("topic"), SUB);
        }
        _ => {}
    }
    n.perms = java_hash_map_order(perms);
    Ok(n)
}

/// Java `PlainPermissionManager.validate` for `req` (parsed into `n`) from `remote` (host, no
/// port).
pub fn validate(t: &Tables, req: &Command, n: &Needed, remote: &str) -> Result<(), Denied> {
    if t.global_white.iter().any(|p| p.matches(remote)) {
        return Ok(());
    }
    let Some(ak) = &n.access_key else {
        return Err(Denied::new(NO_KEY, "No accessKey is configured".into()));
    };
    let Some((_, owned)) = t.accounts.get(ak) else {
        return Err(Denied::new(UNKNOWN_KEY, format!("No acl config for {ak}")));
    };
    if owned.white.matches(remote) {
        return Ok(());
    }
    if !sign::verify(req, &owned.secret_key) {
        return Err(Denied::new(
            BAD_SIGNATURE,
            format!("Check signature failed for accessKey={ak}"),
        ));
    }
    if n.perms.iter().any(|(r, p)| r == TRACE_TOPIC && *p == PUB) {
        return Ok(());
    }
    if needs_admin(n.code) && !owned.admin {
        return Err(Denied::new(
            NOT_ADMIN,
            format!(
                "Need admin permission for request code={}, but accessKey={ak} is not",
                n.code
            ),
        ));
    }
    if owned.perms.is_empty() && owned.admin {
        return Ok(());
    }
    for (resource, needed) in &n.perms {
        let group = resource.strip_prefix(RETRY_PREFIX);
        let what = match group {
            Some(g) => format!("group:{g}"),
            None => format!("topic:{resource}"),
        };
        let (owned_perm, frame) = match owned.perms.get(resource) {
            Some(p) => (*p, NO_PERM),
            None if group.is_some() => (owned.default_group_perm, NO_DEFAULT),
            None => (owned.default_topic_perm, NO_DEFAULT),
        };
        if !check_permission(*needed, owned_perm) {
            return Err(Denied::new(
                frame,
                format!("No default permission for {what}"),
            ));
        }
    }
    Ok(())
}

/// Java `String.hashCode`.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The iteration order of a Java `HashMap` filled by `put`s in this order: a later put of the
/// same key replaces the value in place; entries go by bucket of the final table, then by
/// insertion (resizes keep that relative order).
fn java_hash_map_order(puts: Vec<(String, u8)>) -> Vec<(String, u8)> {
    let mut entries: Vec<(String, u8)> = Vec::with_capacity(puts.len());
    for (k, v) in puts {
        match entries.iter_mut().find(|(e, _)| *e == k) {
            Some(e) => e.1 = v,
            None => entries.push((k, v)),
        }
    }
    let mut cap = 16usize;
    while entries.len() > cap * 3 / 4 {
        cap *= 2;
    }
    let bucket = |k: &str| {
        let h = java_hash(k) as u32;
        ((h ^ (h >> 16)) as usize) & (cap - 1)
    };
    entries.sort_by_key(|(k, _)| bucket(k));
    entries
}

#[cfg(test)]
mod tests;

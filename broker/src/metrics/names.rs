//! Label values as Java's broker writes them: request and response code names, client
//! versions, message types, the system-group test.

use remoting::code::{request, response};

/// Java `RemotingHelper.getRequestCodeDesc`: the `RequestCode` field's name in lower case, or
/// the number when 5.3.3 has no `int` field for it (its map skips the 4.x-only ACL codes, gone
/// from the class, and 1014–1018, declared `short`).
pub fn request_code(code: i32) -> String {
    match request::name(code) {
        Some(n) if !is_4x_only_request(code) && !(1014..=1018).contains(&code) => {
            n.to_ascii_lowercase()
        }
        _ => code.to_string(),
    }
}

/// Java `RemotingHelper.getResponseCodeDesc`, likewise over `ResponseCode` (which inherits
/// `RemotingSysResponseCode`'s fields).
pub fn response_code(code: i32) -> String {
    match response::name(code) {
        Some(n) => n.to_ascii_lowercase(),
        None => code.to_string(),
    }
}

/// The 4.9.8 request codes Java 5.3.3's `RequestCode` no longer declares.
fn is_4x_only_request(code: i32) -> bool {
    matches!(
        code,
        request::UPDATE_AND_CREATE_ACL_CONFIG
            | request::DELETE_ACL_CONFIG
            | request::GET_BROKER_CLUSTER_ACL_INFO
            | request::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG
    )
}

/// The first names of Java's `MQVersion.Version`, before the regular `V<a>_<b>_<c>_SNAPSHOT`,
/// `V<a>_<b>_<c>` pairs start at ordinal 16 (`V3_0_1_SNAPSHOT`).
const FIRST_VERSIONS: [&str; 16] = [
    "V3_0_0_SNAPSHOT",
    "V3_0_0_ALPHA1",
    "V3_0_0_BETA1",
    "V3_0_0_BETA2",
    "V3_0_0_BETA3",
    "V3_0_0_BETA4",
    "V3_0_0_BETA5",
    "V3_0_0_BETA6_SNAPSHOT",
    "V3_0_0_BETA6",
    "V3_0_0_BETA7_SNAPSHOT",
    "V3_0_0_BETA7",
    "V3_0_0_BETA8_SNAPSHOT",
    "V3_0_0_BETA8",
    "V3_0_0_BETA9_SNAPSHOT",
    "V3_0_0_BETA9",
    "V3_0_0_FINAL",
];

/// Java `MQVersion.getVersionDesc(v).toLowerCase()` (`v5_3_3`). The enum after its first 16
/// names: 3.0.1–3.0.15, all of 3.1.x and 3.2.x, then 3.3–3.9 without their `.0`, then every
/// version from 4.0.0 to 5.9.9, each as a SNAPSHOT and a release; `higher_version` above.
pub fn version_desc(v: i32) -> String {
    let v = v.max(0) as usize;
    if v < FIRST_VERSIONS.len() {
        return FIRST_VERSIONS[v].to_ascii_lowercase();
    }
    let mut i = v - FIRST_VERSIONS.len();
    let pair = |a: usize, b: usize, c: usize, i: usize| {
        let snapshot = if i % 2 == 0 { "_snapshot" } else { "" };
        format!("v{a}_{b}_{c}{snapshot}")
    };
    if i < 30 {
        return pair(3, 0, i / 2 + 1, i);
    }
    i -= 30;
    if i < 40 {
        return pair(3, 1 + i / 20, (i % 20) / 2, i);
    }
    i -= 40;
    if i < 7 * 18 {
        return pair(3, 3 + i / 18, (i % 18) / 2 + 1, i);
    }
    i -= 7 * 18;
    if i < 400 {
        return pair(4 + i / 200, (i % 200) / 20, (i % 20) / 2, i);
    }
    "higher_version".into()
}

/// Java `TopicMessageType.getMetricsValue()` of `BrokerMetricsManager.getMessageType`, read from
/// the send's properties in one pass over the bytes (empty values count as absent, the last
/// `TRAN_MSG` wins). Every send pays for it, so a property whose name cannot be one of those
/// asked for is skipped on its first byte.
pub fn message_type(properties: &str) -> &'static str {
    let (mut transaction, mut fifo, mut delay) = (false, false, false);
    let bytes = properties.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let rest = &bytes[start..];
        let end = rest.iter().position(|&c| c == 2).unwrap_or(rest.len());
        let prop = &rest[..end];
        start += end + 1;
        if !matches!(prop.first(), Some(b'T' | b'_' | b'D')) {
            continue;
        }
        let Some(sep) = prop.iter().position(|&c| c == 1) else {
            continue;
        };
        let (name, value) = (&prop[..sep], &prop[sep + 1..]);
        if value.is_empty() {
            continue;
        }
        match name {
            b"TRAN_MSG" => transaction = value.eq_ignore_ascii_case(b"true"),
            b"__SHARDINGKEY" => fifo = true,
            b"__STARTDELIVERTIME"
            | b"DELAY"
            | b"TIMER_DELIVER_MS"
            | b"TIMER_DELAY_SEC"
            | b"TIMER_DELAY_MS" => delay = true,
            _ => {}
        }
    }
    if transaction {
        "transaction"
    } else if fifo {
        "fifo"
    } else if delay {
        "delay"
    } else {
        "normal"
    }
}

/// Java `BrokerMetricsManager.isSystemGroup`: starts with `CID_RMQ_SYS_`, any case.
pub fn is_system_group(group: &str) -> bool {
    group
        .get(..12)
        .is_some_and(|p| p.eq_ignore_ascii_case("CID_RMQ_SYS_"))
}

/// Java `MixAll.isSysConsumerGroup`: starts with `CID_RMQ_SYS_`, exact case.
pub fn is_sys_consumer_group(group: &str) -> bool {
    group.starts_with("CID_RMQ_SYS_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_as_java_names_them() {
        assert_eq!(version_desc(remoting::command::VERSION_5_3_3), "v5_3_3");
        assert_eq!(version_desc(remoting::command::VERSION_4_9_8), "v4_9_8");
        assert_eq!(version_desc(0), "v3_0_0_snapshot");
        assert_eq!(version_desc(15), "v3_0_0_final");
        assert_eq!(version_desc(16), "v3_0_1_snapshot");
        assert_eq!(version_desc(45), "v3_0_15");
        assert_eq!(version_desc(46), "v3_1_0_snapshot");
        assert_eq!(version_desc(85), "v3_2_9");
        assert_eq!(version_desc(86), "v3_3_1_snapshot");
        assert_eq!(version_desc(211), "v3_9_9");
        assert_eq!(version_desc(212), "v4_0_0_snapshot");
        assert_eq!(version_desc(611), "v5_9_9");
        assert_eq!(version_desc(612), "higher_version");
        assert_eq!(version_desc(5000), "higher_version");
    }

    #[test]
    fn code_names() {
        assert_eq!(request_code(310), "send_message_v2");
        assert_eq!(request_code(9999), "9999");
        assert_eq!(request_code(request::DELETE_ACL_CONFIG), "51");
        assert_eq!(request_code(1014), "1014");
        assert_eq!(response_code(0), "success");
        assert_eq!(response_code(19), "pull_not_found");
    }

    #[test]
    fn message_types() {
        assert_eq!(message_type("TRAN_MSG\u{1}true\u{2}"), "transaction");
        assert_eq!(message_type("DELAY\u{1}3\u{2}"), "delay");
        assert_eq!(
            message_type("__SHARDINGKEY\u{1}k\u{2}DELAY\u{1}3\u{2}"),
            "fifo"
        );
        assert_eq!(message_type("KEYS\u{1}k\u{2}"), "normal");
        assert_eq!(
            message_type("TRAN_MSG\u{1}true\u{2}TRAN_MSG\u{1}false"),
            "normal"
        );
        assert_eq!(message_type("DELAY\u{1}\u{2}TAGS\u{1}a"), "normal");
        assert_eq!(message_type("TIMER_DELAY_SEC\u{1}5"), "delay");
        assert_eq!(message_type(""), "normal");
        assert!(is_system_group("cid_rmq_sys_x"));
        assert!(!is_sys_consumer_group("cid_rmq_sys_x"));
    }
}

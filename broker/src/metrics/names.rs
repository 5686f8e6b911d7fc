//! Label values as Java's broker writes them: request and response code names, message types,
//! the system-group test (client versions: `remoting::command::version_desc`).

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

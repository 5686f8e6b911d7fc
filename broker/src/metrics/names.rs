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
/// the send's properties in one pass (empty values count as absent, the last `TRAN_MSG` wins).
pub fn message_type(properties: &str) -> &'static str {
    if !may_be_typed(properties.as_bytes()) {
        return "normal";
    }
    let (mut transaction, mut fifo, mut delay) = (false, false, false);
    for (name, value) in store::props::raw_pairs(properties) {
        // Most names cannot be one of those asked for: passed over on their first byte.
        if value.is_empty() || !matches!(name.as_bytes().first(), Some(b'T' | b'_' | b'D')) {
            continue;
        }
        let value = value.as_bytes();
        match name.as_bytes() {
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

/// Whether a property named like one [`message_type`] looks for may be in `p`: a name at the
/// start or after a separator beginning `TR`, `TI`, `__` or `DE` (not `TAGS`, `KEYS`, `UNIQ_KEY`,
/// `WAIT`, what most sends carry). Every send pays for this instead of a parse: a jump from
/// separator to separator, two bytes looked at after each.
fn may_be_typed(p: &[u8]) -> bool {
    let starts = |i: usize| {
        matches!(
            p.get(i..i + 2),
            Some([b'T', b'R' | b'I'] | [b'_', b'_'] | [b'D', b'E'])
        )
    };
    let mut from = 0;
    if starts(0) {
        return true;
    }
    while let Some(i) = store::props::next_separator(p, from) {
        if p[i] == 2 && starts(i + 1) {
            return true;
        }
        from = i + 1;
    }
    false
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
        assert_eq!(message_type("T"), "normal");
        assert_eq!(
            message_type("WAIT\u{1}true\u{2}TAGS\u{1}a\u{2}__SHARDINGKEY\u{1}k"),
            "fifo"
        );
        assert_eq!(
            message_type("TAGS\u{1}TRAN_MSG\u{2}KEYS\u{1}DELAY\u{2}__x\u{1}1"),
            "normal"
        );
        assert_eq!(message_type("__STARTDELIVERTIME\u{1}1"), "delay");
        assert_eq!(
            message_type("a\u{1}b\u{2}TIMER_DELAY_MS\u{1}1\u{2}"),
            "delay"
        );
        assert_eq!(message_type("a\u{1}b\u{2}TRAN_MSG\u{1}TRUE"), "transaction");
        assert!(is_system_group("cid_rmq_sys_x"));
        assert!(!is_sys_consumer_group("cid_rmq_sys_x"));
    }
}

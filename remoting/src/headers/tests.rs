//! Header declarations against Java's wire names.

use super::*;
use crate::code::request;
use crate::command::Command;
use crate::error::HeaderError;

#[test]
fn send_v2_header_decodes_from_javas_letters() {
    let mut cmd = Command::request(request::SEND_MESSAGE_V2);
    for (k, v) in [
        ("a", "PG"),
        ("b", "TopicTest"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "1"),
        ("f", "0"),
        ("g", "1700000000000"),
        ("h", "0"),
        ("i", "TAGS\u{1}TagA"),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
        ("n", "broker-a"),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    let h = SendMessageRequestHeader::decode_for(&cmd).unwrap();
    assert_eq!(
        (h.producer_group.as_str(), h.topic.as_str(), h.queue_id),
        ("PG", "TopicTest", 1)
    );
    assert_eq!(
        (h.born_timestamp, h.batch, h.bname.as_deref()),
        (1_700_000_000_000, Some(false), Some("broker-a"))
    );
    assert_eq!(h.max_reconsume_times, None);
    assert!(!h.is_batch());
    // Encoding the V2 form writes the letters back.
    let v2: SendMessageRequestHeaderV2 = h.into();
    let again = Command::request(request::SEND_MESSAGE_V2).with_header(&v2);
    assert_eq!(again.ext("g"), Some("1700000000000"));
    assert_eq!(again.ext("l"), None);
}

#[test]
fn send_v1_header_long_names_and_go_empty_strings() {
    let mut cmd = Command::request(request::SEND_MESSAGE);
    for (k, v) in [
        ("producerGroup", "PG"),
        ("topic", "T"),
        ("defaultTopic", "TBW102"),
        ("defaultTopicQueueNums", "4"),
        ("queueId", "0"),
        ("sysFlag", "0"),
        ("bornTimestamp", "1"),
        ("flag", "0"),
        ("properties", ""),
        ("reconsumeTimes", ""),
        ("unitMode", "false"),
        ("maxReconsumeTimes", ""),
        ("batch", "false"),
        ("bname", ""),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    let h = SendMessageRequestHeader::decode_for(&cmd).unwrap();
    assert_eq!((h.reconsume_times, h.max_reconsume_times), (None, None));
    assert_eq!(h.properties.as_deref(), Some(""));
}

#[test]
fn missing_required_send_field_is_named() {
    let cmd = Command::request(request::SEND_MESSAGE_V2).with_ext("a", "PG");
    let err = SendMessageRequestHeader::decode_for(&cmd).unwrap_err();
    assert_eq!(
        err,
        HeaderError::Missing {
            header: "SendMessageRequestHeaderV2",
            field: "b"
        }
    );
}

#[test]
fn register_broker_header_defaults() {
    let h = RegisterBrokerRequestHeader {
        broker_name: "broker-a".into(),
        broker_addr: "127.0.0.1:10911".into(),
        cluster_name: "DefaultCluster".into(),
        ha_server_addr: "127.0.0.1:10912".into(),
        broker_id: 0,
        ..Default::default()
    };
    let cmd = Command::request(request::REGISTER_BROKER).with_header(&h);
    assert_eq!(cmd.ext("compressed"), Some("false"));
    assert_eq!(cmd.ext("bodyCrc32"), Some("0"));
    assert_eq!(cmd.ext("heartbeatTimeoutMillis"), None);
    assert_eq!(cmd.decode_header::<RegisterBrokerRequestHeader>(), Ok(h));
    let err = Command::request(103)
        .with_ext("brokerName", "b")
        .decode_header::<RegisterBrokerRequestHeader>();
    assert_eq!(err.unwrap_err().field(), "brokerAddr");
}

#[test]
fn quirky_wire_names() {
    let cmd = Command::request(request::UNREGISTER_CLIENT).with_ext("clientID", "c1");
    assert_eq!(
        cmd.decode_header::<UnregisterClientRequestHeader>()
            .unwrap()
            .client_id,
        "c1"
    );
    let cmd = Command::request(request::DELETE_SUBSCRIPTIONGROUP)
        .with_ext("groupName", "G")
        .with_ext("removeOffset", "true");
    assert!(
        cmd.decode_header::<DeleteSubscriptionGroupRequestHeader>()
            .unwrap()
            .clean_offset
    );
    let cmd = Command::request(request::INVOKE_BROKER_TO_RESET_OFFSET)
        .with_ext("topic", "T")
        .with_ext("group", "G")
        .with_ext("timestamp", "-1")
        .with_ext("isForce", "true");
    let h = cmd.decode_header::<ResetOffsetRequestHeader>().unwrap();
    assert_eq!((h.queue_id, h.is_force, h.timestamp), (-1, true, -1));
    let h = Command::request(30)
        .with_ext("topic", "T")
        .with_ext("queueId", "2")
        .decode_header::<GetMaxOffsetRequestHeader>();
    assert!(h.unwrap().committed, "5.x committed defaults to true");
}

#[test]
fn malformed_number_names_field() {
    let cmd = Command::request(request::PULL_MESSAGE)
        .with_ext("consumerGroup", "G")
        .with_ext("topic", "T")
        .with_ext("queueId", "zero");
    let err = cmd.decode_header::<PullMessageRequestHeader>().unwrap_err();
    assert_eq!(err.field(), "queueId");
    assert!(err.to_string().contains("queueId"), "{err}");
}

#[test]
fn controller_headers_use_javas_names() {
    let h = ElectMasterRequestHeader {
        cluster_name: "c".into(),
        broker_name: "b".into(),
        broker_id: -1,
        designate_elect: false,
        invoke_time: None,
    };
    let cmd = Command::request(request::CONTROLLER_ELECT_MASTER).with_header(&h);
    let keys: Vec<_> = cmd.ext_fields.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        ["clusterName", "brokerName", "brokerId", "designateElect"]
    );
    assert_eq!(cmd.decode_header::<ElectMasterRequestHeader>(), Ok(h));
    let mut cmd = Command::request(request::CONTROLLER_ELECT_MASTER);
    cmd.ext_fields.insert("brokerName", "b");
    assert_eq!(
        cmd.decode_header::<ElectMasterRequestHeader>(),
        Err(HeaderError::Missing {
            header: "ElectMasterRequestHeader",
            field: "clusterName"
        })
    );
    let mut cmd = Command::request(request::NOTIFY_BROKER_ROLE_CHANGED);
    for (k, v) in [
        ("masterAddress", "127.0.0.1:10911"),
        ("masterEpoch", "3"),
        ("syncStateSetEpoch", "4"),
        ("masterBrokerId", "1"),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    let n: NotifyBrokerRoleChangedRequestHeader = cmd.decode_header().unwrap();
    assert_eq!(
        (n.master_epoch, n.sync_state_set_epoch, n.master_broker_id),
        (Some(3), Some(4), Some(1))
    );
    let g = GetMetaDataResponseHeader {
        is_leader: true,
        ..Default::default()
    };
    let cmd = Command::response(0, None).with_header(&g);
    assert_eq!(cmd.ext_fields.get("isLeader"), Some("true"));
}

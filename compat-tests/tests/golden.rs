//! Golden tests against the real Java classes: frames written by `RemotingCommand.encode` /
//! `fastEncodeHeader` (JSON and ROCKETMQ headers, custom headers) and bodies written by
//! `RemotingSerializable.encode` (TopicRouteData, ClusterInfo, KVTable, RegisterBrokerBody) are
//! produced at test time by `compat-tests/java/golden` from the Maven jars (rocketmq-remoting
//! 5.3.3, fastjson 1.2.83) and must decode in the `remoting` crate to the values Java reads back;
//! frames and bodies our crates encode must decode in Java (`RemotingCommand.decode`,
//! `RemotingSerializable.decode`) to the values we put in.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use compat_tests::env::{classpath, driver_classes, driver_jar, require_setup, work_dir};
use compat_tests::process::run;
use compat_tests::servers::java_cmd;
use namesrv::body::route::{ClusterInfo, KvTable, TopicRouteData};
use remoting::body::register::RegisterBrokerBody;
use remoting::codec::{decode_frame, encode};
use remoting::headers::broker::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use remoting::headers::namesrv::GetRouteInfoRequestHeader;
use remoting::{Command, LanguageCode, SerializeType};
use serde_json::{json, Value};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs the Java golden program in `mode`, feeding `input` on stdin; one JSON value per line.
fn golden_java(mode: &str, input: &str) -> Vec<Value> {
    require_setup();
    assert!(
        driver_classes("golden-5.3.3").join(".stamp").exists(),
        "run compat-tests/setup.sh"
    );
    let dir = work_dir(&format!("golden-{mode}"));
    let cp = format!(
        "{}:{}",
        driver_jar("golden-5.3.3").display(),
        classpath("tools-5.3.3")
    );
    // A real client sets its version ordinal through this property (MQClientAPIImpl); 5.3.3 = 479.
    let cmd = java_cmd(
        &dir,
        &["-Xmx256m", "-Drocketmq.remoting.version=479"],
        &cp,
        "thrust.compat.golden.Golden",
    )
    .arg(mode)
    .stdin_text(input);
    let out = run(&cmd, Duration::from_secs(120));
    out.assert_ok();
    let lines = out.json_lines();
    assert!(!lines.is_empty(), "no output: {out}");
    lines
}

/// The `encode` output, produced once per test binary.
fn java_golden() -> &'static [Value] {
    static GOLDEN: OnceLock<Vec<Value>> = OnceLock::new();
    GOLDEN.get_or_init(|| golden_java("encode", ""))
}

fn cases(prefix_frame: bool) -> impl Iterator<Item = &'static Value> {
    java_golden()
        .iter()
        .filter(move |v| v.get("frame").is_some() == prefix_frame)
}

/// Our view of a decoded command, in the same shape as the Java program's `view`.
fn our_view(cmd: &Command) -> Value {
    let ext: BTreeMap<&str, &str> = cmd.ext_fields.iter().collect();
    json!({
        "code": cmd.code,
        "language": cmd.language.name(),
        "version": cmd.version,
        "opaque": cmd.opaque,
        "flag": cmd.flag,
        "remark": cmd.remark,
        "ext": ext,
        "body": cmd.body.as_ref().map(|b| hex(b)),
        "type": match cmd.serialize_type { SerializeType::Json => "JSON", SerializeType::RocketMq => "ROCKETMQ" },
    })
}

/// Java's view without the typed header and with fastjson's omitted nulls made explicit.
fn java_view(v: &Value) -> Value {
    let mut v = v.clone();
    let obj = v.as_object_mut().unwrap();
    obj.remove("header");
    for key in ["remark", "body", "language"] {
        obj.entry(key).or_insert(Value::Null);
    }
    v
}

/// The typed header Java decoded, compared with ours field by field (Java getter names).
fn check_typed_header(case: &str, cmd: &Command, java: &Value) {
    let Some(header) = java.get("header").filter(|h| !h.is_null()) else {
        return;
    };
    if case.starts_with("route_request") {
        let h: GetRouteInfoRequestHeader = cmd.decode_header().unwrap();
        assert_eq!(
            json!({"topic": h.topic, "acceptStandardJsonOnly": h.accept_standard_json_only}),
            json!({"topic": header["topic"], "acceptStandardJsonOnly": header["acceptStandardJsonOnly"]}),
            "{case}"
        );
    } else if case.starts_with("send_v") {
        let h = SendMessageRequestHeader::decode_for(cmd).unwrap();
        let ours = json!({"producerGroup": h.producer_group, "topic": h.topic, "defaultTopic": h.default_topic,
            "defaultTopicQueueNums": h.default_topic_queue_nums, "queueId": h.queue_id, "sysFlag": h.sys_flag,
            "bornTimestamp": h.born_timestamp, "flag": h.flag, "properties": h.properties,
            "reconsumeTimes": h.reconsume_times, "unitMode": h.unit_mode, "batch": h.batch});
        let keys = ours
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>();
        let theirs: serde_json::Map<String, Value> = keys
            .iter()
            .map(|k| (k.clone(), header[k].clone()))
            .collect();
        assert_eq!(ours, Value::Object(theirs), "{case}");
    } else if case.starts_with("send_response") {
        let h: SendMessageResponseHeader = cmd.decode_header().unwrap();
        assert_eq!(
            json!({"msgId": h.msg_id, "queueId": h.queue_id, "queueOffset": h.queue_offset}),
            json!({"msgId": header["msgId"], "queueId": header["queueId"], "queueOffset": header["queueOffset"]}),
            "{case}"
        );
    } else {
        panic!("{case}: Java decoded a header this test does not check: {header}");
    }
}

#[test]
fn java_frames_decode_in_rust() {
    let _s = compat_tests::scenario::light(120);
    let mut seen = 0;
    for case in cases(true) {
        let name = case["case"].as_str().unwrap();
        let frame = unhex(case["frame"].as_str().unwrap());
        assert_eq!(
            u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize,
            frame.len() - 4,
            "{name}: length prefix"
        );
        let cmd =
            decode_frame(Bytes::from(frame).slice(4..)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            our_view(&cmd),
            java_view(&case["java"]),
            "{name}: decoded fields differ from Java's"
        );
        check_typed_header(name, &cmd, &case["java"]);
        seen += 1;
    }
    assert_eq!(seen, 12, "six frame cases in both header serializations");
}

/// Commands our side sends: requests with custom headers, responses, errors, oneway.
fn our_commands() -> Vec<(String, Command)> {
    let props = "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}zh\u{1}\u{4e2d}\u{6587}\u{2}q\u{1}\"\\/\t\u{2}e\u{1}\u{1f600}";
    let mut out = Vec::new();
    for (t, st) in [
        ("json", SerializeType::Json),
        ("rocketmq", SerializeType::RocketMq),
    ] {
        let mut route = Command::request(105).with_header(&GetRouteInfoRequestHeader {
            topic: "TopicTest".into(),
            accept_standard_json_only: Some(true),
        });
        route.opaque = 7;
        let send = SendMessageRequestHeader {
            producer_group: "PG".into(),
            topic: "TopicTest".into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id: 1,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            flag: 0,
            properties: Some(props.into()),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            max_reconsume_times: None,
            batch: Some(false),
            bname: Some("broker-a".into()),
        };
        let mut send_v2 = Command::request(310)
            .with_header(&SendMessageRequestHeaderV2::from(send.clone()))
            .with_body(&b"Hello \xe4\xb8\x96"[..]);
        send_v2.opaque = -42;
        let mut send_v1 = Command::request(10)
            .with_header(&send)
            .with_body(vec![0u8, 1, 2, 0xff]);
        send_v1.language = LanguageCode::Go;
        send_v1.version = 317;
        send_v1.opaque = i32::MAX;
        let resp_header = SendMessageResponseHeader {
            msg_id: "7F00000100002A9F0000000000000BB8".into(),
            queue_id: 3,
            queue_offset: 1_234_567_890_123,
            transaction_id: None,
            batch_uniq_id: None,
            recall_handle: None,
        };
        let mut resp = Command::response(0, None)
            .with_header(&resp_header)
            .with_ext("MSG_REGION", "DefaultRegion");
        resp.opaque = -42;
        let mut err = Command::response(
            17,
            Some("No topic route info: \u{4e2d}\u{6587} \"q\"\n".to_string()),
        );
        err.opaque = 8;
        let oneway = Command::request(34)
            .oneway()
            .with_body(&b"{\"clientID\":\"127.0.0.1@1\"}"[..]);
        for (name, mut cmd) in [
            ("route_request", route),
            ("send_v2_request", send_v2),
            ("send_v1_request", send_v1),
            ("send_response", resp),
            ("error_response", err),
            ("oneway_request", oneway),
        ] {
            cmd.serialize_type = st;
            out.push((format!("{name}_{t}"), cmd));
        }
    }
    out
}

#[test]
fn rust_frames_decode_in_java() {
    let _s = compat_tests::scenario::light(120);
    let commands = our_commands();
    let mut input = String::new();
    for (name, cmd) in &commands {
        let mut buf = BytesMut::new();
        encode(cmd, &mut buf);
        input.push_str(&format!("{name} {}\n", hex(&buf)));
    }
    let decoded = golden_java("decode", &input);
    assert_eq!(decoded.len(), commands.len(), "{decoded:?}");
    for ((name, cmd), java) in commands.iter().zip(&decoded) {
        assert_eq!(java["case"], name.as_str());
        assert!(
            java.get("error").is_none(),
            "{name}: Java failed to decode our frame: {java}"
        );
        assert_eq!(java["length_ok"], true, "{name}: length prefix");
        assert_eq!(
            java_view(&java["java"]),
            our_view(cmd),
            "{name}: Java decoded other values than we encoded"
        );
        check_typed_header(name, cmd, &java["java"]);
    }
}

/// Java `Set`s (ClusterInfo's clusterAddrTable values) have no order: compare them sorted.
fn canonical(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(table) = v.get_mut("clusterAddrTable").and_then(Value::as_object_mut) {
        for names in table.values_mut() {
            if let Some(list) = names.as_array_mut() {
                list.sort_by_key(|a| a.to_string());
            }
        }
    }
    v
}

fn typed_reencode(class: &str, body: &[u8]) -> Vec<u8> {
    fn re<T: serde::de::DeserializeOwned + serde::Serialize>(body: &[u8]) -> Vec<u8> {
        let typed: T = remoting::body::from_body(body).unwrap();
        namesrv::body::encode(&typed)
    }
    match class {
        "TopicRouteData" => re::<TopicRouteData>(body),
        "ClusterInfo" => re::<ClusterInfo>(body),
        "KVTable" => re::<KvTable>(body),
        "RegisterBrokerBody" => re::<RegisterBrokerBody>(body),
        other => panic!("unknown body class {other}"),
    }
}

#[test]
fn java_bodies_parse_in_rust() {
    let _s = compat_tests::scenario::light(120);
    let mut seen = 0;
    for case in cases(false) {
        let name = case["case"].as_str().unwrap();
        let body = unhex(case["body"].as_str().unwrap());
        // fastjson's own form (bare numeric keys) parses to the same value as the standard form.
        let lenient =
            remoting::body::parse_lenient(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            canonical(&lenient),
            canonical(&case["standard"]),
            "{name}: parse_lenient"
        );
        // The typed body keeps every field Java wrote.
        let ours: Value = serde_json::from_slice(&typed_reencode(name, &body)).unwrap();
        assert_eq!(
            canonical(&ours),
            canonical(&case["standard"]),
            "{name}: typed decode + encode"
        );
        if let Some(ns_body) = case.get("namesrv_body") {
            let typed: TopicRouteData = remoting::body::from_body(&body).unwrap();
            assert_eq!(
                String::from_utf8(typed.encode()).unwrap(),
                String::from_utf8(unhex(ns_body.as_str().unwrap())).unwrap(),
                "{name}: our route body differs from the Java NameServer's bytes"
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn rust_bodies_parse_in_java() {
    let _s = compat_tests::scenario::light(120);
    let mut input = String::new();
    let mut expected = Vec::new();
    for case in cases(false) {
        let name = case["case"].as_str().unwrap();
        let ours = typed_reencode(name, &unhex(case["body"].as_str().unwrap()));
        input.push_str(&format!("body:{name} {}\n", hex(&ours)));
        expected.push((name.to_string(), case["standard"].clone()));
        if name == "TopicRouteData" {
            let typed: TopicRouteData = remoting::body::from_body(&ours).unwrap();
            input.push_str(&format!("body:{name}/route {}\n", hex(&typed.encode())));
            expected.push((format!("{name}/route"), case["standard"].clone()));
        }
    }
    let decoded = golden_java("decode", &input);
    assert_eq!(decoded.len(), expected.len(), "{decoded:?}");
    for ((name, standard), java) in expected.iter().zip(&decoded) {
        assert!(
            java.get("error").is_none(),
            "{name}: Java failed to decode our body: {java}"
        );
        assert_eq!(
            canonical(&java["standard"]),
            canonical(standard),
            "{name}: Java read other values than we wrote"
        );
    }
}

/// The Java class and its Rust reader of each `testdata/fastjson/*.txt` fixture.
const FIXTURES: &[&str] = &[
    "HeartbeatData",
    "LockBatchRequestBody",
    "UnlockBatchRequestBody",
    "SubscriptionGroupConfig",
    "CheckClientRequestBody",
    "DataVersion",
    "RegisterBrokerBody",
    "TopicRouteData",
    "GetConsumerStatusBody",
];

/// What Java reads, less what it fills with the current time (a registration's
/// `mappingDataVersion`, which no body here sets).
fn java_reading(v: &Value) -> Value {
    let mut v = v["standard"].clone();
    if let Some(w) = v
        .get_mut("topicConfigSerializeWrapper")
        .and_then(Value::as_object_mut)
    {
        w.remove("mappingDataVersion");
    }
    v
}

/// Every body of each fastjson fixture (the forms our body layer reads alike, checked by the
/// unit tests of each type) also reads alike in Java: `RemotingSerializable.decode` of the real
/// class accepts each and yields the same value as for the fixture's first, Java-written body.
#[test]
fn fastjson_fixtures_read_alike_in_java() {
    let _s = compat_tests::scenario::light(120);
    let dir = compat_tests::env::repo_root().join("testdata/fastjson");
    let mut input = String::new();
    let mut cases = Vec::new();
    for class in FIXTURES {
        let text = std::fs::read_to_string(dir.join(format!("{class}.txt"))).unwrap();
        let bodies: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .collect();
        assert!(bodies.len() >= 2, "{class}: a body and its variants");
        for (i, b) in bodies.iter().enumerate() {
            input.push_str(&format!("body:{class}/{i} {}\n", hex(b.as_bytes())));
            cases.push((class, i, b.to_string()));
        }
    }
    let decoded = golden_java("decode", &input);
    assert_eq!(decoded.len(), cases.len(), "{decoded:?}");
    let mut first = Value::Null;
    for ((class, i, body), java) in cases.iter().zip(&decoded) {
        assert!(
            java.get("error").is_none(),
            "{class}: Java refuses\n{body}\n{java}"
        );
        if *i == 0 {
            first = java_reading(java);
        } else {
            assert_eq!(
                java_reading(java),
                first,
                "{class}: Java reads\n{body}\nother than the first body"
            );
        }
    }
}

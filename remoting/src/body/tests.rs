//! Each fastjson quirk against the exact byte strings of protocol.md §3.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::*;

#[test]
fn bare_numeric_keys_of_route_data() {
    let java = br#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
    let v = parse_lenient(java).unwrap();
    assert_eq!(v["brokerDatas"][0]["brokerAddrs"]["0"], "127.0.0.1:10911");
    assert_eq!(v["brokerDatas"][0]["brokerAddrs"]["1"], "127.0.0.1:10921");
    assert_eq!(v["queueDatas"][0]["perm"], 6);
}

#[test]
fn object_keys_of_consume_stats() {
    let java = br#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000}}}"#;
    let v = parse_lenient(java).unwrap();
    let key = r#"{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}"#;
    assert_eq!(v["offsetTable"][key]["brokerOffset"], 100);
    assert_eq!(v["consumeTps"], 1.5);
    // Written back in fastjson's form, byte for byte.
    assert_eq!(to_body_fastjson(&v).unwrap(), java.to_vec());
}

#[test]
fn topic_stats_reset_offset_and_integer_keys() {
    let stats = br#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":10,"minOffset":0}}}"#;
    assert_eq!(
        to_body_fastjson(&parse_lenient(stats).unwrap()).unwrap(),
        stats.to_vec()
    );
    let reset = br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:10}}"#;
    let v = parse_lenient(reset).unwrap();
    assert_eq!(
        v["offsetTable"][r#"{"brokerName":"b","queueId":0,"topic":"T"}"#],
        10
    );
    let correction = parse_lenient(br#"{"correctionOffsets":{0:5}}"#).unwrap();
    assert_eq!(correction, json!({"correctionOffsets": {"0": 5}}));
}

#[test]
fn go_consumer_status_object_keys() {
    // Go's hand-written form, with its own key order.
    let go = br#"{"messageQueueTable":{{"topic":"T","brokerName":"b","queueId":1}:123}}"#;
    let v = parse_lenient(go).unwrap();
    assert_eq!(
        v["messageQueueTable"][r#"{"topic":"T","brokerName":"b","queueId":1}"#],
        123
    );
}

#[test]
fn unquoted_names_single_quotes_and_string_keys() {
    let v = parse_lenient(br#"{brokerDatas:[{brokerAddrs:{0:'a'},brokerName:'b'}]}"#).unwrap();
    assert_eq!(
        v,
        json!({"brokerDatas": [{"brokerAddrs": {"0": "a"}, "brokerName": "b"}]})
    );
    let v = parse_lenient(br#"{"brokerAddrs":{"0":"a"}}"#).unwrap();
    assert_eq!(v["brokerAddrs"]["0"], "a");
}

#[test]
fn escapes_trailing_commas_whitespace() {
    let v = parse_lenient(b" {\"a\":\"\\u0001x\\ud83d\\ude00\\n\",\"b\":[1,2,],} \n").unwrap();
    assert_eq!(v, json!({"a": "\u{1}x\u{1F600}\n", "b": [1, 2]}));
}

#[test]
fn stray_commas_comments_sets_and_type_suffixes() {
    let v = parse_lenient(
        b"/* lead */ {,,\"a\":[,1,,2L,],// line\n \"b\":Set[3],\"c\":TreeSet['x'],\x08\"d\":NULL,\
          \"e\":undefined,\"f\":1.5D,\"g\":-2S,,}\n// tail",
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"a": [1, 2], "b": [3], "c": ["x"], "d": null, "e": null, "f": 1.5, "g": -2})
    );
}

#[test]
fn rejects_what_fastjson_rejects() {
    assert!(
        parse_lenient(b"{\"a\":1} /* open").is_err(),
        "unterminated comment"
    );
    assert!(parse_lenient(br#"{"a":Set 1}"#).is_err());
    assert!(parse_lenient(br#"{"a":NaN}"#).is_err());
    assert!(parse_lenient(br#"{"a":1} x"#).is_err(), "trailing garbage");
    assert!(parse_lenient(br#"{"a":1"#).is_err());
    assert!(parse_lenient(b"").is_err());
    assert!(parse_lenient(br#"{"a":"x}"#).is_err());
    let deep = "[".repeat(MAX_DEPTH + 2);
    assert!(matches!(
        parse_lenient(deep.as_bytes()),
        Err(BodyError::TooDeep(_))
    ));
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct KvTable {
    table: std::collections::BTreeMap<String, String>,
}

#[test]
fn typed_bodies_round_trip() {
    let kv: KvTable = from_body(br#"{"table":{"k":"v"}}"#).unwrap();
    assert_eq!(to_body(&kv), br#"{"table":{"k":"v"}}"#.to_vec());
    let err = from_body::<KvTable>(br#"{"table":5}"#).unwrap_err();
    assert!(matches!(err, BodyError::Shape(_)));
}

#[test]
fn object_key_helper_builds_fastjson_keys() {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct MessageQueue<'a> {
        broker_name: &'a str,
        queue_id: i32,
        topic: &'a str,
    }
    let key = object_key(&MessageQueue {
        broker_name: "b",
        queue_id: 0,
        topic: "T",
    });
    let mut table = serde_json::Map::new();
    table.insert(key, Value::from(10));
    let body = to_body_fastjson(&json!({ "offsetTable": table })).unwrap();
    assert_eq!(
        body,
        br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:10}}"#.to_vec()
    );
}

#[test]
fn only_canonical_object_text_keys_are_written_raw() {
    let mut map = serde_json::Map::new();
    map.insert("{ \"a\":1 }".to_owned(), Value::from(1));
    map.insert("{\"a\":1}".to_owned(), Value::from(2));
    map.insert("{not json}".to_owned(), Value::from(3));
    let body = to_body_fastjson(&Value::Object(map.clone())).unwrap();
    assert_eq!(
        body,
        br#"{"{ \"a\":1 }":1,{"a":1}:2,"{not json}":3}"#.to_vec()
    );
    assert_eq!(parse_lenient(&body).unwrap(), Value::Object(map));
}

/// Pseudo-random inputs and mutations of the spec's bodies: the reader never panics and
/// whatever it reads round-trips through the fastjson-form writer.
#[test]
fn random_bodies_never_panic_and_round_trip() {
    let seeds: [&[u8]; 3] = [
        br#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":100}}}"#,
        br#"{brokerDatas:[{brokerAddrs:{0:'a',1:"b"}}],x:[true,null,-1.5e3]}"#,
        br#"{"a":"\u0001\ud83d\ude00","b":{}}"#,
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..20_000 {
        let mut data = seeds[round % seeds.len()].to_vec();
        for _ in 0..(next() % 3) {
            let at = next() as usize % data.len();
            data[at] = b"{}[]:,\"'0a-\\ "[next() as usize % 13];
        }
        if let Ok(v) = parse_lenient(&data) {
            let text = to_body_fastjson(&v).unwrap();
            assert_eq!(
                parse_lenient(&text).unwrap(),
                v,
                "{}",
                String::from_utf8_lossy(&data)
            );
        }
    }
}

#[test]
fn cluster_info_and_string_form_of_object_keys() {
    let java = br#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#;
    let v = parse_lenient(java).unwrap();
    assert_eq!(
        v["brokerAddrTable"]["broker-a"]["brokerAddrs"]["1"],
        "127.0.0.1:10921"
    );
    assert_eq!(v["clusterAddrTable"]["DefaultCluster"][0], "broker-a");
    // §3.2: a key that is a *string* holding the MessageQueue JSON means the same queue as the
    // object-key form.
    let object_form =
        parse_lenient(br#"{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"x":1}}}"#)
            .unwrap();
    let string_form = parse_lenient(
        br#"{"offsetTable":{"{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"T\"}":{"x":1}}}"#,
    )
    .unwrap();
    assert_eq!(object_form, string_form);
}

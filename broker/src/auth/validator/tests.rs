//! Expected answers from the rocketmq-acl 4.9.7 jar: a one-off Java program loaded the file
//! below with `PlainPermissionManager`, signed each request with `AclClientRPCHook` and printed
//! `RemotingHelper.exceptionSimpleDesc` of what `validate(parse(request, remote))` threw.

use std::path::PathBuf;

use super::*;
use crate::auth::plain;

const FILE: &str = "globalWhiteRemoteAddresses:
- 10.10.103.*
accounts:
- accessKey: RocketMQ
  secretKey: 12345678
  whiteRemoteAddress:
  admin: false
  defaultTopicPerm: DENY
  defaultGroupPerm: SUB
  topicPerms:
  - topicA=DENY
  - topicB=PUB|SUB
  - topicC=SUB
  groupPerms:
  - groupA=DENY
  - groupB=PUB|SUB
  - groupC=SUB
- accessKey: rocketmq2
  secretKey: 12345678
  whiteRemoteAddress: 192.168.1.*
  admin: true
";

fn tables() -> Tables {
    // One directory per call: the tests run in parallel.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("thrust-acl-validator-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f: PathBuf = dir.join("plain_acl.yml");
    std::fs::write(&f, FILE).unwrap();
    plain::load(vec![f], 0).unwrap()
}

/// The request as `AclClientRPCHook` sends it.
fn request(code: i32, ext: &[(&str, &str)], key: Option<(&str, &str)>) -> Command {
    let mut req = Command::request(code);
    for (k, v) in ext {
        req.ext_fields.insert(*k, *v);
    }
    if let Some((ak, sk)) = key {
        req.ext_fields.insert(sign::ACCESS_KEY, ak);
        let s = sign::sign(&req, sk);
        req.ext_fields.insert(sign::SIGNATURE, s);
    }
    req
}

fn answer(
    t: &Tables,
    code: i32,
    remote: &str,
    key: Option<(&str, &str)>,
    ext: &[(&str, &str)],
) -> String {
    let req = request(code, ext, key);
    match parse(&req).and_then(|n| validate(t, &req, &n, remote)) {
        Ok(()) => "OK".into(),
        Err(d) => d.remark(),
    }
}

const E: &str = "org.apache.rocketmq.acl.common.AclException: ";
const PPM: &str = ", org.apache.rocketmq.acl.plain.PlainPermissionManager.";

#[test]
fn decisions_and_remarks_match_java() {
    let t = tables();
    let rm = Some(("RocketMQ", "12345678"));
    let local = "127.0.0.1";
    let send = |topic: &'static str| [("b", topic), ("a", "pg")];
    let cases: Vec<(String, String)> = vec![
        (answer(&t, 310, local, None, &send("topicA")),
         format!("{E}No accessKey is configured{PPM}validate(PlainPermissionManager.java:663)")),
        (answer(&t, 310, local, Some(("nobody01", "12345678")), &send("topicA")),
         format!("{E}No acl config for nobody01{PPM}validate(PlainPermissionManager.java:667)")),
        (answer(&t, 310, local, Some(("RocketMQ", "wrongsecret")), &send("topicA")),
         format!("{E}Check signature failed for accessKey=RocketMQ{PPM}validate(PlainPermissionManager.java:683)")),
        (answer(&t, 310, local, rm, &send("topicA")),
         format!("{E}No default permission for topic:topicA{PPM}checkPerm(PlainPermissionManager.java:610)")),
        (answer(&t, 310, local, rm, &send("topicB")), "OK".into()),
        (answer(&t, 310, local, rm, &send("topicC")),
         format!("{E}No default permission for topic:topicC{PPM}checkPerm(PlainPermissionManager.java:610)")),
        (answer(&t, 310, local, rm, &send("topicZ")),
         format!("{E}No default permission for topic:topicZ{PPM}checkPerm(PlainPermissionManager.java:605)")),
        (answer(&t, 310, local, rm, &send("RMQ_SYS_TRACE_TOPIC")), "OK".into()),
        (answer(&t, 11, local, rm, &[("topic", "topicC"), ("consumerGroup", "groupA")]),
         format!("{E}No default permission for group:groupA{PPM}checkPerm(PlainPermissionManager.java:610)")),
        (answer(&t, 11, local, rm, &[("topic", "topicC"), ("consumerGroup", "groupZ")]), "OK".into()),
        (answer(&t, 11, local, rm, &[("topic", "topicA"), ("consumerGroup", "groupA")]),
         format!("{E}No default permission for topic:topicA{PPM}checkPerm(PlainPermissionManager.java:610)")),
        (answer(&t, 17, local, rm, &[("topic", "newT")]),
         format!("{E}Need admin permission for request code=17, but accessKey=RocketMQ is not{PPM}checkPerm(PlainPermissionManager.java:580)")),
        (answer(&t, 17, "192.168.1.7", Some(("rocketmq2", "xx")), &[("topic", "newT")]), "OK".into()),
        (answer(&t, 17, local, Some(("rocketmq2", "xx")), &[("topic", "newT")]),
         format!("{E}Check signature failed for accessKey=rocketmq2{PPM}validate(PlainPermissionManager.java:683)")),
        (answer(&t, 17, local, Some(("rocketmq2", "12345678")), &[("topic", "newT")]), "OK".into()),
        (answer(&t, 17, "10.10.103.5", None, &[("topic", "newT")]), "OK".into()),
    ];
    for (i, (ours, java)) in cases.iter().enumerate() {
        assert_eq!(ours, java, "case {i}");
    }
}

/// HEART_BEAT and UPDATE_CONSUMER_OFFSET, same program and file: where both a topic and a
/// group are refused, Java's HashMap order picks which one the remark names.
#[test]
fn consumer_requests_match_java() {
    let t = tables();
    let rm = Some(("RocketMQ", "12345678"));
    let hb = |group: &str, topics: &[&str]| {
        let subs: Vec<String> = topics
            .iter()
            .map(|t| format!(r#"{{"topic":"{t}","subString":"*"}}"#))
            .collect();
        let body = format!(
            r#"{{"clientID":"c1","consumerDataSet":[{{"groupName":"{group}","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","unitMode":false,"subscriptionDataSet":[{}]}}],"producerDataSet":[]}}"#,
            subs.join(",")
        );
        let mut req = Command::request(34);
        req.body = Some(body.into_bytes().into());
        req.ext_fields.insert(sign::ACCESS_KEY, "RocketMQ");
        let s = sign::sign(&req, "12345678");
        req.ext_fields.insert(sign::SIGNATURE, s);
        match parse(&req).and_then(|n| validate(&t, &req, &n, "127.0.0.1")) {
            Ok(()) => "OK".to_string(),
            Err(d) => d.remark(),
        }
    };
    let topic_a = format!(
        "{E}No default permission for topic:topicA{PPM}checkPerm(PlainPermissionManager.java:610)"
    );
    assert_eq!(
        hb("groupC", &["topicC", "topicA", "%RETRY%groupC"]),
        topic_a
    );
    assert_eq!(hb("groupA", &["topicA", "topicB"]), topic_a);
    assert_eq!(hb("groupB", &["topicB", "topicC"]), "OK");
    let uo = |group: &str, topic: &str| {
        let ext = [
            ("consumerGroup", group),
            ("topic", topic),
            ("queueId", "0"),
            ("commitOffset", "5"),
        ];
        answer(&t, 15, "127.0.0.1", rm, &ext)
    };
    assert_eq!(
        uo("groupA", "topicB"),
        format!("{E}No default permission for group:groupA{PPM}checkPerm(PlainPermissionManager.java:610)")
    );
    assert_eq!(uo("groupB", "topicA"), topic_a);
    assert_eq!(uo("groupA", "topicA"), topic_a);
}

#[test]
fn hash_map_order_is_javas() {
    // Java: new HashMap<>() with put("topicA"), put("%RETRY%groupA") iterates topicA first
    // (the pull case above refuses on the topic).
    let order = java_hash_map_order(vec![("topicA".into(), SUB), ("%RETRY%groupA".into(), SUB)]);
    assert_eq!(order[0].0, "topicA");
    assert_eq!(
        java_hash("topicA"),
        "topicA"
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
    );
    assert_eq!(java_hash("hello"), 99162322);
}

//! No request reaches the file system outside its place: every request code that can touch the
//! store directory, sent with path-traversal forms in each path-shaped field, leaves everything
//! outside the store and every file the store already had unchanged, and the broker keeps
//! serving on the same connection.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::{Client, Command};

const TOPIC: &str = "PathsT";
const GROUP: &str = "PathsG";

/// Every file and directory under `root`: relative path → file bytes (None for a directory).
fn tree(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            if p.is_dir() {
                out.insert(rel, None);
                walk(root, &p, out);
            } else {
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Files the broker rewrites on its own schedule (their content may change, never their place).
fn rewritten(rel: &Path) -> bool {
    let s = rel.to_string_lossy();
    s.ends_with("checkpoint") || s.contains("/config/")
}

/// The names an attacker would try for a topic or a group.
fn traversal_forms(outside: &Path) -> Vec<String> {
    vec![
        "..".into(),
        ".".into(),
        "../config".into(),
        "../../x".into(),
        "../commitlog".into(),
        "a/../../b".into(),
        "%RETRY%../..".into(),
        "%DLQ%/../../x".into(),
        "..\\..\\x".into(),
        "x\u{0}y".into(),
        outside.display().to_string(),
        format!("{}/victim", outside.display()),
    ]
}

fn ext(code: i32, fields: &[(&str, &str)]) -> Command {
    fields
        .iter()
        .fold(Command::request(code), |c, (k, v)| c.with_ext(*k, *v))
}

/// Every disk-touching request with `t` as its topic and `g` as its group.
fn attacks(t: &str, g: &str, offset: i64) -> Vec<Command> {
    let off = offset.to_string();
    let send_v1 = [
        ("producerGroup", "PG"),
        ("topic", t),
        ("defaultTopic", "TBW102"),
        ("defaultTopicQueueNums", "4"),
        ("queueId", "0"),
        ("sysFlag", "0"),
        ("bornTimestamp", "1700000000000"),
        ("flag", "0"),
        ("properties", ""),
    ];
    let mut batch = send_cmd(t, 0, b"x", "");
    batch.code = rq::SEND_BATCH_MESSAGE;
    let mut reply_v2 = send_cmd(t, 0, b"x", "REPLY_TO_CLIENT\u{1}c\u{2}");
    reply_v2.code = rq::SEND_REPLY_MESSAGE_V2;
    let mut lite = pull_cmd(g, t, 0, 0, 0, 0);
    lite.code = rq::LITE_PULL_MESSAGE;
    let group_body = serde_json::json!({"groupName": g, "consumeEnable": true});
    let lock_body = serde_json::json!({
        "consumerGroup": g, "clientId": "c1",
        "mqSet": [{"topic": t, "brokerName": "broker-t", "queueId": 0}]
    });
    vec![
        ext(rq::DELETE_TOPIC_IN_BROKER, &[("topic", t)]),
        create_topic_cmd(t, 4, 6),
        ext(rq::SEND_MESSAGE, &send_v1).with_body(&b"x"[..]),
        send_cmd(t, 0, b"x", ""),
        batch,
        ext(rq::SEND_REPLY_MESSAGE, &send_v1).with_body(&b"x"[..]),
        reply_v2,
        pull_cmd(g, t, 0, 0, 0, 0),
        pull_cmd(GROUP, t, 0, 0, 0, 0),
        pull_cmd(g, TOPIC, 0, 0, 0, 0),
        lite,
        heartbeat_cmd("c1", g, t, "*"),
        heartbeat_cmd("c1", GROUP, t, "*"),
        Command::request(rq::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
            .with_body(serde_json::to_vec(&group_body).unwrap()),
        ext(
            rq::CONSUMER_SEND_MSG_BACK,
            &[
                ("offset", &off),
                ("group", g),
                ("delayLevel", "0"),
                ("originTopic", t),
                ("maxReconsumeTimes", "0"),
            ],
        ),
        ext(
            rq::CONSUMER_SEND_MSG_BACK,
            &[("offset", &off), ("group", g), ("delayLevel", "-1")],
        ),
        ext(
            rq::UPDATE_CONSUMER_OFFSET,
            &[
                ("consumerGroup", g),
                ("topic", t),
                ("queueId", "0"),
                ("commitOffset", "1"),
            ],
        ),
        ext(
            rq::QUERY_CONSUMER_OFFSET,
            &[("consumerGroup", g), ("topic", t), ("queueId", "0")],
        ),
        ext(
            rq::INVOKE_BROKER_TO_RESET_OFFSET,
            &[
                ("topic", t),
                ("group", g),
                ("timestamp", "0"),
                ("isForce", "true"),
            ],
        ),
        ext(
            rq::CLONE_GROUP_OFFSET,
            &[
                ("srcGroup", GROUP),
                ("destGroup", g),
                ("topic", t),
                ("offline", "false"),
            ],
        ),
        ext(
            rq::DELETE_SUBSCRIPTIONGROUP,
            &[("groupName", g), ("cleanOffset", "true")],
        ),
        Command::request(rq::LOCK_BATCH_MQ).with_body(serde_json::to_vec(&lock_body).unwrap()),
        Command::request(rq::UNLOCK_BATCH_MQ).with_body(serde_json::to_vec(&lock_body).unwrap()),
        ext(rq::GET_MAX_OFFSET, &[("topic", t), ("queueId", "0")]),
        ext(rq::GET_MIN_OFFSET, &[("topic", t), ("queueId", "0")]),
        ext(
            rq::GET_EARLIEST_MSG_STORETIME,
            &[("topic", t), ("queueId", "0")],
        ),
        ext(
            rq::SEARCH_OFFSET_BY_TIMESTAMP,
            &[("topic", t), ("queueId", "0"), ("timestamp", "0")],
        ),
        ext(
            rq::QUERY_MESSAGE,
            &[
                ("topic", t),
                ("key", "k"),
                ("maxNum", "32"),
                ("beginTimestamp", "0"),
                ("endTimestamp", "9999999999999"),
            ],
        ),
        ext(
            rq::QUERY_CONSUME_QUEUE,
            &[
                ("topic", t),
                ("queueId", "0"),
                ("index", "0"),
                ("count", "10"),
                ("consumerGroup", g),
            ],
        ),
        ext(rq::GET_TOPIC_STATS_INFO, &[("topic", t)]),
        ext(rq::GET_CONSUME_STATS, &[("consumerGroup", g), ("topic", t)]),
        ext(rq::GET_TOPIC_CONFIG, &[("topic", t)]),
        ext(
            rq::END_TRANSACTION,
            &[
                ("producerGroup", g),
                ("tranStateTableOffset", "0"),
                ("commitLogOffset", &off),
                ("commitOrRollback", "8"),
                ("fromTransactionCheck", "false"),
                ("msgId", "m"),
            ],
        ),
    ]
}

#[tokio::test]
async fn traversal_forms_never_leave_their_directory() {
    // <root>/outside is what must never change; the store is <root>/store.
    let root = temp_dir("paths");
    let outside = root.join("outside");
    std::fs::create_dir_all(outside.join("victim")).unwrap();
    std::fs::write(outside.join("victim/data"), b"keep me").unwrap();
    std::fs::write(root.join("x"), b"sibling").unwrap();
    let store_dir = root.join("store");
    let cfg = config(
        &store_dir,
        &format!(
            "autoCreateTopicEnable=true\nautoCreateSubscriptionGroup=true\nbrokerConfigPath={}\n",
            root.join("broker.conf").display()
        ),
    );
    std::fs::write(root.join("broker.conf"), b"brokerName=broker-t\n").unwrap();
    let running = broker::start(cfg).await.unwrap();
    let a = running.addr.clone();
    let client = Client::new();

    call(&client, &a, create_topic_cmd(TOPIC, 4, 6)).await;
    let sent = call(&client, &a, send_cmd(TOPIC, 0, b"before", "")).await;
    assert_eq!(sent.code, rc::SUCCESS, "{:?}", sent.remark);
    let offset = i64::from_str_radix(&sent.ext("msgId").unwrap()[16..], 16).unwrap();
    call(&client, &a, heartbeat_cmd("c1", GROUP, TOPIC, "*")).await;
    let r = call(&client, &a, pull_cmd(GROUP, TOPIC, 0, 0, 0, 0)).await;
    assert_eq!(r.code, rc::SUCCESS);

    let before = tree(&root);
    for t in traversal_forms(&outside) {
        for cmd in attacks(&t, &t, offset) {
            let code = cmd.code;
            let r = client.invoke(&a, cmd, TIMEOUT).await;
            let r = r.unwrap_or_else(|e| panic!("request {code} with {t:?}: {e}"));
            assert!(
                !(matches!(
                    code,
                    rq::DELETE_TOPIC_IN_BROKER
                        | rq::UPDATE_AND_CREATE_TOPIC
                        | rq::SEND_MESSAGE
                        | rq::SEND_MESSAGE_V2
                        | rq::SEND_BATCH_MESSAGE
                        | rq::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
                ) && r.code == rc::SUCCESS),
                "request {code} with topic/group {t:?} succeeded"
            );
        }
    }
    for (key, value) in [
        (
            "brokerConfigPath",
            outside.join("victim/data").display().to_string(),
        ),
        ("rocketmqHome", outside.display().to_string()),
        ("configBlackList", String::new()),
    ] {
        let body = format!("configBlackList=\n{key}={value}\n");
        let r = call(
            &client,
            &a,
            Command::request(rq::UPDATE_BROKER_CONFIG).with_body(body.into_bytes()),
        )
        .await;
        assert_eq!(r.code, rc::NO_PERMISSION, "update of {key}");
    }

    let after = tree(&root);
    for (rel, content) in &before {
        let now = after.get(rel);
        assert!(now.is_some(), "{} was removed", rel.display());
        if !rewritten(rel) {
            assert_eq!(now.unwrap(), content, "{} changed", rel.display());
        }
    }
    for rel in after.keys().filter(|r| !before.contains_key(*r)) {
        assert!(
            rel.starts_with("store/config"),
            "{} was created",
            rel.display()
        );
    }

    // Still serving: the old message reads back and a new one goes in (the heartbeats above
    // replaced the group's subscription, as Java's do).
    call(&client, &a, heartbeat_cmd("c1", GROUP, TOPIC, "*")).await;
    let r = call(&client, &a, pull_cmd(GROUP, TOPIC, 0, 0, 0, 0)).await;
    assert_eq!(r.code, rc::SUCCESS);
    assert_eq!(
        records(r.body.as_ref().unwrap())[0].body.as_ref(),
        b"before"
    );
    let r = call(&client, &a, send_cmd(TOPIC, 0, b"after", "")).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&root);
}

//! mqadmin against the broker: the read-only views, the admin commands, and live-consumer views.

use std::time::Duration;

use compat_tests::process::Output;
use compat_tests::tools::{java_driver, mqadmin, JavaClient};
use compat_tests::wire;

use super::common::*;

/// mqadmin against the broker after a produce/consume round: consumerProgress shows the group
/// caught up, topicStatus the queue offsets, brokerStatus the runtime keys clusterList needs.
fn mqadmin_views(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("adm"), unique("cg"));
    create_topic(s, &topic);
    let batch = Batch {
        body: "adm",
        count: 8,
        mode: "sync",
    };
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(s.ns(), &topic, &group, 8, 12_000),
    ));
    let ids = produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    check_received(&c.finish(Duration::from_secs(150)), &[batch], &ids);

    let status = mqadmin(s.ns(), &["topicStatus", "-t", &topic]);
    let max_sum: u64 = status
        .stdout
        .lines()
        .filter(|l| l.contains(s.broker_name))
        .filter_map(|l| {
            l.split_whitespace()
                .nth(3)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .sum();
    assert_eq!(max_sum, 8, "topicStatus max offsets: {status}");

    let broker_status = mqadmin(s.ns(), &["brokerStatus", "-b", &s.broker_addr]);
    for key in [
        "putTps",
        "getTransferredTps",
        "brokerVersionDesc",
        "earliestMessageTimeStamp",
        "commitLogDiskRatio",
    ] {
        assert!(
            broker_status.stdout.contains(key),
            "brokerStatus lacks {key}: {broker_status}"
        );
    }
    let cluster = mqadmin(s.ns(), &["clusterList"]);
    assert!(
        cluster.stdout.contains(&s.broker_addr),
        "clusterList: {cluster}"
    );
    assert!(
        !cluster.stdout.contains("Exception"),
        "clusterList: {cluster}"
    );

    // offsets are committed within ~5 s by the consumer (oneway) and at its shutdown
    let progress = mqadmin(s.ns(), &["consumerProgress", "-g", &group]);
    assert!(
        progress.stdout.contains(&topic),
        "consumerProgress: {progress}"
    );
    assert!(
        progress.stdout.contains("Diff Total: 0"),
        "consumerProgress: {progress}"
    );
}

#[test]
fn java_mqadmin_views() {
    let _s = compat_tests::scenario::light(120);
    mqadmin_views(Kind::Java);
}

#[test]
fn ours_mqadmin_views() {
    let _s = compat_tests::scenario::light(120);
    mqadmin_views(Kind::Ours);
}

/// mqadmin's broker-side admin commands work the same way on both brokers.
fn mqadmin_admin(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("madm"), unique("mg"));
    create_topic(s, &topic);
    let batch = Batch {
        body: "madm",
        count: 6,
        mode: "sync",
    };
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(s.ns(), &topic, &group, 6, 12_000),
    ));
    let ids = produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    check_received(&c.finish(Duration::from_secs(150)), &[batch], &ids);
    let ok = |out: &Output, what: &str| {
        assert!(!out.stdout.contains("Exception"), "{what}: {out}");
    };
    let b = s.broker_addr.as_str();
    let stats = mqadmin(s.ns(), &["brokerConsumeStats", "-b", b]);
    ok(&stats, "brokerConsumeStats");
    assert!(stats.stdout.contains(&group), "brokerConsumeStats: {stats}");
    let upd = mqadmin(
        s.ns(),
        &[
            "updateBrokerConfig",
            "-b",
            b,
            "-k",
            "fileReservedTime",
            "-v",
            "49",
        ],
    );
    ok(&upd, "updateBrokerConfig");
    let conf = mqadmin(s.ns(), &["getBrokerConfig", "-b", b]);
    ok(&conf, "getBrokerConfig");
    assert!(
        conf.stdout
            .lines()
            .any(|l| l.contains("fileReservedTime") && l.contains("49")),
        "getBrokerConfig: {conf}"
    );
    // server-side reset to the first offset: the group's lag is the whole topic again
    let reset = mqadmin(
        s.ns(),
        &["resetOffsetByTime", "-g", &group, "-t", &topic, "-s", "0"],
    );
    ok(&reset, "resetOffsetByTime");
    let progress = mqadmin(s.ns(), &["consumerProgress", "-g", &group]);
    assert!(
        progress.stdout.contains("Diff Total: 6"),
        "consumerProgress after reset: {progress}"
    );
    let sub = unique("sg");
    let up = mqadmin(s.ns(), &["updateSubGroup", "-b", b, "-g", &sub]);
    ok(&up, "updateSubGroup");
    let del = mqadmin(s.ns(), &["deleteSubGroup", "-b", b, "-g", &sub]);
    ok(&del, "deleteSubGroup");
    let dt = mqadmin(s.ns(), &["deleteTopic", "-c", CLUSTER, "-t", &topic]);
    ok(&dt, "deleteTopic");
    wait_until(
        Duration::from_secs(30),
        "deleted topic gone from the route",
        || matches!(wire::route(s.ns(), &topic), Ok(None)),
    );
}

#[test]
fn java_mqadmin_admin() {
    let _s = compat_tests::scenario::light(120);
    mqadmin_admin(Kind::Java);
}

#[test]
fn ours_mqadmin_admin() {
    let _s = compat_tests::scenario::light(120);
    mqadmin_admin(Kind::Ours);
}

/// mqadmin views of a live consumer: its connection (GET_CONSUMER_CONNECTION_LIST) and its
/// running info, which the broker forwards to the client (GET_CONSUMER_RUNNING_INFO).
fn live_consumer_views(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("live"), unique("lg"));
    create_topic(s, &topic);
    let mut c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(s.ns(), &topic, &group, 1, 30_000),
    ));
    let batch = Batch {
        body: "live",
        count: 1,
        mode: "sync",
    };
    produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    assert!(
        c.wait_json(Duration::from_secs(60), |v| v.get("body").is_some())
            .is_some(),
        "no message: {}",
        c.stdout()
    );
    let conn = mqadmin(s.ns(), &["consumerConnection", "-g", &group]);
    assert!(
        conn.stdout.contains("CLUSTERING"),
        "consumerConnection: {conn}"
    );
    assert!(conn.stdout.contains(&topic), "consumerConnection: {conn}");
    let status = mqadmin(s.ns(), &["consumerStatus", "-g", &group]);
    assert!(
        !status.stdout.contains("Exception"),
        "consumerStatus: {status}"
    );
    // The running info itself goes to a file; the summary proves the forwarded call answered.
    assert!(
        status.stdout.contains("Rebalance OK"),
        "consumerStatus: {status}"
    );
    c.finish(Duration::from_secs(60)).assert_ok();
}

#[test]
fn java_live_consumer_views() {
    let _s = compat_tests::scenario::light(120);
    live_consumer_views(Kind::Java);
}

#[test]
fn ours_live_consumer_views() {
    let _s = compat_tests::scenario::light(120);
    live_consumer_views(Kind::Ours);
}

/// Request codes sent over the wire by the scenario below (Java `RequestCode`).
const QUERY_CONSUMER_OFFSET: i32 = 14;
const INVOKE_BROKER_TO_GET_CONSUMER_STATUS: i32 = 223;
const CLONE_GROUP_OFFSET: i32 = 314;

/// Java `String.hashCode`: the consume-queue tags code of a tag.
fn java_hash(s: &str) -> i64 {
    i64::from(
        s.encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c))),
    )
}

/// The committed offsets of `group` on `topic`, queue by queue (QUERY_CONSUMER_OFFSET).
fn committed(s: &Stack, group: &str, topic: &str) -> Vec<Option<i64>> {
    (0..QUEUES)
        .map(|q| {
            let q = q.to_string();
            let r = wire::request(
                &s.broker_addr,
                QUERY_CONSUMER_OFFSET,
                &[
                    ("consumerGroup", group),
                    ("topic", topic),
                    ("queueId", &q),
                    ("setZeroIfNotFound", "false"),
                ],
                Duration::from_secs(10),
            )
            .expect("QUERY_CONSUMER_OFFSET");
            (r.code == 0)
                .then(|| r.ext_str("offset").and_then(|o| o.parse().ok()))
                .flatten()
        })
        .collect()
}

/// One queue as `mqadmin queryCq` prints it: (max, min, unit lines).
fn query_cq(s: &Stack, topic: &str, queue: u32, group: &str) -> (i64, i64, Vec<String>) {
    let q = queue.to_string();
    let out = mqadmin(
        s.ns(),
        &[
            "queryCq",
            "-t",
            topic,
            "-q",
            &q,
            "-i",
            "0",
            "-c",
            "32",
            "-b",
            &s.broker_addr,
            "-g",
            group,
        ],
    );
    assert!(
        out.stdout.contains("Filter data: \nnull"),
        "queryCq filter data of an online tag subscriber: {out}"
    );
    assert!(
        out.stdout.contains(&format!("\"topic\":\"{topic}\"")),
        "queryCq subscription: {out}"
    );
    let (max, min) = out
        .stdout
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("max: ")?;
            let (max, min) = rest.split_once(", min: ")?;
            Some((max.trim().parse().ok()?, min.trim().parse().ok()?))
        })
        .unwrap_or_else(|| panic!("queryCq without max/min: {out}"));
    let units = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("ConsumeQueueData{"))
        .map(str::to_string)
        .collect();
    (max, min, units)
}

/// The broker-side admin views and copies, after 8 messages were produced and consumed:
/// `mqadmin queryCq` (QUERY_CONSUME_QUEUE) lists every unit with the TagA tags code,
/// `mqadmin statsAll` (VIEW_BROKER_STATS_DATA) counts 8 in and 8 out, `mqadmin cloneGroupOffset`
/// (208 + 15) gives another group the same lag. INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) and
/// CLONE_GROUP_OFFSET (314) have no registered mqadmin command (mqadmin's `getConsumerStatus`
/// class is not in its command table) and are sent over the wire.
fn queues_stats_and_group_offsets(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("qcq"), unique("qg"));
    create_topic(s, &topic);
    let batch = Batch {
        body: "qcq",
        count: 8,
        mode: "sync",
    };
    let mut c = consumer(&java_driver(
        JavaClient::V5_3_3,
        // Alive until stopped below: INVOKE_BROKER_TO_GET_CONSUMER_STATUS asks the client.
        &consumer_args_linger(s.ns(), &topic, &group, 8, 300_000),
    ));
    produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    assert!(
        c.wait_json(Duration::from_secs(90), |v| v.get("received").is_some()
            || v["body"] == "qcq-7")
            .is_some(),
        "consumer: {}",
        c.stdout()
    );
    wait_until(Duration::from_secs(60), "all received", || {
        c.stdout().matches("\"body\":").count() >= 8
    });

    // statsAll first: Java's minute window forgets a count about a minute after sampling it.
    let mut stats = None;
    wait_until(
        Duration::from_secs(50),
        "statsAll counts 8 in and 8 out",
        || {
            let out = mqadmin(s.ns(), &["statsAll", "-t", &topic]);
            let row: Option<Vec<String>> = out
                .stdout
                .lines()
                .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                .find(|cols| cols.len() == 7 && cols[0] == topic && cols[1] == group);
            let done = row
                .as_ref()
                .is_some_and(|cols| cols[5] == "8" && cols[6] == "8");
            stats = Some(out);
            done
        },
    );
    let stats = stats.expect("statsAll ran");
    assert!(!stats.stdout.contains("Exception"), "statsAll: {stats}");

    let status = wire::request(
        &s.broker_addr,
        INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
        &[("topic", &topic), ("group", &group)],
        Duration::from_secs(20),
    )
    .expect("INVOKE_BROKER_TO_GET_CONSUMER_STATUS");
    let text = String::from_utf8_lossy(&status.body).into_owned();
    assert_eq!(status.code, 0, "{text}");
    assert!(text.starts_with("{\"consumerTable\":{\""), "{text}");
    // Each client's table maps MessageQueue objects to its local offsets: 8 in all.
    let local: i64 = text
        .split("}:")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<i64>().ok()
        })
        .sum();
    assert_eq!(local, 8, "consumer status: {text}");

    let (mut total, tag_code) = (0, java_hash("TagA"));
    for q in 0..QUEUES {
        let (max, min, units) = query_cq(s, &topic, q, &group);
        assert_eq!(min, 0, "queue {q}");
        assert_eq!(units.len() as i64, max, "queue {q}: {units:?}");
        for u in &units {
            assert!(u.contains(&format!("tagsCode={tag_code},")), "{u}");
            assert!(u.contains("eval=false, msg='null'"), "{u}");
        }
        total += max;
    }
    assert_eq!(total, 8, "queryCq units over all queues");

    wait_until(Duration::from_secs(30), "offsets committed", || {
        committed(s, &group, &topic).iter().flatten().sum::<i64>() == 8
    });
    let copy = unique("qcopy");
    let r = wire::request(
        &s.broker_addr,
        CLONE_GROUP_OFFSET,
        &[
            ("srcGroup", &group),
            ("destGroup", &copy),
            ("topic", &topic),
            ("offline", "true"),
        ],
        Duration::from_secs(10),
    )
    .expect("CLONE_GROUP_OFFSET");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(committed(s, &copy, &topic), committed(s, &group, &topic));

    // UPDATE_CONSUMER_OFFSET (what mqadmin's clone sends) needs an existing group.
    let cli_copy = unique("qcli");
    let up = mqadmin(
        s.ns(),
        &["updateSubGroup", "-b", &s.broker_addr, "-g", &cli_copy],
    );
    assert!(!up.stdout.contains("Exception"), "updateSubGroup: {up}");
    let clone = mqadmin(
        s.ns(),
        &[
            "cloneGroupOffset",
            "-s",
            &group,
            "-d",
            &cli_copy,
            "-t",
            &topic,
        ],
    );
    assert!(
        clone.stdout.contains("clone group offset success"),
        "cloneGroupOffset: {clone}"
    );
    assert_eq!(
        committed(s, &cli_copy, &topic),
        committed(s, &group, &topic)
    );
    let out = c.stop();
    assert_eq!(out.stdout.matches("\"body\":").count(), 8, "{out}");
}

#[test]
fn java_queues_stats_and_group_offsets() {
    let _s = compat_tests::scenario::light(120);
    queues_stats_and_group_offsets(Kind::Java);
}

#[test]
fn ours_queues_stats_and_group_offsets() {
    let _s = compat_tests::scenario::light(120);
    queues_stats_and_group_offsets(Kind::Ours);
}

/// A 5.3.3 push consumer with heartbeat V2 (every 3 s): once the broker acknowledged V2, the
/// client's heartbeats leave the subscriptions out; the broker must keep them, so
/// consumerConnection still lists the topic and a second batch is still delivered.
fn heartbeat_v2_consumer(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("hbv2"), unique("hg"));
    create_topic(s, &topic);
    let mut args = consumer_args_linger(s.ns(), &topic, &group, 8, 1500);
    args.push("heartbeat_v2=true".into());
    args.push("heartbeat_ms=3000".into());
    let cmd = java_driver(JavaClient::V5_3_3, &args);
    let client_log = cmd.dir.join("logs/rocketmqlogs/rocketmq_client.log");
    let c = consumer(&cmd);
    let batches = [
        Batch {
            body: "hbv2a",
            count: 4,
            mode: "sync",
        },
        Batch {
            body: "hbv2b",
            count: 4,
            mode: "sync",
        },
    ];
    let mut ids = produce(
        s,
        &java_driver(
            JavaClient::V5_3_3,
            &producer_args(s.ns(), &topic, &batches[0]),
        ),
        &batches[0],
    );
    wait_until(Duration::from_secs(90), "first batch consumed", || {
        c.stdout().matches("\"body\":\"hbv2a-").count() >= 4
    });
    // Two heartbeats without subscriptions (the client logs each as "simple") have reached the
    // broker, which must have kept the subscriptions.
    wait_until(
        Duration::from_secs(60),
        "two V2 heartbeats without subscriptions",
        || {
            std::fs::read_to_string(&client_log)
                .is_ok_and(|t| t.matches("sendHeartbeatToAllBrokerV2 simple").count() >= 2)
        },
    );
    let conn = mqadmin(s.ns(), &["consumerConnection", "-g", &group]);
    assert!(conn.stdout.contains(&topic), "consumerConnection: {conn}");
    ids.extend(produce(
        s,
        &java_driver(
            JavaClient::V5_3_3,
            &producer_args(s.ns(), &topic, &batches[1]),
        ),
        &batches[1],
    ));
    let out = c.finish(Duration::from_secs(150));
    check_received(&out, &batches, &ids);
    let done = out
        .json_lines()
        .into_iter()
        .find(|v| v.get("done").is_some())
        .expect("done line");
    assert!(
        done["v2Brokers"]
            .as_str()
            .is_some_and(|b| b.contains(&s.broker_addr)),
        "the broker did not acknowledge heartbeat V2: {done}"
    );
}

#[test]
fn java_heartbeat_v2_consumer() {
    let _s = compat_tests::scenario::light(120);
    heartbeat_v2_consumer(Kind::Java);
}

#[test]
fn ours_heartbeat_v2_consumer() {
    let _s = compat_tests::scenario::light(120);
    heartbeat_v2_consumer(Kind::Ours);
}

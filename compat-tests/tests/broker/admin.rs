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
    mqadmin_views(Kind::Java);
}

#[test]
fn ours_mqadmin_views() {
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
    mqadmin_admin(Kind::Java);
}

#[test]
fn ours_mqadmin_admin() {
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
    live_consumer_views(Kind::Java);
}

#[test]
fn ours_live_consumer_views() {
    live_consumer_views(Kind::Ours);
}

//! Clients routed through the NameServer under test to the Java broker: the Java client 5.3.3
//! and 4.9.8, the Go client, and NameServer failover.

use std::time::Duration;

use compat_tests::process::Cmd;
use compat_tests::servers::NsKind;
use compat_tests::tools::{go_driver_cmd, java_driver, JavaClient};
use compat_tests::traffic::{
    check_received, consumer, consumer_args, msg_ids, producer_args, send_results, Batch,
};
use compat_tests::wire;
use compat_tests::world::{world, BROKER};

use crate::namesrv::common::{create_topic, unique, wait_route};

const QUEUES: u32 = 4;

/// Runs a producer driver and checks every send result; returns the msgIds.
fn produce(cmd: &Cmd, batch: &Batch) -> Vec<String> {
    let results = send_results(cmd, batch.count);
    for r in &results {
        assert_eq!(r["broker"], BROKER, "routed to the wrong broker: {r}");
        assert!(
            r["queueId"].as_u64().is_some_and(|q| q < u64::from(QUEUES)),
            "queueId out of range: {r}"
        );
    }
    msg_ids(&results)
}

/// A Java 5.3.3 push consumer receives what Java 5.3.3 and 4.9.8 producers send, every client
/// finding the broker through the NameServer under test.
pub fn java_clients(kind: NsKind) {
    let w = world();
    let _dump = w.dump_on_failure();
    let _perm = w.read_perm();
    let ns = &w.ns(kind).addr;
    let (topic, group) = (unique("java"), unique("cg"));
    create_topic(ns, &topic, QUEUES);
    let batches = [
        Batch {
            body: "j5sync",
            count: 10,
            mode: "sync",
        },
        Batch {
            body: "j4sync",
            count: 10,
            mode: "sync",
        },
        Batch {
            body: "j5async",
            count: 5,
            mode: "async",
        },
    ];
    let expect = batches.iter().map(|b| b.count).sum();
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(ns, &topic, &group, expect),
    ));
    let mut ids = produce(
        &java_driver(JavaClient::V5_3_3, &producer_args(ns, &topic, &batches[0])),
        &batches[0],
    );
    ids.extend(produce(
        &java_driver(JavaClient::V4_9_8, &producer_args(ns, &topic, &batches[1])),
        &batches[1],
    ));
    ids.extend(produce(
        &java_driver(JavaClient::V5_3_3, &producer_args(ns, &topic, &batches[2])),
        &batches[2],
    ));
    check_received(&c.finish(Duration::from_secs(150)), &batches, &ids);
}

/// The Go producer (sync and async) and the Go push consumer, through the NameServer under test.
pub fn go_clients(kind: NsKind) {
    let w = world();
    let _dump = w.dump_on_failure();
    let _perm = w.read_perm();
    let ns = &w.ns(kind).addr;
    let (topic, group) = (unique("go"), unique("cg"));
    create_topic(ns, &topic, QUEUES);
    let batches = [
        Batch {
            body: "gosync",
            count: 10,
            mode: "sync",
        },
        Batch {
            body: "goasync",
            count: 5,
            mode: "async",
        },
    ];
    let c = consumer(&go_driver_cmd(&consumer_args(ns, &topic, &group, 15)));
    let mut ids = produce(
        &go_driver_cmd(&producer_args(ns, &topic, &batches[0])),
        &batches[0],
    );
    ids.extend(produce(
        &go_driver_cmd(&producer_args(ns, &topic, &batches[1])),
        &batches[1],
    ));
    check_received(&c.finish(Duration::from_secs(150)), &batches, &ids);
}

/// The broker is registered with two NameServers; clients given both (a Java 4.9.8 push consumer,
/// Java 5.3.3, Java 4.9.8 and Go producers) keep working after one of them is killed (SIGKILL),
/// whichever one they had picked.
pub fn namesrv_failover(kind: NsKind) {
    let w = world();
    let _dump = w.dump_on_failure();
    let _perm = w.read_perm();
    let (primary, spare) = (w.ns(kind), w.spare(kind));
    let both = format!("{};{}", primary.addr, spare.addr);
    let (topic, group) = (unique("failover"), unique("cg"));
    create_topic(&primary.addr, &topic, QUEUES);
    wait_route(&spare.addr, &topic);
    let batches = [
        Batch {
            body: "before",
            count: 10,
            mode: "sync",
        },
        Batch {
            body: "afterj4",
            count: 10,
            mode: "sync",
        },
        Batch {
            body: "aftergo",
            count: 10,
            mode: "sync",
        },
    ];
    let c = consumer(&java_driver(
        JavaClient::V4_9_8,
        &consumer_args(&both, &topic, &group, 30),
    ));
    let mut ids = produce(
        &java_driver(
            JavaClient::V5_3_3,
            &producer_args(&both, &topic, &batches[0]),
        ),
        &batches[0],
    );

    spare.server.kill();
    assert!(
        !wire::port_open(&spare.addr),
        "the killed NameServer still accepts connections"
    );
    ids.extend(produce(
        &java_driver(
            JavaClient::V4_9_8,
            &producer_args(&both, &topic, &batches[1]),
        ),
        &batches[1],
    ));
    ids.extend(produce(
        &go_driver_cmd(&producer_args(&both, &topic, &batches[2])),
        &batches[2],
    ));
    check_received(&c.finish(Duration::from_secs(150)), &batches, &ids);
    assert!(
        wire::route(&primary.addr, &topic).is_ok_and(|r| r.is_some()),
        "the surviving NameServer lost the route"
    );
}

//! Replication between two brokers in one process, through their real HA ports: a slave's
//! CommitLog is the master's byte for byte, it serves reads and refuses writes, and a
//! SYNC_MASTER answers a send only once the slave has it.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::Client;

const FAST_HA: &str = "haSendHeartbeatInterval=200\nhaHousekeepingInterval=5000\n";

fn ha_addr(b: &TestBroker) -> String {
    format!("127.0.0.1:{}", b.broker().config().ha_listen_port)
}

async fn slave_of(tag: &str, master: &TestBroker, extra: &str) -> TestBroker {
    let conf = format!(
        "brokerRole=SLAVE\nbrokerId=1\nhaMasterAddress={}\n{FAST_HA}{extra}",
        ha_addr(master)
    );
    boot(tag, &conf).await
}

/// An empty slave starts at the master's last segment: wait for its first report before
/// writing, so that it copies everything.
async fn wait_attached(master: &TestBroker) {
    wait_for("the slave's first report", || {
        master
            .broker()
            .ha
            .master
            .links()
            .iter()
            .any(|l| l.ack.load(std::sync::atomic::Ordering::Acquire) >= 0)
    })
    .await;
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn commitlog_bytes(b: &TestBroker, upto: i64) -> Vec<u8> {
    let dir = b.dir.join("commitlog");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut all = Vec::new();
    for n in names {
        let base: i64 = n.parse().unwrap();
        let data = std::fs::read(dir.join(&n)).unwrap();
        let take = (upto - base).clamp(0, data.len() as i64) as usize;
        all.extend_from_slice(&data[..take]);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_copies_the_master_byte_for_byte_and_serves_reads() {
    let master = boot("ha-m", FAST_HA).await;
    let slave = slave_of("ha-s", &master, "slaveReadEnable=true\n").await;
    wait_attached(&master).await;
    let client = Client::new();
    let body = vec![b'x'; 1000];
    for i in 0..5000 {
        let r = call(&client, &master.addr, send_cmd("HaT", i % 4, &body, "")).await;
        assert_eq!(r.code, rc::SUCCESS, "{r:?}");
    }
    let (_, end) = master.broker().store.commitlog_offsets();
    assert!(end > 4 << 20, "the CommitLog rolled to a second segment");
    wait_for("the slave to catch up", || {
        slave.broker().store.commitlog_offsets().1 == end
    })
    .await;
    master.broker().store.shutdown().unwrap();
    slave.broker().store.shutdown().unwrap();
    assert!(
        commitlog_bytes(&master, end) == commitlog_bytes(&slave, end),
        "CommitLog bytes differ"
    );
    for q in 0..4 {
        let (m, s) = (master.broker(), slave.broker());
        assert_eq!(s.store.max_offset("HaT", q), m.store.max_offset("HaT", q));
    }
    master.stop().await;
    slave.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slave_refuses_sends_and_answers_pulls_as_java() {
    let master = boot("ha-m2", FAST_HA).await;
    let slave = slave_of("ha-s2", &master, "slaveReadEnable=true\n").await;
    let client = Client::new();
    for i in 0..10 {
        let r = call(
            &client,
            &master.addr,
            send_cmd("HaR", 0, format!("m{i}").as_bytes(), ""),
        )
        .await;
        assert_eq!(r.code, rc::SUCCESS);
    }
    let end = master.broker().store.commitlog_offsets().1;
    // Caught up: the bytes written and the ten records dispatched to the slave's queue.
    wait_for("the slave to catch up", || {
        let store = &slave.broker().store;
        store.commitlog_offsets().1 == end && store.max_offset("HaR", 0) == 10
    })
    .await;
    let refused = call(&client, &slave.addr, send_cmd("HaR", 0, b"no", "")).await;
    assert_eq!(refused.code, rc::SYSTEM_BUSY, "{refused:?}");
    // The topic reaches a slave by metadata sync; here it is created on the slave directly.
    let r = call(&client, &slave.addr, create_topic_cmd("HaR", 4, 6)).await;
    assert_eq!(r.code, rc::SUCCESS, "{r:?}");
    let pulled = call(&client, &slave.addr, pull_cmd("g", "HaR", 0, 0, 0x4, 0)).await;
    assert_eq!(pulled.code, rc::SUCCESS, "{pulled:?}");
    assert_eq!(records(pulled.body.as_ref().unwrap()).len(), 10);
    assert_eq!(
        pulled.ext("suggestWhichBrokerId"),
        Some("0"),
        "not cold: the master"
    );
    // Caught up and not cold: back to the master at once.
    let empty = call(
        &client,
        &slave.addr,
        pull_cmd("g", "HaR", 0, 10, 0x4 | 0x2, 5000),
    )
    .await;
    assert_eq!(empty.code, rc::PULL_RETRY_IMMEDIATELY, "{empty:?}");
    let status = call(
        &client,
        &master.addr,
        remoting::Command::request(rq::GET_BROKER_HA_STATUS),
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(status.body.as_ref().unwrap()).unwrap();
    assert_eq!(v["master"], true);
    assert_eq!(v["haConnectionInfo"][0]["slaveAckOffset"], end);
    assert_eq!(v["inSyncSlaveNums"], 1);
    let status = call(
        &client,
        &slave.addr,
        remoting::Command::request(rq::GET_BROKER_HA_STATUS),
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(status.body.as_ref().unwrap()).unwrap();
    assert_eq!(v["master"], false);
    assert_eq!(v["haClientRuntimeInfo"]["masterAddr"], ha_addr(&master));
    assert_eq!(v["haClientRuntimeInfo"]["maxOffset"], end);
    master.stop().await;
    slave.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_master_answers_once_the_slave_has_the_message() {
    let conf = format!("brokerRole=SYNC_MASTER\ninSyncReplicas=2\nslaveTimeout=300\n{FAST_HA}");
    let master = boot("ha-sync", &conf).await;
    let client = Client::new();
    let r = call(&client, &master.addr, send_cmd("HaS", 0, b"alone", "")).await;
    assert_eq!(r.code, rc::FLUSH_SLAVE_TIMEOUT, "no slave: {r:?}");
    assert!(r.ext("msgId").is_some(), "stored all the same");
    let slave = slave_of("ha-sync-s", &master, "").await;
    wait_for("the slave to catch up", || {
        slave.broker().store.commitlog_offsets().1 == master.broker().store.commitlog_offsets().1
    })
    .await;
    for i in 0..50 {
        let r = call(
            &client,
            &master.addr,
            send_cmd("HaS", 0, format!("s{i}").as_bytes(), ""),
        )
        .await;
        assert_eq!(r.code, rc::SUCCESS, "{r:?}");
        let end = master.broker().store.commitlog_offsets().1;
        assert!(
            slave.broker().store.commitlog_offsets().1 >= end,
            "acknowledged before the slave had it"
        );
    }
    let r = call(
        &client,
        &master.addr,
        send_cmd("HaS", 0, b"nowait", "WAIT\u{1}false\u{2}"),
    )
    .await;
    assert_eq!(r.code, rc::SUCCESS);
    master.stop().await;
    slave.stop().await;
}

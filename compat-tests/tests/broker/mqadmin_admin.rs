//! The mqadmin parity scenario's changing commands: independent chains run at once (each one
//! command after the other, with the view that shows its effect), then write permission, then
//! the store maintenance commands with the store directory they leave.

use std::time::Duration;

use compat_tests::process::spawn_scoped;
use compat_tests::wire;

use super::common::wait_until;
use super::mqadmin::{CGROUP, COUNT, TOPIC};
use super::mqadmin_env::*;

type Chain = fn(&Env) -> Vec<Entry>;

/// wipeWritePerm and addWritePerm, then every other chain at once; their entries in chain order.
pub(crate) fn chains(e: &Env) -> Vec<Entry> {
    // First: a topic delete changes the broker's data version without registering (Java
    // registers it with the next periodic registration, 30 s later at most), and a registration
    // with a new version rebuilds the NameServer's queue data, which undoes wipeWritePerm at a
    // time the scenario does not control.
    let mut out = write_perm(e);
    let all: [Chain; 5] = [
        topic_chain,
        group_chain,
        config_chain,
        namesrv_chain,
        auth_chain,
    ];
    out.extend(std::thread::scope(|s| {
        let handles: Vec<_> = all.iter().map(|c| spawn_scoped(s, move || c(e))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("chain"))
            .collect::<Vec<_>>()
    }));
    out
}

fn run(e: &Env, out: &mut Vec<Entry>, args: &[&str]) {
    out.push(e.admin(args));
}

fn route_perm(e: &Env, topic: &str) -> Option<i64> {
    wire::route(e.ns(), topic)
        .ok()
        .flatten()
        .and_then(|r| wire::route_perm(&r, BROKER))
}

/// updateTopicList, updateTopicPerm, deleteTopic, each with the route it leaves.
fn topic_chain(e: &Env) -> Vec<Entry> {
    let mut out = Vec::new();
    let file = e.files.join("topics.json");
    std::fs::write(
        &file,
        r#"[{"topicName":"AdmList1","readQueueNums":2,"writeQueueNums":2,"perm":6},
            {"topicName":"AdmList2","readQueueNums":1,"writeQueueNums":1,"perm":6,
             "attributes":{"+message.type":"NORMAL"}}]"#,
    )
    .expect("topics.json");
    let f = file.display().to_string();
    run(e, &mut out, &["updateTopicList", "-b", e.addr(), "-f", &f]);
    for t in ["AdmList1", "AdmList2"] {
        wait_until(Duration::from_secs(60), &format!("route of {t}"), || {
            route_perm(e, t).is_some()
        });
    }
    run(e, &mut out, &["topicRoute", "-t", "AdmList2"]);
    out.push(e.wire_entry("GET_TOPIC_CONFIG AdmList2", 351, &[("topic", "AdmList2")]));
    run(
        e,
        &mut out,
        &[
            "updateTopicPerm",
            "-t",
            "AdmList1",
            "-p",
            "4",
            "-c",
            MQ_CLUSTER,
        ],
    );
    wait_until(Duration::from_secs(60), "AdmList1 read-only", || {
        route_perm(e, "AdmList1") == Some(4)
    });
    run(e, &mut out, &["topicRoute", "-t", "AdmList1"]);
    run(
        e,
        &mut out,
        &["deleteTopic", "-t", "AdmList2", "-c", MQ_CLUSTER],
    );
    wait_until(Duration::from_secs(60), "AdmList2 gone", || {
        matches!(wire::route(e.ns(), "AdmList2"), Ok(None))
    });
    run(e, &mut out, &["topicStatus", "-t", "AdmList2"]);
    out
}

/// Groups created one by one and in a list, a consume mode, a deletion, then offsets cloned,
/// skipped and reset (the last on the online consumer, which then consumes everything again).
fn group_chain(e: &Env) -> Vec<Entry> {
    let mut out = Vec::new();
    let b = e.addr().to_string();
    run(
        e,
        &mut out,
        &["updateSubGroup", "-b", &b, "-g", "AdmGroup2"],
    );
    let file = e.files.join("groups.json");
    std::fs::write(
        &file,
        r#"[{"groupName":"AdmGroup3","retryMaxTimes":5},
            {"groupName":"AdmGroup4","consumeBroadcastEnable":false}]"#,
    )
    .expect("groups.json");
    let f = file.display().to_string();
    run(e, &mut out, &["updateSubGroupList", "-b", &b, "-f", &f]);
    run(e, &mut out, &["getConsumerConfig", "-g", "AdmGroup3"]);
    run(
        e,
        &mut out,
        &[
            "setConsumeMode",
            "-c",
            MQ_CLUSTER,
            "-g",
            "AdmGroup3",
            "-t",
            TOPIC,
            "-m",
            "POP",
            "-q",
            "2",
        ],
    );
    run(
        e,
        &mut out,
        &[
            "setConsumeMode",
            "-b",
            &b,
            "-g",
            "AdmGroup3",
            "-t",
            "AdmNoTopic",
            "-m",
            "PULL",
        ],
    );
    out.push(e.wire_entry("GET_ALL_MESSAGE_REQUEST_MODE", 402, &[]));
    run(
        e,
        &mut out,
        &["deleteSubGroup", "-c", MQ_CLUSTER, "-g", "AdmGroup4"],
    );
    run(e, &mut out, &["getConsumerConfig", "-g", "AdmGroup4"]);
    run(
        e,
        &mut out,
        &[
            "cloneGroupOffset",
            "-s",
            CGROUP,
            "-d",
            "AdmGroup2",
            "-t",
            TOPIC,
        ],
    );
    run(e, &mut out, &["consumerProgress", "-g", "AdmGroup2"]);
    run(
        e,
        &mut out,
        &["skipAccumulatedMessage", "-g", "AdmGroup2", "-t", TOPIC],
    );
    run(e, &mut out, &["consumerProgress", "-g", "AdmGroup2"]);
    run(
        e,
        &mut out,
        &["resetOffsetByTime", "-g", CGROUP, "-t", TOPIC, "-s", "0"],
    );
    wait_until(
        Duration::from_secs(90),
        "consumed again after the reset",
        || {
            (0..4)
                .filter_map(|q| e.committed(CGROUP, TOPIC, q))
                .sum::<i64>()
                == COUNT as i64 + 1
        },
    );
    run(e, &mut out, &["consumerProgress", "-g", CGROUP]);
    out
}

/// A broker config update, the CommitLog read-ahead mode, cold-data group thresholds.
fn config_chain(e: &Env) -> Vec<Entry> {
    let mut out = Vec::new();
    let b = e.addr().to_string();
    run(
        e,
        &mut out,
        &[
            "updateBrokerConfig",
            "-b",
            &b,
            "-k",
            "transactionCheckMax",
            "-v",
            "16",
        ],
    );
    run(
        e,
        &mut out,
        &["setCommitLogReadAheadMode", "-b", &b, "-m", "1"],
    );
    run(e, &mut out, &["getBrokerConfig", "-b", &b]);
    run(
        e,
        &mut out,
        &["setCommitLogReadAheadMode", "-b", &b, "-m", "0"],
    );
    run(
        e,
        &mut out,
        &["setCommitLogReadAheadMode", "-b", &b, "-m", "7"],
    );
    run(
        e,
        &mut out,
        &[
            "updateColdDataFlowCtrGroupConfig",
            "-b",
            &b,
            "-g",
            CGROUP,
            "-v",
            "1000",
        ],
    );
    run(e, &mut out, &["getColdDataFlowCtrInfo", "-b", &b]);
    run(
        e,
        &mut out,
        &["removeColdDataFlowCtrGroupConfig", "-b", &b, "-g", CGROUP],
    );
    run(e, &mut out, &["getColdDataFlowCtrInfo", "-c", MQ_CLUSTER]);
    out
}

/// A topic the broker does not serve, for updateOrderConf: Java's broker marks a topic it
/// serves `order` (for good) when a registration returns the NameServer's ORDER_TOPIC_CONFIG,
/// and its next registration, with the new data version, resets the NameServer's queue data
/// (undoing wipeWritePerm at a time the scenario does not control); Thrust's broker does not
/// read that table yet (see `broker/README.md`).
const ORDER_TOPIC: &str = "AdmOrderConf";

/// NameServer KV, order config and config.
fn namesrv_chain(e: &Env) -> Vec<Entry> {
    let mut out = Vec::new();
    for c in cmds(&[
        &["updateKvConfig", "-s", "AdmNs", "-k", "k1", "-v", "v1"],
        &["deleteKvConfig", "-s", "AdmNs", "-k", "k1"],
        &[
            "updateOrderConf",
            "-m",
            "put",
            "-t",
            ORDER_TOPIC,
            "-v",
            "broker-mq:4",
        ],
        &["updateOrderConf", "-m", "get", "-t", ORDER_TOPIC],
        &["updateOrderConf", "-m", "delete", "-t", ORDER_TOPIC],
        &[
            "updateNamesrvConfig",
            "-k",
            "orderMessageEnable",
            "-v",
            "true",
        ],
        &["getNamesrvConfig"],
        &[
            "updateNamesrvConfig",
            "-k",
            "orderMessageEnable",
            "-v",
            "false",
        ],
    ]) {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        out.push(e.admin(&args));
    }
    out
}

/// The ACL 2.0 commands against a broker without ACL: Java's feature-off answers.
fn auth_chain(e: &Env) -> Vec<Entry> {
    let b = e.addr().to_string();
    e.admin_all(&cmds(&[
        &["createUser", "-b", &b, "-u", "alice", "-p", "secret"],
        &["updateUser", "-b", &b, "-u", "alice", "-p", "other"],
        &["getUser", "-b", &b, "-u", "alice"],
        &["listUser", "-b", &b],
        &["deleteUser", "-b", &b, "-u", "alice"],
        &["copyUser", "-f", &b, "-t", &b],
        &[
            "createAcl",
            "-b",
            &b,
            "-s",
            "User:alice",
            "-r",
            "Topic:AdmTopic",
            "-a",
            "Pub",
            "-d",
            "Allow",
        ],
        &[
            "updateAcl",
            "-b",
            &b,
            "-s",
            "User:alice",
            "-r",
            "Topic:AdmTopic",
            "-a",
            "Sub",
            "-d",
            "Allow",
        ],
        &["getAcl", "-b", &b, "-s", "User:alice"],
        &["listAcl", "-b", &b],
        &[
            "deleteAcl",
            "-b",
            &b,
            "-s",
            "User:alice",
            "-r",
            "Topic:AdmTopic",
        ],
        &["copyAcl", "-f", &b, "-t", &b],
        &["getBrokerEpoch", "-b", BROKER],
    ]))
}

/// wipeWritePerm and addWritePerm, each with the route it leaves.
fn write_perm(e: &Env) -> Vec<Entry> {
    let mut out = Vec::new();
    run(e, &mut out, &["wipeWritePerm", "-b", BROKER]);
    run(e, &mut out, &["topicRoute", "-t", TOPIC]);
    run(e, &mut out, &["addWritePerm", "-b", BROKER]);
    run(e, &mut out, &["topicRoute", "-t", TOPIC]);
    out
}

/// RequestCode.GET_MIN_OFFSET.
const GET_MIN_OFFSET: i32 = 31;

/// GET_MIN_OFFSET of a queue.
fn min_offset(e: &Env, topic: &str, queue: i32) -> Option<i64> {
    let q = queue.to_string();
    let r = wire::request(
        e.addr(),
        GET_MIN_OFFSET,
        &[("topic", topic), ("queueId", &q)],
        Duration::from_secs(5),
    );
    r.ok()
        .filter(|r| r.code == 0)
        .and_then(|r| r.ext_str("offset").and_then(|o| o.parse().ok()))
}

/// The store's consume-queue directories as `topic/queue` lines.
fn queue_dirs(e: &Env, when: &str) -> Entry {
    let root = e.s.store.join("consumequeue");
    let mut lines = Vec::new();
    for t in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let topic = t.file_name().to_string_lossy().into_owned();
        let queues: Vec<String> = std::fs::read_dir(t.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|q| q.file_name().to_string_lossy().into_owned())
            .collect();
        if queues.is_empty() {
            lines.push(format!("{topic}/"));
        }
        lines.extend(queues.into_iter().map(|q| format!("{topic}/{q}")));
    }
    lines.sort();
    Entry {
        cmd: format!("consumequeue directories {when}"),
        out: lines.join("\n"),
    }
}

/// Every CommitLog file but the newest, last modified 100 hours ago: expired for the default
/// `fileReservedTime` (72 hours). Files are full, so no later write moves the time back.
fn expire_commitlog_files(e: &Env) {
    let dir = e.s.store.join("commitlog");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("commitlog dir")
        .flatten()
        .map(|f| f.path())
        .collect();
    files.sort();
    files.pop();
    let past = std::time::SystemTime::now() - Duration::from_secs(100 * 3600);
    for f in files {
        std::fs::File::options()
            .write(true)
            .open(&f)
            .and_then(|h| h.set_modified(past))
            .unwrap_or_else(|err| panic!("set mtime of {}: {err}", f.display()));
    }
}

/// deleteExpiredCommitLog (every file but the newest goes), cleanExpiredCQ (the queues whose
/// messages went with them go), cleanUnusedTopic (the orphaned queue goes).
pub(crate) fn maintenance(e: &Env, fill: fn(&Env, &str, usize)) -> Vec<Entry> {
    let mut out = Vec::new();
    let b = e.addr().to_string();
    // Two more files, so that the last message of every earlier topic is in a file to delete.
    fill(e, "AdmTail", 3);
    expire_commitlog_files(e);
    run(e, &mut out, &["deleteExpiredCommitLog", "-b", &b]);
    wait_until(
        Duration::from_secs(90),
        "expired CommitLog files deleted",
        || {
            e.runtime("commitLogMinOffset")
                .and_then(|m| m.parse::<i64>().ok())
                .is_some_and(|m| m >= 2 << 20)
        },
    );
    // Java corrects the queues' min offsets in its next clean-up round.
    wait_until(
        Duration::from_secs(60),
        "AdmTail's min offset corrected",
        || min_offset(e, "AdmTail", 0) == Some(1),
    );
    run(e, &mut out, &["brokerStatus", "-b", &b]);
    out.push(queue_dirs(e, "before cleanExpiredCQ"));
    run(e, &mut out, &["cleanExpiredCQ", "-b", &b]);
    out.push(queue_dirs(e, "after cleanExpiredCQ"));
    for c in cmds(&[
        &["topicStatus", "-t", "AdmFill"],
        &["topicStatus", "-t", "AdmTail"],
        &["topicStatus", "-t", TOPIC],
        &["consumerProgress", "-g", CGROUP],
        &["cleanUnusedTopic", "-b", &b],
    ]) {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        out.push(e.admin(&args));
    }
    out.push(queue_dirs(e, "after cleanUnusedTopic"));
    out
}

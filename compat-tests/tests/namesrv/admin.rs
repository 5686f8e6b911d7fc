//! mqadmin's NameServer commands. Each scenario asserts specific content and returns a
//! normalized transcript, so the "ours" tests can also require the same transcript as Java's.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use compat_tests::servers::NsKind;
use compat_tests::tools::mqadmin;
use compat_tests::wire::{self, code, response};
use compat_tests::world::{world, BROKER, CLUSTER};

use crate::namesrv::common::{create_topic, error_desc, lines, normalize, unique, wait_no_route};

/// Topics every 5.3.3 broker registers (BrokerController / TopicConfigManager).
const SYSTEM_TOPICS: &[&str] = &[
    "TBW102",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
    "SCHEDULE_TOPIC_XXXX",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "DefaultCluster",
    "DefaultCluster_REPLY_TOPIC",
    "broker-a",
];

/// updateTopic → topicRoute → topicList → deleteTopic → topicRoute, all through one NameServer.
pub fn topic_lifecycle(kind: NsKind) -> Vec<String> {
    let w = world();
    let _dump = w.dump_on_failure();
    let _perm = w.read_perm();
    let ns = &w.ns(kind).addr;
    let topic = unique("admin");
    let norm = |s: &str| normalize(w, s, &[(&topic, "<topic>")]);
    let mut transcript = Vec::new();

    let created = create_topic(ns, &topic, 4);
    let created = lines(&created);
    assert_eq!(
        created.first().map(String::as_str),
        Some(format!("create topic to {} success.", w.broker.addr).as_str())
    );
    assert!(created.iter().any(|l| l.starts_with(&format!(
        "TopicConfig [topicName={topic}, readQueueNums=4, writeQueueNums=4, perm=RW-"
    ))));
    transcript.extend(created.iter().map(|l| norm(l)));

    let route = mqadmin(ns, &["topicRoute", "-t", &topic]);
    let route_json = wire::parse_fastjson(&route.stdout)
        .unwrap_or_else(|e| panic!("topicRoute output: {e}\n{route}"));
    assert_eq!(route_json["queueDatas"][0]["brokerName"], BROKER, "{route}");
    assert_eq!(route_json["queueDatas"][0]["perm"], 6, "{route}");
    assert_eq!(route_json["queueDatas"][0]["readQueueNums"], 4, "{route}");
    assert_eq!(route_json["queueDatas"][0]["writeQueueNums"], 4, "{route}");
    assert_eq!(route_json["brokerDatas"][0]["cluster"], CLUSTER, "{route}");
    assert_eq!(
        route_json["brokerDatas"][0]["brokerAddrs"]["0"],
        w.broker.addr.as_str(),
        "{route}"
    );
    transcript.push(norm(&route_json.to_string()));

    let list = mqadmin(ns, &["topicList"]);
    let topics: BTreeSet<String> = lines(&list).into_iter().collect();
    assert!(topics.contains(&topic), "topicList lacks {topic}: {list}");
    for t in SYSTEM_TOPICS {
        assert!(topics.contains(*t), "topicList lacks {t}: {list}");
    }
    // Names made by tests (ct_…) come and go with the other scenarios; compare the rest.
    let stable: Vec<String> = topics
        .iter()
        .filter(|t| !t.contains("ct_"))
        .cloned()
        .collect();
    transcript.push(format!("topicList: {}", stable.join(" ")));

    let deleted = mqadmin(ns, &["deleteTopic", "-c", CLUSTER, "-t", &topic]);
    let deleted_lines = lines(&deleted);
    assert_eq!(
        deleted_lines,
        vec![
            format!("delete topic [{topic}] from cluster [{CLUSTER}] success."),
            format!("delete topic [{topic}] from NameServer success.")
        ],
        "{deleted}"
    );
    transcript.extend(deleted_lines.iter().map(|l| norm(l)));
    wait_no_route(ns, &topic);

    let gone = mqadmin(ns, &["topicRoute", "-t", &topic]);
    let desc = error_desc(&gone)
        .unwrap_or_else(|| panic!("topicRoute of a deleted topic must fail: {gone}"));
    assert!(desc.starts_with("CODE: 17"), "{gone}");
    transcript.push(format!("topicRoute after delete: {}", norm(&desc)));
    transcript
}

/// NamesrvConfig keys (and the two server keys set in namesrv.conf) that getNamesrvConfig prints.
const CONFIG_KEYS: &[&str] = &[
    "listenPort",
    "bindAddress",
    "rocketmqHome",
    "kvConfigPath",
    "configStorePath",
    "productEnvName",
    "clusterTest",
    "orderMessageEnable",
    "returnOrderTopicConfigToBroker",
    "scanNotActiveBrokerInterval",
    "enableAllTopicList",
    "enableTopicList",
    "needWaitForService",
    "waitSecondsForService",
    "deleteTopicWithBrokerRegistration",
    "supportActingMaster",
    "configBlackList",
];

/// Every `key  =  value` line of getNamesrvConfig, sorted by key; the keys above must be there.
fn namesrv_config(ns: &str) -> Vec<(String, String)> {
    let out = mqadmin(ns, &["getNamesrvConfig"]);
    let all = lines(&out);
    assert_eq!(
        all.first(),
        Some(&format!("============{ns}============")),
        "{out}"
    );
    let mut pairs: Vec<(String, String)> = all
        .iter()
        .skip(1)
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    pairs.sort();
    for key in CONFIG_KEYS {
        assert!(
            pairs.iter().any(|(k, _)| k == key),
            "getNamesrvConfig lacks {key}: {out}"
        );
    }
    pairs
}

/// getNamesrvConfig, updateNamesrvConfig (accepted key, then a black-listed one).
///
/// The scenario changes and restores a setting of a NameServer every scenario shares, and both
/// `java_` and `ours_` run it against the Java one: one run at a time, or one sees the other's
/// value.
pub fn namesrv_config_commands(kind: NsKind) -> Vec<String> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let w = world();
    let _dump = w.dump_on_failure();
    let nsrv = w.ns(kind);
    let ns = &nsrv.addr;
    let mut transcript = Vec::new();
    let port = ns.rsplit(':').next().unwrap_or_default();

    let before = namesrv_config(ns);
    let get = |k: &str| {
        before
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("listenPort"), port);
    assert_eq!(get("bindAddress"), "127.0.0.1");
    assert_eq!(get("productEnvName"), "center");
    assert_eq!(get("orderMessageEnable"), "false");
    assert_eq!(
        get("configBlackList"),
        "configBlackList;configStorePath;kvConfigPath"
    );
    assert_eq!(
        get("configStorePath"),
        nsrv.server.dir.join("namesrv.conf").display().to_string()
    );
    assert!(
        get("kvConfigPath").ends_with("namesrv/kvConfig.json"),
        "{before:?}"
    );
    transcript.extend(
        before
            .iter()
            .map(|(k, v)| normalize(w, &format!("{k}={v}"), &[(port, "<port>")])),
    );

    let update = mqadmin(
        ns,
        &[
            "updateNamesrvConfig",
            "-k",
            "productEnvName",
            "-v",
            "ct_env",
        ],
    );
    assert_eq!(
        lines(&update),
        vec![
            format!("update name server config success![{ns}]"),
            "productEnvName : ct_env".to_string()
        ],
        "{update}"
    );
    let after = namesrv_config(ns);
    assert!(
        after.contains(&("productEnvName".into(), "ct_env".into())),
        "{after:?}"
    );
    transcript.extend(lines(&update).iter().map(|l| normalize(w, l, &[])));

    let refused = mqadmin(
        ns,
        &[
            "updateNamesrvConfig",
            "-k",
            "kvConfigPath",
            "-v",
            "/tmp/ct_elsewhere",
        ],
    );
    let desc = error_desc(&refused)
        .unwrap_or_else(|| panic!("a black-listed key must be refused: {refused}"));
    assert!(desc.starts_with("CODE: 16"), "{refused}");
    transcript.push(desc);
    assert!(
        namesrv_config(ns).contains(&("kvConfigPath".into(), get("kvConfigPath"))),
        "kvConfigPath changed"
    );

    let restore = mqadmin(
        ns,
        &[
            "updateNamesrvConfig",
            "-k",
            "productEnvName",
            "-v",
            "center",
        ],
    );
    assert!(restore.stdout.contains("success"), "{restore}");
    transcript
}

fn kv_value(ns: &str, namespace: &str, key: &str) -> (i32, Option<String>) {
    let reply = wire::request(
        ns,
        code::GET_KV_CONFIG,
        &[("namespace", namespace), ("key", key)],
        Duration::from_secs(3),
    )
    .expect("GET_KV_CONFIG");
    (reply.code, reply.ext_str("value").map(str::to_string))
}

/// updateKvConfig / deleteKvConfig, read back with GET_KV_CONFIG.
pub fn kv_config_commands(kind: NsKind) -> Vec<String> {
    let w = world();
    let _dump = w.dump_on_failure();
    let ns = &w.ns(kind).addr;
    let (namespace, key) = (unique("kvns"), "ct_key");
    let norm = |s: &str| normalize(w, s, &[(&namespace, "<namespace>")]);
    let put = mqadmin(
        ns,
        &[
            "updateKvConfig",
            "-s",
            &namespace,
            "-k",
            key,
            "-v",
            "ct value 1",
        ],
    );
    assert_eq!(
        lines(&put),
        vec!["create or update kv config to namespace success."],
        "{put}"
    );
    assert_eq!(
        kv_value(ns, &namespace, key),
        (response::SUCCESS, Some("ct value 1".to_string()))
    );
    let del = mqadmin(ns, &["deleteKvConfig", "-s", &namespace, "-k", key]);
    assert_eq!(
        lines(&del),
        vec!["delete kv config from namespace success."],
        "{del}"
    );
    let (code_after, value_after) = kv_value(ns, &namespace, key);
    assert_eq!((code_after, value_after), (response::QUERY_NOT_FOUND, None));
    let mut transcript: Vec<String> = lines(&put)
        .iter()
        .chain(lines(&del).iter())
        .map(|l| norm(l))
        .collect();
    transcript.push(format!("GET_KV_CONFIG after delete: {code_after}"));
    transcript
}

fn full_perm_of(ns: &str, topic: &str) -> i64 {
    let route = wire::route(ns, topic)
        .expect("route")
        .unwrap_or_else(|| panic!("no route of {topic}"));
    wire::route_perm(&route, BROKER)
        .unwrap_or_else(|| panic!("no queue data of {BROKER} in {route}"))
}

fn write_perm_of(ns: &str, topic: &str) -> i64 {
    full_perm_of(ns, topic) & 2
}

/// wipeWritePerm / addWritePerm of broker-a; checked in the route of the cluster-name topic.
pub fn write_perm_commands(kind: NsKind) -> Vec<String> {
    let w = world();
    let _dump = w.dump_on_failure();
    let _exclusive = w.write_perm();
    let ns = &w.ns(kind).addr;
    let count_of = |line: &str| {
        line.rsplit(", ")
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    };
    // A broker registration whose DataVersion is newer than the NameServer's rebuilds the queue
    // data and so restores write permission (RouteInfoManager#registerBroker). Topics deleted by
    // earlier scenarios bump the broker's DataVersion without registering at once; creating a
    // topic now registers the newest version, so no later registration can undo the wipe.
    let sync_topic = unique("perm_sync");
    create_topic(ns, &sync_topic, 1);
    assert_eq!(
        write_perm_of(ns, CLUSTER),
        2,
        "the cluster topic must start writable"
    );

    // TBW102 is registered with READ|WRITE|INHERIT (7), or 6 after an earlier addWritePerm.
    let tbw102_before = full_perm_of(ns, "TBW102");
    assert!(tbw102_before & 6 == 6, "TBW102 perm {tbw102_before}");
    let wipe = mqadmin(ns, &["wipeWritePerm", "-b", BROKER]);
    let wipe_line = lines(&wipe).into_iter().next().unwrap_or_default();
    assert!(
        wipe_line.starts_with(&format!(
            "wipe write perm of broker[{BROKER}] in name server[{ns}] OK, "
        )),
        "{wipe}"
    );
    assert!(
        count_of(&wipe_line) >= SYSTEM_TOPICS.len() as u32 - 1,
        "wiped topic count: {wipe}"
    );
    assert_eq!(
        write_perm_of(ns, CLUSTER),
        0,
        "write perm wiped from the cluster topic"
    );
    assert_eq!(
        write_perm_of(ns, &sync_topic),
        0,
        "write perm wiped from {sync_topic}"
    );
    assert_eq!(
        full_perm_of(ns, "TBW102"),
        tbw102_before & !2,
        "wipe clears only the WRITE bit of TBW102"
    );

    let add = mqadmin(ns, &["addWritePerm", "-b", BROKER]);
    let add_line = lines(&add).into_iter().next().unwrap_or_default();
    assert!(
        add_line.starts_with(&format!(
            "add write perm of broker[{BROKER}] in name server[{ns}] OK, "
        )),
        "{add}"
    );
    assert_eq!(
        count_of(&add_line),
        count_of(&wipe_line),
        "add must restore what wipe removed: {add}"
    );
    assert_eq!(write_perm_of(ns, CLUSTER), 2, "write perm restored"); // Java's add sets READ|WRITE outright, dropping INHERIT (RouteInfoManager#operateWritePermOfBroker).
    assert_eq!(full_perm_of(ns, "TBW102"), 6, "TBW102 after addWritePerm");

    let strip_count = |l: &str| {
        normalize(
            w,
            l.rsplit_once(", ").map(|(head, _)| head).unwrap_or(l),
            &[],
        )
    };
    vec![strip_count(&wipe_line), strip_count(&add_line)]
}

//! Configuration parity: `mqadmin getBrokerConfig` lists the same keys with the same values on
//! both brokers started from the same broker.conf, and a subscription by SQL92 gets the same
//! refusal from both (Java's broker with `enablePropertyFilter=false`, its default).
//!
//! getBrokerConfig runs on a NameServer and broker of their own, so both brokers have exactly
//! the harness's broker.conf:
//! ```text
//!   scenario NameServer ── broker "broker-cfg" (ConfigCluster)
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use compat_tests::process::run;
use compat_tests::tools::{java_program, kv, mqadmin, JavaClient};
use serde_json::Value;

use super::common::*;
use super::limits::dedicated;

/// Keys whose values differ between two brokers started by the harness from the same
/// broker.conf, and why; every other value must be equal.
const PER_INSTANCE: &[(&str, &str)] = &[
    ("listenPort", "a free port per broker"),
    ("haListenPort", "listenPort + 1"),
    (
        "namesrvAddr",
        "each broker has its own NameServer on a free port",
    ),
    ("rocketmqHome", "each broker's own work directory"),
    ("storePathRootDir", "each broker's own work directory"),
    ("storePathCommitLog", "each broker's own work directory"),
];

/// `mqadmin getBrokerConfig -b <addr>`: `key = value` per line (padded), after a banner line.
fn broker_config(kind: Kind) -> (BTreeMap<String, String>, String) {
    let s = dedicated(kind, "ConfigCluster", "broker-cfg", &[]);
    let _dump = s.dump();
    let out = mqadmin(s.ns(), &["getBrokerConfig", "-b", &s.broker_addr]);
    let mut config = BTreeMap::new();
    for line in out.stdout.lines() {
        if let Some((key, value)) = line.split_once(" =  ") {
            config.insert(key.trim().to_string(), value.to_string());
        }
    }
    assert!(
        out.stdout
            .contains(&format!("============{}============", s.broker_addr)),
        "{out}"
    );
    let port = s.broker_addr.rsplit(':').next().unwrap_or_default();
    assert_eq!(
        config.get("listenPort").map(String::as_str),
        Some(port),
        "{out}"
    );
    assert_eq!(config["brokerName"], "broker-cfg", "{out}");
    assert_eq!(config["brokerRole"], "ASYNC_MASTER", "{out}");
    assert_eq!(config["enablePropertyFilter"], "false", "{out}");
    for (key, _) in PER_INSTANCE {
        if let Some(v) = config.get_mut(*key) {
            *v = "<per instance>".into();
        }
    }
    (config, out.to_string())
}

#[test]
fn java_get_broker_config() {
    let _s = compat_tests::scenario::heavy(300);
    let (java, out) = broker_config(Kind::Java);
    assert_eq!(
        java.len(),
        411,
        "Java 5.3.3 lists 411 keys for the harness's broker.conf: {out}"
    );
}

#[test]
fn ours_get_broker_config() {
    let _s = compat_tests::scenario::heavy(300);
    let (ours, _) = broker_config(Kind::Ours);
    let (java, _) = broker_config(Kind::Java);
    let only = |a: &BTreeMap<String, String>, b: &BTreeMap<String, String>| -> Vec<String> {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
    };
    assert_eq!(
        only(&ours, &java),
        Vec::<String>::new(),
        "keys only ours lists"
    );
    assert_eq!(
        only(&java, &ours),
        Vec::<String>::new(),
        "keys only Java lists"
    );
    let differ: Vec<String> = ours
        .iter()
        .filter(|(k, v)| java.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: ours {v:?}, Java {:?}", java[k]))
        .collect();
    assert_eq!(differ, Vec::<String>::new(), "values that differ");
}

/// Two sends with the user property a=1 and a=0, then the Java client 5.3.3 subscribes with
/// `MessageSelector.bySql("a > 0")`: the push consumer's start fails (CHECK_CLIENT_CONFIG is
/// refused), and a pull consumer's pull of every queue gets SYSTEM_ERROR; nothing is delivered.
/// Returns the outcomes, to compare ours with Java's.
fn sql92_refused(kind: Kind) -> Vec<String> {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("sql");
    create_topic(s, &topic);
    let out = run(
        &java_program(
            JavaClient::V5_3_3,
            "LimitsDriver",
            &kv(
                "sql",
                &[
                    ("ns", s.ns()),
                    ("topic", &topic),
                    ("group", &unique("sqlg")),
                ],
            ),
        ),
        Duration::from_secs(180),
    );
    out.assert_ok();
    let lines = out.json_lines();
    let step = |name: &str| -> Vec<&Value> { lines.iter().filter(|l| l["step"] == name).collect() };
    let sends = step("send");
    assert_eq!(sends.len(), 2, "{out}");
    assert!(sends.iter().all(|l| l["status"] == "SEND_OK"), "{out}");
    let remark = "The broker does not support consumer to filter message by SQL92";
    let push = step("push");
    assert_eq!(push.len(), 1, "{out}");
    assert_eq!(push[0]["exception"], "MQClientException", "{out}");
    assert_eq!(push[0]["code"], 1, "{out}");
    assert_eq!(push[0]["message"], remark, "{out}");
    let pulls = step("pull");
    assert_eq!(pulls.len(), QUEUES as usize, "{out}");
    for p in &pulls {
        assert_eq!(p["exception"], "MQBrokerException", "{out}");
        assert_eq!(p["code"], 1, "{out}");
        assert_eq!(p["message"], remark, "{out}");
    }
    assert!(step("pushed").is_empty(), "nothing delivered: {out}");
    let mut outcome: Vec<String> = push
        .iter()
        .chain(&pulls)
        .map(|l| {
            format!(
                "{} {} {} {}",
                l["step"], l["exception"], l["code"], l["message"]
            )
        })
        .collect();
    outcome.sort();
    outcome
}

#[test]
fn java_sql92_refused() {
    let _s = compat_tests::scenario::light(120);
    sql92_refused(Kind::Java);
}

#[test]
fn ours_sql92_refused() {
    let _s = compat_tests::scenario::light(120);
    assert_eq!(sql92_refused(Kind::Ours), sql92_refused(Kind::Java));
}

//! Broker membership as the NameServer under test reports it: registration (mqadmin clusterList)
//! and removal of a broker that stops gracefully (UNREGISTER_BROKER) or dies (channel closed).

use std::time::Duration;

use compat_tests::servers::{BrokerSpec, JavaBroker, NsKind};
use compat_tests::tools::mqadmin;
use compat_tests::wire;
use compat_tests::world::{world, BROKER, CLUSTER};
use serde_json::Value;

use crate::namesrv::common::{eventually, normalize, unique, wait_no_route};

/// `mqadmin clusterList` rows of DefaultCluster as `[cluster, broker, bid, addr, version]`,
/// with addresses normalized. Asserts the shared broker is listed as a 5.3.3 master.
pub fn cluster_list(kind: NsKind) -> Vec<Vec<String>> {
    let w = world();
    let _dump = w.dump_on_failure();
    let ns = &w.ns(kind).addr;
    let out = mqadmin(ns, &["clusterList"]);
    let header = out.stdout.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("#Cluster Name") && header.contains("#Version"),
        "clusterList header: {out}"
    );
    let rows: Vec<Vec<String>> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| {
            l.split_whitespace()
                .take(5)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|cols| cols.first().map(String::as_str) == Some(CLUSTER))
        .collect();
    let want = vec![
        CLUSTER.to_string(),
        BROKER.into(),
        "0".into(),
        w.broker.addr.clone(),
        "V5_3_3".into(),
    ];
    assert_eq!(rows, vec![want], "clusterList through {ns}: {out}");
    rows.into_iter()
        .map(|r| r.into_iter().map(|c| normalize(w, &c, &[])).collect())
        .collect()
}

/// How a broker leaves.
#[derive(Clone, Copy, Debug)]
pub enum Exit {
    /// SIGTERM: the Java broker's shutdown hook unregisters from every NameServer.
    Graceful,
    /// SIGKILL: only the closed connection tells the NameServer.
    Crash,
}

fn cluster_has_broker(info: &Value, cluster: &str, broker: &str) -> bool {
    let in_cluster = info["clusterAddrTable"][cluster]
        .as_array()
        .is_some_and(|names| names.iter().any(|n| n == broker));
    in_cluster || info["brokerAddrTable"].get(broker).is_some()
}

/// A second Java broker registers with the NameServer under test, then leaves; the NameServer
/// must drop it from topic routes and from the cluster table.
pub fn broker_leaves(kind: NsKind, exit: Exit) {
    let w = world();
    let _dump = w.dump_on_failure();
    let _one_extra_broker = w.extra_broker();
    // The extra broker adds itself to TBW102's route in this NameServer only.
    let _routes_change = w.write_perm();
    let ns = w.ns(kind).addr.clone();
    let name = unique(&format!("stop_{}", kind.label()));
    let cluster = format!("{name}_cluster");
    let broker = JavaBroker::start(BrokerSpec::new(&cluster, &name, &[&ns]));
    let _broker_logs = compat_tests::process::LogDump(vec![&broker.server]);
    broker.wait_registered(&ns, Duration::from_secs(60));
    let info = wire::cluster_info(&ns).expect("cluster info");
    assert!(
        cluster_has_broker(&info, &cluster, &name),
        "{name} missing from cluster info {info}"
    );
    assert_eq!(
        info["brokerAddrTable"][&name]["brokerAddrs"]["0"],
        broker.addr.as_str(),
        "{info}"
    );

    match exit {
        Exit::Graceful => broker.server.stop(),
        Exit::Crash => broker.server.kill(),
    }
    // Java drops a broker at once on unregister or channel close; the 120 s idle expiry is not
    // what is tested here, so 30 s is plenty.
    wait_no_route(&ns, &name);
    wait_no_route(&ns, &cluster);
    eventually(
        Duration::from_secs(30),
        "broker gone from the cluster table",
        || {
            wire::cluster_info(&ns)
                .ok()
                .filter(|info| !cluster_has_broker(info, &cluster, &name))
        },
    );
    // The shared broker is untouched.
    assert!(
        wire::route(&ns, BROKER).is_ok_and(|r| r.is_some()),
        "the shared broker lost its route"
    );
}

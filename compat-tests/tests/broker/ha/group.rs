//! A master/slave group fixture: one NameServer and brokers of either implementation sharing a
//! broker name, each on a store that outlives its process (so a node can be stopped, killed and
//! started again, as Thrust or as Java, on the same store), and the checks the HA scenarios
//! share: attachment, catch-up, CommitLog bytes, runtime info.

use std::path::{Path, PathBuf};
use std::time::Duration;

use compat_tests::env::{require_setup, store_dir};
use compat_tests::process::{spawn_scoped, Server};
use compat_tests::servers::{JavaBrokerVersion, Namesrv, NsKind};
use compat_tests::wire;
use serde_json::Value;

use super::super::common::{start_ours_broker_with, wait_until, Kind};

pub(crate) const HA_CLUSTER: &str = "HaCluster";
const GET_ALL_TOPIC_CONFIG: i32 = 21;
const GET_BROKER_RUNTIME_INFO: i32 = 28;
const GET_BROKER_HA_STATUS: i32 = 907;

/// Which broker a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Impl {
    Ours,
    Java,
    /// The Java 4.x broker (4.9.7, see `JavaBrokerVersion`).
    Java4,
}

impl From<Kind> for Impl {
    fn from(k: Kind) -> Impl {
        match k {
            Kind::Ours => Impl::Ours,
            Kind::Java => Impl::Java,
        }
    }
}

/// One broker of a group.
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) id: u32,
    pub(crate) store: PathBuf,
    /// broker.conf keys beyond the harness's (role, id, HA settings).
    pub(crate) extra: Vec<(String, String)>,
    pub(crate) running: Option<(Impl, Server, String)>,
}

impl Node {
    pub(crate) fn addr(&self) -> &str {
        self.running.as_ref().map_or("", |(_, _, a)| a.as_str())
    }

    /// Starts the node as `imp` on its store and waits for its registration.
    pub(crate) fn boot(&mut self, ns: &str, imp: Impl) {
        assert!(self.running.is_none(), "{} already running", self.name);
        let extra: Vec<(&str, &str)> = self
            .extra
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (server, addr) = match imp {
            Impl::Ours => start_ours_broker_with(ns, &self.name, &self.store, HA_CLUSTER, &extra),
            Impl::Java | Impl::Java4 => start_java(ns, &self.name, &self.store, imp, &extra),
        };
        self.running = Some((imp, server, addr));
    }

    /// SIGTERM and wait (Java's shutdown persists its tables and flushes).
    pub(crate) fn stop(&mut self) {
        if let Some((_, s, _)) = self.running.take() {
            s.stop();
        }
    }

    /// SIGKILL.
    pub(crate) fn kill(&mut self) {
        if let Some((_, s, _)) = self.running.take() {
            s.kill();
        }
    }
}

/// A Java broker on `store` in [`HA_CLUSTER`]; waits until the NameServer lists its address.
fn start_java(
    ns: &str,
    name: &str,
    store: &Path,
    imp: Impl,
    extra: &[(&str, &str)],
) -> (Server, String) {
    let mut spec = compat_tests::servers::BrokerSpec::new(HA_CLUSTER, name, &[ns]).on_store(store);
    if imp == Impl::Java4 {
        spec.java_version = JavaBrokerVersion::V4_9_7;
    }
    spec.extra
        .extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let b = compat_tests::servers::Broker::start(spec);
    let addr = b.addr.clone();
    wait_until(Duration::from_secs(60), "the broker registered", || {
        cluster_addrs(ns, name).contains(&addr)
    });
    (b.server, addr)
}

/// The addresses the NameServer lists for broker name `name`, by broker id.
pub(crate) fn cluster_addrs(ns: &str, name: &str) -> Vec<String> {
    wire::cluster_info(ns)
        .ok()
        .and_then(|v| {
            v["brokerAddrTable"][name]["brokerAddrs"]
                .as_object()
                .cloned()
        })
        .map(|m| {
            m.values()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A NameServer and the nodes of one or more groups.
pub(crate) struct Group {
    pub(crate) ns: Namesrv,
    pub(crate) nodes: Vec<Node>,
}

impl Group {
    pub(crate) fn new(ns_kind: Kind) -> Group {
        require_setup();
        let ns = Namesrv::start(match ns_kind {
            Kind::Ours => NsKind::Ours,
            Kind::Java => NsKind::Java,
        });
        Group {
            ns,
            nodes: Vec::new(),
        }
    }

    /// A group on a NameServer started by the scenario (one with a controller, say).
    pub(crate) fn with_namesrv(ns: Namesrv) -> Group {
        require_setup();
        Group {
            ns,
            nodes: Vec::new(),
        }
    }

    pub(crate) fn ns(&self) -> &str {
        &self.ns.addr
    }

    /// Adds a node (not started): id 0 is a master of `role`, any other id a slave.
    pub(crate) fn add(&mut self, name: &str, id: u32, role: &str, extra: &[(&str, &str)]) -> usize {
        let mut all = vec![
            ("brokerId".to_string(), id.to_string()),
            ("brokerRole".to_string(), role.to_string()),
            ("slaveReadEnable".to_string(), "true".to_string()),
        ];
        // A slave learns a restarted master's HA address from its next registration's answer:
        // Java's shortest period (10 s, BrokerController clamps it) instead of the default 30 s.
        all.push(("registerNameServerPeriod".to_string(), "10000".to_string()));
        // Small index files: four brokers' stores may share a tmpfs (`store_dir`).
        all.push(("maxIndexNum".to_string(), "400000".to_string()));
        all.push(("maxHashSlotNum".to_string(), "100000".to_string()));
        all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.nodes.push(Node {
            name: name.to_string(),
            id,
            store: store_dir(&format!("ha-{name}-{id}")).join("store"),
            extra: all,
            running: None,
        });
        self.nodes.len() - 1
    }

    pub(crate) fn boot(&mut self, node: usize, imp: Impl) {
        let ns = self.ns.addr.clone();
        self.nodes[node].boot(&ns, imp);
    }

    /// [`Group::boot`] of several nodes at once (brokers of different names, or slaves of one
    /// master, do not wait on each other to start).
    pub(crate) fn boot_together(&mut self, which: &[usize], imp: Impl) {
        let ns = self.ns.addr.clone();
        std::thread::scope(|s| {
            for (i, node) in self.nodes.iter_mut().enumerate() {
                if which.contains(&i) {
                    let ns = ns.as_str();
                    spawn_scoped(s, move || node.boot(ns, imp));
                }
            }
        });
    }

    /// Waits until master node `m` has a connected slave that reported its offset
    /// (GET_BROKER_HA_STATUS, answered alike by Java 5.3.3 and Thrust).
    pub(crate) fn wait_attached(&self, m: usize, slave_store_max: i64) {
        let addr = self.nodes[m].addr().to_string();
        wait_until(
            Duration::from_secs(90),
            "a slave attached to the master",
            || {
                ha_status(&addr).is_some_and(|v| {
                    v["haConnectionInfo"].as_array().is_some_and(|c| {
                        c.iter()
                            .any(|l| l["slaveAckOffset"].as_i64() >= Some(slave_store_max))
                    })
                })
            },
        );
    }

    /// Waits until node `s` has `topic` in its topic table (GET_ALL_TOPIC_CONFIG): a slave
    /// learns it by metadata sync.
    pub(crate) fn wait_topic_synced(&self, s: usize, topic: &str) {
        let addr = self.nodes[s].addr();
        wait_until(
            Duration::from_secs(90),
            "the topic synced to the slave",
            || {
                wire::request(addr, GET_ALL_TOPIC_CONFIG, &[], Duration::from_secs(5))
                    .ok()
                    .filter(|r| r.code == 0)
                    .and_then(|r| wire::parse_fastjson(&String::from_utf8_lossy(&r.body)).ok())
                    .is_some_and(|v| !v["topicConfigTable"][topic].is_null())
            },
        );
    }

    /// Waits until slave node `s` holds the CommitLog of master node `m` up to its end, and
    /// returns that end.
    pub(crate) fn wait_caught_up(&self, m: usize, s: usize) -> i64 {
        let (ma, sa) = (self.nodes[m].addr(), self.nodes[s].addr());
        compat_tests::wait::eventually(Duration::from_secs(120), "the slave to catch up", || {
            let end = commitlog_max(ma)?;
            (end > 0 && commitlog_max(sa)? == end).then_some(end)
        })
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for n in &self.nodes {
                if let Some((imp, s, addr)) = &n.running {
                    eprintln!("== {:?} {} id {} at {addr}", imp, n.name, n.id);
                    eprintln!("{}", s.log_tails(60));
                }
            }
            eprintln!("{}", self.ns.server.log_tails(30));
        }
        for n in &mut self.nodes {
            n.kill();
        }
        // Stores may be on a tmpfs: give the memory back (logs stay in the work directory).
        for n in &self.nodes {
            if !std::thread::panicking() {
                let _ = std::fs::remove_dir_all(&n.store);
            }
        }
    }
}

/// GET_BROKER_RUNTIME_INFO's table.
pub(crate) fn runtime_info(addr: &str) -> Option<Value> {
    let r = wire::request(addr, GET_BROKER_RUNTIME_INFO, &[], Duration::from_secs(5)).ok()?;
    (r.code == 0).then(|| r.json().ok())??.get("table").cloned()
}

/// The broker's `commitLogMaxOffset`.
pub(crate) fn commitlog_max(addr: &str) -> Option<i64> {
    runtime_info(addr)?["commitLogMaxOffset"]
        .as_str()?
        .parse()
        .ok()
}

/// GET_BROKER_HA_STATUS's body.
pub(crate) fn ha_status(addr: &str) -> Option<Value> {
    let r = wire::request(addr, GET_BROKER_HA_STATUS, &[], Duration::from_secs(5)).ok()?;
    (r.code == 0).then(|| r.json().ok())?
}

/// The bytes of a store's CommitLog from `from` up to `to`, read from its segment files.
pub(crate) fn commitlog_bytes(store: &Path, from: i64, to: i64) -> Vec<u8> {
    let dir = store.join("commitlog");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.len() == 20 && n.bytes().all(|c| c.is_ascii_digit()))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        let base: i64 = n.parse().unwrap_or(0);
        let data = std::fs::read(dir.join(&n)).unwrap_or_default();
        let end = base + data.len() as i64;
        if end <= from || base >= to {
            continue;
        }
        let lo = (from.max(base) - base) as usize;
        let hi = (to.min(end) - base) as usize;
        out.extend_from_slice(&data[lo..hi]);
    }
    out
}

/// Asserts that two stores hold the same CommitLog bytes in `[from, to)`.
pub(crate) fn assert_same_commitlog(a: &Path, b: &Path, from: i64, to: i64) {
    let (x, y) = (commitlog_bytes(a, from, to), commitlog_bytes(b, from, to));
    assert_eq!(
        x.len() as i64,
        to - from,
        "{} holds [{from}, {to})",
        a.display()
    );
    if let Some(i) = x.iter().zip(&y).position(|(p, q)| p != q) {
        panic!("CommitLogs differ at offset {}", from + i as i64);
    }
    assert_eq!(x.len(), y.len(), "{} holds [{from}, {to})", b.display());
}

//! The controllers of controller mode (issue 11), Thrust's and Java's, embedded in the NameServer
//! (`enableControllerInNamesrv=true`) or standalone (`mqcontroller`, Java's `ControllerStartup`):
//! how scenarios start them ([`Controllers`]) and read them, and mqadmin 5.3.3's controller
//! commands against both. The failover scenarios under each controller are in
//! `broker::failover`.
//!
//! ```text
//!   NameServer (routes) ◀── register ── broker id 1 (master) ──HA──▶ ids 2, 3 (slaves)
//!   controller (127.0.0.1:<peer port>) ◀── heartbeat / register / alter sync-state set / elect
//! ```

mod admin;

use std::path::PathBuf;
use std::time::Duration;

use compat_tests::env::{classpath, release_bin, store_dir, work_dir};
use compat_tests::ports::free_port;
use compat_tests::process::{Cmd, Server};
use compat_tests::servers::{java_cmd, Broker, BrokerSpec, Namesrv, NsKind};
use compat_tests::wait::{eventually, wait_until};
use compat_tests::wire;
use serde_json::Value;

const GET_REPLICA_INFO: i32 = 1004;
const GET_METADATA_INFO: i32 = 1005;
const GET_SYNC_STATE_DATA: i32 = 1006;

/// Which controller serves the brokers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctl {
    /// Java 5.3.3 `NamesrvStartup` with `enableControllerInNamesrv=true`.
    JavaEmbedded,
    /// Our `mqnamesrv` with `enableControllerInNamesrv=true`.
    OursEmbedded,
    /// Our `mqnamesrv` and our `mqcontroller`.
    OursStandalone,
    /// Java 5.3.3 `NamesrvStartup` and `ControllerStartup`.
    JavaStandalone,
}

/// A NameServer and a controller, in one process or two.
pub(crate) struct Controllers {
    pub(crate) ns: Namesrv,
    /// The controller's address (its DLedger peer port, which serves controller requests).
    pub(crate) ctl: String,
    /// The work directory (`user.home` of a Java controller, `HOME` of ours).
    pub(crate) dir: PathBuf,
    /// The controller process when it runs apart from the NameServer.
    pub(crate) standalone: Option<Server>,
}

pub(crate) fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "ctl_{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The controller keys both implementations read (Java `ControllerConfig`).
fn controller_keys(port: u16, store: &std::path::Path) -> Vec<(String, String)> {
    [
        ("controllerDLegerGroup", "thrust-ctl".to_string()),
        ("controllerDLegerPeers", format!("n0-127.0.0.1:{port}")),
        ("controllerDLegerSelfId", "n0".to_string()),
        ("controllerStorePath", store.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl Controllers {
    pub(crate) fn start(kind: Ctl) -> Controllers {
        let dir = work_dir(&format!("ctl-{kind:?}"));
        let cport = free_port();
        let ctl = format!("127.0.0.1:{cport}");
        let keys = controller_keys(cport, &dir.join("ctlstore"));
        let java = matches!(kind, Ctl::JavaEmbedded | Ctl::JavaStandalone);
        let ns_kind = if java { NsKind::Java } else { NsKind::Ours };
        let c = match kind {
            Ctl::JavaEmbedded | Ctl::OursEmbedded => {
                let mut conf = vec![("enableControllerInNamesrv".to_string(), "true".to_string())];
                conf.extend(keys);
                Controllers {
                    ns: Namesrv::start_with(ns_kind, &conf),
                    ctl,
                    dir,
                    standalone: None,
                }
            }
            Ctl::OursStandalone | Ctl::JavaStandalone => {
                let ns = Namesrv::start(ns_kind);
                let conf = dir.join("controller.conf");
                let mut text = "bindAddress=127.0.0.1\n".to_string();
                for (k, v) in &keys {
                    text.push_str(&format!("{k}={v}\n"));
                }
                std::fs::write(&conf, text).expect("write controller.conf");
                let conf = conf.display().to_string();
                let server = if java {
                    let cmd = java_cmd(
                        &dir,
                        &["-Xms128m", "-Xmx256m"],
                        &classpath("namesrv-5.3.3"),
                        "org.apache.rocketmq.controller.ControllerStartup",
                    )
                    .args(["-c", conf.as_str()]);
                    Server::spawn(
                        "java-controller",
                        &cmd,
                        vec![dir.join("logs/rocketmqlogs/controller.log")],
                    )
                } else {
                    Server::spawn(
                        "ours-controller",
                        &ours("mqcontroller", &dir, &conf),
                        Vec::new(),
                    )
                };
                Controllers {
                    ns,
                    ctl,
                    dir,
                    standalone: Some(server),
                }
            }
        };
        c.wait_leader();
        c
    }

    /// Ready when the NameServer routes and the controller says it leads (a DLedger group of
    /// one elects itself a moment after start).
    fn wait_leader(&self) {
        wait_until(Duration::from_secs(90), "the controller to lead", || {
            wire::route(&self.ns.addr, "ctl_probe").is_ok()
                && wire::request(&self.ctl, GET_METADATA_INFO, &[], Duration::from_secs(5))
                    .is_ok_and(|r| r.code == 0 && r.ext_str("isLeader") == Some("true"))
        });
    }

    /// CONTROLLER_GET_REPLICA_INFO: (master id, master address, master epoch) once known.
    pub(crate) fn master(&self, broker_name: &str) -> Option<(i64, String, i64)> {
        master_of(&self.ctl, broker_name)
    }

    /// CONTROLLER_GET_SYNC_STATE_DATA for one broker set (its `ReplicasInfo`).
    pub(crate) fn replicas(&self, broker_name: &str) -> Option<Value> {
        let body = serde_json::to_vec(&[broker_name]).ok()?;
        let r = wire::request_body(
            &self.ctl,
            GET_SYNC_STATE_DATA,
            wire::VERSION_5_3_3,
            &[],
            &body,
            Duration::from_secs(5),
        )
        .ok()?;
        let v = r.json().ok()?;
        let info = v["replicasInfoTable"][broker_name].clone();
        (!info.is_null()).then_some(info)
    }
}

/// CONTROLLER_GET_REPLICA_INFO from the controller at `ctl`: (master id, master address, master
/// epoch) of a broker set once it has a master.
pub(crate) fn master_of(ctl: &str, broker_name: &str) -> Option<(i64, String, i64)> {
    let r = wire::request(
        ctl,
        GET_REPLICA_INFO,
        &[("brokerName", broker_name)],
        Duration::from_secs(5),
    )
    .ok()?;
    let id = r.ext_str("masterBrokerId")?.parse().ok()?;
    let addr = r.ext_str("masterAddress")?.to_string();
    let epoch = r.ext_str("masterEpoch")?.parse().ok()?;
    Some((id, addr, epoch))
}

fn ours(bin: &str, dir: &std::path::Path, conf: &str) -> Cmd {
    let bin = release_bin(bin);
    assert!(
        bin.exists(),
        "{} is not built (cargo build --release --bins)",
        bin.display()
    );
    Cmd::new(bin.display().to_string(), dir)
        .args(["-c", conf])
        .env("ROCKETMQ_HOME", dir.display().to_string())
        .env("HOME", dir.display().to_string())
        .env("RUST_LOG", "info,controller=debug")
}

/// One Java 5.3.3 broker of a controller-mode set, on a store that outlives it.
pub(crate) struct Member {
    pub(crate) store: PathBuf,
    pub(crate) broker: Option<Broker>,
}

impl Member {
    pub(crate) fn new(label: &str) -> Member {
        Member {
            store: store_dir(label),
            broker: None,
        }
    }

    pub(crate) fn addr(&self) -> String {
        self.broker
            .as_ref()
            .map_or_else(String::new, |b| b.addr.clone())
    }

    /// Starts a Java broker in controller mode on this member's store.
    pub(crate) fn boot(&mut self, c: &Controllers, cluster: &str, name: &str) {
        let mut spec = BrokerSpec::new(cluster, name, &[c.ns.addr.as_str()]).on_store(&self.store);
        spec.extra.extend(
            [
                ("enableControllerMode", "true"),
                ("controllerAddr", c.ctl.as_str()),
                ("allAckInSyncStateSet", "true"),
                // A slave may pull without a master in sync-state (5.3.3 refuses otherwise).
                ("slaveReadEnable", "true"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        self.broker = Some(Broker::start(spec));
    }

    pub(crate) fn kill(&mut self) {
        if let Some(b) = self.broker.take() {
            b.server.kill();
        }
    }
}

/// Waits for the set's master and returns (id, address, epoch).
pub(crate) fn wait_master(c: &Controllers, name: &str, what: &str) -> (i64, String, i64) {
    eventually(Duration::from_secs(120), what, || c.master(name))
}

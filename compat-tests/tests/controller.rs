//! The controllers of controller mode (issue 11), Thrust's and Java's, embedded in the NameServer
//! (`enableControllerInNamesrv=true`) or standalone (`mqcontroller`, Java's `ControllerStartup`):
//! how scenarios start them ([`Controllers`]) and read them, and mqadmin 5.3.3's controller
//! commands against both. The failover scenarios under each controller are in
//! `broker::failover`; [`Ctl::OursGroup`] and [`Ctl::JavaGroup`] start three standalone
//! controllers in one group ([`CtlGroup`] finds the leader, kills and restarts members).
//!
//! ```text
//!   NameServer (routes) ◀── register ── broker id 1 (master) ──HA──▶ ids 2, 3 (slaves)
//!   controller (127.0.0.1:<peer port>) ◀── heartbeat / register / alter sync-state set / elect
//! ```

mod admin;

use std::path::PathBuf;
use std::time::Duration;

use compat_tests::env::{classpath, require_workspace_bin, store_dir, work_dir};
use compat_tests::ports::free_port;
use compat_tests::process::{Cmd, Server};
use compat_tests::servers::{java_cmd, Broker, BrokerSpec, Namesrv, NsKind, TLS_DISABLED};
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
    /// Our `mqnamesrv` and three `mqcontroller`s in one Raft group.
    OursGroup,
    /// Java 5.3.3 `NamesrvStartup` and three `ControllerStartup`s in one DLedger group.
    JavaGroup,
}

/// One standalone controller of a group, on a store that outlives it.
pub(crate) struct CtlNode {
    pub(crate) addr: String,
    name: &'static str,
    cmd: Cmd,
    logs: Vec<PathBuf>,
    pub(crate) server: Option<Server>,
    /// Killed and not started again.
    down: bool,
}

impl CtlNode {
    fn spawn(&mut self) {
        let _ = std::fs::remove_file(self.cmd.dir.join("server.pid"));
        self.server = Some(Server::spawn(self.name, &self.cmd, self.logs.clone()));
        self.down = false;
    }

    /// SIGKILL.
    pub(crate) fn kill(&mut self) {
        if let Some(s) = self.server.take() {
            s.kill();
        }
        self.down = true;
    }
}

/// The controllers brokers and mqadmin talk to: one, or the members of a group.
pub(crate) struct CtlGroup {
    /// One entry for a single controller (its process, if any, is `Controllers::standalone`).
    pub(crate) nodes: Vec<CtlNode>,
}

impl CtlGroup {
    fn live(&self) -> impl Iterator<Item = (usize, &CtlNode)> {
        self.nodes.iter().enumerate().filter(|(_, n)| !n.down)
    }

    /// The member that says it leads, by index.
    pub(crate) fn leader(&self) -> Option<usize> {
        self.live()
            .find(|(_, n)| metadata(&n.addr).is_some_and(|(_, leads)| leads))
            .map(|(i, _)| i)
    }

    /// Where controller requests go: the leader's address.
    pub(crate) fn leader_addr(&self) -> Option<String> {
        self.leader().map(|i| self.nodes[i].addr.clone())
    }

    /// A leader that every live member names.
    pub(crate) fn wait_agreed_leader(&self, what: &str) -> usize {
        eventually(Duration::from_secs(90), what, || {
            let l = self.leader()?;
            let addr = &self.nodes[l].addr;
            self.live()
                .all(|(_, n)| metadata(&n.addr).is_some_and(|(a, _)| a.as_deref() == Some(addr)))
                .then_some(l)
        })
    }

    /// SIGKILLs the leader; returns its index.
    pub(crate) fn kill_leader(&mut self) -> usize {
        let l = self.wait_agreed_leader("a controller leader");
        self.nodes[l].kill();
        l
    }

    /// Starts member `i` again on its store.
    pub(crate) fn restart(&mut self, i: usize) {
        self.nodes[i].spawn();
    }
}

/// CONTROLLER_GET_METADATA_INFO: (the leader's address it names, whether it leads).
pub(crate) fn metadata(ctl: &str) -> Option<(Option<String>, bool)> {
    let r = wire::request(ctl, GET_METADATA_INFO, &[], Duration::from_secs(5)).ok()?;
    (r.code == 0).then(|| {
        (
            r.ext_str("controllerLeaderAddress").map(str::to_string),
            r.ext_str("isLeader") == Some("true"),
        )
    })
}

/// A NameServer and a controller, in one process or two.
pub(crate) struct Controllers {
    pub(crate) ns: Namesrv,
    /// The brokers' `controllerAddr`: the controller's address (its DLedger peer port, which
    /// serves controller requests), or every member's separated by `;`.
    pub(crate) ctl: String,
    /// The work directory (`user.home` of a Java controller, `HOME` of ours).
    pub(crate) dir: PathBuf,
    /// The controller process when it runs apart from the NameServer.
    pub(crate) standalone: Option<Server>,
    pub(crate) group: CtlGroup,
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

/// The `controller.conf` of a standalone controller.
fn write_conf(dir: &std::path::Path, keys: &[(String, String)]) -> String {
    let conf = dir.join("controller.conf");
    let mut text = "bindAddress=127.0.0.1\n".to_string();
    for (k, v) in keys {
        text.push_str(&format!("{k}={v}\n"));
    }
    std::fs::write(&conf, text).expect("write controller.conf");
    conf.display().to_string()
}

/// A standalone controller's command: Java's `ControllerStartup` or our `mqcontroller`.
fn controller_node(java: bool, dir: &std::path::Path, keys: &[(String, String)]) -> CtlNode {
    let conf = write_conf(dir, keys);
    let (name, cmd, logs) = if java {
        let cmd = java_cmd(
            dir,
            &["-Xms128m", "-Xmx256m", TLS_DISABLED],
            &classpath("namesrv-5.3.3"),
            "org.apache.rocketmq.controller.ControllerStartup",
        )
        .args(["-c", conf.as_str()]);
        let logs = vec![dir.join("logs/rocketmqlogs/controller.log")];
        ("java-controller", cmd, logs)
    } else {
        (
            "ours-controller",
            ours("mqcontroller", dir, &conf),
            Vec::new(),
        )
    };
    CtlNode {
        addr: String::new(),
        name,
        cmd,
        logs,
        server: None,
        down: false,
    }
}

impl Controllers {
    /// Three standalone controllers in one group, each on its own store.
    fn start_group(java: bool, dir: PathBuf) -> Controllers {
        let ns = Namesrv::start(if java { NsKind::Java } else { NsKind::Ours });
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let peers = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("n{i}-127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(";");
        let mut nodes = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let home = dir.join(format!("n{i}"));
            std::fs::create_dir_all(&home).expect("controller dir");
            let mut keys = controller_keys(*port, &home.join("ctlstore"));
            for (k, v) in &mut keys {
                match k.as_str() {
                    "controllerDLegerPeers" => *v = peers.clone(),
                    "controllerDLegerSelfId" => *v = format!("n{i}"),
                    _ => {}
                }
            }
            let mut node = controller_node(java, &home, &keys);
            node.addr = format!("127.0.0.1:{port}");
            node.spawn();
            nodes.push(node);
        }
        let ctl = nodes
            .iter()
            .map(|n| n.addr.clone())
            .collect::<Vec<_>>()
            .join(";");
        Controllers {
            ns,
            ctl,
            dir,
            standalone: None,
            group: CtlGroup { nodes },
        }
    }

    pub(crate) fn start(kind: Ctl) -> Controllers {
        let dir = work_dir(&format!("ctl-{kind:?}"));
        if matches!(kind, Ctl::OursGroup | Ctl::JavaGroup) {
            let c = Controllers::start_group(kind == Ctl::JavaGroup, dir);
            wait_until(Duration::from_secs(90), "the NameServer to route", || {
                wire::route(&c.ns.addr, "ctl_probe").is_ok()
            });
            c.group
                .wait_agreed_leader("the controllers to agree on a leader");
            return c;
        }
        let cport = free_port();
        let ctl = format!("127.0.0.1:{cport}");
        let keys = controller_keys(cport, &dir.join("ctlstore"));
        let java = matches!(kind, Ctl::JavaEmbedded | Ctl::JavaStandalone);
        let group = CtlGroup {
            nodes: vec![CtlNode {
                addr: ctl.clone(),
                name: "controller",
                cmd: Cmd::new("true", &dir),
                logs: Vec::new(),
                server: None,
                down: false,
            }],
        };
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
                    group,
                }
            }
            Ctl::OursStandalone | Ctl::JavaStandalone => {
                let ns = Namesrv::start(ns_kind);
                let mut node = controller_node(java, &dir, &keys);
                node.spawn();
                Controllers {
                    ns,
                    ctl,
                    dir,
                    standalone: node.server,
                    group,
                }
            }
            Ctl::OursGroup | Ctl::JavaGroup => unreachable!("started above"),
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
        master_of(&self.group.leader_addr()?, broker_name)
    }

    /// CONTROLLER_GET_SYNC_STATE_DATA for one broker set (its `ReplicasInfo`).
    pub(crate) fn replicas(&self, broker_name: &str) -> Option<Value> {
        let body = serde_json::to_vec(&[broker_name]).ok()?;
        let r = wire::request_body(
            &self.group.leader_addr()?,
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
    let bin = require_workspace_bin(bin);
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

//! Three controllers in one process, each on its own port and store, speaking the wire.

use std::path::PathBuf;
use std::time::Duration;

use remoting::code::{request as rq, response};
use remoting::headers::{ApplyBrokerIdRequestHeader, GetMetaDataResponseHeader};
use remoting::testutil::free_port;
use remoting::{Client, Command};

use crate::config::ControllerConfig;
use crate::{start, ConfigState, Running};

const DEADLINE: Duration = Duration::from_secs(60);

struct Node {
    id: String,
    addr: String,
    store: PathBuf,
    running: Option<Running>,
}

fn config(node: &Node, peers: &str) -> ConfigState {
    let c = ControllerConfig {
        bind_address: "127.0.0.1".into(),
        controller_d_leger_group: Some("g".into()),
        controller_d_leger_peers: Some(peers.to_string()),
        controller_d_leger_self_id: Some(node.id.clone()),
        controller_store_path: node.store.display().to_string(),
        config_store_path: node
            .store
            .join("controller.properties")
            .display()
            .to_string(),
        ..ControllerConfig::default()
    };
    ConfigState {
        config: c,
        extra: Default::default(),
    }
}

struct Group {
    nodes: Vec<Node>,
    peers: String,
    client: Client,
}

impl Group {
    async fn start(name: &str) -> Group {
        let base = std::env::temp_dir().join(format!("thrust-raft-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let nodes: Vec<Node> = (0..3)
            .map(|i| Node {
                id: format!("n{i}"),
                addr: format!("127.0.0.1:{}", free_port()),
                store: base.join(format!("n{i}")),
                running: None,
            })
            .collect();
        let peers = nodes
            .iter()
            .map(|n| format!("{}-{}", n.id, n.addr))
            .collect::<Vec<_>>()
            .join(";");
        let mut g = Group {
            nodes,
            peers,
            client: Client::new(),
        };
        for i in 0..3 {
            g.restart(i).await;
        }
        g
    }

    async fn restart(&mut self, i: usize) {
        let state = config(&self.nodes[i], &self.peers);
        self.nodes[i].running = Some(start(state).await.unwrap());
    }

    async fn stop(&mut self, i: usize) {
        if let Some(r) = self.nodes[i].running.take() {
            r.shutdown().await;
        }
    }

    /// The one running node that leads and serves, once there is one.
    async fn leader(&self) -> usize {
        let until = tokio::time::Instant::now() + DEADLINE;
        loop {
            let leaders: Vec<usize> = (0..3)
                .filter(|i| {
                    self.nodes[*i]
                        .running
                        .as_ref()
                        .is_some_and(|r| r.controller.shared().is_leader())
                })
                .collect();
            if leaders.len() == 1 {
                return leaders[0];
            }
            assert!(tokio::time::Instant::now() < until, "no single leader");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn call(&self, i: usize, cmd: Command) -> Command {
        self.client
            .invoke(&self.nodes[i].addr, cmd, Duration::from_secs(10))
            .await
            .unwrap()
    }

    async fn apply_broker_id(&self, i: usize, broker_name: &str) -> Command {
        let h = ApplyBrokerIdRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: Some(broker_name.into()),
            applied_broker_id: Some(1),
            register_check_code: Some("127.0.0.1:10911;1".into()),
        };
        self.call(
            i,
            Command::request(rq::CONTROLLER_APPLY_BROKER_ID).with_header(&h),
        )
        .await
    }

    async fn metadata(&self, i: usize) -> GetMetaDataResponseHeader {
        let reply = self
            .call(i, Command::request(rq::CONTROLLER_GET_METADATA_INFO))
            .await;
        assert_eq!(reply.code, response::SUCCESS);
        reply.decode_header().unwrap()
    }

    /// Waits until node `i` has applied the broker set `broker_name`.
    async fn knows(&self, i: usize, broker_name: &str) {
        let until = tokio::time::Instant::now() + DEADLINE;
        let shared = self.nodes[i].running.as_ref().unwrap().controller.shared();
        while !shared.replicas().replica_info.contains_key(broker_name) {
            assert!(
                tokio::time::Instant::now() < until,
                "n{i} never applied {broker_name}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn shutdown(mut self) {
        for i in 0..3 {
            self.stop(i).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leader_is_elected_replicates_and_followers_point_at_it() {
    let g = Group::start("elect").await;
    let leader = g.leader().await;
    let follower = (leader + 1) % 3;

    let reply = g.apply_broker_id(leader, "b1").await;
    assert_eq!(reply.code, response::SUCCESS, "{:?}", reply.remark);
    for i in 0..3 {
        g.knows(i, "b1").await;
    }

    // Java DLedgerController#appendEvent on a follower.
    let reply = g.apply_broker_id(follower, "b2").await;
    assert_eq!(reply.code, response::CONTROLLER_NOT_LEADER);
    assert_eq!(
        reply.remark.as_deref(),
        Some("The controller is not in leader state")
    );
    let meta = g.metadata(follower).await;
    assert!(!meta.is_leader);
    assert_eq!(
        meta.controller_leader_address.as_deref(),
        Some(g.nodes[leader].addr.as_str())
    );
    assert_eq!(
        meta.controller_leader_id.as_deref(),
        Some(g.nodes[leader].id.as_str())
    );
    assert_eq!(meta.group.as_deref(), Some("g"));
    let peers: String = g
        .nodes
        .iter()
        .map(|n| format!("{}:{};", n.id, n.addr))
        .collect();
    assert_eq!(meta.peers.as_deref(), Some(peers.as_str()));
    assert!(g.metadata(leader).await.is_leader);
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_the_leader_keeps_the_group_working_and_a_restarted_node_catches_up() {
    let mut g = Group::start("restart").await;
    let first = g.leader().await;
    assert_eq!(g.apply_broker_id(first, "b1").await.code, response::SUCCESS);
    g.stop(first).await;

    let second = g.leader().await;
    assert_ne!(second, first);
    let reply = g.apply_broker_id(second, "b2").await;
    assert_eq!(reply.code, response::SUCCESS, "{:?}", reply.remark);

    // The old leader comes back from its store and learns what it missed.
    g.restart(first).await;
    g.knows(first, "b2").await;
    let state = |i: usize| {
        g.nodes[i]
            .running
            .as_ref()
            .unwrap()
            .controller
            .shared()
            .replicas()
    };
    assert_eq!(state(first), state(second));
    let meta = g.metadata(first).await;
    assert_eq!(
        meta.controller_leader_address.as_deref(),
        Some(g.nodes[second].addr.as_str())
    );
    g.shutdown().await;
}

#[test]
fn a_single_controllers_store_and_a_members_store_are_not_mixed() {
    let dir = std::env::temp_dir().join(format!("thrust-raft-mix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut log, _) = crate::log::EventLog::open(&dir).unwrap();
    log.append(&[crate::replicas::Event::ElectMaster {
        broker_name: "b".into(),
        new_master_elected: true,
        new_master_broker_id: Some(1),
    }])
    .unwrap();
    drop(log);
    let err = super::refuse_single_log(&dir).unwrap_err().to_string();
    assert!(err.contains("single controller"), "{err}");

    let _ = std::fs::remove_dir_all(&dir);
    drop(super::store::LogStore::open(&dir).unwrap());
    let err = crate::log::EventLog::open(&dir).err().unwrap().to_string();
    assert!(err.contains("controller group"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_group_store_is_not_started_under_other_peers() {
    let dir = std::env::temp_dir().join(format!("thrust-raft-peers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let peer = |id: &str, port: u16| crate::config::Peer {
        id: id.into(),
        addr: format!("127.0.0.1:{port}"),
    };
    let formed = [peer("n0", 1), peer("n1", 2), peer("n2", 3)];
    super::keep_peers(&dir, &formed).unwrap();
    super::keep_peers(&dir, &formed).unwrap();
    let moved = [peer("n0", 1), peer("n1", 2), peer("n2", 4)];
    let err = super::keep_peers(&dir, &moved).unwrap_err().to_string();
    assert!(
        err.contains("n2-127.0.0.1:3") && err.contains("n2-127.0.0.1:4"),
        "{err}"
    );
    let err = super::keep_peers(&dir, &formed[..2])
        .unwrap_err()
        .to_string();
    assert!(err.contains("not supported"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The raft-peers check on the whole start-up path: a member's store formed under one
/// `controllerDLegerPeers` list is not started under another, and still starts under its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_not_started_under_other_peers() {
    let base = std::env::temp_dir().join(format!("thrust-raft-moved-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let node = Node {
        id: "n0".into(),
        addr: format!("127.0.0.1:{}", free_port()),
        store: base.join("n0"),
        running: None,
    };
    let (p1, p2, p3) = (free_port(), free_port(), free_port());
    let formed = format!("n0-{};n1-127.0.0.1:{p1};n2-127.0.0.1:{p2}", node.addr);
    let moved = format!("n0-{};n1-127.0.0.1:{p1};n2-127.0.0.1:{p3}", node.addr);
    start(config(&node, &formed))
        .await
        .unwrap()
        .shutdown()
        .await;
    let Err(err) = start(config(&node, &moved)).await else {
        panic!("started under other peers");
    };
    let err = err.to_string();
    assert!(
        err.contains(&format!("n2-127.0.0.1:{p2}"))
            && err.contains(&format!("n2-127.0.0.1:{p3}"))
            && err.contains("not supported"),
        "{err}"
    );
    start(config(&node, &formed))
        .await
        .unwrap()
        .shutdown()
        .await;
    let _ = std::fs::remove_dir_all(&base);
}

/// Waits until `raft` (the leader) knows that node `id` holds the leader's last entry.
async fn replicated(raft: &super::ControllerRaft, id: u64) {
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let m = raft.metrics().borrow().clone();
        let matched = m
            .replication
            .as_ref()
            .and_then(|r| r.get(&id).copied().flatten());
        if matched.is_some() && matched.map(|l| l.index) == m.last_log_index {
            return;
        }
        assert!(tokio::time::Instant::now() < until, "n{id} never caught up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A member that lost its store rejoins under its old id: the leader believed it held entries
/// it no longer has (its log went back to the initial entry alone). The leader's log holds an
/// entry past its purge point, so the member needs the snapshot and then that entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_without_its_store_is_brought_up_to_date_by_a_snapshot() {
    let mut g = Group::start("snapshot").await;
    let leader = g.leader().await;
    assert_eq!(
        g.apply_broker_id(leader, "b1").await.code,
        response::SUCCESS
    );
    let raft = {
        let shared = g.nodes[leader]
            .running
            .as_ref()
            .unwrap()
            .controller
            .shared();
        shared.group().unwrap().raft.clone()
    };
    let applied = raft.metrics().borrow().last_applied.unwrap();
    raft.trigger().snapshot().await.unwrap();
    // The snapshot covers at least b1; an entry applied meanwhile (a new leader's blank entry on
    // a loaded machine) may put it further.
    let until = tokio::time::Instant::now() + DEADLINE;
    let snapshot = loop {
        let taken = raft.metrics().borrow().snapshot;
        if let Some(s) = taken.filter(|s| s.index >= applied.index) {
            break s;
        }
        assert!(tokio::time::Instant::now() < until, "no snapshot");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    raft.trigger().purge_log(snapshot.index).await.unwrap();
    while raft.metrics().borrow().purged != Some(snapshot) {
        assert!(
            tokio::time::Instant::now() < until,
            "the log was not purged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        g.apply_broker_id(leader, "b2").await.code,
        response::SUCCESS
    );
    let follower = (leader + 1) % 3;
    replicated(&raft, follower as u64).await;
    drop(raft);

    // Its store gone, the follower learns b1 from the snapshot and b2 from the log.
    g.stop(follower).await;
    std::fs::remove_dir_all(&g.nodes[follower].store).unwrap();
    g.restart(follower).await;
    g.knows(follower, "b1").await;
    g.knows(follower, "b2").await;

    // The leader restarts from its own snapshot and log.
    g.stop(leader).await;
    let next = g.leader().await;
    assert_eq!(g.apply_broker_id(next, "b3").await.code, response::SUCCESS);
    g.restart(leader).await;
    for name in ["b1", "b2", "b3"] {
        g.knows(leader, name).await;
    }
    g.shutdown().await;
}

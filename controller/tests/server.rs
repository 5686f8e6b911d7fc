//! The controller over TCP: a broker's registration steps, the election, the role-change
//! notification a live member receives, a master's death, and the state surviving a restart.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::controller::ConfigState;
use remoting::body::controller::SyncStateSet;
use remoting::body::{from_body, to_body};
use remoting::code::{request as rq, response as rc};
use remoting::headers::*;
use remoting::testutil::free_port;
use remoting::{Client, Command, Connection, Handler, Server};

const T: Duration = Duration::from_secs(5);

fn config(dir: &std::path::Path, port: u16) -> ConfigState {
    let mut state = ConfigState::default();
    for (k, v) in [
        ("controllerDLegerPeers", format!("n0-127.0.0.1:{port}")),
        ("controllerDLegerSelfId", "n0".into()),
        (
            "controllerStorePath",
            dir.join("store").display().to_string(),
        ),
        (
            "configStorePath",
            dir.join("controller.properties").display().to_string(),
        ),
        ("bindAddress", "127.0.0.1".into()),
        ("scanNotActiveBrokerInterval", "200".into()),
    ] {
        state.config.set(k, &v).unwrap();
    }
    state
}

/// A fake broker: records the NOTIFY_BROKER_ROLE_CHANGED requests it receives.
#[derive(Default)]
struct FakeBroker(Mutex<Vec<Command>>);

impl Handler for FakeBroker {
    async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
        self.0.lock().unwrap().push(req);
        None
    }
}

async fn call(client: &Client, addr: &str, cmd: Command) -> Command {
    client.invoke(addr, cmd, T).await.unwrap()
}

fn heartbeat(id: i64, addr: &str) -> Command {
    Command::request(rq::BROKER_HEARTBEAT).with_header(&BrokerHeartbeatRequestHeader {
        cluster_name: "c".into(),
        broker_addr: addr.into(),
        broker_name: "b".into(),
        broker_id: Some(id),
        epoch: Some(0),
        max_offset: Some(0),
        confirm_offset: None,
        heartbeat_timeout_mills: Some(10_000),
        election_priority: None,
    })
}

/// Apply an id, register, then ask to be elected: a Java broker's start in controller mode.
async fn join(client: &Client, ctl: &str, id: i64, addr: &str) -> Command {
    let apply =
        Command::request(rq::CONTROLLER_APPLY_BROKER_ID).with_header(&ApplyBrokerIdRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: Some("b".into()),
            applied_broker_id: Some(id),
            register_check_code: Some(format!("{addr};1")),
        });
    assert_eq!(call(client, ctl, apply).await.code, rc::SUCCESS);
    let reg = Command::request(rq::CONTROLLER_REGISTER_BROKER).with_header(
        &RegisterBrokerToControllerRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: Some("b".into()),
            broker_id: Some(id),
            broker_address: Some(addr.into()),
            invoke_time: 0,
        },
    );
    assert_eq!(call(client, ctl, reg).await.code, rc::SUCCESS);
    let elect =
        Command::request(rq::CONTROLLER_ELECT_MASTER).with_header(&ElectMasterRequestHeader {
            cluster_name: "c".into(),
            broker_name: "b".into(),
            broker_id: id,
            designate_elect: false,
            invoke_time: None,
        });
    call(client, ctl, elect).await
}

async fn replica_info(client: &Client, ctl: &str) -> GetReplicaInfoResponseHeader {
    let req = Command::request(rq::CONTROLLER_GET_REPLICA_INFO).with_header(
        &GetReplicaInfoRequestHeader {
            broker_name: Some("b".into()),
        },
    );
    call(client, ctl, req).await.decode_header().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brokers_register_fail_over_and_the_state_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("thrust-ctl-server-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = free_port();
    let ctl = format!("127.0.0.1:{port}");
    let running = ::controller::start(config(&dir, port)).await.unwrap();

    // Two fake brokers that listen for role-change notifications.
    let (b1, b2) = (
        Arc::new(FakeBroker::default()),
        Arc::new(FakeBroker::default()),
    );
    let s1 = Server::bind("127.0.0.1:0", b1.clone()).await.unwrap();
    let s2 = Server::bind("127.0.0.1:0", b2.clone()).await.unwrap();
    let (a1, a2) = (
        s1.local_addr().unwrap().to_string(),
        s2.local_addr().unwrap().to_string(),
    );
    let (_h1, _j1) = s1.spawn();
    let (_h2, _j2) = s2.spawn();

    // Each broker heart-beats over its own connection, as Java's do.
    let (c1, c2) = (Client::new(), Client::new());
    assert_eq!(call(&c1, &ctl, heartbeat(1, &a1)).await.code, rc::SUCCESS);
    assert_eq!(call(&c2, &ctl, heartbeat(2, &a2)).await.code, rc::SUCCESS);
    let first = join(&c1, &ctl, 1, &a1).await;
    assert_eq!(first.code, rc::SUCCESS);
    assert_eq!(first.ext("masterAddress"), Some(a1.as_str()));
    let second = join(&c2, &ctl, 2, &a2).await;
    assert_eq!(second.code, rc::CONTROLLER_MASTER_STILL_EXIST);

    // The master adds broker 2 to its sync-state set.
    let alter = Command::request(rq::CONTROLLER_ALTER_SYNC_STATE_SET)
        .with_header(&AlterSyncStateSetRequestHeader {
            broker_name: Some("b".into()),
            master_broker_id: Some(1),
            master_epoch: Some(1),
            invoke_time: 0,
        })
        .with_body(to_body(&SyncStateSet {
            sync_state_set: Some([1, 2].into()),
            sync_state_set_epoch: 1,
        }));
    assert_eq!(call(&c1, &ctl, alter).await.code, rc::SUCCESS);

    // Broker 1 dies (its connection closes): 2 is elected and told so.
    c1.close(&ctl);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let info = replica_info(&c2, &ctl).await;
        if info.master_broker_id == Some(2) {
            assert_eq!(info.master_epoch, Some(2));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no new master: {info:?}"
        );
        assert_eq!(call(&c2, &ctl, heartbeat(2, &a2)).await.code, rc::SUCCESS);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every live member hears of each election: both of the first, only 2 of the second.
    let master_of = |c: &Command| {
        c.decode_header::<NotifyBrokerRoleChangedRequestHeader>()
            .unwrap()
            .master_broker_id
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let notify = loop {
        let got =
            b2.0.lock()
                .unwrap()
                .iter()
                .find(|c| master_of(c) == Some(2))
                .cloned();
        if let Some(n) = got {
            break n;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "broker 2 was not notified"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(notify.code, rq::NOTIFY_BROKER_ROLE_CHANGED);
    let h: NotifyBrokerRoleChangedRequestHeader = notify.decode_header().unwrap();
    assert_eq!((h.master_broker_id, h.master_epoch), (Some(2), Some(2)));
    assert_eq!(h.master_address.as_deref(), Some(a2.as_str()));
    let set: SyncStateSet = from_body(notify.body.as_deref().unwrap()).unwrap();
    assert_eq!(set.sync_state_set, Some([2].into()));
    let told_b1: Vec<Option<i64>> = b1.0.lock().unwrap().iter().map(master_of).collect();
    assert_eq!(
        told_b1,
        vec![Some(1)],
        "the dead broker hears of the first election only"
    );

    // Restarted on its store, the controller knows the set, its master and its epochs.
    running.shutdown().await;
    let running = ::controller::start(config(&dir, port)).await.unwrap();
    let c3 = Client::new();
    let info = replica_info(&c3, &ctl).await;
    assert_eq!(
        (
            info.master_broker_id,
            info.master_epoch,
            info.master_address
        ),
        (Some(2), Some(2), Some(a2.clone()))
    );
    let next = Command::request(rq::CONTROLLER_GET_NEXT_BROKER_ID).with_header(
        &GetNextBrokerIdRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: Some("b".into()),
        },
    );
    assert_eq!(call(&c3, &ctl, next).await.ext("nextBrokerId"), Some("3"));
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

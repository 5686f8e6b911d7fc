//! The state machine against Java `ReplicasInfoManagerTest`'s scenarios.

use std::collections::{BTreeMap, BTreeSet};

use remoting::body::controller::{BrokerReplicasInfo, ElectMasterResponseBody, SyncStateSet};
use remoting::body::from_body;
use remoting::code::response as rc;
use remoting::headers::*;

use super::requests::{ElectOptions, Outcome};
use super::*;

/// Liveness by hand: live brokers and what they reported.
#[derive(Default)]
struct Live(BTreeMap<i64, LiveInfo>);

impl Live {
    fn with(ids: &[(i64, i32, i64)]) -> Self {
        Live(
            ids.iter()
                .map(|&(id, epoch, max_offset)| {
                    let info = LiveInfo {
                        epoch,
                        max_offset,
                        election_priority: i32::MAX,
                    };
                    (id, info)
                })
                .collect(),
        )
    }
}

impl Liveness for Live {
    fn is_active(&self, _: &str, _: &str, id: i64) -> bool {
        self.0.contains_key(&id)
    }
    fn live_info(&self, _: &str, _: &str, id: i64) -> Option<LiveInfo> {
        self.0.get(&id).copied()
    }
}

/// Applies an outcome's events as the controller does after logging them.
fn commit(r: &mut Replicas, out: Outcome) -> Outcome {
    for e in &out.events {
        r.apply(e);
    }
    out
}

fn apply_id(r: &mut Replicas, id: i64, addr: &str) -> Outcome {
    let h = ApplyBrokerIdRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: Some("b".into()),
        applied_broker_id: Some(id),
        register_check_code: Some(format!("{addr};1700000000000")),
    };
    let out = r.apply_broker_id(&h);
    commit(r, out)
}

fn elect(r: &mut Replicas, id: i64, designate: bool, live: &Live, unclean: bool) -> Outcome {
    let h = ElectMasterRequestHeader {
        cluster_name: "c".into(),
        broker_name: "b".into(),
        broker_id: id,
        designate_elect: designate,
        invoke_time: None,
    };
    let opts = ElectOptions {
        enable_elect_unclean_master: unclean,
    };
    let out = r.elect_master(&h, live, opts);
    commit(r, out)
}

fn alter(
    r: &mut Replicas,
    master: i64,
    master_epoch: i32,
    set: &[i64],
    epoch: i32,
    live: &Live,
) -> Outcome {
    let h = AlterSyncStateSetRequestHeader {
        broker_name: Some("b".into()),
        master_broker_id: Some(master),
        master_epoch: Some(master_epoch),
        invoke_time: 0,
    };
    let body = SyncStateSet {
        sync_state_set: Some(set.iter().copied().collect()),
        sync_state_set_epoch: epoch,
    };
    let out = r.alter_sync_state_set(&h, &body, live);
    commit(r, out)
}

/// Three brokers registered, 1 elected first, all three in sync.
fn group_of_three() -> (Replicas, Live) {
    let mut r = Replicas::default();
    let live = Live::with(&[(1, 1, 100), (2, 1, 100), (3, 1, 100)]);
    assert_eq!(
        r.next_broker_id(&GetNextBrokerIdRequestHeader {
            cluster_name: None,
            broker_name: Some("b".into())
        })
        .response
        .ext("nextBrokerId"),
        Some("1")
    );
    for (id, port) in [(1, 30911), (2, 30921), (3, 30931)] {
        assert_eq!(
            apply_id(&mut r, id, &format!("127.0.0.1:{port}"))
                .response
                .code,
            rc::SUCCESS
        );
    }
    let out = elect(&mut r, 1, false, &live, false);
    assert_eq!(out.response.code, rc::SUCCESS);
    assert_eq!(out.response.ext("masterEpoch"), Some("1"));
    let body: ElectMasterResponseBody = from_body(out.response.body.as_deref().unwrap()).unwrap();
    assert_eq!(body.broker_member_group.unwrap().broker_addrs.len(), 3);
    let out = alter(&mut r, 1, 1, &[1, 2, 3], 1, &live);
    assert_eq!(out.response.code, rc::SUCCESS, "{:?}", out.response.remark);
    assert_eq!(out.response.ext("newSyncStateSetEpoch"), Some("2"));
    (r, live)
}

#[test]
fn ids_are_applied_once_and_checked() {
    let mut r = Replicas::default();
    // The first id of an unknown set must be 1.
    let out = apply_id(&mut r, 2, "a:1");
    assert_eq!(out.response.code, rc::CONTROLLER_BROKER_ID_INVALID);
    assert!(out.events.is_empty());
    apply_id(&mut r, 1, "a:1");
    // Another broker cannot take id 1; the same broker (same check code) may apply again.
    let other = ApplyBrokerIdRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: Some("b".into()),
        applied_broker_id: Some(1),
        register_check_code: Some("x:2;1".into()),
    };
    assert_eq!(
        r.apply_broker_id(&other).response.code,
        rc::CONTROLLER_BROKER_ID_INVALID
    );
    assert_eq!(apply_id(&mut r, 1, "a:1").response.code, rc::SUCCESS);
    let (info, _) = r.get("b").unwrap();
    assert_eq!(info.next_assign_broker_id, 2);
}

#[test]
fn register_reports_a_live_master_and_updates_a_moved_address() {
    let (mut r, live) = group_of_three();
    let h = RegisterBrokerToControllerRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: Some("b".into()),
        broker_id: Some(2),
        broker_address: Some("127.0.0.1:40921".into()),
        invoke_time: 0,
    };
    let out = r.register_broker(&h, &live);
    let out = commit(&mut r, out);
    assert_eq!(out.response.ext("masterBrokerId"), Some("1"));
    assert_eq!(out.response.ext("masterAddress"), Some("127.0.0.1:30911"));
    assert_eq!(
        r.get("b").unwrap().0.address(Some(2)).unwrap(),
        "127.0.0.1:40921"
    );
    let unknown = RegisterBrokerToControllerRequestHeader {
        broker_id: Some(9),
        ..h
    };
    assert_eq!(
        r.register_broker(&unknown, &live).response.code,
        rc::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED
    );
}

#[test]
fn alter_is_fenced_by_master_and_epochs() {
    let (mut r, live) = group_of_three();
    assert_eq!(
        alter(&mut r, 2, 1, &[1, 2], 2, &live).response.code,
        rc::CONTROLLER_INVALID_MASTER
    );
    assert_eq!(
        alter(&mut r, 1, 0, &[1, 2], 2, &live).response.code,
        rc::CONTROLLER_FENCED_MASTER_EPOCH
    );
    assert_eq!(
        alter(&mut r, 1, 1, &[1, 2], 1, &live).response.code,
        rc::CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH
    );
    assert_eq!(
        alter(&mut r, 1, 1, &[1, 2, 3], 2, &live).response.code,
        rc::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED
    );
    assert_eq!(
        alter(&mut r, 1, 1, &[1, 9], 2, &live).response.code,
        rc::CONTROLLER_INVALID_REPLICAS
    );
    assert_eq!(
        alter(&mut r, 1, 1, &[2, 3], 2, &live).response.code,
        rc::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED
    );
    let two = Live::with(&[(1, 1, 0), (2, 1, 0)]);
    assert_eq!(
        alter(&mut r, 1, 1, &[1, 3], 2, &two).response.code,
        rc::CONTROLLER_BROKER_NOT_ALIVE
    );
    assert_eq!(
        alter(&mut r, 1, 1, &[1, 2], 2, &live).response.code,
        rc::SUCCESS
    );
    assert_eq!(r.get("b").unwrap().1.sync_state_set, BTreeSet::from([1, 2]));
}

#[test]
fn a_dead_master_is_replaced_by_the_most_advanced_in_sync_broker() {
    let (mut r, _) = group_of_three();
    // 1 died; 3 has the higher offset.
    let live = Live::with(&[(2, 1, 100), (3, 1, 250)]);
    assert_eq!(r.need_reelect(&live), vec!["b".to_string()]);
    let out = elect(&mut r, -1, false, &live, false);
    assert_eq!(out.response.code, rc::SUCCESS);
    assert_eq!(out.response.ext("masterBrokerId"), Some("3"));
    assert_eq!(out.response.ext("masterAddress"), Some("127.0.0.1:30931"));
    assert_eq!(out.response.ext("masterEpoch"), Some("2"));
    assert_eq!(out.response.ext("syncStateSetEpoch"), Some("3"));
    let (_, s) = r.get("b").unwrap();
    assert_eq!(
        (s.master_broker_id, s.sync_state_set.clone()),
        (Some(3), BTreeSet::from([3]))
    );
    // Asking again keeps the live master.
    let out = elect(&mut r, 2, false, &live, false);
    assert_eq!(out.response.code, rc::CONTROLLER_MASTER_STILL_EXIST);
    assert!(out.events.is_empty());
    // mqadmin electMaster designates broker 2.
    let out = elect(&mut r, 2, true, &live, true);
    assert_eq!(out.response.code, rc::SUCCESS);
    assert_eq!(r.get("b").unwrap().1.master_broker_id, Some(2));
}

#[test]
fn without_in_sync_candidates_only_unclean_election_helps() {
    let (mut r, _) = group_of_three();
    let live = Live::with(&[(2, 1, 0), (3, 1, 0)]);
    alter(&mut r, 1, 1, &[1], 2, &Live::with(&[(1, 1, 0)]));
    let out = elect(&mut r, -1, false, &live, false);
    assert_eq!(out.response.code, rc::CONTROLLER_MASTER_NOT_AVAILABLE);
    let (_, s) = r.get("b").unwrap();
    assert_eq!((s.master_broker_id, s.master_epoch), (None, 2));
    assert_eq!(
        elect(&mut r, 2, false, &live, false).response.code,
        rc::CONTROLLER_ELECT_MASTER_FAILED
    );
    let out = elect(&mut r, -1, false, &live, true);
    assert_eq!(out.response.code, rc::SUCCESS);
    assert_eq!(out.response.ext("masterBrokerId"), Some("2"));
}

#[test]
fn priority_breaks_ties_then_the_lower_id() {
    let (mut r, _) = group_of_three();
    let mut live = Live::with(&[(2, 1, 100), (3, 1, 100)]);
    assert_eq!(
        elect(&mut r, -1, false, &live, false)
            .response
            .ext("masterBrokerId"),
        Some("2")
    );
    let (mut r, _) = group_of_three();
    live.0.get_mut(&3).unwrap().election_priority = 1;
    assert_eq!(
        elect(&mut r, -1, false, &live, false)
            .response
            .ext("masterBrokerId"),
        Some("3")
    );
}

#[test]
fn sync_state_data_and_clean() {
    let (mut r, live) = group_of_three();
    let out = r.sync_state_data(&["b".into(), "nope".into()], &Live::with(&[(1, 1, 0)]));
    let info: BrokerReplicasInfo = from_body(out.response.body.as_deref().unwrap()).unwrap();
    let b = &info.replicas_info_table["b"];
    assert_eq!(info.replicas_info_table.len(), 1);
    assert_eq!(
        b.in_sync_replicas
            .iter()
            .filter(|x| x.alive == Some(true))
            .count(),
        1
    );
    assert_eq!(b.master_address.as_deref(), Some("127.0.0.1:30911"));
    let clean = |ids: Option<&str>, living: bool| CleanControllerBrokerDataRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: "b".into(),
        broker_controller_ids_to_clean: ids.map(str::to_string),
        is_clean_living_broker: living,
        invoke_time: 0,
    };
    let out = r.clean_broker_data(&clean(None, false), &live);
    assert_eq!(
        out.response.code,
        rc::CONTROLLER_INVALID_CLEAN_BROKER_METADATA
    );
    assert_eq!(
        out.response.remark.as_deref(),
        Some("Broker b is still alive, clean up failure")
    );
    assert_eq!(
        r.clean_broker_data(&clean(Some("3"), false), &live)
            .response
            .code,
        rc::CONTROLLER_INVALID_CLEAN_BROKER_METADATA
    );
    assert_eq!(
        r.clean_broker_data(&clean(Some("x"), false), &live)
            .response
            .code,
        rc::CONTROLLER_INVALID_CLEAN_BROKER_METADATA
    );
    let out = r.clean_broker_data(&clean(Some("3"), false), &Live::with(&[(1, 1, 0)]));
    commit(&mut r, out);
    assert!(!r.get("b").unwrap().0.brokers.contains_key(&3));
    {
        let out = r.clean_broker_data(&clean(None, true), &live);
        commit(&mut r, out);
    }
    assert!(r.get("b").is_none());
    assert_eq!(
        r.clean_broker_data(&clean(None, true), &live).response.code,
        rc::CONTROLLER_INVALID_CLEAN_BROKER_METADATA
    );
}

#[test]
fn replaying_the_events_rebuilds_the_state() {
    let mut r = Replicas::default();
    let mut log = Vec::new();
    let live = Live::with(&[(1, 1, 0), (2, 1, 0)]);
    let mut step = |r: &mut Replicas, out: Outcome| {
        log.extend(out.events.iter().cloned());
        commit(r, out);
    };
    for id in [1, 2] {
        let h = ApplyBrokerIdRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: Some("b".into()),
            applied_broker_id: Some(id),
            register_check_code: Some(format!("a:{id};1")),
        };
        let out = r.apply_broker_id(&h);
        step(&mut r, out);
    }
    let h = ElectMasterRequestHeader {
        cluster_name: "c".into(),
        broker_name: "b".into(),
        broker_id: 2,
        designate_elect: false,
        invoke_time: None,
    };
    let out = r.elect_master(&h, &live, ElectOptions::default());
    step(&mut r, out);
    let mut again = Replicas::default();
    for e in &log {
        let json = serde_json::to_string(e).unwrap();
        again.apply(&serde_json::from_str(&json).unwrap());
    }
    assert_eq!(again, r);
    assert_eq!(again.get("b").unwrap().1.master_broker_id, Some(2));
}

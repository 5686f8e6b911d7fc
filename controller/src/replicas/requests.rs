//! The controller's requests over [`Replicas`], as Java's `ReplicasInfoManager` answers them:
//! each reads the state and returns the response with the events to apply (nothing changes
//! until they are applied), Java's response codes and remarks included.

use std::collections::BTreeSet;

use remoting::body::controller::{
    BrokerMemberGroup, BrokerReplicasInfo, ElectMasterResponseBody, ReplicaIdentity, ReplicasInfo,
    SyncStateSet,
};
use remoting::body::to_body;
use remoting::code::response as rc;
use remoting::header::CustomHeader;
use remoting::headers::{
    AlterSyncStateSetRequestHeader, AlterSyncStateSetResponseHeader, ApplyBrokerIdRequestHeader,
    ApplyBrokerIdResponseHeader, CleanControllerBrokerDataRequestHeader, ElectMasterRequestHeader,
    ElectMasterResponseHeader, GetNextBrokerIdRequestHeader, GetNextBrokerIdResponseHeader,
    GetReplicaInfoRequestHeader, GetReplicaInfoResponseHeader,
    RegisterBrokerToControllerRequestHeader, RegisterBrokerToControllerResponseHeader,
};
use remoting::Command;

use super::{
    elect, BrokerReplicaInfo, Event, Liveness, Replicas, SyncStateInfo, FIRST_BROKER_CONTROLLER_ID,
};

/// Java `ControllerResult`: the response and the events that must be applied before it is sent.
#[derive(Debug)]
pub struct Outcome {
    pub response: Command,
    pub events: Vec<Event>,
}

impl Outcome {
    fn ok(response: Command) -> Self {
        Outcome {
            response,
            events: Vec::new(),
        }
    }

    fn with_event(mut self, event: Event) -> Self {
        self.events.push(event);
        self
    }
}

fn reply<H: CustomHeader>(code: i32, remark: Option<String>, header: &H) -> Command {
    Command::response(code, remark).with_header(header)
}

fn sync_state_body(set: &BTreeSet<i64>, epoch: i32) -> Vec<u8> {
    to_body(&SyncStateSet {
        sync_state_set: Some(set.clone()),
        sync_state_set_epoch: epoch,
    })
}

/// What the policy needs from the config.
#[derive(Clone, Copy, Debug, Default)]
pub struct ElectOptions {
    /// `enableElectUncleanMaster`: fall back to brokers outside the sync-state set.
    pub enable_elect_unclean_master: bool,
}

impl Replicas {
    /// CONTROLLER_ALTER_SYNC_STATE_SET (Java `alterSyncStateSet`).
    pub fn alter_sync_state_set(
        &self,
        req: &AlterSyncStateSetRequestHeader,
        set: &SyncStateSet,
        live: &dyn Liveness,
    ) -> Outcome {
        let broker_name = req.broker_name.clone().unwrap_or_default();
        let empty_set = BTreeSet::new();
        let new_set = set.sync_state_set.as_ref().unwrap_or(&empty_set);
        let checked = self.check_alter(&broker_name, req, set, new_set, live);
        let state = match checked {
            Ok(state) => state,
            Err((code, remark)) => {
                tracing::warn!(%broker_name, %remark, "alter sync-state set refused");
                let empty = AlterSyncStateSetResponseHeader::default();
                return Outcome::ok(reply(code, Some(remark), &empty));
            }
        };
        let epoch = state.sync_state_set_epoch + 1;
        let header = AlterSyncStateSetResponseHeader {
            new_sync_state_set_epoch: epoch,
        };
        Outcome::ok(reply(rc::SUCCESS, None, &header).with_body(sync_state_body(new_set, epoch)))
            .with_event(Event::AlterSyncStateSet {
                broker_name,
                new_sync_state_set: new_set.clone(),
            })
    }

    /// Java's checks of an alter request, in its order: the set's current state, or the
    /// refusal's code and remark.
    fn check_alter(
        &self,
        broker_name: &str,
        req: &AlterSyncStateSetRequestHeader,
        set: &SyncStateSet,
        new_set: &BTreeSet<i64>,
        live: &dyn Liveness,
    ) -> Result<&SyncStateInfo, (i32, String)> {
        const WHY: &str = "Rejecting alter syncStateSet request because";
        let Some((info, state)) = self.get(broker_name) else {
            return Err((
                rc::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
                "Broker metadata is not existed".into(),
            ));
        };
        if *new_set == state.sync_state_set {
            return Err((
                rc::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
                "The newSyncStateSet is equal with oldSyncStateSet, no needed to update syncStateSet".into(),
            ));
        }
        let master = java_long(state.master_broker_id);
        if state.master_broker_id.is_none() || state.master_broker_id != req.master_broker_id {
            let asked = java_long(req.master_broker_id);
            return Err((
                rc::CONTROLLER_INVALID_MASTER,
                format!("{WHY} the current leader is:{{{master}}}, not {{{asked}}}"),
            ));
        }
        if req.master_epoch != Some(state.master_epoch) {
            let asked = req.master_epoch.map_or("null".into(), |e| e.to_string());
            return Err((
                rc::CONTROLLER_FENCED_MASTER_EPOCH,
                format!(
                    "{WHY} the current master epoch is:{{{}}}, not {{{asked}}}",
                    state.master_epoch
                ),
            ));
        }
        if set.sync_state_set_epoch != state.sync_state_set_epoch {
            return Err((
                rc::CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
                format!(
                    "{WHY} the current syncStateSet epoch is:{{{}}}, not {{{}}}",
                    state.sync_state_set_epoch, set.sync_state_set_epoch
                ),
            ));
        }
        for replica in new_set {
            if !info.brokers.contains_key(replica) {
                return Err((
                    rc::CONTROLLER_INVALID_REPLICAS,
                    format!("{WHY} the replicas {{{replica}}} don't exist"),
                ));
            }
            if !live.is_active(&info.cluster_name, &info.broker_name, *replica) {
                return Err((
                    rc::CONTROLLER_BROKER_NOT_ALIVE,
                    format!("{WHY} the replicas {{{replica}}} don't alive"),
                ));
            }
        }
        if !state.master_broker_id.is_some_and(|m| new_set.contains(&m)) {
            return Err((
                rc::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
                format!("{WHY} the newSyncStateSet don't contains origin leader {{{master}}}"),
            ));
        }
        Ok(state)
    }

    /// CONTROLLER_ELECT_MASTER (Java `electMaster`).
    pub fn elect_master(
        &self,
        req: &ElectMasterRequestHeader,
        live: &dyn Liveness,
        opts: ElectOptions,
    ) -> Outcome {
        let header = ElectMasterResponseHeader::default();
        let Some((info, state)) = self.get(&req.broker_name) else {
            return Outcome::ok(reply(
                rc::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
                Some("Broker hasn't been registered".into()),
                &header,
            ));
        };
        let old_master = state.master_broker_id;
        let all = info.broker_ids();
        // The set's first election takes the broker that asked.
        let mut new_master = (state.master_epoch == 0).then_some(req.broker_id);
        if new_master.is_none_or_minus_one() {
            let prefer = req.designate_elect.then_some(req.broker_id);
            new_master = elect::elect(
                live,
                &info.cluster_name,
                &info.broker_name,
                &state.sync_state_set,
                opts.enable_elect_unclean_master.then_some(&all),
                old_master,
                prefer,
            );
        }
        if new_master.is_some() && new_master == old_master {
            return Outcome::ok(master_still_exists(info, state));
        }
        if let Some(master) = new_master {
            tracing::info!(master, broker_name = %req.broker_name, "elected a new master");
            return Outcome::ok(master_elected(info, state, master)).with_event(
                Event::ElectMaster {
                    broker_name: req.broker_name.clone(),
                    new_master_elected: true,
                    new_master_broker_id: Some(master),
                },
            );
        }
        tracing::warn!(broker_name = %req.broker_name, "failed to elect a new master");
        if req.broker_id == -1 {
            // Triggered by the controller: record that the set has no master now.
            return Outcome::ok(reply(
                rc::CONTROLLER_MASTER_NOT_AVAILABLE,
                Some("Old master has down and failed to elect a new broker master".into()),
                &header,
            ))
            .with_event(Event::ElectMaster {
                broker_name: req.broker_name.clone(),
                new_master_elected: false,
                new_master_broker_id: None,
            });
        }
        Outcome::ok(reply(
            rc::CONTROLLER_ELECT_MASTER_FAILED,
            Some("Failed to elect a new master".into()),
            &header,
        ))
    }

    /// CONTROLLER_GET_NEXT_BROKER_ID (Java `getNextBrokerId`).
    pub fn next_broker_id(&self, req: &GetNextBrokerIdRequestHeader) -> Outcome {
        let broker_name = req.broker_name.clone().unwrap_or_default();
        let next = self
            .replica_info
            .get(&broker_name)
            .map_or(FIRST_BROKER_CONTROLLER_ID, |r| r.next_assign_broker_id);
        let header = GetNextBrokerIdResponseHeader {
            cluster_name: req.cluster_name.clone(),
            broker_name: Some(broker_name),
            next_broker_id: Some(next),
        };
        Outcome::ok(reply(rc::SUCCESS, None, &header))
    }

    /// CONTROLLER_APPLY_BROKER_ID (Java `applyBrokerId`).
    pub fn apply_broker_id(&self, req: &ApplyBrokerIdRequestHeader) -> Outcome {
        let broker_name = req.broker_name.clone().unwrap_or_default();
        let check_code = req.register_check_code.clone().unwrap_or_default();
        let header = ApplyBrokerIdResponseHeader {
            cluster_name: req.cluster_name.clone(),
            broker_name: Some(broker_name.clone()),
        };
        let id = req.applied_broker_id.unwrap_or(-1);
        let address = check_code.split(';').next().unwrap_or_default().to_string();
        let event = Event::ApplyBrokerId {
            cluster_name: req.cluster_name.clone().unwrap_or_default(),
            broker_name: broker_name.clone(),
            broker_address: address,
            new_broker_id: id,
            register_check_code: check_code.clone(),
        };
        let refuse = |remark: String| {
            Outcome::ok(reply(
                rc::CONTROLLER_BROKER_ID_INVALID,
                Some(remark),
                &header,
            ))
        };
        let Some(info) = self.replica_info.get(&broker_name) else {
            if id == FIRST_BROKER_CONTROLLER_ID {
                return Outcome::ok(reply(rc::SUCCESS, None, &header)).with_event(event);
            }
            return refuse(format!(
                "Broker-set: {broker_name} hasn't been registered in controller, but broker try to apply brokerId: {id}"
            ));
        };
        let taken_by_other = info
            .brokers
            .get(&id)
            .is_some_and(|b| b.register_check_code != check_code);
        if !taken_by_other {
            return Outcome::ok(reply(rc::SUCCESS, None, &header)).with_event(event);
        }
        refuse(format!(
            "Fail to apply brokerId: {id} in broker-set: {broker_name}"
        ))
    }

    /// CONTROLLER_REGISTER_BROKER (Java `registerBroker`).
    pub fn register_broker(
        &self,
        req: &RegisterBrokerToControllerRequestHeader,
        live: &dyn Liveness,
    ) -> Outcome {
        let cluster = req.cluster_name.clone().unwrap_or_default();
        let broker_name = req.broker_name.clone().unwrap_or_default();
        let broker_id = req.broker_id.unwrap_or(-1);
        let broker_address = req.broker_address.clone().unwrap_or_default();
        let mut header = RegisterBrokerToControllerResponseHeader {
            cluster_name: req.cluster_name.clone(),
            broker_name: Some(broker_name.clone()),
            ..Default::default()
        };
        let Some((info, state)) = self.get(&broker_name) else {
            return Outcome::ok(reply(
                rc::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
                Some(format!(
                    "Broker-set: {broker_name} hasn't been registered in controller"
                )),
                &header,
            ));
        };
        let Some(entry) = info.brokers.get(&broker_id) else {
            return Outcome::ok(reply(
                rc::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
                Some(format!(
                    "BrokerId: {broker_id} hasn't been registered in broker-set: {broker_name}"
                )),
                &header,
            ));
        };
        if let Some(master) = state.master_broker_id {
            if live.is_active(&cluster, &broker_name, master) {
                header.master_broker_id = Some(master);
                header.master_address = info.address(Some(master));
                header.master_epoch = Some(state.master_epoch);
                header.sync_state_set_epoch = Some(state.sync_state_set_epoch);
            }
        }
        let body = sync_state_body(&state.sync_state_set, state.sync_state_set_epoch);
        let mut out = Outcome::ok(reply(rc::SUCCESS, None, &header).with_body(body));
        if entry.address != broker_address {
            out = out.with_event(Event::UpdateBrokerAddress {
                cluster_name: cluster,
                broker_name,
                broker_address,
                broker_id,
            });
        }
        out
    }

    /// CONTROLLER_GET_REPLICA_INFO (Java `getReplicaInfo`).
    pub fn replica_info(&self, req: &GetReplicaInfoRequestHeader) -> Outcome {
        let broker_name = req.broker_name.as_deref().unwrap_or_default();
        let Some((info, state)) = self.get(broker_name) else {
            return Outcome::ok(reply(
                rc::CONTROLLER_BROKER_METADATA_NOT_EXIST,
                Some("Broker metadata is not existed".into()),
                &GetReplicaInfoResponseHeader::default(),
            ));
        };
        let header = GetReplicaInfoResponseHeader {
            master_broker_id: state.master_broker_id,
            master_address: info.address(state.master_broker_id),
            master_epoch: Some(state.master_epoch),
        };
        let body = sync_state_body(&state.sync_state_set, state.sync_state_set_epoch);
        Outcome::ok(reply(rc::SUCCESS, None, &header).with_body(body))
    }

    /// CONTROLLER_GET_SYNC_STATE_DATA (Java `getSyncStateData`): known sets only.
    pub fn sync_state_data(&self, broker_names: &[String], live: &dyn Liveness) -> Outcome {
        let mut all = BrokerReplicasInfo::default();
        for name in broker_names {
            let Some((info, state)) = self.get(name) else {
                continue;
            };
            let mut in_sync = Vec::new();
            let mut not_in_sync = Vec::new();
            for (id, b) in &info.brokers {
                let replica = ReplicaIdentity {
                    alive: Some(live.is_active(&info.cluster_name, name, *id)),
                    broker_address: Some(b.address.clone()),
                    broker_id: Some(*id),
                    broker_name: Some(name.clone()),
                };
                if state.sync_state_set.contains(id) {
                    in_sync.push(replica);
                } else {
                    not_in_sync.push(replica);
                }
            }
            all.replicas_info_table.insert(
                name.clone(),
                ReplicasInfo {
                    in_sync_replicas: in_sync,
                    master_address: info.address(state.master_broker_id),
                    master_broker_id: state.master_broker_id,
                    master_epoch: state.master_epoch,
                    not_in_sync_replicas: not_in_sync,
                    sync_state_set_epoch: state.sync_state_set_epoch,
                },
            );
        }
        Outcome::ok(Command::response(rc::SUCCESS, None).with_body(to_body(&all)))
    }

    /// CLEAN_BROKER_DATA (Java `cleanBrokerData`).
    pub fn clean_broker_data(
        &self,
        req: &CleanControllerBrokerDataRequestHeader,
        live: &dyn Liveness,
    ) -> Outcome {
        let refuse = |remark: String| {
            Outcome::ok(Command::response(
                rc::CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
                remark,
            ))
        };
        let ids_text = req
            .broker_controller_ids_to_clean
            .as_deref()
            .filter(|s| !s.trim().is_empty());
        let cluster = req.cluster_name.clone().unwrap_or_default();
        let mut ids = None;
        if !req.is_clean_living_broker {
            let has_master = self
                .sync_state_info
                .get(&req.broker_name)
                .is_some_and(|s| s.master_broker_id.is_some());
            if ids_text.is_none() && has_master {
                return refuse(format!(
                    "Broker {} is still alive, clean up failure",
                    req.broker_name
                ));
            }
            if let Some(text) = ids_text {
                let parsed: Result<BTreeSet<i64>, _> =
                    text.split(';').map(|s| s.parse::<i64>()).collect();
                let Ok(set) = parsed else {
                    return refuse(format!(
                        "Please set the option <brokerControllerIdsToClean> according to the format, exception: java.lang.NumberFormatException: For input string: \"{text}\""
                    ));
                };
                for id in &set {
                    if live.is_active(&cluster, &req.broker_name, *id) {
                        return refuse(format!(
                            "Broker [{},  {id}] is still alive, clean up failure",
                            req.broker_name
                        ));
                    }
                }
                ids = Some(set);
            }
        }
        if self.contains(&req.broker_name) {
            return Outcome::ok(Command::response(rc::SUCCESS, None)).with_event(
                Event::CleanBrokerData {
                    broker_name: req.broker_name.clone(),
                    broker_id_set_to_clean: ids,
                },
            );
        }
        refuse(format!(
            "Broker {} is not existed,clean broker data failure.",
            req.broker_name
        ))
    }
}

/// The ELECT_MASTER answer when the live old master stays.
fn master_still_exists(info: &BrokerReplicaInfo, state: &SyncStateInfo) -> Command {
    let old = state.master_broker_id;
    let remark = format!(
        "The old master {} is still alive, not need to elect new master for broker {}",
        java_long(old),
        info.broker_name
    );
    let header = ElectMasterResponseHeader {
        master_broker_id: old,
        master_address: info.address(old),
        master_epoch: Some(state.master_epoch),
        sync_state_set_epoch: Some(state.sync_state_set_epoch),
    };
    let body = ElectMasterResponseBody {
        broker_member_group: None,
        sync_state_set: Some(state.sync_state_set.clone()),
    };
    reply(rc::CONTROLLER_MASTER_STILL_EXIST, Some(remark), &header).with_body(to_body(&body))
}

/// The ELECT_MASTER answer for a new master: the epochs its event will give the set, and the
/// members to notify.
fn master_elected(info: &BrokerReplicaInfo, state: &SyncStateInfo, master: i64) -> Command {
    let header = ElectMasterResponseHeader {
        master_broker_id: Some(master),
        master_address: info.address(Some(master)),
        master_epoch: Some(state.master_epoch + 1),
        sync_state_set_epoch: Some(state.sync_state_set_epoch + 1),
    };
    let body = ElectMasterResponseBody {
        broker_member_group: Some(member_group(info)),
        sync_state_set: Some(BTreeSet::from([master])),
    };
    reply(rc::SUCCESS, None, &header).with_body(to_body(&body))
}

/// Java `buildBrokerMemberGroup`.
fn member_group(info: &BrokerReplicaInfo) -> BrokerMemberGroup {
    BrokerMemberGroup {
        broker_addrs: info
            .brokers
            .iter()
            .map(|(id, b)| (*id, b.address.clone()))
            .collect(),
        broker_name: Some(info.broker_name.clone()),
        cluster: Some(info.cluster_name.clone()),
    }
}

/// A Java `Long` in a message: `null` when absent.
fn java_long(v: Option<i64>) -> String {
    v.map_or_else(|| "null".to_string(), |v| v.to_string())
}

/// Java checks `newMaster == null || newMaster == -1` before asking the policy.
trait UnsetId {
    fn is_none_or_minus_one(&self) -> bool;
}

impl UnsetId for Option<i64> {
    fn is_none_or_minus_one(&self) -> bool {
        matches!(self, None | Some(-1))
    }
}

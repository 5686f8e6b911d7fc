//! The replicated state (Java `ReplicasInfoManager`): per broker set, its brokers with their
//! ids ([`BrokerReplicaInfo`]) and its master, epochs and sync-state set ([`SyncStateInfo`]).
//!
//! Requests ([`requests`]) read the state and answer with a response plus the [`Event`]s that
//! change it; [`Replicas::apply`] applies an event. Only applied events change the state, so
//! replaying the event log rebuilds it exactly. Maps are ordered so that every iteration (and
//! so every answer) is the same on every node.

pub mod elect;
pub mod event;
pub mod requests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use elect::LiveInfo;
pub use event::Event;

/// Java `MixAll.FIRST_BROKER_CONTROLLER_ID`.
pub const FIRST_BROKER_CONTROLLER_ID: i64 = 1;

/// What the controller knows of brokers' liveness (its heartbeat manager).
pub trait Liveness {
    /// Java `BrokerHeartbeatManager#isBrokerActive`.
    fn is_active(&self, cluster: &str, broker_name: &str, broker_id: i64) -> bool;
    /// Java `BrokerHeartbeatManager#getBrokerLiveInfo`.
    fn live_info(&self, cluster: &str, broker_name: &str, broker_id: i64) -> Option<LiveInfo>;
}

/// One broker of a set: its address and the check code it applied for its id with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerEntry {
    pub address: String,
    pub register_check_code: String,
}

/// Java `BrokerReplicaInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerReplicaInfo {
    pub cluster_name: String,
    pub broker_name: String,
    /// Starts at 1 and grows with every id taken; never reused.
    pub next_assign_broker_id: i64,
    pub brokers: BTreeMap<i64, BrokerEntry>,
}

impl BrokerReplicaInfo {
    pub fn address(&self, id: Option<i64>) -> Option<String> {
        id.and_then(|id| self.brokers.get(&id))
            .map(|b| b.address.clone())
    }

    pub fn broker_ids(&self) -> BTreeSet<i64> {
        self.brokers.keys().copied().collect()
    }
}

/// Java `SyncStateInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStateInfo {
    pub cluster_name: String,
    pub broker_name: String,
    pub master_epoch: i32,
    pub sync_state_set_epoch: i32,
    pub sync_state_set: BTreeSet<i64>,
    pub master_broker_id: Option<i64>,
}

impl SyncStateInfo {
    fn update_master(&mut self, master: Option<i64>) {
        self.master_broker_id = master;
        self.master_epoch += 1;
    }

    fn update_sync_state_set(&mut self, set: BTreeSet<i64>) {
        self.sync_state_set = set;
        self.sync_state_set_epoch += 1;
    }
}

/// Both tables; a broker set is known when it is in both (Java `isContainsBroker`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replicas {
    pub replica_info: BTreeMap<String, BrokerReplicaInfo>,
    pub sync_state_info: BTreeMap<String, SyncStateInfo>,
}

impl Replicas {
    /// The broker set's two entries when it is known.
    pub fn get(&self, broker_name: &str) -> Option<(&BrokerReplicaInfo, &SyncStateInfo)> {
        Some((
            self.replica_info.get(broker_name)?,
            self.sync_state_info.get(broker_name)?,
        ))
    }

    fn contains(&self, broker_name: &str) -> bool {
        self.get(broker_name).is_some()
    }

    /// Java `ReplicasInfoManager#applyEvent`.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::AlterSyncStateSet {
                broker_name,
                new_sync_state_set,
            } => {
                if self.contains(broker_name) {
                    if let Some(s) = self.sync_state_info.get_mut(broker_name) {
                        s.update_sync_state_set(new_sync_state_set.clone());
                    }
                }
            }
            Event::ApplyBrokerId {
                cluster_name,
                broker_name,
                broker_address,
                new_broker_id,
                register_check_code,
            } => self.add_broker(
                cluster_name,
                broker_name,
                *new_broker_id,
                BrokerEntry {
                    address: broker_address.clone(),
                    register_check_code: register_check_code.clone(),
                },
            ),
            Event::ElectMaster {
                broker_name,
                new_master_elected,
                new_master_broker_id,
            } => self.apply_elect_master(broker_name, *new_master_elected, *new_master_broker_id),
            Event::CleanBrokerData {
                broker_name,
                broker_id_set_to_clean,
            } => self.apply_clean(broker_name, broker_id_set_to_clean.as_ref()),
            Event::UpdateBrokerAddress {
                broker_name,
                broker_address,
                broker_id,
                ..
            } => {
                let entry = self
                    .replica_info
                    .get_mut(broker_name)
                    .and_then(|r| r.brokers.get_mut(broker_id));
                if let Some(entry) = entry {
                    entry.address.clone_from(broker_address);
                }
            }
        }
    }

    fn add_broker(&mut self, cluster: &str, broker_name: &str, id: i64, entry: BrokerEntry) {
        if self.contains(broker_name) {
            if let Some(info) = self.replica_info.get_mut(broker_name) {
                if let std::collections::btree_map::Entry::Vacant(slot) = info.brokers.entry(id) {
                    slot.insert(entry);
                    info.next_assign_broker_id += 1;
                }
            }
            return;
        }
        // The set's first broker: both tables start here.
        let mut info = BrokerReplicaInfo {
            cluster_name: cluster.to_string(),
            broker_name: broker_name.to_string(),
            next_assign_broker_id: FIRST_BROKER_CONTROLLER_ID,
            brokers: BTreeMap::new(),
        };
        info.brokers.insert(id, entry);
        info.next_assign_broker_id += 1;
        self.replica_info.insert(broker_name.to_string(), info);
        self.sync_state_info.insert(
            broker_name.to_string(),
            SyncStateInfo {
                cluster_name: cluster.to_string(),
                broker_name: broker_name.to_string(),
                master_epoch: 0,
                sync_state_set_epoch: 0,
                sync_state_set: BTreeSet::new(),
                master_broker_id: None,
            },
        );
    }

    fn apply_elect_master(&mut self, broker_name: &str, elected: bool, master: Option<i64>) {
        if !self.contains(broker_name) {
            tracing::error!(
                broker_name,
                "an ElectMasterEvent for an unregistered broker set"
            );
            return;
        }
        let Some(s) = self.sync_state_info.get_mut(broker_name) else {
            return;
        };
        match (elected, master) {
            (true, Some(id)) => {
                s.update_master(Some(id));
                s.update_sync_state_set(BTreeSet::from([id]));
            }
            // The old master is gone and nobody could replace it: the set keeps its
            // sync-state set and has no master.
            _ => s.update_master(None),
        }
    }

    fn apply_clean(&mut self, broker_name: &str, ids: Option<&BTreeSet<i64>>) {
        let Some(ids) = ids.filter(|ids| !ids.is_empty()) else {
            self.replica_info.remove(broker_name);
            self.sync_state_info.remove(broker_name);
            return;
        };
        if !self.contains(broker_name) {
            return;
        }
        let mut no_brokers = false;
        if let Some(info) = self.replica_info.get_mut(broker_name) {
            for id in ids {
                info.brokers.remove(id);
            }
            no_brokers = info.brokers.is_empty();
        }
        let mut no_sync = false;
        if let Some(s) = self.sync_state_info.get_mut(broker_name) {
            for id in ids {
                s.sync_state_set.remove(id);
            }
            no_sync = s.sync_state_set.is_empty();
        }
        if no_brokers {
            self.replica_info.remove(broker_name);
        }
        if no_sync {
            self.sync_state_info.remove(broker_name);
        }
    }

    /// Java `scanNeedReelectBrokerSets`: sets whose master is not live while another of their
    /// brokers is.
    pub fn need_reelect(&self, live: &dyn Liveness) -> Vec<String> {
        self.sync_state_info
            .iter()
            .filter(|(name, s)| {
                let Some(master) = s.master_broker_id else {
                    return false;
                };
                if live.is_active(&s.cluster_name, name, master) {
                    return false;
                }
                self.replica_info.get(*name).is_some_and(|r| {
                    r.brokers
                        .keys()
                        .any(|id| live.is_active(&s.cluster_name, name, *id))
                })
            })
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests;

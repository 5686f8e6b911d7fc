//! The events that change the replicated state (Java `controller/impl/event/*Event.java`). A
//! request computes its events from the current state without changing it; applying them is
//! deterministic, so the same log of events rebuilds the same state on any node and after a
//! restart ([`crate::log`] keeps them on disk).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// One state change, named as Java's `EventType` constants.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "eventType")]
pub enum Event {
    /// Java `AlterSyncStateSetEvent`: the master replaced its sync-state set.
    #[serde(rename = "ALTER_SYNC_STATE_SET_EVENT", rename_all = "camelCase")]
    AlterSyncStateSet {
        broker_name: String,
        new_sync_state_set: BTreeSet<i64>,
    },
    /// Java `ApplyBrokerIdEvent`: a broker took an id in its broker set.
    #[serde(rename = "APPLY_BROKER_ID_EVENT", rename_all = "camelCase")]
    ApplyBrokerId {
        cluster_name: String,
        broker_name: String,
        broker_address: String,
        new_broker_id: i64,
        register_check_code: String,
    },
    /// Java `ElectMasterEvent`: a new master, or (`new_master_elected == false`) none.
    #[serde(rename = "ELECT_MASTER_EVENT", rename_all = "camelCase")]
    ElectMaster {
        broker_name: String,
        new_master_elected: bool,
        new_master_broker_id: Option<i64>,
    },
    /// Java `CleanBrokerDataEvent`: forget some brokers of a set, or (`None`) the whole set.
    #[serde(rename = "CLEAN_BROKER_DATA_EVENT", rename_all = "camelCase")]
    CleanBrokerData {
        broker_name: String,
        broker_id_set_to_clean: Option<BTreeSet<i64>>,
    },
    /// Java `UpdateBrokerAddressEvent`: a registered broker came back on another address.
    #[serde(rename = "UPDATE_BROKER_ADDRESS", rename_all = "camelCase")]
    UpdateBrokerAddress {
        cluster_name: String,
        broker_name: String,
        broker_address: String,
        broker_id: i64,
    },
}

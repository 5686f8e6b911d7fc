//! Controller-mode bodies (Java 5.3.3 `.../protocol/body/SyncStateSet`, `BrokerReplicasInfo`,
//! `EpochEntryCache`, `ElectMasterResponseBody`, `BrokerMemberGroup`, `RoleChangeNotifyEntry`
//! and `.../protocol/EpochEntry`), fields in fastjson's sorted order, nulls omitted.
//! ```text
//! SyncStateSet     {"syncStateSet":[1,2],"syncStateSetEpoch":3}
//! EpochEntryCache  {"brokerId":1,"brokerName":"b","clusterName":"c",
//!                   "epochList":[{"endOffset":9223372036854775807,"epoch":1,"startOffset":0}],"maxOffset":0}
//! ElectMasterResponseBody {"brokerMemberGroup":{"brokerAddrs":{1:"127.0.0.1:10911"},
//!                   "brokerName":"b","cluster":"c"},"syncStateSet":[1]}
//! ```
//! `brokerAddrs` has `Long` keys, which fastjson writes bare; reading accepts both forms.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Java `SyncStateSet`: the ids of the replicas in sync with the master, and the set's epoch.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SyncStateSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_state_set: Option<BTreeSet<i64>>,
    #[serde(default)]
    pub sync_state_set_epoch: i32,
}

/// Java `EpochEntry`: the CommitLog range `[startOffset, endOffset)` written under one master
/// epoch; the last entry's end is `Long.MAX_VALUE` while it is open.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EpochEntry {
    #[serde(default = "open_end")]
    pub end_offset: i64,
    #[serde(default)]
    pub epoch: i32,
    #[serde(default)]
    pub start_offset: i64,
}

fn open_end() -> i64 {
    i64::MAX
}

/// Java `EpochEntryCache`: GET_BROKER_EPOCH_CACHE's (1007) answer.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EpochEntryCache {
    #[serde(default)]
    pub broker_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_list: Option<Vec<EpochEntry>>,
    #[serde(default)]
    pub max_offset: i64,
}

/// Java `BrokerMemberGroup`: the members of one broker set, by id.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BrokerMemberGroup {
    #[serde(default)]
    pub broker_addrs: BTreeMap<i64, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// Java `ElectMasterResponseBody`: CONTROLLER_ELECT_MASTER's answer and NOTIFY_BROKER_ROLE_CHANGED's
/// body.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ElectMasterResponseBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_member_group: Option<BrokerMemberGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_state_set: Option<BTreeSet<i64>>,
}

/// Java `BrokerReplicasInfo`: CONTROLLER_GET_SYNC_STATE_DATA's (1006) answer, by broker name.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BrokerReplicasInfo {
    #[serde(default)]
    pub replicas_info_table: BTreeMap<String, ReplicasInfo>,
}

/// Java `BrokerReplicasInfo.ReplicasInfo`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ReplicasInfo {
    #[serde(default)]
    pub in_sync_replicas: Vec<ReplicaIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_broker_id: Option<i64>,
    #[serde(default)]
    pub master_epoch: i32,
    #[serde(default)]
    pub not_in_sync_replicas: Vec<ReplicaIdentity>,
    #[serde(default)]
    pub sync_state_set_epoch: i32,
}

/// Java `BrokerReplicasInfo.ReplicaIdentity`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_name: Option<String>,
}

/// Java `RoleChangeNotifyEntry`: what a broker learns from an election, either from
/// NOTIFY_BROKER_ROLE_CHANGED's header and body or from an ELECT_MASTER answer. Not a wire body
/// of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleChangeNotifyEntry {
    pub broker_member_group: Option<BrokerMemberGroup>,
    pub master_address: Option<String>,
    pub master_broker_id: Option<i64>,
    pub master_epoch: i32,
    pub sync_state_set_epoch: i32,
    pub sync_state_set: BTreeSet<i64>,
}

impl RoleChangeNotifyEntry {
    /// Java `RoleChangeNotifyEntry.convert` for a NOTIFY_BROKER_ROLE_CHANGED request.
    pub fn from_notify(
        h: &crate::headers::NotifyBrokerRoleChangedRequestHeader,
        body: Option<ElectMasterResponseBody>,
    ) -> RoleChangeNotifyEntry {
        let body = body.unwrap_or_default();
        RoleChangeNotifyEntry {
            broker_member_group: body.broker_member_group,
            master_address: h.master_address.clone(),
            master_broker_id: h.master_broker_id,
            master_epoch: h.master_epoch.unwrap_or(0),
            sync_state_set_epoch: h.sync_state_set_epoch.unwrap_or(0),
            sync_state_set: body.sync_state_set.unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{from_body, to_body};

    #[test]
    fn javas_field_names_and_order() {
        let s = SyncStateSet {
            sync_state_set: Some([2, 1].into_iter().collect()),
            sync_state_set_epoch: 3,
        };
        assert_eq!(
            String::from_utf8(to_body(&s)).unwrap(),
            r#"{"syncStateSet":[1,2],"syncStateSetEpoch":3}"#
        );
        let c = EpochEntryCache {
            broker_id: 1,
            broker_name: Some("b".into()),
            cluster_name: Some("c".into()),
            epoch_list: Some(vec![EpochEntry {
                end_offset: i64::MAX,
                epoch: 1,
                start_offset: 0,
            }]),
            max_offset: 0,
        };
        assert_eq!(
            String::from_utf8(to_body(&c)).unwrap(),
            r#"{"brokerId":1,"brokerName":"b","clusterName":"c","epochList":[{"endOffset":9223372036854775807,"epoch":1,"startOffset":0}],"maxOffset":0}"#
        );
    }

    #[test]
    fn reads_fastjsons_bare_long_keys() {
        let text = br#"{"brokerMemberGroup":{"brokerAddrs":{1:"127.0.0.1:10911",2:"127.0.0.1:10921"},"brokerName":"b","cluster":"c"},"syncStateSet":[1]}"#;
        let b: ElectMasterResponseBody = from_body(text).unwrap();
        let g = b.broker_member_group.unwrap();
        assert_eq!(
            g.broker_addrs.get(&2).map(String::as_str),
            Some("127.0.0.1:10921")
        );
        assert_eq!(b.sync_state_set, Some([1].into_iter().collect()));
        let r: BrokerReplicasInfo = from_body(
            br#"{"replicasInfoTable":{"b":{"inSyncReplicas":[{"alive":true,"brokerAddress":"a:1","brokerId":1,"brokerName":"b"}],"masterAddress":"a:1","masterBrokerId":1,"masterEpoch":2,"notInSyncReplicas":[],"syncStateSetEpoch":4}}}"#,
        )
        .unwrap();
        let info = &r.replicas_info_table["b"];
        assert_eq!((info.master_epoch, info.sync_state_set_epoch), (2, 4));
        assert_eq!(info.in_sync_replicas[0].broker_id, Some(1));
    }
}

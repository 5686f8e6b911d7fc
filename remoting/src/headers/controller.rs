//! Controller-mode headers (Java 5.3.3 `.../protocol/header/controller/**` and
//! `header/NotifyBrokerRoleChangedRequestHeader`): the requests a broker in controller mode sends
//! to a controller (1001–1013; BROKER_HEARTBEAT 904's header is in [`super::namesrv`]), the one a
//! controller sends back (1008) and mqadmin's controller commands.
//!
//! Java's boxed fields (`Long`, `Integer`) are nullable and omitted when null; a primitive with a
//! default decodes to it when absent. `@CFNotNull` fields are required.

use crate::header;

header! {
    /// CONTROLLER_ALTER_SYNC_STATE_SET (1001); the body is a `SyncStateSet`.
    pub struct AlterSyncStateSetRequestHeader {
        broker_name: Option<String> = "brokerName",
        master_broker_id: Option<i64> = "masterBrokerId",
        master_epoch: Option<i32> = "masterEpoch",
        invoke_time: i64 = "invokeTime" or 0,
    }
}

header! {
    /// CONTROLLER_ALTER_SYNC_STATE_SET response.
    pub struct AlterSyncStateSetResponseHeader {
        new_sync_state_set_epoch: i32 = "newSyncStateSetEpoch" or 0,
    }
}

header! {
    /// CONTROLLER_ELECT_MASTER (1002, `mqadmin electMaster`, and the controller's own
    /// elections).
    pub struct ElectMasterRequestHeader {
        cluster_name: String = "clusterName",
        broker_name: String = "brokerName",
        broker_id: i64 = "brokerId",
        designate_elect: bool = "designateElect",
        invoke_time: Option<i64> = "invokeTime",
    }
}

header! {
    /// CONTROLLER_ELECT_MASTER response; the body is an `ElectMasterResponseBody`.
    pub struct ElectMasterResponseHeader {
        master_broker_id: Option<i64> = "masterBrokerId",
        master_address: Option<String> = "masterAddress",
        master_epoch: Option<i32> = "masterEpoch",
        sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
    }
}

header! {
    /// CONTROLLER_GET_METADATA_INFO (1005) response (the request has no header).
    pub struct GetMetaDataResponseHeader {
        group: Option<String> = "group",
        controller_leader_id: Option<String> = "controllerLeaderId",
        controller_leader_address: Option<String> = "controllerLeaderAddress",
        is_leader: bool = "isLeader" or false,
        peers: Option<String> = "peers",
    }
}

header! {
    /// CONTROLLER_GET_REPLICA_INFO (1004); the response body is a `SyncStateSet`.
    pub struct GetReplicaInfoRequestHeader {
        broker_name: Option<String> = "brokerName",
    }
}

header! {
    /// CONTROLLER_GET_REPLICA_INFO response.
    pub struct GetReplicaInfoResponseHeader {
        master_broker_id: Option<i64> = "masterBrokerId",
        master_address: Option<String> = "masterAddress",
        master_epoch: Option<i32> = "masterEpoch",
    }
}

header! {
    /// CLEAN_BROKER_DATA (1011, `mqadmin cleanBrokerMetadata`).
    pub struct CleanControllerBrokerDataRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: String = "brokerName",
        broker_controller_ids_to_clean: Option<String> = "brokerControllerIdsToClean",
        is_clean_living_broker: bool = "isCleanLivingBroker" or false,
        invoke_time: i64 = "invokeTime" or 0,
    }
}

header! {
    /// CONTROLLER_APPLY_BROKER_ID (1013): a new broker claims the id the controller offered.
    pub struct ApplyBrokerIdRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
        applied_broker_id: Option<i64> = "appliedBrokerId",
        register_check_code: Option<String> = "registerCheckCode",
    }
}

header! {
    /// CONTROLLER_APPLY_BROKER_ID response.
    pub struct ApplyBrokerIdResponseHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
    }
}

header! {
    /// CONTROLLER_GET_NEXT_BROKER_ID (1012).
    pub struct GetNextBrokerIdRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
    }
}

header! {
    /// CONTROLLER_GET_NEXT_BROKER_ID response.
    pub struct GetNextBrokerIdResponseHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
        next_broker_id: Option<i64> = "nextBrokerId",
    }
}

header! {
    /// CONTROLLER_REGISTER_BROKER (1003): a broker with an id registers its address.
    pub struct RegisterBrokerToControllerRequestHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
        broker_id: Option<i64> = "brokerId",
        broker_address: Option<String> = "brokerAddress",
        invoke_time: i64 = "invokeTime" or 0,
    }
}

header! {
    /// CONTROLLER_REGISTER_BROKER response; the body is the `SyncStateSet`'s id set.
    pub struct RegisterBrokerToControllerResponseHeader {
        cluster_name: Option<String> = "clusterName",
        broker_name: Option<String> = "brokerName",
        master_broker_id: Option<i64> = "masterBrokerId",
        master_address: Option<String> = "masterAddress",
        master_epoch: Option<i32> = "masterEpoch",
        sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
    }
}

header! {
    /// NOTIFY_BROKER_ROLE_CHANGED (1008), controller → broker; the body is an
    /// `ElectMasterResponseBody`.
    pub struct NotifyBrokerRoleChangedRequestHeader {
        master_address: Option<String> = "masterAddress",
        master_epoch: Option<i32> = "masterEpoch",
        sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
        master_broker_id: Option<i64> = "masterBrokerId",
    }
}

//! NameServer request/response headers (`.../protocol/header/namesrv/*.java`, 4.9.8 and 5.3.3,
//! plus `GetTopicsByClusterRequestHeader`).

use crate::header;

header! {
    /// GET_ROUTEINFO_BY_TOPIC (105).
    pub struct GetRouteInfoRequestHeader {
        topic: String = "topic",
        /// `true` forces quoted numeric map keys in the route body (protocol.md §3.3).
        accept_standard_json_only: Option<bool> = "acceptStandardJsonOnly",
    }
}

header! {
    /// REGISTER_BROKER (103).
    pub struct RegisterBrokerRequestHeader {
        broker_name: String = "brokerName",
        broker_addr: String = "brokerAddr",
        cluster_name: String = "clusterName",
        ha_server_addr: String = "haServerAddr",
        broker_id: i64 = "brokerId",
        /// 5.x only.
        heartbeat_timeout_millis: Option<i64> = "heartbeatTimeoutMillis",
        /// 5.x only.
        enable_acting_master: Option<bool> = "enableActingMaster",
        /// Java primitive `boolean`: always written, absent reads as false.
        compressed: bool = "compressed" or false,
        /// CRC32 of the body `& 0x7FFFFFFF`; 0 = unchecked (Java initializes it to 0).
        body_crc32: i32 = "bodyCrc32" or 0,
    }
}

header! {
    /// REGISTER_BROKER response: the master's addresses, for a slave registration.
    pub struct RegisterBrokerResponseHeader {
        ha_server_addr: Option<String> = "haServerAddr",
        master_addr: Option<String> = "masterAddr",
    }
}

header! {
    /// UNREGISTER_BROKER (104).
    pub struct UnRegisterBrokerRequestHeader {
        broker_name: String = "brokerName",
        broker_addr: String = "brokerAddr",
        cluster_name: String = "clusterName",
        broker_id: i64 = "brokerId",
    }
}

header! {
    /// BROKER_HEARTBEAT (904, 5.x).
    pub struct BrokerHeartbeatRequestHeader {
        cluster_name: String = "clusterName",
        broker_addr: String = "brokerAddr",
        broker_name: String = "brokerName",
        broker_id: Option<i64> = "brokerId",
        epoch: Option<i32> = "epoch",
        max_offset: Option<i64> = "maxOffset",
        confirm_offset: Option<i64> = "confirmOffset",
        heartbeat_timeout_mills: Option<i64> = "heartbeatTimeoutMills",
        election_priority: Option<i32> = "electionPriority",
    }
}

header! {
    /// QUERY_DATA_VERSION (322).
    pub struct QueryDataVersionRequestHeader {
        broker_name: String = "brokerName",
        broker_addr: String = "brokerAddr",
        cluster_name: String = "clusterName",
        broker_id: i64 = "brokerId",
    }
}

header! {
    /// QUERY_DATA_VERSION response.
    pub struct QueryDataVersionResponseHeader {
        changed: bool = "changed",
    }
}

header! {
    /// PUT_KV_CONFIG (100).
    pub struct PutKVConfigRequestHeader {
        namespace: String = "namespace",
        key: String = "key",
        value: String = "value",
    }
}

header! {
    /// GET_KV_CONFIG (101).
    pub struct GetKVConfigRequestHeader {
        namespace: String = "namespace",
        key: String = "key",
    }
}

header! {
    /// GET_KV_CONFIG response.
    pub struct GetKVConfigResponseHeader {
        value: Option<String> = "value",
    }
}

header! {
    /// DELETE_KV_CONFIG (102).
    pub struct DeleteKVConfigRequestHeader {
        namespace: String = "namespace",
        key: String = "key",
    }
}

header! {
    /// GET_KVLIST_BY_NAMESPACE (219).
    pub struct GetKVListByNamespaceRequestHeader {
        namespace: String = "namespace",
    }
}

header! {
    /// DELETE_TOPIC_IN_NAMESRV (216).
    pub struct DeleteTopicFromNamesrvRequestHeader {
        topic: String = "topic",
        cluster_name: Option<String> = "clusterName",
    }
}

header! {
    /// WIPE_WRITE_PERM_OF_BROKER (205).
    pub struct WipeWritePermOfBrokerRequestHeader {
        broker_name: String = "brokerName",
    }
}

header! {
    /// WIPE_WRITE_PERM_OF_BROKER response.
    pub struct WipeWritePermOfBrokerResponseHeader {
        wipe_topic_count: i32 = "wipeTopicCount",
    }
}

header! {
    /// ADD_WRITE_PERM_OF_BROKER (327).
    pub struct AddWritePermOfBrokerRequestHeader {
        broker_name: String = "brokerName",
    }
}

header! {
    /// ADD_WRITE_PERM_OF_BROKER response.
    pub struct AddWritePermOfBrokerResponseHeader {
        add_topic_count: i32 = "addTopicCount",
    }
}

header! {
    /// GET_TOPICS_BY_CLUSTER (224).
    pub struct GetTopicsByClusterRequestHeader {
        cluster: String = "cluster",
    }
}

header! {
    /// REGISTER_TOPIC_IN_NAMESRV (217, 5.x); body is a `TopicRouteData`.
    pub struct RegisterTopicRequestHeader {
        topic: String = "topic",
    }
}

header! {
    /// `RegisterOrderTopicRequestHeader` (declared by Java, no request code uses it).
    pub struct RegisterOrderTopicRequestHeader {
        topic: String = "topic",
        order_topic_string: String = "orderTopicString",
    }
}

header! {
    /// GET_BROKER_MEMBER_GROUP (901, 5.x; `.../header/GetBrokerMemberGroupRequestHeader.java`).
    pub struct GetBrokerMemberGroupRequestHeader {
        cluster_name: String = "clusterName",
        broker_name: String = "brokerName",
    }
}

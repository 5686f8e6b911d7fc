//! Broker headers of admin requests (mqadmin) and broker → client calls
//! (`.../protocol/header/*.java`, 4.9.8 and 5.3.3).

use crate::header;

header! {
    /// LOCK_BATCH_MQ (41); 5.x declares it without own fields, the body carries the request.
    pub struct LockBatchMqRequestHeader {}
}

header! {
    /// UNLOCK_BATCH_MQ (42); 5.x declares it without own fields.
    pub struct UnlockBatchMqRequestHeader {}
}

header! {
    /// HEART_BEAT (34); 5.x declares it without own fields, the body carries `HeartbeatData`.
    pub struct HeartbeatRequestHeader {}
}

header! {
    /// UPDATE_AND_CREATE_TOPIC (17).
    pub struct CreateTopicRequestHeader {
        topic: String = "topic",
        default_topic: String = "defaultTopic",
        read_queue_nums: i32 = "readQueueNums",
        write_queue_nums: i32 = "writeQueueNums",
        perm: i32 = "perm",
        /// `SINGLE_TAG` or `MULTI_TAG`.
        topic_filter_type: String = "topicFilterType",
        topic_sys_flag: Option<i32> = "topicSysFlag",
        /// `@CFNotNull` in Java but initialized to false, so it is never missing there.
        order: bool = "order" or false,
        /// 5.x only: `+key=value,+k2=v2,-k3`.
        attributes: Option<String> = "attributes",
        /// 5.x only.
        force: Option<bool> = "force",
    }
}

header! {
    /// DELETE_TOPIC_IN_BROKER (215).
    pub struct DeleteTopicRequestHeader {
        topic: String = "topic",
    }
}

header! {
    /// DELETE_SUBSCRIPTIONGROUP (207): 5.x `cleanOffset`, 4.9.8 `removeOffset`.
    pub struct DeleteSubscriptionGroupRequestHeader {
        group_name: String = "groupName",
        clean_offset: bool = "cleanOffset" | "removeOffset" or false,
    }
}

header! {
    /// GET_TOPIC_STATS_INFO (202).
    pub struct GetTopicStatsInfoRequestHeader {
        topic: String = "topic",
    }
}

header! {
    /// GET_CONSUME_STATS (208).
    pub struct GetConsumeStatsRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: Option<String> = "topic",
        /// 5.x only: `;`-separated topics.
        topic_list: Option<String> = "topicList",
    }
}

header! {
    /// GET_CONSUMER_CONNECTION_LIST (203).
    pub struct GetConsumerConnectionListRequestHeader {
        consumer_group: String = "consumerGroup",
    }
}

header! {
    /// GET_PRODUCER_CONNECTION_LIST (204).
    pub struct GetProducerConnectionListRequestHeader {
        producer_group: String = "producerGroup",
    }
}

header! {
    /// NOTIFY_CONSUMER_IDS_CHANGED (40, broker → consumer, oneway).
    pub struct NotifyConsumerIdsChangedRequestHeader {
        consumer_group: String = "consumerGroup",
    }
}

header! {
    /// GET_CONSUMER_RUNNING_INFO (307), admin → broker → consumer.
    pub struct GetConsumerRunningInfoRequestHeader {
        consumer_group: String = "consumerGroup",
        client_id: String = "clientId",
        jstack_enable: bool = "jstackEnable" or false,
    }
}

header! {
    /// INVOKE_BROKER_TO_RESET_OFFSET (222) and RESET_CONSUMER_CLIENT_OFFSET (220). The wire key
    /// is the field name `isForce`.
    pub struct ResetOffsetRequestHeader {
        topic: String = "topic",
        group: String = "group",
        /// 5.x only; -1 = every queue.
        queue_id: i32 = "queueId" or -1,
        /// 5.x only.
        offset: Option<i64> = "offset",
        timestamp: i64 = "timestamp",
        is_force: bool = "isForce",
    }
}

header! {
    /// GET_BROKER_CONFIG (26) response: `version` holds the DataVersion as JSON text.
    pub struct GetBrokerConfigResponseHeader {
        version: String = "version",
    }
}

header! {
    /// QUERY_TOPIC_CONSUME_BY_WHO (300).
    pub struct QueryTopicConsumeByWhoRequestHeader {
        topic: String = "topic",
    }
}

header! {
    /// GET_CONSUMER_STATUS_FROM_CLIENT (221) / INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223).
    pub struct GetConsumerStatusRequestHeader {
        topic: String = "topic",
        group: String = "group",
        client_addr: Option<String> = "clientAddr",
    }
}

header! {
    /// QUERY_CONSUME_TIME_SPAN (303).
    pub struct QueryConsumeTimeSpanRequestHeader {
        topic: String = "topic",
        group: String = "group",
    }
}

header! {
    /// QUERY_CORRECTION_OFFSET (308).
    pub struct QueryCorrectionOffsetHeader {
        filter_groups: Option<String> = "filterGroups",
        compare_group: String = "compareGroup",
        topic: String = "topic",
    }
}

header! {
    /// CONSUME_MESSAGE_DIRECTLY (309), admin → broker → consumer.
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        consumer_group: String = "consumerGroup",
        client_id: Option<String> = "clientId",
        msg_id: Option<String> = "msgId",
        broker_name: Option<String> = "brokerName",
        /// 5.x only.
        topic: Option<String> = "topic",
        /// 5.x only.
        topic_sys_flag: Option<i32> = "topicSysFlag",
        /// 5.x only.
        group_sys_flag: Option<i32> = "groupSysFlag",
    }
}

header! {
    /// CLONE_GROUP_OFFSET (314).
    pub struct CloneGroupOffsetRequestHeader {
        src_group: String = "srcGroup",
        dest_group: String = "destGroup",
        topic: Option<String> = "topic",
        offline: bool = "offline" or false,
    }
}

header! {
    /// VIEW_BROKER_STATS_DATA (315).
    pub struct ViewBrokerStatsDataRequestHeader {
        stats_name: String = "statsName",
        stats_key: String = "statsKey",
    }
}

header! {
    /// GET_BROKER_CONSUME_STATS (317). The wire key is the field name `isOrder`.
    pub struct GetConsumeStatsInBrokerHeader {
        is_order: bool = "isOrder",
    }
}

header! {
    /// QUERY_CONSUME_QUEUE (321). Java primitives: absent numbers read as 0.
    pub struct QueryConsumeQueueRequestHeader {
        topic: Option<String> = "topic",
        queue_id: i32 = "queueId" or 0,
        index: i64 = "index" or 0,
        count: i32 = "count" or 0,
        consumer_group: Option<String> = "consumerGroup",
    }
}

header! {
    /// GET_TOPIC_CONFIG (351, 5.x).
    pub struct GetTopicConfigRequestHeader {
        topic: String = "topic",
        /// `TopicRequestHeader.lo`: the topic is a logical (static) topic.
        lo: Option<bool> = "lo",
    }
}

header! {
    /// GET_SUBSCRIPTIONGROUP_CONFIG (352, 5.x).
    pub struct GetSubscriptionGroupConfigRequestHeader {
        group: String = "group",
    }
}

header! {
    /// QUERY_TOPICS_BY_CONSUMER (343, 5.x).
    pub struct QueryTopicsByConsumerRequestHeader {
        group: String = "group",
    }
}

header! {
    /// QUERY_SUBSCRIPTION_BY_CONSUMER (345, 5.x).
    pub struct QuerySubscriptionByConsumerRequestHeader {
        group: String = "group",
        topic: Option<String> = "topic",
    }
}

header! {
    /// UPDATE_AND_GET_GROUP_FORBIDDEN (353, 5.x).
    pub struct UpdateGroupForbiddenRequestHeader {
        group: String = "group",
        topic: String = "topic",
        /// Absent = query only.
        readable: Option<bool> = "readable",
    }
}

header! {
    /// RESUME_CHECK_HALF_MESSAGE (323); 5.x adds `topic`.
    pub struct ResumeCheckHalfMessageRequestHeader {
        topic: Option<String> = "topic",
        msg_id: Option<String> = "msgId",
    }
}

header! {
    /// PUSH_REPLY_MESSAGE_TO_CLIENT (326, broker → requesting producer): the reply message's
    /// send fields plus where and when it was stored.
    pub struct ReplyMessageRequestHeader {
        producer_group: String = "producerGroup",
        topic: String = "topic",
        default_topic: String = "defaultTopic",
        default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        queue_id: i32 = "queueId",
        sys_flag: i32 = "sysFlag",
        born_timestamp: i64 = "bornTimestamp",
        flag: i32 = "flag",
        properties: Option<String> = "properties",
        reconsume_times: Option<i32> = "reconsumeTimes",
        unit_mode: bool = "unitMode" or false,
        born_host: String = "bornHost",
        store_host: String = "storeHost",
        /// Java primitive `long`.
        store_timestamp: i64 = "storeTimestamp",
    }
}

header! {
    /// UPDATE_AND_CREATE_ACL_CONFIG (50), 4.9.x `CreateAccessConfigRequestHeader`; the perm
    /// lists travel comma-joined. 4.9.x decoding logs a missing `@CFNotNull` field and goes on
    /// with null, so every field of the three ACL request headers is optional here.
    pub struct CreateAccessConfigRequestHeader {
        access_key: Option<String> = "accessKey",
        secret_key: Option<String> = "secretKey",
        white_remote_address: Option<String> = "whiteRemoteAddress",
        admin: bool = "admin" or false,
        default_topic_perm: Option<String> = "defaultTopicPerm",
        default_group_perm: Option<String> = "defaultGroupPerm",
        topic_perms: Option<String> = "topicPerms",
        group_perms: Option<String> = "groupPerms",
    }
}

header! {
    /// DELETE_ACL_CONFIG (51), 4.9.x.
    pub struct DeleteAccessConfigRequestHeader {
        access_key: Option<String> = "accessKey",
    }
}

header! {
    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53), 4.9.x; `DefaultMQAdminExt` sends no
    /// `aclFileFullPath` (the default file).
    pub struct UpdateGlobalWhiteAddrsConfigRequestHeader {
        global_white_addrs: Option<String> = "globalWhiteAddrs",
        acl_file_full_path: Option<String> = "aclFileFullPath",
    }
}

header! {
    /// The answer to GET_BROKER_CLUSTER_ACL_INFO (52), 4.9.x.
    pub struct GetBrokerAclConfigResponseHeader {
        version: String = "version",
        all_acl_file_version: Option<String> = "allAclFileVersion",
        broker_name: String = "brokerName",
        broker_addr: String = "brokerAddr",
        cluster_name: String = "clusterName",
    }
}

//! Broker headers used by clients and mqadmin (`.../protocol/header/*.java`, 4.9.8 and 5.3.3).
//! Java field names are the wire keys; `@CFNotNull` fields are required. The 5.x routing fields
//! inherited from `RpcRequestHeader` (`bname`, `ns`, `nsd`, `oway`, `lo`) are ignored unless a
//! header needs them.

use crate::code::request;
use crate::command::Command;
use crate::error::HeaderError;
use crate::header;
use crate::header::CustomHeader;

header! {
    /// SEND_MESSAGE (10) long-name header (Go always, Java with `sendSmartMsg=false`). Decoding
    /// also accepts the one-letter keys of [`SendMessageRequestHeaderV2`].
    pub struct SendMessageRequestHeader {
        producer_group: String = "producerGroup" | "a",
        topic: String = "topic" | "b",
        default_topic: String = "defaultTopic" | "c",
        default_topic_queue_nums: i32 = "defaultTopicQueueNums" | "d",
        queue_id: i32 = "queueId" | "e",
        sys_flag: i32 = "sysFlag" | "f",
        born_timestamp: i64 = "bornTimestamp" | "g",
        flag: i32 = "flag" | "h",
        properties: Option<String> = "properties" | "i",
        reconsume_times: Option<i32> = "reconsumeTimes" | "j",
        unit_mode: Option<bool> = "unitMode" | "k",
        max_reconsume_times: Option<i32> = "maxReconsumeTimes" | "l",
        batch: Option<bool> = "batch" | "m",
        /// `RpcRequestHeader.bname` (V2 `n`): the broker name the client targeted.
        bname: Option<String> = "bname" | "n",
    }
}

header! {
    @letters
    /// SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320) / SEND_REPLY_MESSAGE_V2 (325): Java's
    /// one-letter `FastCodesHeader` form of [`SendMessageRequestHeader`].
    pub struct SendMessageRequestHeaderV2 {
        a: String = "a",
        b: String = "b",
        c: String = "c",
        d: i32 = "d",
        e: i32 = "e",
        f: i32 = "f",
        g: i64 = "g",
        h: i32 = "h",
        i: Option<String> = "i",
        j: Option<i32> = "j",
        k: Option<bool> = "k",
        l: Option<i32> = "l",
        m: Option<bool> = "m",
        n: Option<String> = "n",
    }
}

impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v2: SendMessageRequestHeaderV2) -> Self {
        SendMessageRequestHeader {
            producer_group: v2.a,
            topic: v2.b,
            default_topic: v2.c,
            default_topic_queue_nums: v2.d,
            queue_id: v2.e,
            sys_flag: v2.f,
            born_timestamp: v2.g,
            flag: v2.h,
            properties: v2.i,
            reconsume_times: v2.j,
            unit_mode: v2.k,
            max_reconsume_times: v2.l,
            batch: v2.m,
            bname: v2.n,
        }
    }
}

impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    fn from(v1: SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            a: v1.producer_group,
            b: v1.topic,
            c: v1.default_topic,
            d: v1.default_topic_queue_nums,
            e: v1.queue_id,
            f: v1.sys_flag,
            g: v1.born_timestamp,
            h: v1.flag,
            i: v1.properties,
            j: v1.reconsume_times,
            k: v1.unit_mode,
            l: v1.max_reconsume_times,
            m: v1.batch,
            n: v1.bname,
        }
    }
}

impl SendMessageRequestHeader {
    /// Decodes the send header of `cmd` in the form its code implies (Java
    /// `AbstractSendMessageProcessor.parseRequestHeader`: 310, 320 and 325 carry V2).
    pub fn decode_for(cmd: &Command) -> Result<Self, HeaderError> {
        match cmd.code {
            request::SEND_MESSAGE_V2
            | request::SEND_BATCH_MESSAGE
            | request::SEND_REPLY_MESSAGE_V2 => {
                SendMessageRequestHeaderV2::from_ext(&cmd.ext_fields).map(Into::into)
            }
            _ => SendMessageRequestHeader::from_ext(&cmd.ext_fields),
        }
    }

    /// Whether the body is a batch: the `batch` flag alone (Java
    /// `SendMessageRequestHeader.isBatch`). Clients set it with code 320; a 320 request without it
    /// is stored as one message whose body is the whole batch, as Java does.
    pub fn is_batch(&self) -> bool {
        self.batch == Some(true)
    }
}

header! {
    /// SEND_MESSAGE(_V2) response. The broker also adds `MSG_REGION` and `TRACE_ON` ext fields.
    pub struct SendMessageResponseHeader {
        msg_id: String = "msgId",
        queue_id: i32 = "queueId",
        queue_offset: i64 = "queueOffset",
        transaction_id: Option<String> = "transactionId",
        /// 5.x only.
        batch_uniq_id: Option<String> = "batchUniqId",
        /// 5.3.2+.
        recall_handle: Option<String> = "recallHandle",
    }
}

header! {
    /// PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361).
    pub struct PullMessageRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        queue_offset: i64 = "queueOffset",
        max_msg_nums: i32 = "maxMsgNums",
        sys_flag: i32 = "sysFlag",
        commit_offset: i64 = "commitOffset",
        suspend_timeout_millis: i64 = "suspendTimeoutMillis",
        subscription: Option<String> = "subscription",
        sub_version: i64 = "subVersion",
        expression_type: Option<String> = "expressionType",
        /// 5.x only.
        max_msg_bytes: Option<i32> = "maxMsgBytes",
        /// 5.x only (proxy).
        request_source: Option<i32> = "requestSource",
        /// 5.x only (proxy; Java's spelling).
        proxy_froward_client_id: Option<String> = "proxyFrowardClientId",
    }
}

header! {
    /// PULL_MESSAGE response; present on codes 0, 19, 20 and 21.
    pub struct PullMessageResponseHeader {
        suggest_which_broker_id: i64 = "suggestWhichBrokerId",
        next_begin_offset: i64 = "nextBeginOffset",
        min_offset: i64 = "minOffset",
        max_offset: i64 = "maxOffset",
        /// 5.x only.
        offset_delta: Option<i64> = "offsetDelta",
        /// 5.x only.
        topic_sys_flag: Option<i32> = "topicSysFlag",
        /// 5.x only.
        group_sys_flag: Option<i32> = "groupSysFlag",
        /// 5.x only.
        forbidden_type: Option<i32> = "forbiddenType",
    }
}

header! {
    /// QUERY_CONSUMER_OFFSET (14).
    pub struct QueryConsumerOffsetRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        /// 5.x only.
        set_zero_if_not_found: Option<bool> = "setZeroIfNotFound",
    }
}

header! {
    /// QUERY_CONSUMER_OFFSET response.
    pub struct QueryConsumerOffsetResponseHeader {
        offset: i64 = "offset",
    }
}

header! {
    /// UPDATE_CONSUMER_OFFSET (15).
    pub struct UpdateConsumerOffsetRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        commit_offset: i64 = "commitOffset",
    }
}

header! {
    /// GET_MAX_OFFSET (30).
    pub struct GetMaxOffsetRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
        /// 5.x only; Java primitive defaulting to true.
        committed: bool = "committed" or true,
    }
}

header! {
    /// GET_MAX_OFFSET response.
    pub struct GetMaxOffsetResponseHeader {
        offset: i64 = "offset",
    }
}

header! {
    /// GET_MIN_OFFSET (31).
    pub struct GetMinOffsetRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
    }
}

header! {
    /// GET_MIN_OFFSET response.
    pub struct GetMinOffsetResponseHeader {
        offset: i64 = "offset",
    }
}

header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29).
    pub struct SearchOffsetRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
        timestamp: i64 = "timestamp",
        /// 5.x `BoundaryType` name: `LOWER` (default) or `UPPER`, case-insensitive.
        boundary_type: Option<String> = "boundaryType",
    }
}

header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP response.
    pub struct SearchOffsetResponseHeader {
        offset: i64 = "offset",
    }
}

header! {
    /// GET_EARLIEST_MSG_STORETIME (32).
    pub struct GetEarliestMsgStoretimeRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
    }
}

header! {
    /// GET_EARLIEST_MSG_STORETIME response.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        timestamp: i64 = "timestamp",
    }
}

header! {
    /// GET_CONSUMER_LIST_BY_GROUP (38).
    pub struct GetConsumerListByGroupRequestHeader {
        consumer_group: String = "consumerGroup",
    }
}

header! {
    /// UNREGISTER_CLIENT (35). Note the capital `ID` in the wire key.
    pub struct UnregisterClientRequestHeader {
        client_id: String = "clientID",
        producer_group: Option<String> = "producerGroup",
        consumer_group: Option<String> = "consumerGroup",
    }
}

header! {
    /// CONSUMER_SEND_MSG_BACK (36).
    pub struct ConsumerSendMsgBackRequestHeader {
        /// Commit-log physical offset of the consumed message.
        offset: i64 = "offset",
        group: String = "group",
        delay_level: i32 = "delayLevel",
        origin_msg_id: Option<String> = "originMsgId",
        origin_topic: Option<String> = "originTopic",
        unit_mode: bool = "unitMode" or false,
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
    }
}

header! {
    /// END_TRANSACTION (37, oneway).
    pub struct EndTransactionRequestHeader {
        /// 5.x only.
        topic: Option<String> = "topic",
        producer_group: String = "producerGroup",
        tran_state_table_offset: i64 = "tranStateTableOffset",
        commit_log_offset: i64 = "commitLogOffset",
        /// 0 unknown, 8 commit, 12 rollback.
        commit_or_rollback: i32 = "commitOrRollback",
        from_transaction_check: bool = "fromTransactionCheck" or false,
        msg_id: String = "msgId",
        transaction_id: Option<String> = "transactionId",
    }
}

header! {
    /// CHECK_TRANSACTION_STATE (39, broker → producer, oneway).
    pub struct CheckTransactionStateRequestHeader {
        /// 5.x only.
        topic: Option<String> = "topic",
        tran_state_table_offset: i64 = "tranStateTableOffset",
        commit_log_offset: i64 = "commitLogOffset",
        msg_id: Option<String> = "msgId",
        transaction_id: Option<String> = "transactionId",
        offset_msg_id: Option<String> = "offsetMsgId",
        /// 5.x `RpcRequestHeader.bname`.
        bname: Option<String> = "bname",
    }
}

header! {
    /// QUERY_MESSAGE (12). The ext key `_UNIQUE_KEY_QUERY` is read separately.
    pub struct QueryMessageRequestHeader {
        topic: String = "topic",
        key: String = "key",
        max_num: i32 = "maxNum",
        begin_timestamp: i64 = "beginTimestamp",
        end_timestamp: i64 = "endTimestamp",
    }
}

header! {
    /// QUERY_MESSAGE response.
    pub struct QueryMessageResponseHeader {
        index_last_update_timestamp: i64 = "indexLastUpdateTimestamp",
        index_last_update_phyoffset: i64 = "indexLastUpdatePhyoffset",
    }
}

header! {
    /// VIEW_MESSAGE_BY_ID (33).
    pub struct ViewMessageRequestHeader {
        /// 5.x only.
        topic: Option<String> = "topic",
        offset: i64 = "offset",
    }
}

header! {
    /// RECALL_MESSAGE (370), 5.3.2+. Clients also send `brokerName` (the handle's), for a
    /// proxy's routing.
    pub struct RecallMessageRequestHeader {
        producer_group: Option<String> = "producerGroup",
        topic: String = "topic",
        recall_handle: String = "recallHandle",
    }
}

header! {
    /// RECALL_MESSAGE response: the recalled message's id (its `UNIQ_KEY`).
    pub struct RecallMessageResponseHeader {
        msg_id: String = "msgId",
    }
}

//! The 5.x POP consumption headers (Java `PopMessageRequestHeader` and its siblings in
//! `remoting/protocol/header`).

use crate::header;

header! {
    /// POP_MESSAGE (200050).
    pub struct PopMessageRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        max_msg_nums: i32 = "maxMsgNums",
        invisible_time: i64 = "invisibleTime",
        poll_time: i64 = "pollTime",
        born_time: i64 = "bornTime",
        init_mode: i32 = "initMode",
        exp_type: Option<String> = "expType",
        exp: Option<String> = "exp",
        order: bool = "order" or false,
        attempt_id: Option<String> = "attemptId",
    }
}

header! {
    /// POP_MESSAGE response.
    pub struct PopMessageResponseHeader {
        pop_time: i64 = "popTime",
        invisible_time: i64 = "invisibleTime",
        revive_qid: i32 = "reviveQid",
        rest_num: i64 = "restNum",
        start_offset_info: Option<String> = "startOffsetInfo",
        msg_offset_info: Option<String> = "msgOffsetInfo",
        order_count_info: Option<String> = "orderCountInfo",
    }
}

header! {
    /// ACK_MESSAGE (200051).
    pub struct AckMessageRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        extra_info: String = "extraInfo",
        offset: i64 = "offset",
    }
}

header! {
    /// CHANGE_MESSAGE_INVISIBLETIME (200053).
    pub struct ChangeInvisibleTimeRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        extra_info: String = "extraInfo",
        offset: i64 = "offset",
        invisible_time: i64 = "invisibleTime",
    }
}

header! {
    /// CHANGE_MESSAGE_INVISIBLETIME response.
    pub struct ChangeInvisibleTimeResponseHeader {
        pop_time: i64 = "popTime",
        invisible_time: i64 = "invisibleTime",
        revive_qid: i32 = "reviveQid",
    }
}

header! {
    /// PEEK_MESSAGE (200052).
    pub struct PeekMessageRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
        max_msg_nums: i32 = "maxMsgNums",
        consumer_group: String = "consumerGroup",
    }
}

header! {
    /// NOTIFICATION (200054).
    pub struct NotificationRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        poll_time: i64 = "pollTime",
        born_time: i64 = "bornTime",
        order: bool = "order" or false,
        attempt_id: Option<String> = "attemptId",
    }
}

header! {
    /// NOTIFICATION response.
    pub struct NotificationResponseHeader {
        has_msg: bool = "hasMsg",
        polling_full: bool = "pollingFull" or false,
    }
}

header! {
    /// POLLING_INFO (200055).
    pub struct PollingInfoRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
    }
}

header! {
    /// POLLING_INFO response.
    pub struct PollingInfoResponseHeader {
        polling_num: i32 = "pollingNum",
    }
}

//! Offset requests (Java `ConsumerManageProcessor`, `AdminBrokerProcessor`):
//! QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), GET_MAX_OFFSET (30),
//! GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32).

use std::sync::Arc;

use remoting::code::response as rc;
use remoting::headers::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use remoting::Command;
use store::Boundary;

use crate::broker::Broker;
use crate::error::{Reject, Reply};

/// QUERY_CONSUMER_OFFSET. No committed offset: 5.3.3 answers 0 only when the queue's first
/// message (min offset 0) is still hot, else 22 with Java's remark; `setZeroIfNotFound=false`
/// forces 22. Clients treat 22 as "no offset" and apply their consume-from-where.
pub fn query_consumer_offset(b: &Arc<Broker>, req: Command) -> Reply {
    let h: QueryConsumerOffsetRequestHeader = req.decode_header()?;
    if let Some(offset) = b.offsets.query(&h.consumer_group, &h.topic, h.queue_id) {
        return Ok(offset_reply(offset));
    }
    if h.set_zero_if_not_found == Some(false) {
        return Err(Reject::code(
            rc::QUERY_NOT_FOUND,
            "Not found, do not set to zero, maybe this group boot first",
        ));
    }
    let min = b.store.min_offset(&h.topic, h.queue_id);
    if min <= 0 && first_message_hot(b, &h.topic, h.queue_id) {
        return Ok(offset_reply(0));
    }
    Err(Reject::code(
        rc::QUERY_NOT_FOUND,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    ))
}

fn offset_reply(offset: i64) -> Command {
    Command::response(rc::SUCCESS, None).with_header(&QueryConsumerOffsetResponseHeader { offset })
}

/// Java 5.3.3 `checkInMemByConsumeOffset(topic, queue, 0, 1)`: unit 0 exists and its record is
/// resident in the page cache (`DefaultMappedFile.isLoaded`). `accessMessageInMemoryMaxRatio`
/// plays no part here in 5.3.3 (4.9.8 used it).
fn first_message_hot(b: &Broker, topic: &str, queue_id: i32) -> bool {
    b.store.in_memory(topic, queue_id, 0)
}

/// UPDATE_CONSUMER_OFFSET: the group and topic must exist; the value is stored as given.
pub fn update_consumer_offset(b: &Arc<Broker>, req: Command) -> Reply {
    let h: UpdateConsumerOffsetRequestHeader = req.decode_header()?;
    if b.groups.get(&h.consumer_group).is_none() {
        return Err(Reject::code(
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("Group {} not exist!", h.consumer_group),
        ));
    }
    if !b.topics.contains(&h.topic) {
        return Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("Topic {} not exist!", h.topic),
        ));
    }
    if b.config().use_server_side_reset_offset
        && b.offsets.has_reset(&h.consumer_group, &h.topic, h.queue_id)
    {
        return Ok(Command::response(
            rc::SUCCESS,
            Some("Offset has been previously reset".to_string()),
        ));
    }
    b.offsets
        .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    Ok(Command::response(rc::SUCCESS, None))
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ResetOffsetBody {
    offset_table: std::collections::BTreeMap<String, i64>,
}

/// INVOKE_BROKER_TO_RESET_OFFSET, Java 5.3.3's server-side reset (`useServerSideResetOffset`,
/// default true): per queue, the offset of `timestamp` (max offset when < 0) or the given
/// `offset`, committed and handed to the consumers through their next pull.
pub fn reset_offset(b: &Arc<Broker>, req: Command) -> Reply {
    let h: remoting::headers::ResetOffsetRequestHeader = req.decode_header()?;
    let cfg = b.config();
    if !cfg.is_master() {
        return Err(Reject::system("Can not reset offset in slave broker"));
    }
    let Some(tc) = b.topics.get(&h.topic) else {
        return Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("Topic {} does not exist", h.topic),
        ));
    };
    if b.groups.get(&h.group).is_none() {
        return Err(Reject::code(
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("Group {} does not exist", h.group),
        ));
    }
    let by_time = |q: i32| {
        if h.timestamp < 0 {
            b.store.max_offset(&h.topic, q)
        } else {
            b.store
                .offset_by_time(&h.topic, q, h.timestamp, Boundary::Lower)
        }
    };
    let mut targets = Vec::new();
    if h.queue_id >= 0 {
        let offset = match h.offset.filter(|o| *o != -1) {
            Some(o) => {
                let (min, max) = (
                    b.store.min_offset(&h.topic, h.queue_id),
                    b.store.max_offset(&h.topic, h.queue_id),
                );
                if (min >= 0 && o < min) || o > max + 1 {
                    return Err(Reject::system(format!(
                        "Target offset {o} not in consume queue range [{min}-{max}]"
                    )));
                }
                o
            }
            None => by_time(h.queue_id),
        };
        targets.push((h.queue_id, offset));
    } else {
        targets.extend((0..tc.read_queue_nums.max(0)).map(|q| (q, by_time(q))));
    }
    if targets.is_empty() {
        return Err(Reject::system("No queues to reset."));
    }
    let mut offset_table = std::collections::BTreeMap::new();
    for (q, o) in targets {
        b.offsets.assign_reset(&h.group, &h.topic, q, o);
        let mq = crate::locks::MessageQueue {
            broker_name: cfg.broker_name.clone(),
            queue_id: q,
            topic: h.topic.clone(),
        };
        offset_table.insert(remoting::body::object_key(&mq), o);
    }
    let body = remoting::body::to_body_fastjson(&ResetOffsetBody { offset_table })?;
    Ok(Command::response(rc::SUCCESS, None).with_body(body))
}

/// GET_MAX_OFFSET: the offset the next message will get (0 for an unknown queue).
pub fn max_offset(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetMaxOffsetRequestHeader = req.decode_header()?;
    let offset = b.store.max_offset(&h.topic, h.queue_id);
    Ok(Command::response(rc::SUCCESS, None).with_header(&GetMaxOffsetResponseHeader { offset }))
}

/// GET_MIN_OFFSET.
pub fn min_offset(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetMinOffsetRequestHeader = req.decode_header()?;
    let offset = b.store.min_offset(&h.topic, h.queue_id);
    Ok(Command::response(rc::SUCCESS, None).with_header(&GetMinOffsetResponseHeader { offset }))
}

/// SEARCH_OFFSET_BY_TIMESTAMP (5.x `boundaryType`, LOWER by default).
pub fn search_by_timestamp(b: &Arc<Broker>, req: Command) -> Reply {
    let h: SearchOffsetRequestHeader = req.decode_header()?;
    let boundary = match h.boundary_type.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("UPPER") => Boundary::Upper,
        _ => Boundary::Lower,
    };
    let offset = b
        .store
        .offset_by_time(&h.topic, h.queue_id, h.timestamp, boundary);
    Ok(Command::response(rc::SUCCESS, None).with_header(&SearchOffsetResponseHeader { offset }))
}

/// GET_EARLIEST_MSG_STORETIME: -1 when the queue is empty.
pub fn earliest_store_time(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetEarliestMsgStoretimeRequestHeader = req.decode_header()?;
    let timestamp = b.store.earliest_message_time(&h.topic, h.queue_id);
    Ok(Command::response(rc::SUCCESS, None)
        .with_header(&GetEarliestMsgStoretimeResponseHeader { timestamp }))
}

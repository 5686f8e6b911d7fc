//! Smaller admin queries (Java `AdminBrokerProcessor`): GET_SUBSCRIPTIONGROUP_CONFIG (352),
//! QUERY_TOPICS_BY_CONSUMER (343), QUERY_SUBSCRIPTION_BY_CONSUMER (345),
//! GET_ALL_CONSUMER_OFFSET (43), GET_ALL_DELAY_OFFSET (45), GET_SYSTEM_TOPIC_LIST_FROM_BROKER
//! (305), QUERY_CONSUME_TIME_SPAN (303), CONSUME_MESSAGE_DIRECTLY (309, forwarded to the client).

use std::collections::BTreeSet;
use std::sync::Arc;

use remoting::code::{request as rq, response as rc};
use remoting::{body, Command};
use serde::Serialize;

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::locks::MessageQueue;
use crate::subscription::SubscriptionData;
use crate::topics;

remoting::header! {
    /// GET_SUBSCRIPTIONGROUP_CONFIG, QUERY_TOPICS_BY_CONSUMER, QUERY_SUBSCRIPTION_BY_CONSUMER.
    pub struct GroupRequestHeader {
        group: String = "group",
        topic: Option<String> = "topic",
    }
}

remoting::header! {
    /// QUERY_CONSUME_TIME_SPAN (303).
    pub struct QueryConsumeTimeSpanRequestHeader {
        topic: String = "topic",
        group: String = "group",
    }
}

remoting::header! {
    /// CONSUME_MESSAGE_DIRECTLY (309), admin → broker → consumer.
    pub struct ConsumeMessageDirectlyHeader {
        consumer_group: String = "consumerGroup",
        client_id: String = "clientId",
        msg_id: String = "msgId",
        topic: Option<String> = "topic",
    }
}

pub fn group_config(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GroupRequestHeader = req.decode_header()?;
    match b.groups.find_or_create(&h.group, &b.config()) {
        Some(g) => Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&g)?)),
        None => Err(Reject::code(
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            "No group in this broker",
        )),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TopicList {
    broker_addr: String,
    topic_list: BTreeSet<String>,
}

pub fn topics_by_consumer(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GroupRequestHeader = req.decode_header()?;
    let list = TopicList {
        broker_addr: b.config().broker_addr(),
        topic_list: b.offsets.topics_of_group(&h.group).into_iter().collect(),
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&list)?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QuerySubscriptionResponseBody {
    group: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_data: Option<SubscriptionData>,
    topic: String,
}

pub fn subscription_by_consumer(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GroupRequestHeader = req.decode_header()?;
    let topic = h.topic.unwrap_or_default();
    let resp = QuerySubscriptionResponseBody {
        subscription_data: b.clients.subscription(&h.group, &topic),
        group: h.group,
        topic,
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&resp)?))
}

/// The consumerOffset.json text, as Java's `ConsumerOffsetManager.encode()` gives it.
pub fn all_consumer_offsets(b: &Arc<Broker>) -> Reply {
    Ok(Command::response(rc::SUCCESS, None).with_body(b.offsets.encode().into_bytes()))
}

pub fn all_delay_offsets(b: &Arc<Broker>) -> Reply {
    Ok(Command::response(rc::SUCCESS, None).with_body(b.delay_offsets.encode().into_bytes()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SystemTopicList {
    topic_list: BTreeSet<String>,
}

pub fn system_topics(b: &Arc<Broker>) -> Reply {
    let cfg = b.config();
    let list = SystemTopicList {
        topic_list: b
            .topics
            .names()
            .into_iter()
            .filter(|t| topics::is_system_topic(t, &cfg))
            .collect(),
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&list)?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueueTimeSpan {
    consume_time_stamp: i64,
    delay_time: i64,
    max_time_stamp: i64,
    message_queue: MessageQueue,
    min_time_stamp: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryConsumeTimeSpanBody {
    consume_time_span_set: Vec<QueueTimeSpan>,
}

/// QUERY_CONSUME_TIME_SPAN: per write queue, store times of the oldest, newest and last
/// consumed messages.
pub fn consume_time_span(b: &Arc<Broker>, req: Command) -> Reply {
    let h: QueryConsumeTimeSpanRequestHeader = req.decode_header()?;
    let Some(tc) = b.topics.get(&h.topic) else {
        return Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let broker_name = b.config().broker_name.clone();
    let spans = (0..tc.write_queue_nums.max(0))
        .map(|q| {
            let max = b.store.max_offset(&h.topic, q);
            let max_time = if max > 0 {
                b.store.message_store_time(&h.topic, q, max - 1)
            } else {
                0
            };
            let consumed = b.offsets.query(&h.group, &h.topic, q).unwrap_or(0);
            let consume_time = if consumed > 0 {
                b.store.message_store_time(&h.topic, q, consumed - 1)
            } else {
                b.store.earliest_message_time(&h.topic, q)
            };
            QueueTimeSpan {
                consume_time_stamp: consume_time,
                delay_time: (max_time - consume_time).max(0),
                max_time_stamp: max_time,
                message_queue: MessageQueue {
                    broker_name: broker_name.clone(),
                    queue_id: q,
                    topic: h.topic.clone(),
                },
                min_time_stamp: b.store.earliest_message_time(&h.topic, q),
            }
        })
        .collect();
    let resp = QueryConsumeTimeSpanBody {
        consume_time_span_set: spans,
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&resp)?))
}

/// CONSUME_MESSAGE_DIRECTLY: the message (by its offset msgId) goes to the named client, whose
/// answer comes back unchanged (Java `AdminBrokerProcessor#consumeMessageDirectly`).
pub async fn consume_message_directly(b: &Arc<Broker>, req: Command) -> Reply {
    let h: ConsumeMessageDirectlyHeader = req.decode_header()?;
    let chan = crate::consumer_admin::online_consumer(b, &h.consumer_group, &h.client_id)?;
    let offset = store::message::decode_offset_msg_id(&h.msg_id).map(|(_, o)| o);
    let record = offset.and_then(|o| b.store.read_record(o));
    let mut fwd = Command::request(rq::CONSUME_MESSAGE_DIRECTLY);
    fwd.ext_fields = req.ext_fields.clone();
    fwd.ext_fields
        .insert("brokerName", b.config().broker_name.clone());
    fwd.body = record;
    crate::consumer_admin::call_client(&chan, fwd, &req, &h.consumer_group).await
}

//! Consumer-side requests beyond pull and offsets:
//! CONSUMER_SEND_MSG_BACK (36, Java `SendMessageProcessor#consumerSendMsgBack`),
//! CHECK_CLIENT_CONFIG (46, `ClientManageProcessor#checkClientConfig`),
//! GET_CONSUMER_RUNNING_INFO (307, forwarded to the client, `AdminBrokerProcessor#callConsumer`),
//! GET_TOPIC_CONFIG (351).
//!
//! Send-back: the consumed record (found by its CommitLog offset) is stored again in
//! `%RETRY%<group>` with `reconsumeTimes+1`, `RETRY_TOPIC`, `WAIT=false` and
//! `ORIGIN_MESSAGE_ID`, or in `%DLQ%<group>` when the retries are used up or `delayLevel < 0`.
//! The delay level is recorded as `DELAY` for the scheduler (see [`crate::schedule`]); a DLQ
//! record carries `DELAY=0`.

use std::sync::Arc;
use std::time::Duration;

use remoting::code::{request as rq, response as rc};
use remoting::headers::{ConsumerSendMsgBackRequestHeader, GetConsumerRunningInfoRequestHeader};
use remoting::{body, Command};
use serde::Deserialize;
use store::props::{get, parse_pairs, parse_properties, put, to_java_string};
use store::{NewMessage, StoredMessage};

use crate::broker::Broker;
use crate::client_table::ClientChannel;
use crate::error::{Reject, Reply};
use crate::subscription::SubscriptionData;
use crate::topics::{self, PERM_READ, PERM_WRITE};

remoting::header! {
    /// GET_TOPIC_CONFIG (351).
    pub struct GetTopicConfigRequestHeader {
        topic: String = "topic",
        lo: Option<bool> = "lo",
    }
}

/// Java `MQVersion.Version.V3_4_9.ordinal()`.
const V3_4_9: i32 = 121;
/// Java `MQVersion.Version.V3_1_8_SNAPSHOT.ordinal()`.
const V3_1_8_SNAPSHOT: i32 = 62;

pub fn send_msg_back(b: &Arc<Broker>, req: Command) -> Reply {
    let h: ConsumerSendMsgBackRequestHeader = req.decode_header()?;
    let cfg = b.config();
    let Some(group) = b.groups.find_or_create(&h.group, &cfg) else {
        return Err(Reject::code(
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {} \nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.", h.group),
        ));
    };
    if cfg.broker_permission & PERM_WRITE == 0 {
        return Err(Reject::no_permission(format!(
            "the broker[{}] sending message is forbidden",
            cfg.broker_ip1
        )));
    }
    if group.retry_queue_nums <= 0 {
        return Ok(Command::response(rc::SUCCESS, None));
    }
    let Some(msg) = b
        .store
        .read_record(h.offset)
        .and_then(|r| StoredMessage::decode(&r))
    else {
        return Err(Reject::system(format!(
            "look message by offset failed, {}",
            h.offset
        )));
    };
    let max = match h.max_reconsume_times {
        Some(m) if req.version >= V3_4_9 => m,
        _ => group.retry_max_times,
    };
    let reconsume = msg.reconsume_times;
    let to_dlq = reconsume >= max || h.delay_level < 0;
    let (topic, queues) = if to_dlq {
        let origin = h.origin_topic.as_deref().unwrap_or_default();
        b.metrics.on_send_to_dlq(&h.group, origin);
        (topics::dlq_topic(&h.group), 1)
    } else {
        (topics::retry_topic(&h.group), group.retry_queue_nums)
    };
    let (_, fresh) = b
        .topics
        .create_if_absent(&topic, queues, PERM_READ | PERM_WRITE);
    if fresh {
        b.request_register();
    }
    let delay = (!to_dlq).then(|| {
        if h.delay_level == 0 {
            3 + reconsume
        } else {
            h.delay_level
        }
    });
    let mut new = retry_message(&msg, topic, delay);
    new.queue_id = crate::send::random_queue(queues);
    new.store_host = b.store_host();
    let new = crate::schedule::to_schedule_topic(new, &cfg);
    let stored_topic = new.topic.clone();
    match b.store.put(new) {
        Ok(put) => {
            // Java `AbstractSendMessageProcessor#consumerSendMsgBack`: the origin topic is the
            // record's RETRY_TOPIC when it was a retry already; only a delayed put counts as a
            // put to SCHEDULE_TOPIC_XXXX.
            let props = parse_pairs(&msg.properties);
            let back_topic = get(&props, "RETRY_TOPIC").unwrap_or(msg.topic.as_str());
            if stored_topic == crate::topics::SCHEDULE_TOPIC {
                let size = i64::from(put.first().size).unsigned_abs();
                b.stats_items
                    .add(crate::stats_items::TOPIC_PUT_NUMS, &stored_topic, 1, 1);
                b.stats_items
                    .add(crate::stats_items::TOPIC_PUT_SIZE, &stored_topic, size, 1);
            }
            b.stats_items.send_back(&h.group, back_topic);
            Ok(Command::response(rc::SUCCESS, None))
        }
        Err(e) => Err(Reject::system(e.to_string())),
    }
}

/// The consumed record as a new message for `topic` (Java `consumerSendMsgBack`, which changes
/// the decoded message's properties in this order): `RETRY_TOPIC` kept from the first delivery
/// or set, `WAIT=false` (`setWaitStoreMsgOK(false)`), `DELAY` = the level, or 0 for the DLQ,
/// `ORIGIN_MESSAGE_ID` kept or set to the record's offset msgId; `reconsumeTimes+1`.
fn retry_message(msg: &StoredMessage, topic: String, delay: Option<i32>) -> NewMessage {
    let mut props = parse_properties(&msg.properties);
    if get(&props, "RETRY_TOPIC").is_none() {
        put(&mut props, "RETRY_TOPIC", msg.topic.clone());
    }
    put(&mut props, "WAIT", "false".to_string());
    put(&mut props, "DELAY", delay.unwrap_or(0).to_string());
    let origin = match get(&props, "ORIGIN_MESSAGE_ID") {
        Some(id) if !id.trim().is_empty() => id.to_string(),
        _ => store::offset_msg_id(&msg.store_host, msg.physical_offset),
    };
    put(&mut props, "ORIGIN_MESSAGE_ID", origin);
    NewMessage {
        reconsume_times: msg.reconsume_times + 1,
        prepared_transaction_offset: 0,
        ..msg.to_new(topic, 0, to_java_string(&mut props))
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CheckClientRequestBody {
    subscription_data: Option<SubscriptionData>,
}

pub fn check_client_config(req: Command) -> Reply {
    let raw = req.body.as_deref().unwrap_or(b"{}");
    let body: CheckClientRequestBody = body::from_body(raw).unwrap_or_default();
    if let Some(refused) = body
        .subscription_data
        .and_then(|sub| sub.unsupported_filter())
    {
        return Err(refused);
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// GET_CONSUMER_RUNNING_INFO: forwards the request to the client's own connection and returns
/// its answer as is (only the opaque changes).
pub async fn consumer_running_info(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetConsumerRunningInfoRequestHeader = req.decode_header()?;
    let chan = online_consumer(b, &h.consumer_group, &h.client_id)?;
    if chan.version < V3_1_8_SNAPSHOT {
        return Err(Reject::system(format!(
            "The Consumer <{}> Version <{}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT",
            h.client_id, chan.version
        )));
    }
    let mut fwd = Command::request(rq::GET_CONSUMER_RUNNING_INFO);
    fwd.ext_fields = req.ext_fields.clone();
    fwd.body = req.body.clone();
    call_client(&chan, fwd, &req, &h.consumer_group).await
}

/// The connection of consumer `client_id` in `group`, or Java's "not online" refusal.
pub(crate) fn online_consumer(
    b: &Broker,
    group: &str,
    client_id: &str,
) -> Result<ClientChannel, Reject> {
    b.clients
        .consumer_group(group)
        .and_then(|g| g.channels.into_values().find(|c| c.client_id == client_id))
        .ok_or_else(|| Reject::system(format!("The Consumer <{group}> <{client_id}> not online")))
}

/// Java `Broker2Client.callClient`: sends `fwd` to the consumer and answers `req` with the
/// consumer's reply as is (only the opaque changes); no reply in 10 s is CONSUME_MSG_TIMEOUT.
pub(crate) async fn call_client(
    chan: &ClientChannel,
    fwd: Command,
    req: &Command,
    group: &str,
) -> Reply {
    match chan.conn.request(fwd, Duration::from_secs(10)).await {
        Ok(mut resp) => {
            resp.opaque = req.opaque;
            Ok(resp)
        }
        Err(e) => Err(Reject::code(
            rc::CONSUME_MSG_TIMEOUT,
            format!("consumer <{group}> <{}> Timeout: {e}", chan.client_id),
        )),
    }
}

pub fn topic_config(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetTopicConfigRequestHeader = req.decode_header()?;
    match b.topics.get(&h.topic) {
        Some(tc) => Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&tc)?)),
        None => Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("No topic in this broker. topic: {}", h.topic),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastjson_forms_read_alike() {
        body::assert_read_alike::<CheckClientRequestBody>(include_str!(
            "../../testdata/fastjson/CheckClientRequestBody.txt"
        ));
    }
}

//! Request/reply (Java `ReplyMessageProcessor`): SEND_REPLY_MESSAGE (324) / _V2 (325) carry the
//! responder's reply; the broker pushes it to the requesting client named by the message's
//! `REPLY_TO_CLIENT` property with PUSH_REPLY_MESSAGE_TO_CLIENT (326) over that client's own
//! connection, and (with `storeReplyMessageEnable`, default true) also stores it. Both carry the
//! client's properties plus `MSG_REGION` and `TRACE_ON` (Java `buildMsgContext`), the pushed
//! ones also `PUSH_REPLY_TIME`; the broker adds no `UNIQ_KEY` or `CLUSTER` to a reply.
//! On success the answer carries msgId `0` and queueOffset 0, as Java's does.

use std::sync::Arc;
use std::time::Duration;

use remoting::code::{request as rq, response as rc};
use remoting::headers::{
    ReplyMessageRequestHeader, SendMessageRequestHeader, SendMessageResponseHeader,
};
use remoting::{Command, Connection};
use store::props::{get, parse_properties, put, to_java_string};
use store::NewMessage;

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::persist::now_millis;

pub async fn handle(b: &Arc<Broker>, conn: &Connection, req: Command) -> Reply {
    let h = SendMessageRequestHeader::decode_for(&req)?;
    let cfg = b.config();
    let tc = crate::send::check_topic(b, &cfg, &h, conn.peer())?;
    let queue_id = if h.queue_id < 0 {
        crate::send::random_queue(tc.write_queue_nums)
    } else {
        h.queue_id
    };
    let store_host = b.store_host();
    let body = req.body.clone().unwrap_or_default();
    let mut props = parse_properties(h.properties.as_deref().unwrap_or(""));
    put(&mut props, "MSG_REGION", cfg.region_id.clone());
    put(&mut props, "TRACE_ON", cfg.trace_on.to_string());
    let stored = to_java_string(&mut props);
    let sender = get(&props, "REPLY_TO_CLIENT").map(str::to_string);
    let pushed = match sender {
        None => Err("reply message properties[REPLY_TO_CLIENT] is null".to_string()),
        Some(id) => {
            put(&mut props, "PUSH_REPLY_TIME", now_millis().to_string());
            let push = ReplyMessageRequestHeader {
                producer_group: h.producer_group.clone(),
                topic: h.topic.clone(),
                default_topic: h.default_topic.clone(),
                default_topic_queue_nums: h.default_topic_queue_nums,
                queue_id,
                sys_flag: h.sys_flag,
                born_timestamp: h.born_timestamp,
                flag: h.flag,
                properties: Some(to_java_string(&mut props)),
                reconsume_times: h.reconsume_times,
                unit_mode: h.unit_mode.unwrap_or(false),
                born_host: conn.peer().to_string(),
                store_host: store_host.to_string(),
                store_timestamp: now_millis(),
            };
            push_to(b, &id, push, body.clone()).await
        }
    };
    if cfg.store_reply_message_enable {
        let msg = NewMessage {
            topic: h.topic.clone(),
            queue_id,
            flag: h.flag,
            body,
            properties: stored,
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            born_host: conn.peer(),
            store_host,
            reconsume_times: h.reconsume_times.unwrap_or(0),
            prepared_transaction_offset: 0,
        };
        match b.store.put(msg) {
            Ok(put) => {
                let size = i64::from(put.first().size).unsigned_abs();
                let system = crate::topics::is_system_topic(&h.topic, &cfg);
                b.stats_items
                    .put(&cfg.broker_cluster_name, &h.topic, system, 1, size);
                let request = crate::metrics::SendRequest {
                    topic: &h.topic,
                    properties: h.properties.as_deref(),
                };
                b.metrics.on_send(&h.topic, request, 1, size);
            }
            Err(e) => tracing::warn!(topic = %h.topic, "store reply message: {e}"),
        }
    }
    match pushed {
        Ok(()) => Ok(Command::response(rc::SUCCESS, None).with_header(
            &SendMessageResponseHeader {
                msg_id: "0".into(),
                queue_id,
                queue_offset: 0,
                ..Default::default()
            },
        )),
        Err(remark) => Err(Reject::system(remark)),
    }
}

/// Java `ProducerManager.findChannel(clientId)` + `Broker2Client.callClient`.
async fn push_to(
    b: &Broker,
    client_id: &str,
    header: ReplyMessageRequestHeader,
    body: bytes::Bytes,
) -> Result<(), String> {
    let Some(conn) = b.clients.producer_channel(client_id) else {
        return Err(format!(
            "push reply message fail, channel of <{client_id}> not found."
        ));
    };
    let cmd = Command::request(rq::PUSH_REPLY_MESSAGE_TO_CLIENT)
        .with_header(&header)
        .with_body(body);
    match conn.request(cmd, Duration::from_secs(3)).await {
        Ok(r) if r.code == rc::SUCCESS => {
            tracing::debug!(client = %client_id, "reply message pushed");
            Ok(())
        }
        outcome => {
            let why = match outcome {
                Ok(r) => format!("code {} {:?}", r.code, r.remark),
                Err(e) => e.to_string(),
            };
            tracing::warn!(client = %client_id, "push reply message failed: {why}");
            Err(format!("push reply message to {client_id}fail."))
        }
    }
}

//! ReceiveMessage, AckMessage, ChangeInvisibleDuration and ForwardMessageToDeadLetterQueue
//! (Java proxy `ReceiveMessageActivity`, `AckMessageActivity`, `ChangeInvisibleDurationActivity`,
//! `ForwardMessageToDLQActivity`, `ConsumerProcessor`), each the broker's POP request run
//! in-process.
//!
//! A receive long-polls one POP_MESSAGE over every queue (queue id −1; `order=true` for a FIFO
//! group) and answers as Java's proxy does: a status, then the messages, then a delivery
//! timestamp. A message of another tag is acked at once, one past the group's last attempt is
//! sent to `%DLQ%<group>` (CONSUMER_SEND_MSG_BACK, delay level −1) and acked, as Java's
//! `PopMessageResultFilterImpl` decides.
//!
//! Auto-renew (the push consumer's receives): the messages are popped for
//! `defaultInvisibleTimeMills` and [`Renewals`] changes their invisible time before it ends,
//! until acked or `renewMaxTimeMillis` (Java `DefaultReceiptHandleManager` with its default
//! renew steps); an ack or a change of such a message uses the latest handle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use remoting::code::request as rq;
use remoting::code::response as rc;
use remoting::headers::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
    ConsumerSendMsgBackRequestHeader, PopMessageRequestHeader, PopMessageResponseHeader,
};
use remoting::Command;
use tokio::sync::mpsc;

use super::clients::{filter, settings_of};
use super::context::{
    call_connection, from_remoting, invoke, refuse, validate_group, validate_topic, Ctx, Refused,
};
use super::convert::{popped, to_proto, ReceiptHandle};
use super::proto::{self, code, PubSub, ReceiveContent, Status};
use super::server::{from_channel, Responses};
use super::Endpoint;
use crate::persist::now_millis;
use crate::pop::records::ExtraInfo;
use crate::subscription::SubscriptionData;

/// Java `ConsumeInitMode.MAX`: a new group starts at the end of each queue.
const INIT_MODE_MAX: i32 = 1;

/// Java `ReceiveMessageActivity.receiveMessage`.
pub async fn receive(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::ReceiveMessageRequest,
) -> Responses<proto::ReceiveMessageResponse> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let status = |s: Status| proto::ReceiveMessageResponse {
            content: Some(ReceiveContent::Status(s)),
        };
        match pop(&ep, &ctx, &req).await {
            Ok(msgs) if msgs.is_empty() => {
                let _ = tx
                    .send(Ok(status(Status::new(
                        code::MESSAGE_NOT_FOUND,
                        "no new message",
                    ))))
                    .await;
            }
            Ok(msgs) => {
                let _ = tx.send(Ok(status(Status::ok()))).await;
                for m in msgs {
                    let item = proto::ReceiveMessageResponse {
                        content: Some(ReceiveContent::Message(m)),
                    };
                    if tx.send(Ok(item)).await.is_err() {
                        break;
                    }
                }
            }
            Err(s) => {
                let _ = tx.send(Ok(status(s))).await;
            }
        }
        let done = proto::ReceiveMessageResponse {
            content: Some(ReceiveContent::DeliveryTimestamp(
                proto::Timestamp::from_millis(now_millis()),
            )),
        };
        let _ = tx.send(Ok(done)).await;
    });
    from_channel(rx)
}

/// The POP behind a receive; an empty list is "no new message".
async fn pop(
    ep: &Arc<Endpoint>,
    ctx: &Ctx,
    req: &proto::ReceiveMessageRequest,
) -> Result<Vec<proto::Message>, Refused> {
    let settings = settings_of(ep, ctx).ok_or_else(|| {
        refuse(
            code::UNRECOGNIZED_CLIENT_TYPE,
            "cannot find client settings for this client",
        )
    })?;
    let Some(PubSub::Subscription(sub)) = &settings.pub_sub else {
        return Err(refuse(code::UNRECOGNIZED_CLIENT_TYPE, "not a consumer"));
    };
    let fifo = sub.fifo.unwrap_or(false);
    let max_attempts = settings
        .backoff_policy
        .as_ref()
        .map_or(17, |b| b.max_attempts);
    let request_timeout = settings.request_timeout.as_ref().map_or(0, |d| d.millis());
    let poll_time = polling_time(ep, ctx, req, request_timeout)?;
    let mq = req.message_queue.clone().unwrap_or_default();
    let topic = validate_topic(ep, mq.topic.as_ref())?;
    let group = validate_group(req.group.as_ref())?;
    let cfg = &ep.config;
    let mut invisible = req.invisible_duration.as_ref().map_or(0, |d| d.millis());
    let renew = cfg.enable_proxy_auto_renew && req.auto_renew;
    if renew {
        invisible = cfg.default_invisible_time_mills;
    } else {
        validate_invisible(ep, invisible, cfg.min_invisible_time_mills_for_recv)?;
    }
    let sub_data = filter(&topic, req.filter_expression.as_ref())?;
    let header = PopMessageRequestHeader {
        consumer_group: group.clone(),
        topic: topic.clone(),
        queue_id: -1,
        max_msg_nums: req.batch_size,
        invisible_time: invisible,
        poll_time,
        born_time: now_millis(),
        init_mode: INIT_MODE_MAX,
        exp_type: Some(sub_data.expression_type.clone()),
        exp: Some(sub_data.sub_string.clone()),
        order: fifo,
        attempt_id: req.attempt_id.clone(),
    };
    let cmd = Command::request(rq::POP_MESSAGE).with_header(&header);
    let resp = invoke(ep, &call_connection(ctx), cmd).await;
    match resp.code {
        rc::SUCCESS => {}
        rc::POLLING_FULL => return Err(refuse(code::TOO_MANY_REQUESTS, "polling full")),
        rc::POLLING_TIMEOUT | rc::PULL_NOT_FOUND => return Ok(Vec::new()),
        _ => return Err(from_remoting(&resp)),
    }
    let h: PopMessageResponseHeader = resp
        .decode_header()
        .map_err(|e| refuse(code::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let broker_name = ep.broker.config().broker_name.clone();
    let body = resp.body.clone().unwrap_or_default();
    let mut out = Vec::new();
    for (m, handle) in popped(&body, &h, &broker_name) {
        let tags = store::props::property(&m.properties, "TAGS");
        let uniq = store::props::property(&m.properties, "UNIQ_KEY")
            .unwrap_or_default()
            .to_string();
        let Ok(rh) = ReceiptHandle::decode(&handle) else {
            out.push(to_proto(&m, &topic, Some(handle)));
            continue;
        };
        if !tag_matched(&sub_data, tags) {
            ack_one(ep, ctx, &group, &topic, &rh).await;
        } else if m.reconsume_times >= max_attempts {
            let _ = forward_to_dlq(ep, ctx, &group, &topic, &uniq, &rh).await;
        } else {
            if renew {
                ep.renewals.add(&ctx.client_id, &group, &topic, &rh);
            }
            out.push(to_proto(&m, &topic, Some(handle)));
        }
    }
    if out.is_empty() && resp.code == rc::SUCCESS {
        return Err(refuse(code::MESSAGE_NOT_FOUND, "no match message"));
    }
    Ok(out)
}

/// Java `FilterUtils.isTagMatched`.
fn tag_matched(sub: &SubscriptionData, tags: Option<&str>) -> bool {
    if sub.tags_set.is_empty() || sub.sub_string == "*" {
        return true;
    }
    tags.is_some_and(|t| sub.tags_set.iter().any(|s| s == t))
}

/// Java's polling time: the request's long-polling timeout, else what the deadline leaves
/// after half the request timeout the client's settings declare (`request_timeout_ms`), within
/// the configured bounds and the deadline.
fn polling_time(
    ep: &Endpoint,
    ctx: &Ctx,
    req: &proto::ReceiveMessageRequest,
    request_timeout_ms: i64,
) -> Result<i64, Refused> {
    let cfg = &ep.config;
    let remaining = ctx.remaining_ms();
    let mut t = match &req.long_polling_timeout {
        Some(d) => d.millis(),
        None => remaining - request_timeout_ms / 2,
    };
    t = t
        .max(cfg.grpc_client_consumer_min_long_polling_timeout_millis)
        .min(cfg.grpc_client_consumer_max_long_polling_timeout_millis);
    if t > remaining {
        if remaining >= cfg.grpc_client_consumer_min_long_polling_timeout_millis {
            t = remaining;
        } else {
            let c = if version_before(&ctx.client_version, "5.0.3") {
                code::BAD_REQUEST
            } else {
                code::ILLEGAL_POLLING_TIME
            };
            return Err(refuse(
                c,
                "The deadline time remaining is not enough for polling, please check network condition",
            ));
        }
    }
    Ok(t)
}

/// Java's `String.compareTo` of versions, as the proxy compares them.
fn version_before(v: &str, than: &str) -> bool {
    v.is_empty() || v < than
}

/// Java `GrpcValidator.validateInvisibleTime`.
fn validate_invisible(ep: &Endpoint, ms: i64, min: i64) -> Result<(), Refused> {
    if ms < min {
        return Err(refuse(
            code::ILLEGAL_INVISIBLE_TIME,
            format!("the invisibleTime is too small. min is {min}"),
        ));
    }
    let max = ep.config.max_invisible_time_mills;
    if max > 0 && ms > max {
        return Err(refuse(
            code::ILLEGAL_INVISIBLE_TIME,
            format!("the invisibleTime is too large. max is {max}"),
        ));
    }
    Ok(())
}

/// ACK_MESSAGE for one handle (Java `LocalMessageService.ackMessage`): true when acked.
async fn ack_one(ep: &Endpoint, ctx: &Ctx, group: &str, topic: &str, h: &ReceiptHandle) -> bool {
    let header = AckMessageRequestHeader {
        consumer_group: group.to_string(),
        topic: h.real_topic(topic, group),
        queue_id: h.info.queue_id,
        extra_info: h.text.clone(),
        offset: h.queue_offset(),
    };
    let cmd = Command::request(rq::ACK_MESSAGE).with_header(&header);
    invoke(ep, &call_connection(ctx), cmd).await.code == rc::SUCCESS
}

/// Java `AckMessageActivity.ackMessage`, one ack per entry.
pub async fn ack(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::AckMessageRequest,
) -> proto::AckMessageResponse {
    let checked = validate_topic(&ep, req.topic.as_ref())
        .and_then(|t| validate_group(req.group.as_ref()).map(|g| (t, g)));
    let (topic, group) = match checked {
        Ok(tg) => tg,
        Err(s) => {
            return proto::AckMessageResponse {
                status: Some(s),
                entries: Vec::new(),
            }
        }
    };
    let mut entries = Vec::with_capacity(req.entries.len());
    for e in &req.entries {
        let status = match ReceiptHandle::decode(&e.receipt_handle) {
            Err(msg) => Status::new(code::INVALID_RECEIPT_HANDLE, msg),
            Ok(h) => {
                let h = ep.renewals.take(&ctx.client_id, &group, &h).unwrap_or(h);
                if ack_one(&ep, &ctx, &group, &topic, &h).await {
                    Status::ok()
                } else {
                    Status::new(
                        code::INTERNAL_SERVER_ERROR,
                        "ack failed: status is abnormal",
                    )
                }
            }
        };
        entries.push(proto::AckMessageResultEntry {
            message_id: e.message_id.clone(),
            receipt_handle: e.receipt_handle.clone(),
            status: Some(status),
        });
    }
    let mut codes: Vec<i32> = entries
        .iter()
        .filter_map(|e| e.status.as_ref().map(|s| s.code))
        .collect();
    codes.dedup();
    let status = match codes.as_slice() {
        [] => Status::new(code::INTERNAL_SERVER_ERROR, "ack message result is empty"),
        [c] if *c == code::OK => Status::ok(),
        [c] => Status::new(*c, code_name(*c)),
        _ => Status::new(code::MULTIPLE_RESULTS, "MULTIPLE_RESULTS"),
    };
    proto::AckMessageResponse {
        status: Some(status),
        entries,
    }
}

fn code_name(c: i32) -> String {
    match c {
        code::INVALID_RECEIPT_HANDLE => "INVALID_RECEIPT_HANDLE".into(),
        code::INTERNAL_SERVER_ERROR => "INTERNAL_SERVER_ERROR".into(),
        c => c.to_string(),
    }
}

/// CHANGE_MESSAGE_INVISIBLETIME; the new receipt handle on success.
async fn change(
    ep: &Endpoint,
    ctx: &Ctx,
    group: &str,
    topic: &str,
    h: &ReceiptHandle,
    invisible: i64,
) -> Option<ReceiptHandle> {
    let header = ChangeInvisibleTimeRequestHeader {
        consumer_group: group.to_string(),
        topic: h.real_topic(topic, group),
        queue_id: h.info.queue_id,
        extra_info: h.text.clone(),
        offset: h.queue_offset(),
        invisible_time: invisible,
    };
    let cmd = Command::request(rq::CHANGE_MESSAGE_INVISIBLETIME).with_header(&header);
    let resp = invoke(ep, &call_connection(ctx), cmd).await;
    if resp.code != rc::SUCCESS {
        return None;
    }
    let r: ChangeInvisibleTimeResponseHeader = resp.decode_header().ok()?;
    // The broker's new check-point starts at the message's own offset, so the new handle
    // does too (an ack of it must name that check-point). Java's proxy keeps the old start
    // offset and drops the CommitLog offset, which leaves such an ack unmatched.
    let info = ExtraInfo::build(
        h.queue_offset(),
        r.pop_time,
        r.invisible_time,
        r.revive_qid,
        &h.real_topic(topic, group),
        &h.info.broker_name,
        h.info.queue_id,
        h.queue_offset(),
    );
    ReceiptHandle::decode(&format!("{info} {}", h.commit_log_offset)).ok()
}

/// Java `ChangeInvisibleDurationActivity`.
pub async fn change_invisible(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::ChangeInvisibleDurationRequest,
) -> proto::ChangeInvisibleDurationResponse {
    match change_one(&ep, &ctx, &req).await {
        Ok(handle) => proto::ChangeInvisibleDurationResponse {
            status: Some(Status::ok()),
            receipt_handle: handle,
        },
        Err(s) => proto::ChangeInvisibleDurationResponse {
            status: Some(s),
            receipt_handle: String::new(),
        },
    }
}

async fn change_one(
    ep: &Endpoint,
    ctx: &Ctx,
    req: &proto::ChangeInvisibleDurationRequest,
) -> Result<String, Refused> {
    let invisible = req.invisible_duration.as_ref().map_or(0, |d| d.millis());
    validate_invisible(ep, invisible, 0)?;
    let topic = validate_topic(ep, req.topic.as_ref())?;
    let group = validate_group(req.group.as_ref())?;
    let h = ReceiptHandle::decode(&req.receipt_handle)
        .map_err(|e| refuse(code::INVALID_RECEIPT_HANDLE, e))?;
    let h = ep.renewals.take(&ctx.client_id, &group, &h).unwrap_or(h);
    match change(ep, ctx, &group, &topic, &h, invisible).await {
        Some(new) => Ok(new.text),
        None => Err(refuse(
            code::INTERNAL_SERVER_ERROR,
            "changeInvisibleDuration failed: status is abnormal",
        )),
    }
}

/// Java `ProducerProcessor.forwardMessageToDeadLetterQueue`: CONSUMER_SEND_MSG_BACK with delay
/// level −1 (straight to `%DLQ%<group>`), then the ack.
async fn forward_to_dlq(
    ep: &Endpoint,
    ctx: &Ctx,
    group: &str,
    topic: &str,
    message_id: &str,
    h: &ReceiptHandle,
) -> Result<(), Refused> {
    if h.commit_log_offset < 0 {
        return Err(refuse(
            code::INVALID_RECEIPT_HANDLE,
            "commit log offset is empty",
        ));
    }
    let header = ConsumerSendMsgBackRequestHeader {
        offset: h.commit_log_offset,
        group: group.to_string(),
        delay_level: -1,
        origin_msg_id: Some(message_id.to_string()),
        origin_topic: Some(h.real_topic(topic, group)),
        unit_mode: false,
        max_reconsume_times: Some(0),
    };
    let cmd = Command::request(rq::CONSUMER_SEND_MSG_BACK).with_header(&header);
    let resp = invoke(ep, &call_connection(ctx), cmd).await;
    if resp.code != rc::SUCCESS {
        return Err(from_remoting(&resp));
    }
    ack_one(ep, ctx, group, topic, h).await;
    Ok(())
}

/// Java `ForwardMessageToDLQActivity`.
pub async fn to_dlq(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::ForwardMessageToDeadLetterQueueRequest,
) -> proto::ForwardMessageToDeadLetterQueueResponse {
    let status = match dlq_one(&ep, &ctx, &req).await {
        Ok(()) => Status::ok(),
        Err(s) => s,
    };
    proto::ForwardMessageToDeadLetterQueueResponse {
        status: Some(status),
    }
}

async fn dlq_one(
    ep: &Endpoint,
    ctx: &Ctx,
    req: &proto::ForwardMessageToDeadLetterQueueRequest,
) -> Result<(), Refused> {
    let topic = validate_topic(ep, req.topic.as_ref())?;
    let group = validate_group(req.group.as_ref())?;
    let h = ReceiptHandle::decode(&req.receipt_handle)
        .map_err(|e| refuse(code::INVALID_RECEIPT_HANDLE, e))?;
    let h = ep.renewals.take(&ctx.client_id, &group, &h).unwrap_or(h);
    forward_to_dlq(ep, ctx, &group, &topic, &req.message_id, &h).await
}

/// Java `RenewStrategyPolicy`: the invisible time of each renewal in turn, the last repeated.
const RENEW_STEPS: [i64; 8] = [
    60_000, 180_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000,
];

/// One message being renewed.
struct Renewal {
    topic: String,
    group: String,
    client_id: String,
    current: ReceiptHandle,
    renewed: usize,
    first_pop: i64,
}

impl Renewal {
    fn next_visible(&self) -> i64 {
        self.current.info.pop_time + self.current.info.invisible_time
    }
}

/// The auto-renewed handles, by `client@group@<first handle's queue, offset, pop time>`. A
/// std mutex: held to look up, insert or take, never across an await.
#[derive(Default)]
pub struct Renewals {
    map: Mutex<HashMap<String, Renewal>>,
    stopped: std::sync::atomic::AtomicBool,
}

fn renewal_key(client: &str, group: &str, h: &ReceiptHandle) -> String {
    format!(
        "{client}@{group}@{}@{}@{}",
        h.info.queue_id,
        h.queue_offset(),
        h.info.pop_time
    )
}

impl Renewals {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Renewal>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, client: &str, group: &str, topic: &str, h: &ReceiptHandle) {
        self.lock().insert(
            renewal_key(client, group, h),
            Renewal {
                topic: topic.to_string(),
                group: group.to_string(),
                client_id: client.to_string(),
                current: h.clone(),
                renewed: 0,
                first_pop: h.info.pop_time,
            },
        );
    }

    /// Stops renewing the message of `first` (a handle as the client got it), returning its
    /// latest handle.
    fn take(&self, client: &str, group: &str, first: &ReceiptHandle) -> Option<ReceiptHandle> {
        self.lock()
            .remove(&renewal_key(client, group, first))
            .map(|r| r.current)
    }

    pub(super) fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Every 5 s (Java `renewSchedulePeriodMillis`): renews the handles due within
/// `renewAheadTimeMillis`; a handle of a client that is gone is made visible again in 1 s
/// (Java `invisibleTimeMillisWhenClear`), one past `renewMaxTimeMillis` is left to expire.
pub(super) fn spawn_renewals(ep: &Arc<Endpoint>) {
    let weak = Arc::downgrade(ep);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let Some(ep) = weak.upgrade() else { return };
            if ep
                .renewals
                .stopped
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                return;
            }
            renew_due(&ep).await;
        }
    });
}

async fn renew_due(ep: &Arc<Endpoint>) {
    let now = now_millis();
    let ahead = ep.config.renew_ahead_time_millis;
    let due: Vec<(String, Renewal)> = {
        let mut map = ep.renewals.lock();
        let keys: Vec<String> = map
            .iter()
            .filter(|(_, r)| r.next_visible() - ahead <= now)
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter()
            .filter_map(|k| map.remove(&k).map(|r| (k, r)))
            .collect()
    };
    for (key, mut r) in due {
        let ctx = Ctx {
            client_id: r.client_id.clone(),
            language: String::new(),
            client_version: String::new(),
            peer: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            deadline: None,
        };
        let gone = ep.clients.get(&r.client_id).is_none();
        if gone {
            change(ep, &ctx, &r.group, &r.topic, &r.current, 1_000).await;
            continue;
        }
        if now - r.first_pop > ep.config.renew_max_time_millis {
            continue;
        }
        let step = RENEW_STEPS[r.renewed.min(RENEW_STEPS.len() - 1)];
        if let Some(new) = change(ep, &ctx, &r.group, &r.topic, &r.current, step).await {
            r.current = new;
            r.renewed += 1;
        }
        ep.renewals.lock().insert(key, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_filter_as_java() {
        let all = SubscriptionData::build("T", "*", None);
        assert!(tag_matched(&all, None));
        let ab = SubscriptionData::build("T", "A || B", None);
        assert!(tag_matched(&ab, Some("B")));
        assert!(!tag_matched(&ab, Some("C")));
        assert!(!tag_matched(&ab, None));
    }

    #[test]
    fn old_clients_get_bad_request() {
        assert!(version_before("5.0.2", "5.0.3"));
        assert!(!version_before("5.0.8", "5.0.3"));
    }
}

//! SendMessage, EndTransaction and RecallMessage (Java proxy `SendMessageActivity`,
//! `ProducerProcessor`, `EndTransactionActivity`, `RecallMessageActivity`), and the transaction
//! check-back the broker asks for.
//!
//! A message becomes SEND_MESSAGE for the broker with Java's properties (the client's
//! `message_id` as `UNIQ_KEY`, the topic as producer group `PGROUP`, `TIMER_DELIVER_MS` for a
//! delivery timestamp, `__SHARDINGKEY` for a message group). A message group picks its queue by
//! Guava's `Hashing.consistentHash` of the group's `String.hashCode`, as Java's proxy does, so
//! a group keeps its queue across Thrust and Java.
//!
//! The endpoint remembers each prepared message's offsets under `topic@transactionId` (Java
//! `TransactionDataManager`), from the send or from the broker's check, for END_TRANSACTION.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use remoting::code::request as rq;
use remoting::code::response as rc;
use remoting::headers::{
    CheckTransactionStateRequestHeader, EndTransactionRequestHeader, RecallMessageRequestHeader,
    RecallMessageResponseHeader, SendMessageRequestHeader, SendMessageResponseHeader,
};
use remoting::Command;
use store::message::sysflag;
use store::props::{java_map_order, properties_to_string};

use super::clients::Client;
use super::context::{
    call_connection, has_control_char, invoke, refuse, validate_topic, Ctx, Refused,
};
use super::convert::{is_system_property, to_proto};
use super::proto::{self, code, encoding, message_type, Status};
use super::route::topic_message_type;
use super::Endpoint;
use crate::persist::now_millis;
use crate::topics::{AUTO_CREATE_TOPIC, PERM_WRITE};

/// A prepared message's place, for END_TRANSACTION.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TransactionData {
    tran_state_table_offset: i64,
    commit_log_offset: i64,
    expires: Instant,
}

/// `producerGroup@transactionId` → the places remembered for it, oldest first (Java
/// `TransactionDataManager`): each kept `transactionDataExpireMillis`, at most
/// `transactionDataMaxNum` per key, the newest unexpired one used. A std mutex: held for one
/// insert or removal.
#[derive(Default)]
pub struct Transactions {
    map: Mutex<HashMap<String, Vec<TransactionData>>>,
}

impl Transactions {
    fn add(
        &self,
        cfg: &super::ProxyConfig,
        key: (&str, &str),
        tran_state_table_offset: i64,
        commit_log_offset: i64,
    ) {
        let now = Instant::now();
        let keep = Duration::from_millis(cfg.transaction_data_expire_millis.max(0).unsigned_abs());
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, list| {
            list.retain(|t| t.expires >= now);
            !list.is_empty()
        });
        let list = map.entry(format!("{}@{}", key.0, key.1)).or_default();
        list.push(TransactionData {
            tran_state_table_offset,
            commit_log_offset,
            expires: now + keep,
        });
        if list.len() > cfg.transaction_data_max_num.max(0) as usize {
            list.remove(0);
        }
    }

    fn take(&self, group: &str, id: &str) -> Option<TransactionData> {
        let now = Instant::now();
        let key = format!("{group}@{id}");
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let list = map.get_mut(&key)?;
        let found = std::iter::from_fn(|| list.pop()).find(|t| t.expires >= now);
        if list.is_empty() {
            map.remove(&key);
        }
        found
    }
}

/// Java `SendMessageActivity.sendMessage`.
pub async fn send(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::SendMessageRequest,
) -> proto::SendMessageResponse {
    match send_all(&ep, &ctx, &req).await {
        Ok(entry) => proto::SendMessageResponse {
            status: entry.status.clone(),
            entries: vec![entry],
        },
        Err(s) => proto::SendMessageResponse {
            status: Some(s),
            entries: Vec::new(),
        },
    }
}

async fn send_all(
    ep: &Endpoint,
    ctx: &Ctx,
    req: &proto::SendMessageRequest,
) -> Result<proto::SendResultEntry, Refused> {
    let Some(first) = req.messages.first() else {
        return Err(refuse(code::MESSAGE_CORRUPTED, "no message to send"));
    };
    let topic = validate_topic(ep, first.topic.as_ref())?;
    let mut built = Vec::with_capacity(req.messages.len());
    for m in &req.messages {
        if m.topic != first.topic {
            return Err(refuse(
                code::MESSAGE_CORRUPTED,
                "topic in message is not same",
            ));
        }
        built.push(properties(ep, ctx, m, &topic)?);
    }
    let tc = ep
        .broker
        .topics
        .get(&topic)
        .ok_or_else(|| refuse(code::TOPIC_NOT_FOUND, format!("topic {topic} not found")))?;
    if ep.config.enable_topic_message_type_check {
        check_type(topic_message_type(&tc), &built[0])?;
    }
    if tc.perm & PERM_WRITE == 0 || tc.write_queue_nums <= 0 {
        return Err(refuse(code::FORBIDDEN, "no writable queue"));
    }
    let group = first
        .system_properties
        .as_ref()
        .and_then(|s| s.message_group.as_deref())
        .filter(|g| !g.is_empty() && req.messages.len() == 1);
    let queue_id = match group {
        Some(g) => consistent_hash(i64::from(store::java_hash(g)), tc.write_queue_nums),
        None => next_queue(tc.write_queue_nums),
    };
    let sys_flag = sys_flag_of(first);
    let cmd = request(&topic, queue_id, sys_flag, &req.messages, &built);
    let resp = invoke(ep, &call_connection(ctx), cmd).await;
    // Java answers the message's own id (`UNIQ_KEY`); a batch's, its first message's.
    let message_id = first
        .system_properties
        .as_ref()
        .map(|s| s.message_id.clone())
        .unwrap_or_default();
    let entry = result_entry(&resp, message_id)?;
    if sys_flag & sysflag::TRANSACTION_MASK == sysflag::TRANSACTION_PREPARED
        && entry.status.as_ref().is_some_and(|s| s.code == code::OK)
    {
        remember(ep, &topic, &resp, &entry.transaction_id);
    }
    Ok(entry)
}

/// Java `DefaultTopicMessageTypeValidator` over `TopicMessageType.parseFromMessageProperty`.
fn check_type(topic_type: &str, props: &[(String, String)]) -> Result<(), Refused> {
    let has = |k: &str| props.iter().any(|(n, _)| n == k);
    let actual = if props.iter().any(|(n, v)| n == "TRAN_MSG" && v == "true") {
        "TRANSACTION"
    } else if has("DELAY")
        || has("TIMER_DELIVER_MS")
        || has("TIMER_DELAY_SEC")
        || has("TIMER_DELAY_MS")
    {
        "DELAY"
    } else if has("__SHARDINGKEY") {
        "FIFO"
    } else {
        "NORMAL"
    };
    validate_type(topic_type, actual)
}

/// Java `DefaultTopicMessageTypeValidator.validate`.
fn validate_type(topic_type: &str, actual: &str) -> Result<(), Refused> {
    if actual != topic_type && topic_type != "MIXED" {
        return Err(refuse(
            code::MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
            format!(
                "TopicMessageType validate failed, the expected type is {topic_type}, but actual type is {actual}"
            ),
        ));
    }
    Ok(())
}

/// Java `RecallMessageActivity` and `ProducerProcessor.recallMessage` over
/// `LocalMessageService.recallMessage`: the topic must be a DELAY (or MIXED) topic, the handle
/// readable; the broker's refusal comes back as INTERNAL_SERVER_ERROR with its remark.
pub async fn recall(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::RecallMessageRequest,
) -> proto::RecallMessageResponse {
    match recall_one(&ep, &ctx, &req).await {
        Ok(message_id) => proto::RecallMessageResponse {
            status: Some(Status::ok()),
            message_id,
        },
        Err(s) => proto::RecallMessageResponse {
            status: Some(s),
            message_id: String::new(),
        },
    }
}

async fn recall_one(
    ep: &Endpoint,
    ctx: &Ctx,
    req: &proto::RecallMessageRequest,
) -> Result<String, Refused> {
    let topic = validate_topic(ep, req.topic.as_ref())?;
    if ep.config.enable_topic_message_type_check {
        // Java's local metadata has no type for an unknown topic.
        let tc = ep.broker.topics.get(&topic);
        let topic_type = tc.as_ref().map_or("UNSPECIFIED", topic_message_type);
        validate_type(topic_type, "DELAY")?;
    }
    crate::recall::Handle::decode(&req.recall_handle)
        .map_err(|e| refuse(code::INTERNAL_SERVER_ERROR, e))?;
    let header = RecallMessageRequestHeader {
        producer_group: None,
        topic,
        recall_handle: req.recall_handle.clone(),
    };
    let cmd = Command::request(rq::RECALL_MESSAGE).with_header(&header);
    let resp = invoke(ep, &call_connection(ctx), cmd).await;
    if resp.code != rc::SUCCESS {
        let remark = resp.remark.clone().unwrap_or_else(|| resp.code.to_string());
        return Err(refuse(code::INTERNAL_SERVER_ERROR, remark));
    }
    let h: RecallMessageResponseHeader = resp
        .decode_header()
        .map_err(|e| refuse(code::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(h.msg_id)
}

/// Java `buildSysFlag`: compressed body, prepared transaction.
fn sys_flag_of(m: &proto::Message) -> i32 {
    let sp = m.system_properties.clone().unwrap_or_default();
    let mut flag = 0;
    if sp.body_encoding == encoding::GZIP {
        flag |= sysflag::COMPRESSED;
    }
    if sp.message_type == message_type::TRANSACTION {
        flag |= sysflag::TRANSACTION_PREPARED;
    }
    flag
}

/// Java `buildMessageProperty` (with `validateMessageBodySize`): the checks in Java's order,
/// then the properties in insertion order.
fn properties(
    ep: &Endpoint,
    ctx: &Ctx,
    m: &proto::Message,
    topic: &str,
) -> Result<Vec<(String, String)>, Refused> {
    let cfg = &ep.config;
    if cfg.enable_message_body_empty_check && m.body.is_empty() {
        return Err(refuse(
            code::MESSAGE_BODY_EMPTY,
            "message body cannot be empty",
        ));
    }
    if cfg.max_message_size > 0 && m.body.len() > cfg.max_message_size as usize {
        return Err(refuse(
            code::MESSAGE_BODY_TOO_LARGE,
            format!(
                "message body cannot exceed the max {}",
                cfg.max_message_size
            ),
        ));
    }
    let sp = m.system_properties.clone().unwrap_or_default();
    if m.user_properties.len() > cfg.user_property_max_num {
        return Err(refuse(
            code::MESSAGE_PROPERTIES_TOO_LARGE,
            format!(
                "too many user properties, max is {}",
                cfg.user_property_max_num
            ),
        ));
    }
    let mut size = 0usize;
    let mut props: Vec<(String, String)> = Vec::new();
    for (k, v) in &m.user_properties {
        if is_system_property(k) {
            return Err(refuse(
                code::ILLEGAL_MESSAGE_PROPERTY_KEY,
                format!("property is used by system: {k}"),
            ));
        }
        if has_control_char(k) {
            return Err(refuse(
                code::ILLEGAL_MESSAGE_PROPERTY_KEY,
                "the key of property cannot contain control character",
            ));
        }
        if has_control_char(v) {
            return Err(refuse(
                code::ILLEGAL_MESSAGE_PROPERTY_KEY,
                "the value of property cannot contain control character",
            ));
        }
        size += k.len() + v.len();
        props.push((k.clone(), v.clone()));
    }
    let tag = sp.tag.clone().unwrap_or_default();
    validate_tag(&tag)?;
    if !tag.is_empty() {
        props.push(("TAGS".into(), tag.clone()));
    }
    size += tag.len();
    for key in &sp.keys {
        validate_key(key)?;
        size += key.len();
    }
    if !sp.keys.is_empty() {
        props.push(("KEYS".into(), sp.keys.join(" ")));
    }
    if size > cfg.max_user_property_size.max(0) as usize {
        return Err(refuse(
            code::MESSAGE_PROPERTIES_TOO_LARGE,
            format!(
                "the total size of user property is too large, max is {}",
                cfg.max_user_property_size
            ),
        ));
    }
    if sp.message_id.trim().is_empty() {
        return Err(refuse(
            code::ILLEGAL_MESSAGE_ID,
            "message id cannot be empty",
        ));
    }
    props.push(("UNIQ_KEY".into(), sp.message_id.clone()));
    if sp.message_type == message_type::TRANSACTION {
        props.push(("TRAN_MSG".into(), "true".into()));
        if let Some(d) = &sp.orphaned_transaction_recovery_duration {
            let secs = d.seconds;
            if cfg.max_transaction_recovery_second > 0 && secs > cfg.max_transaction_recovery_second
            {
                return Err(refuse(
                    code::BAD_REQUEST,
                    format!(
                        "the max transaction recovery time of message is too large, max is {}",
                        cfg.max_transaction_recovery_second
                    ),
                ));
            }
            props.push(("CHECK_IMMUNITY_TIME_IN_SECONDS".into(), secs.to_string()));
        }
    }
    if let Some(at) = &sp.delivery_timestamp {
        let at = at.millis();
        if cfg.max_delay_time_mills > 0 && at - now_millis() > cfg.max_delay_time_mills {
            return Err(refuse(
                code::ILLEGAL_DELIVERY_TIME,
                format!(
                    "the max delay time of message is too large, max is {}",
                    cfg.max_delay_time_mills
                ),
            ));
        }
        props.push(("TIMER_DELIVER_MS".into(), at.to_string()));
    }
    props.push((
        "RECONSUME_TIME".into(),
        sp.delivery_attempt.unwrap_or(0).to_string(),
    ));
    props.push(("PGROUP".into(), topic.to_string()));
    if let Some(g) = sp.message_group.as_deref().filter(|g| !g.is_empty()) {
        validate_message_group(ep, g)?;
        props.push(("__SHARDINGKEY".into(), g.to_string()));
    }
    if let Some(t) = sp.trace_context.as_deref().filter(|t| !t.is_empty()) {
        props.push(("TRACE_CONTEXT".into(), t.to_string()));
    }
    let born_host = if sp.born_host.trim().is_empty() {
        ctx.remote_address()
    } else {
        sp.born_host.clone()
    };
    props.push(("__BORNHOST".into(), born_host));
    if let Some(born) = &sp.born_timestamp {
        props.push(("BORN_TIMESTAMP".into(), born.millis().to_string()));
    }
    // The properties live in a HashMap in Java: its iteration order is the stored order.
    let start = ((m.user_properties.len() as f64 / 0.75) as usize + 1)
        .next_power_of_two()
        .max(16);
    java_map_order(&mut props, start);
    Ok(props)
}

/// Java `GrpcValidator.validateTag`.
fn validate_tag(tag: &str) -> Result<(), Refused> {
    if tag.is_empty() {
        return Ok(());
    }
    let bad = |m: &str| Err(refuse(code::ILLEGAL_MESSAGE_TAG, m));
    if tag.trim().is_empty() {
        return bad("tag cannot be the char sequence of whitespace");
    }
    if tag.contains('|') {
        return bad("tag cannot contain '|'");
    }
    if has_control_char(tag) {
        return bad("tag cannot contain control character");
    }
    Ok(())
}

fn validate_key(key: &str) -> Result<(), Refused> {
    if key.is_empty() {
        return Ok(());
    }
    if key.trim().is_empty() {
        return Err(refuse(
            code::ILLEGAL_MESSAGE_KEY,
            "key cannot be the char sequence of whitespace",
        ));
    }
    if has_control_char(key) {
        return Err(refuse(
            code::ILLEGAL_MESSAGE_KEY,
            "key cannot contain control character",
        ));
    }
    Ok(())
}

fn validate_message_group(ep: &Endpoint, g: &str) -> Result<(), Refused> {
    if g.trim().is_empty() {
        return Err(refuse(
            code::ILLEGAL_MESSAGE_GROUP,
            "message group cannot be the char sequence of whitespace",
        ));
    }
    let max = ep.config.max_message_group_size;
    if max > 0 && g.len() >= max {
        return Err(refuse(
            code::ILLEGAL_MESSAGE_GROUP,
            format!("message group exceed the max size {max}"),
        ));
    }
    if has_control_char(g) {
        return Err(refuse(
            code::ILLEGAL_MESSAGE_GROUP,
            "message group cannot contain control character",
        ));
    }
    Ok(())
}

/// Guava `Hashing.consistentHash(long, int)`: a linear congruential walk, so that adding a
/// bucket moves only the keys that land in it.
pub fn consistent_hash(input: i64, buckets: i32) -> i32 {
    let mut state = input;
    let mut candidate: i32 = 0;
    loop {
        state = state
            .wrapping_mul(2_862_933_555_777_941_757)
            .wrapping_add(1);
        let next_double =
            f64::from((((state as u64) >> 33) as i32).wrapping_add(1)) / 2f64.powi(31);
        let next = (f64::from(candidate.wrapping_add(1)) / next_double) as i32;
        if next >= 0 && next < buckets {
            candidate = next;
        } else {
            return candidate;
        }
    }
}

/// Java's write selector without a message group: the next queue, round-robin.
fn next_queue(write_queues: i32) -> i32 {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (n % write_queues.max(1) as usize) as i32
}

/// Java `buildSendMessageRequestHeader` and `LocalMessageService.sendMessage`: one message as
/// is, several as a batch body (`MessageBatch.encode`).
fn request(
    topic: &str,
    queue_id: i32,
    sys_flag: i32,
    msgs: &[proto::Message],
    props: &[Vec<(String, String)>],
) -> Command {
    let as_string = |p: &[(String, String)]| {
        properties_to_string(p.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    };
    let born = props[0]
        .iter()
        .find(|(k, _)| k == "BORN_TIMESTAMP")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or_else(now_millis);
    let header = SendMessageRequestHeader {
        producer_group: topic.to_string(),
        topic: topic.to_string(),
        default_topic: AUTO_CREATE_TOPIC.to_string(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag,
        born_timestamp: born,
        flag: 0,
        properties: Some(as_string(&props[0])),
        reconsume_times: Some(0),
        unit_mode: None,
        max_reconsume_times: None,
        batch: (msgs.len() > 1).then_some(true),
        bname: None,
    };
    let body = if msgs.len() == 1 {
        msgs[0].body.clone()
    } else {
        let mut out = Vec::new();
        for (m, p) in msgs.iter().zip(props) {
            let p = as_string(p);
            let size = 4 + 4 + 4 + 4 + 4 + m.body.len() + 2 + p.len();
            out.extend_from_slice(&(size as i32).to_be_bytes());
            out.extend_from_slice(&0i32.to_be_bytes());
            out.extend_from_slice(&0i32.to_be_bytes());
            out.extend_from_slice(&0i32.to_be_bytes());
            out.extend_from_slice(&(m.body.len() as i32).to_be_bytes());
            out.extend_from_slice(&m.body);
            out.extend_from_slice(&(p.len() as i16).to_be_bytes());
            out.extend_from_slice(p.as_bytes());
        }
        bytes::Bytes::from(out)
    };
    Command::request(rq::SEND_MESSAGE)
        .with_header(&header)
        .with_body(body)
}

/// Java `LocalMessageService.sendMessage` and `convertToSendMessageResponse`.
fn result_entry(resp: &Command, message_id: String) -> Result<proto::SendResultEntry, Refused> {
    let failed = |c: i32| {
        Ok(proto::SendResultEntry {
            status: Some(Status::new(
                c,
                format!("send message failed, sendStatus={}", status_name(resp.code)),
            )),
            ..Default::default()
        })
    };
    match resp.code {
        rc::SUCCESS => {}
        rc::FLUSH_DISK_TIMEOUT => return failed(code::MASTER_PERSISTENCE_TIMEOUT),
        rc::FLUSH_SLAVE_TIMEOUT => return failed(code::SLAVE_PERSISTENCE_TIMEOUT),
        rc::SLAVE_NOT_AVAILABLE => return failed(code::HA_NOT_AVAILABLE),
        _ => {
            return Err(refuse(
                code::INTERNAL_SERVER_ERROR,
                resp.remark.clone().unwrap_or_else(|| resp.code.to_string()),
            ))
        }
    }
    let h: SendMessageResponseHeader = resp
        .decode_header()
        .map_err(|e| refuse(code::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(proto::SendResultEntry {
        status: Some(Status::ok()),
        message_id,
        transaction_id: h.transaction_id.unwrap_or_default(),
        offset: h.queue_offset,
        recall_handle: h.recall_handle.unwrap_or_default(),
    })
}

fn status_name(c: i32) -> &'static str {
    match c {
        rc::FLUSH_DISK_TIMEOUT => "FLUSH_DISK_TIMEOUT",
        rc::FLUSH_SLAVE_TIMEOUT => "FLUSH_SLAVE_TIMEOUT",
        rc::SLAVE_NOT_AVAILABLE => "SLAVE_NOT_AVAILABLE",
        _ => "SEND_OK",
    }
}

/// Java `ProducerProcessor.fillTransactionData`.
fn remember(ep: &Endpoint, topic: &str, resp: &Command, transaction_id: &str) {
    let Ok(h) = resp.decode_header::<SendMessageResponseHeader>() else {
        return;
    };
    let Some((_, phys)) = store::message::decode_offset_msg_id(&h.msg_id) else {
        return;
    };
    if !transaction_id.is_empty() {
        ep.transactions
            .add(&ep.config, (topic, transaction_id), h.queue_offset, phys);
    }
}

/// The broker asks the producer about a prepared message: remember its place, and send the
/// client a RecoverOrphanedTransactionCommand on its Telemetry stream (Java
/// `GrpcClientChannel.processCheckTransaction`).
pub fn check_transaction(ep: &Endpoint, client: &Client, cmd: Command) {
    let Ok(h) = cmd.decode_header::<CheckTransactionStateRequestHeader>() else {
        return;
    };
    let Some(msg) = cmd.body.as_ref().and_then(store::StoredMessage::decode) else {
        return;
    };
    let group = store::props::property(&msg.properties, "PGROUP")
        .unwrap_or_default()
        .to_string();
    let id = h.transaction_id.clone().unwrap_or_default();
    ep.transactions.add(
        &ep.config,
        (&group, &id),
        h.tran_state_table_offset,
        h.commit_log_offset,
    );
    let topic = msg.topic.clone();
    let command = proto::TelemetryCommand {
        status: None,
        command: Some(proto::Command::RecoverOrphanedTransactionCommand(
            proto::RecoverOrphanedTransactionCommand {
                message: Some(to_proto(&msg, &topic, None)),
                transaction_id: id,
            },
        )),
    };
    if !client.send_command(command) {
        tracing::debug!(client = %client.id, "transaction check: no telemetry stream open");
    }
}

/// Java `EndTransactionActivity` and `TransactionService.genEndTransactionRequestHeader`:
/// END_TRANSACTION for the remembered offsets; the broker's answer is not waited for (Java
/// sends it oneway).
pub async fn end_transaction(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::EndTransactionRequest,
) -> proto::EndTransactionResponse {
    let status = match end(&ep, &ctx, &req).await {
        Ok(()) => Status::ok(),
        Err(s) => s,
    };
    proto::EndTransactionResponse {
        status: Some(status),
    }
}

async fn end(ep: &Endpoint, ctx: &Ctx, req: &proto::EndTransactionRequest) -> Result<(), Refused> {
    let topic = validate_topic(ep, req.topic.as_ref())?;
    let commit_or_rollback = match req.resolution {
        proto::resolution::COMMIT => sysflag::TRANSACTION_COMMIT,
        proto::resolution::ROLLBACK => sysflag::TRANSACTION_ROLLBACK,
        _ => sysflag::TRANSACTION_NOT_TYPE,
    };
    let Some(data) = ep.transactions.take(&topic, &req.transaction_id) else {
        return Err(refuse(
            code::INVALID_TRANSACTION_ID,
            format!(
                "cannot found transaction data. producerGroup: {topic}, transactionId: {}",
                req.transaction_id
            ),
        ));
    };
    let header = EndTransactionRequestHeader {
        topic: Some(topic.clone()),
        producer_group: topic,
        tran_state_table_offset: data.tran_state_table_offset,
        commit_log_offset: data.commit_log_offset,
        commit_or_rollback,
        from_transaction_check: req.source == proto::source::SERVER_CHECK,
        msg_id: req.message_id.clone(),
        transaction_id: Some(req.transaction_id.clone()),
    };
    let cmd = Command::request(rq::END_TRANSACTION).with_header(&header);
    let resp = invoke(ep, &call_connection(ctx), cmd).await;
    if resp.code != rc::SUCCESS {
        tracing::debug!(code = resp.code, remark = ?resp.remark, "end transaction");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_data_expires_and_the_newest_is_used() {
        let t = Transactions::default();
        let mut cfg = super::super::ProxyConfig {
            transaction_data_max_num: 2,
            ..Default::default()
        };
        for offset in 1..=3 {
            t.add(&cfg, ("g", "id"), offset, offset * 10);
        }
        assert_eq!(
            t.take("g", "id").map(|d| d.tran_state_table_offset),
            Some(3)
        );
        assert_eq!(
            t.take("g", "id").map(|d| d.tran_state_table_offset),
            Some(2)
        );
        assert_eq!(
            t.take("g", "id"),
            None,
            "at most transactionDataMaxNum kept"
        );
        cfg.transaction_data_expire_millis = 0;
        t.add(&cfg, ("g", "old"), 1, 10);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(t.take("g", "old"), None, "expired");
    }

    #[test]
    fn consistent_hash_matches_guava() {
        // Guava 31: Hashing.consistentHash(n, 8) for these inputs.
        assert_eq!(consistent_hash(0, 1), 0);
        for n in [-5i64, 0, 1, 97, 3275, i64::from(store::java_hash("g0"))] {
            let b = consistent_hash(n, 8);
            assert!((0..8).contains(&b));
            // Growing the bucket count only ever moves a key to the new bucket.
            let c = consistent_hash(n, 9);
            assert!(c == b || c == 8, "{n}: {b} -> {c}");
        }
    }

    #[test]
    fn message_type_check_as_java() {
        let p = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(check_type("NORMAL", &p("TAGS", "a")).is_ok());
        assert!(check_type("FIFO", &p("__SHARDINGKEY", "g")).is_ok());
        assert!(check_type("DELAY", &p("TIMER_DELIVER_MS", "1")).is_ok());
        assert!(check_type("TRANSACTION", &p("TRAN_MSG", "true")).is_ok());
        assert_eq!(
            check_type("FIFO", &p("TAGS", "a")).unwrap_err().code,
            code::MESSAGE_PROPERTY_CONFLICT_WITH_TYPE
        );
        assert!(check_type("MIXED", &p("TAGS", "a")).is_ok());
    }
}

//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320)
//! (Java `SendMessageProcessor`, `AbstractSendMessageProcessor.msgCheck`).
//!
//! Order of checks, as in Java 5.3.3: header → topic name (29 INVALID_PARAMETER) → forbidden
//! system topic (16) → unknown topic: auto-create from `defaultTopic` (TBW102) or `%RETRY%`
//! fallback, else 17 → queue id ≥ max(read, write) (29) → retry/DLQ redirect → store
//! (13 MESSAGE_ILLEGAL for body/properties over the limits). The body `Bytes` is a slice of the
//! request frame and is copied once, into the CommitLog mapping.
//!
//! Batch body item (`MessageDecoder.encodeMessage`):
//! ```text
//! | total 4 | magic 4 | bodyCRC 4 | flag 4 | bodyLen 4 | body | propsLen 2 | props |
//! ```

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::{Buf, Bytes};
use remoting::code::{request as rq, response as rc};
use remoting::headers::{SendMessageRequestHeader, SendMessageResponseHeader};
use remoting::{Command, Connection};
use store::props::{
    get, parse_pairs, property_spans, put, to_java_string_spans, DispatchSpans, DISPATCH_KEYS,
    PROPERTY_SEPARATOR,
};
use store::{NewMessage, StoreError};

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::{Reject, Reply};
use crate::topics::{self, TopicConfig, PERM_READ, PERM_WRITE, RETRY_PREFIX};

const UNIQ_KEY: &str = "UNIQ_KEY";
const CLUSTER: &str = "CLUSTER";
const MSG_REGION: &str = "MSG_REGION";
const TRACE_ON: &str = "TRACE_ON";
/// Java `MQVersion.Version.V3_4_9.ordinal()`: clients from here on send `maxReconsumeTimes`.
const V3_4_9: i32 = 121;
/// `MixAll.DLQ_NUMS_PER_GROUP`.
const DLQ_QUEUES: i32 = 1;
const FAQ: &str = "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

pub fn is_send_code(code: i32) -> bool {
    matches!(
        code,
        rq::SEND_MESSAGE
            | rq::SEND_MESSAGE_V2
            | rq::SEND_BATCH_MESSAGE
            | rq::SEND_REPLY_MESSAGE
            | rq::SEND_REPLY_MESSAGE_V2
    )
}

/// Java adds `MSG_REGION` and `TRACE_ON` to every send response, errors included.
pub fn add_region_ext(b: &Broker, mut resp: Command) -> Command {
    let cfg = b.config();
    resp.ext_fields.insert(MSG_REGION, &cfg.region_id);
    let trace_on = if cfg.trace_on { "true" } else { "false" };
    resp.ext_fields.insert(TRACE_ON, trace_on);
    resp
}

pub async fn handle(b: &Arc<Broker>, conn: &Connection, req: Command) -> Reply {
    let h = SendMessageRequestHeader::decode_for(&req)?;
    let cfg = b.config();
    let tc = check_topic(b, &cfg, &h, conn.peer())?;
    let mut target = Target {
        topic: Cow::Borrowed(&h.topic),
        queue_id: if h.queue_id < 0 {
            random_queue(tc.write_queue_nums)
        } else {
            h.queue_id
        },
        sys_flag: h.sys_flag,
        dlq: false,
    };
    if h.topic.starts_with(RETRY_PREFIX) {
        redirect_retry(b, &cfg, &h, req.version, &mut target)?;
    }
    if tc.multi_tag {
        target.sys_flag |= 0x2;
    }
    let store_host = b.store_host();
    let Built {
        msgs,
        spans,
        wait,
        transaction_id,
    } = build_messages(&req, &h, &cfg, &target, conn.peer(), store_host)?;
    if !crate::ha::enough_in_sync(b, &cfg, wait) {
        return Err(Reject::system("in-sync replicas not enough"));
    }
    let acks = crate::ha::needed_acks(&cfg, wait);
    let recall_handle = match msgs.as_slice() {
        [m] if req.code != rq::SEND_BATCH_MESSAGE => crate::recall::handle_of(m, &cfg.broker_name),
        _ => None,
    };
    let reply = Stored {
        queue_id: target.queue_id,
        store_host,
        transaction_id,
        recall_handle,
        request: crate::metrics::SendRequest {
            topic: &h.topic,
            properties: h.properties.as_deref(),
        },
    };
    store_and_reply(b, &cfg, (msgs, spans.as_slice()), reply, acks).await
}

/// What a send stores, and what its header's properties ask of the reply.
struct Built {
    msgs: Vec<NewMessage>,
    /// Where each message's dispatch properties are, when known without a scan.
    spans: Spans,
    /// Java `Message.isWaitStoreMsgOK`.
    wait: bool,
    /// Java answers the sent message's `UNIQ_KEY` (a batch's own, not its items').
    transaction_id: Option<String>,
}

/// [`Built::spans`]: a single message's, or each batch item's (no allocation for one).
enum Spans {
    Unknown,
    One(DispatchSpans),
    Each(Vec<DispatchSpans>),
}

impl Spans {
    fn as_slice(&self) -> Option<&[DispatchSpans]> {
        match self {
            Spans::Unknown => None,
            Spans::One(one) => Some(std::slice::from_ref(one)),
            Spans::Each(each) => Some(each),
        }
    }
}

/// The message(s) to store: one, or the items of a batch body.
fn build_messages(
    req: &Command,
    h: &SendMessageRequestHeader,
    cfg: &BrokerConfig,
    target: &Target,
    born_host: SocketAddr,
    store_host: SocketAddr,
) -> Result<Built, Reject> {
    let body = req.body.clone().unwrap_or_default();
    let client = h.properties.as_deref().unwrap_or("");
    if h.is_batch() {
        if h.topic.starts_with(RETRY_PREFIX) {
            return Err(Reject::illegal(
                "batch request does not support retry group",
            ));
        }
        let props = stored_properties(client, cfg, false, false);
        let (msgs, spans) = decode_batch(&body, h, &props.text, target, born_host, store_host)?;
        return Ok(Built {
            msgs,
            spans: Spans::Each(spans),
            wait: props.wait,
            transaction_id: props.uniq_key,
        });
    }
    let props = stored_properties(client, cfg, target.dlq, true);
    let msg = single(h, target, body, props.text, born_host, store_host);
    // A half, delayed or timer message's properties are rewritten: the spans no longer hold.
    let (msg, spans) = if props.special {
        (prepare_or_schedule(msg, cfg)?, Spans::Unknown)
    } else {
        (msg, props.spans.map_or(Spans::Unknown, Spans::One))
    };
    Ok(Built {
        msgs: vec![msg],
        spans,
        wait: props.wait,
        // Never absent: the broker makes one for a message without.
        transaction_id: Some(props.uniq_key.unwrap_or_default()),
    })
}

/// What a successful send answers besides the stored offsets.
struct Stored<'a> {
    queue_id: i32,
    store_host: SocketAddr,
    transaction_id: Option<String>,
    /// A single timer message's (Java `attachRecallHandle`).
    recall_handle: Option<String>,
    /// The request's topic and properties (for the metrics).
    request: crate::metrics::SendRequest<'a>,
}

/// Puts the messages, waits for durability (SYNC_FLUSH) and for `acks` replicas (SYNC_MASTER),
/// answers with msgId/queueId/queueOffset.
async fn store_and_reply(
    b: &Broker,
    cfg: &BrokerConfig,
    (msgs, spans): (Vec<NewMessage>, Option<&[DispatchSpans]>),
    reply: Stored<'_>,
    acks: Option<crate::ha::Acks>,
) -> Reply {
    let Stored {
        queue_id,
        store_host,
        transaction_id,
        recall_handle,
        request,
    } = reply;
    // The stored topic: SCHEDULE_TOPIC_XXXX or the half topic when rewritten, as Java counts.
    // Kept past the put, which takes the messages; nearly always the request's own.
    let topic = match msgs.first() {
        Some(m) if m.topic != request.topic => Cow::Owned(m.topic.clone()),
        Some(_) => Cow::Borrowed(request.topic),
        None => Cow::Borrowed(""),
    };
    let put = match b.store.put_batch_spanned(msgs, spans) {
        Ok(p) => p,
        Err(e) => return Err(put_error(&e, b, cfg)),
    };
    b.ha.after_put(cfg.enable_controller_mode);
    let first = put.first();
    let records = put.records;
    let wrote: i64 = records.iter().map(|p| i64::from(p.size)).sum();
    b.stats_items.put(
        &cfg.broker_cluster_name,
        &topic,
        crate::topics::is_system_topic(&topic, cfg),
        records.len() as u64,
        wrote.unsigned_abs(),
    );
    b.metrics
        .on_send(&topic, request, records.len() as u64, wrote.unsigned_abs());
    let code = match acks {
        None => flush_code(put.durability.wait().await, b, cfg)?,
        Some(need) => {
            let end = records
                .last()
                .map_or(0, |p| p.physical_offset + i64::from(p.size));
            // Java `handleDiskFlushAndHA`: both waits at once; a replica failure wins.
            let (flushed, replicated) = tokio::join!(
                put.durability.wait(),
                crate::ha::wait_replicated(b, end, need)
            );
            let code = flush_code(flushed, b, cfg)?;
            if replicated {
                code
            } else {
                rc::FLUSH_SLAVE_TIMEOUT
            }
        }
    };
    let msg_id = match records.as_slice() {
        [one] => store::offset_msg_id(&store_host, one.physical_offset),
        _ => {
            let mut ids = String::with_capacity(records.len() * 33);
            for (i, p) in records.iter().enumerate() {
                if i > 0 {
                    ids.push(',');
                }
                store::push_offset_msg_id(&mut ids, &store_host, p.physical_offset);
            }
            ids
        }
    };
    let header = SendMessageResponseHeader {
        msg_id,
        queue_id,
        queue_offset: first.queue_offset,
        transaction_id,
        batch_uniq_id: None,
        recall_handle,
    };
    Ok(Command::response(code, None).with_header(&header))
}

/// The response code of a flush wait: FLUSH_DISK_TIMEOUT still means stored.
fn flush_code(r: store::Result<()>, b: &Broker, cfg: &BrokerConfig) -> Result<i32, Reject> {
    match r {
        Ok(()) => Ok(rc::SUCCESS),
        Err(StoreError::FlushTimeout(_)) => Ok(rc::FLUSH_DISK_TIMEOUT),
        Err(e) => Err(put_error(&e, b, cfg)),
    }
}

/// Where the message goes after retry/DLQ handling: the request's topic unless redirected.
struct Target<'a> {
    topic: Cow<'a, str>,
    queue_id: i32,
    sys_flag: i32,
    /// Redirected to the DLQ (Java marks it `DELAY=-1`).
    dlq: bool,
}

/// Java `msgCheck`: topic name, forbidden topics, auto-create, queue id range.
pub(crate) fn check_topic(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &SendMessageRequestHeader,
    peer: SocketAddr,
) -> Result<SendTopic, Reject> {
    let existing = b.topics.with(&h.topic, |tc| SendTopic::of(tc, h.queue_id));
    if cfg.broker_permission & PERM_WRITE == 0 && existing.as_ref().is_some_and(|t| t.order) {
        return Err(Reject::no_permission(format!(
            "the broker[{}] sending message is forbidden",
            cfg.broker_ip1
        )));
    }
    if let Err(remark) = topics::validate_topic_name(&h.topic) {
        return Err(Reject::code(rc::INVALID_PARAMETER, remark));
    }
    if topics::is_send_forbidden(&h.topic) {
        return Err(Reject::no_permission(format!(
            "Sending message to topic[{}] is forbidden.",
            h.topic
        )));
    }
    let tc = match existing {
        Some(tc) => tc,
        None => SendTopic::of(&auto_create(b, cfg, h)?, h.queue_id),
    };
    if let Some(config) = tc.queue_beyond {
        return Err(Reject::code(
            rc::INVALID_PARAMETER,
            format!(
                "request queueId[{}] is illegal, {config} Producer: {peer}",
                h.queue_id
            ),
        ));
    }
    Ok(tc)
}

/// What a send needs of its topic's config, read under the table's lock: a clone of the whole
/// config (its name and attributes) was an allocation and a free a send.
pub(crate) struct SendTopic {
    pub write_queue_nums: i32,
    pub multi_tag: bool,
    order: bool,
    /// The config as the remark shows it, when the request's queue id is beyond the topic's
    /// queues.
    queue_beyond: Option<String>,
}

impl SendTopic {
    fn of(tc: &TopicConfig, queue_id: i32) -> SendTopic {
        SendTopic {
            write_queue_nums: tc.write_queue_nums,
            multi_tag: tc.is_multi_tag(),
            order: tc.order,
            queue_beyond: (queue_id >= tc.write_queue_nums.max(tc.read_queue_nums))
                .then(|| topic_config_string(tc)),
        }
    }
}

/// Java `TopicConfig.toString` as it appears in the queue-id remark.
fn topic_config_string(tc: &TopicConfig) -> String {
    format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}, attributes={}]",
        tc.topic_name,
        tc.read_queue_nums,
        tc.write_queue_nums,
        perm_string(tc.perm),
        tc.topic_filter_type,
        tc.topic_sys_flag,
        tc.order,
        java_map(&tc.attributes)
    )
}

/// Java `AbstractMap.toString`: `{k=v, k2=v2}`.
fn java_map(m: &std::collections::BTreeMap<String, String>) -> String {
    let inner: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Java `PermName.perm2String`.
fn perm_string(perm: i32) -> String {
    let r = if perm & PERM_READ != 0 { 'R' } else { '-' };
    let w = if perm & PERM_WRITE != 0 { 'W' } else { '-' };
    let x = if perm & topics::PERM_INHERIT != 0 {
        'X'
    } else {
        '-'
    };
    format!("{r}{w}{x}")
}

fn auto_create(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &SendMessageRequestHeader,
) -> Result<TopicConfig, Reject> {
    let created = b.topics.create_in_send(
        &h.topic,
        &h.default_topic,
        h.default_topic_queue_nums,
        0,
        cfg.auto_create_topic_enable,
    );
    let created = match created {
        Some(c) => Some(c),
        None if h.topic.starts_with(RETRY_PREFIX) => Some(b.topics.create_if_absent(
            &h.topic,
            1,
            PERM_READ | PERM_WRITE,
        )),
        None => None,
    };
    match created {
        Some((tc, fresh)) => {
            if fresh {
                b.request_register();
            }
            Ok(tc)
        }
        None => Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist, apply first please!{FAQ}", h.topic),
        )),
    }
}

/// Java `handleRetryAndDLQ`: retry topics need a known group; too many reconsumes go to the DLQ.
fn redirect_retry(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &SendMessageRequestHeader,
    version: i32,
    t: &mut Target,
) -> Result<(), Reject> {
    let group = &h.topic[RETRY_PREFIX.len()..];
    let Some(gc) = b.groups.find_or_create(group, cfg) else {
        return Err(Reject::code(
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {group} {FAQ}"),
        ));
    };
    let max = match h.max_reconsume_times {
        Some(m) if version >= V3_4_9 => m,
        _ => gc.retry_max_times,
    };
    if h.reconsume_times.unwrap_or(0) > max {
        b.metrics.on_send_to_dlq(&h.producer_group, &h.topic);
        let dlq = topics::dlq_topic(group);
        let (_, fresh) = b
            .topics
            .create_if_absent(&dlq, DLQ_QUEUES, PERM_READ | PERM_WRITE);
        if fresh {
            b.request_register();
        }
        t.topic = Cow::Owned(dlq);
        t.queue_id = random_queue(DLQ_QUEUES);
        t.dlq = true;
    }
    Ok(())
}

/// The properties that make a send a half, delayed or timer message.
const SPECIAL_KEYS: [&str; 5] = [
    "TRAN_MSG",
    "DELAY",
    "TIMER_DELIVER_MS",
    "TIMER_DELAY_SEC",
    "TIMER_DELAY_MS",
];

/// A `TRAN_MSG=true` send becomes a half message (unless refused by `rejectTransactionMessage`);
/// Java skips that for old clients' retries carrying both reconsume times and a delay. Only for
/// a message with one of [`SPECIAL_KEYS`]: others pass all four checks unchanged.
fn prepare_or_schedule(msg: NewMessage, cfg: &BrokerConfig) -> Result<NewMessage, Reject> {
    let delayed = store::props::property(&msg.properties, "DELAY")
        .and_then(|d| d.parse::<i32>().ok())
        .is_some_and(|d| d > 0);
    if crate::transaction::is_prepared(&msg) && !(msg.reconsume_times > 0 && delayed) {
        if cfg.reject_transaction_message {
            return Err(Reject::no_permission(format!(
                "the broker[{}] sending transaction message is forbidden",
                cfg.broker_ip1
            )));
        }
        return Ok(crate::transaction::to_half(msg));
    }
    let msg = crate::timer::to_timer_topic(msg, cfg)?;
    Ok(crate::schedule::to_schedule_topic(msg, cfg))
}

/// Stored properties (Java `buildMsgContext` then `sendMessage` / `sendBatchMessage`): the
/// client's, plus `MSG_REGION` and `TRACE_ON`, `DELAY=-1` for a message redirected to the DLQ,
/// a broker-made `UNIQ_KEY` when `add_uniq` and the client set none, and `CLUSTER`, in Java's
/// `HashMap` order ([`store::props::to_java_string`]). Java re-parses the string between adding
/// the first two and the rest, which drops pairs with an empty value.
///
/// What the send path reads from them comes from the pairs the text is encoded from: each
/// would otherwise be another scan of the text.
fn stored_properties(client: &str, cfg: &BrokerConfig, dlq: bool, add_uniq: bool) -> StoredProps {
    let mut pairs = parse_pairs(client);
    put(&mut pairs, MSG_REGION, cfg.region_id.as_str());
    put(
        &mut pairs,
        TRACE_ON,
        if cfg.trace_on { "true" } else { "false" },
    );
    pairs.retain(|(_, v)| !v.is_empty());
    if dlq {
        put(&mut pairs, "DELAY", "-1");
    }
    let made;
    if add_uniq && get(&pairs, UNIQ_KEY).is_none() {
        made = new_uniq_id();
        put(&mut pairs, UNIQ_KEY, made.as_str());
    }
    put(&mut pairs, CLUSTER, cfg.broker_cluster_name.as_str());
    // Every value but CLUSTER's is non-empty here, and no special key or WAIT is CLUSTER: the
    // answers match `property`/`has_any` on the text, which skip empty values.
    let wait = get(&pairs, "WAIT").map_or(true, |w| w.eq_ignore_ascii_case("true"));
    let special = pairs.iter().any(|(k, _)| SPECIAL_KEYS.contains(k));
    let uniq_key = get(&pairs, UNIQ_KEY).map(str::to_owned);
    let (text, spans) = to_java_string_spans(&mut pairs, DISPATCH_KEYS);
    // The client's pairs come from a parse, so they hold no separator that would make a scan of
    // the text see other pairs; the configured values are the broker's own to check.
    let exact = ![&cfg.region_id, &cfg.broker_cluster_name]
        .iter()
        .any(|v| v.bytes().any(|b| b == 1 || b == 2));
    StoredProps {
        text,
        spans: exact.then_some(spans),
        wait,
        special,
        uniq_key,
    }
}

/// [`stored_properties`]' result.
struct StoredProps {
    text: String,
    /// Where the store's dispatch finds its properties in `text`.
    spans: Option<DispatchSpans>,
    /// `WAIT` absent or "true" (Java `Message.isWaitStoreMsgOK`).
    wait: bool,
    /// A value under one of [`SPECIAL_KEYS`]: maybe a half, delayed or timer message.
    special: bool,
    /// `UNIQ_KEY`, which no later rewrite of the properties changes.
    uniq_key: Option<String>,
}

/// A batch item's stored properties (Java `MessageExtEncoder.encode(MessageExtBatch)`): its own
/// bytes as sent, a separator if they lack a final one, then the batch's properties, so a name
/// set on both appears twice (a reader keeps the later value). Also where the dispatch
/// properties are, from those of the batch's (`batch_spans`) and a scan of the item's own.
fn batch_item_properties(
    item: &str,
    batch: &str,
    batch_spans: &DispatchSpans,
) -> (String, DispatchSpans) {
    let mut s = String::with_capacity(item.len() + 1 + batch.len());
    s.push_str(item);
    if !item.is_empty() && !batch.is_empty() && !item.ends_with(PROPERTY_SEPARATOR) {
        s.push(PROPERTY_SEPARATOR);
    }
    let shift = s.len();
    s.push_str(batch);
    let mut spans = property_spans(item, DISPATCH_KEYS);
    for (span, in_batch) in spans.iter_mut().zip(batch_spans) {
        if let Some(r) = in_batch {
            *span = Some(r.start + shift..r.end + shift);
        }
    }
    (s, spans)
}

fn single(
    h: &SendMessageRequestHeader,
    t: &Target,
    body: Bytes,
    properties: String,
    born_host: SocketAddr,
    store_host: SocketAddr,
) -> NewMessage {
    NewMessage {
        topic: t.topic.to_string(),
        queue_id: t.queue_id,
        flag: h.flag,
        body,
        properties,
        sys_flag: t.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host,
        store_host,
        reconsume_times: h.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
    }
}

/// Splits a batch body into messages; `batch_props`, the header's stored properties, apply to
/// every item.
fn decode_batch(
    body: &Bytes,
    h: &SendMessageRequestHeader,
    batch_props: &str,
    t: &Target,
    born_host: SocketAddr,
    store_host: SocketAddr,
) -> Result<(Vec<NewMessage>, Vec<DispatchSpans>), Reject> {
    let bad = || Reject::illegal("the message is illegal, batch body is malformed");
    let batch_spans = property_spans(batch_props, DISPATCH_KEYS);
    let mut out = Vec::new();
    let mut spans = Vec::new();
    let mut rest = body.clone();
    while rest.has_remaining() {
        if rest.remaining() < 20 {
            return Err(bad());
        }
        let _total = rest.get_i32();
        let _magic = rest.get_i32();
        let _crc = rest.get_i32();
        let flag = rest.get_i32();
        let body_len = usize::try_from(rest.get_i32()).map_err(|_| bad())?;
        if rest.remaining() < body_len + 2 {
            return Err(bad());
        }
        let item_body = rest.split_to(body_len);
        let props_len = usize::try_from(rest.get_i16()).map_err(|_| bad())?;
        if rest.remaining() < props_len {
            return Err(bad());
        }
        let props_bytes = rest.split_to(props_len);
        let props = std::str::from_utf8(&props_bytes).map_err(|_| bad())?;
        let (properties, at) = batch_item_properties(props, batch_props, &batch_spans);
        spans.push(at);
        out.push(NewMessage {
            topic: t.topic.to_string(),
            queue_id: t.queue_id,
            flag,
            body: item_body,
            properties,
            sys_flag: t.sys_flag,
            born_timestamp: h.born_timestamp,
            born_host,
            store_host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        });
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok((out, spans))
}

/// Java `handlePutMessageResult` codes and remarks for a put that failed.
fn put_error(e: &StoreError, b: &Broker, cfg: &BrokerConfig) -> Reject {
    match e {
        StoreError::MessageIllegal(_) => Reject::illegal(format!(
            "the message is illegal, maybe msg body or properties length not matched. msg body length limit {}B, msg properties length limit 32KB.",
            cfg.max_message_size
        )),
        StoreError::NotRunning
        | StoreError::DiskFull(_)
        | StoreError::Poisoned(_)
        | StoreError::Replica => Reject::code(
            rc::SERVICE_NOT_AVAILABLE,
            format!("service not available now. It may be caused by one of the following reasons: the broker's disk is full [{}], messages are put to the slave, message store has been shut down, etc.", disk_util(b)),
        ),
        StoreError::Io { .. } => Reject::system("create mapped file failed, server is busy or broken."),
        _ => Reject::system("UNKNOWN_ERROR"),
    }
}

/// Java `SendMessageProcessor.diskUtil`: the used share of the CommitLog, consume-queue and
/// index filesystems, `CL: %5.2f CQ: %5.2f INDEX: %5.2f` (-1.00 for a missing directory).
fn disk_util(b: &Broker) -> String {
    let d = b.store.disk_used_ratios();
    format!(
        "CL: {:5.2} CQ: {:5.2} INDEX: {:5.2}",
        d.commitlog, d.consume_queue, d.index
    )
}

/// `brokerIP1:listenPort` as the address stored in records and offset msgIds. Parsed once a
/// configuration ([`Broker::set_config`]); handlers read it with [`Broker::store_host`].
pub(crate) fn store_host(cfg: &BrokerConfig) -> SocketAddr {
    let ip: IpAddr = cfg
        .broker_ip1
        .trim_matches(|c| c == '[' || c == ']')
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    SocketAddr::new(ip, cfg.listen_port.clamp(0, 65535) as u16)
}

pub(crate) fn random_queue(n: i32) -> i32 {
    let n = n.max(1) as u64;
    (next_random() % n) as i32
}

/// A cheap per-process pseudo-random sequence (xorshift) for queue picks; no crypto needed.
fn next_random() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = crate::persist::now_millis() as u64 | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    x
}

/// A broker-made `UNIQ_KEY` (Java 5.x `MessageClientIDSetter.createUniqID` layout: ip, pid,
/// a per-process word, time since process start, counter), upper-case hex.
fn new_uniq_id() -> String {
    use std::sync::atomic::{AtomicU16, Ordering};
    static COUNTER: AtomicU16 = AtomicU16::new(0);
    let mut raw = Vec::with_capacity(16);
    raw.extend_from_slice(&[127, 0, 0, 1]);
    raw.extend_from_slice(&(std::process::id() as u16).to_be_bytes());
    raw.extend_from_slice(&(next_random() as u32).to_be_bytes());
    raw.extend_from_slice(&(crate::persist::now_millis() as u32).to_be_bytes());
    raw.extend_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    store::upper_hex(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<&str> {
        parse_pairs(s).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn stored_properties_as_java_builds_them() {
        let cfg = BrokerConfig::default();
        // A Java 5.3.3 producer's tagged message, and what the Java broker stored for it.
        let p = stored_properties(
            "TAGS\u{1}A\u{2}UNIQ_KEY\u{1}7F\u{2}WAIT\u{1}true\u{2}",
            &cfg,
            false,
            true,
        )
        .text;
        assert_eq!(
            p,
            "MSG_REGION\u{1}DefaultRegion\u{2}UNIQ_KEY\u{1}7F\u{2}CLUSTER\u{1}DefaultCluster\u{2}\
             TAGS\u{1}A\u{2}WAIT\u{1}true\u{2}TRACE_ON\u{1}true\u{2}"
        );
        // No client id: the broker makes one (before CLUSTER, in the bucket they share).
        let made = stored_properties("TAGS\u{1}A\u{2}a\u{1}1\u{2}", &cfg, false, true).text;
        assert_eq!(
            names(&made),
            ["MSG_REGION", "UNIQ_KEY", "CLUSTER", "TAGS", "a", "TRACE_ON"]
        );
        assert_eq!(get(&parse_pairs(&made), UNIQ_KEY).map(str::len), Some(32));
        let batch = stored_properties("WAIT\u{1}true\u{2}", &cfg, false, false).text;
        assert!(
            !batch.contains(UNIQ_KEY),
            "no id is made for a batch: {batch:?}"
        );
        let dlq = stored_properties("", &cfg, true, false).text;
        assert_eq!(get(&parse_pairs(&dlq), "DELAY"), Some("-1"));
        // Pairs Java drops on parsing stay dropped; an empty region is dropped on the re-parse.
        let cfg = BrokerConfig {
            region_id: String::new(),
            ..BrokerConfig::default()
        };
        let odd = stored_properties("E\u{1}\u{2}\u{2}ab\u{2}TAGS\u{1}A", &cfg, false, false).text;
        assert_eq!(names(&odd), ["CLUSTER", "TAGS", "TRACE_ON"]);
    }

    /// What the send path takes from the pairs is what scanning the stored text answers.
    #[test]
    fn stored_property_answers_match_the_text() {
        let cfg = BrokerConfig::default();
        let clients = [
            "",
            "WAIT\u{1}true\u{2}",
            "WAIT\u{1}false\u{2}",
            "WAIT\u{1}TRUE",
            "WAIT\u{1}false\u{2}WAIT\u{1}true\u{2}",
            "WAIT\u{1}false\u{2}WAIT\u{1}\u{2}",
            "WAIT\u{2}UNIQ_KEY\u{1}\u{2}",
            "UNIQ_KEY\u{1}A\u{2}UNIQ_KEY\u{1}B\u{2}TAGS\u{1}t",
            "DELAY\u{1}3\u{2}",
            "DELAY\u{1}\u{2}TRAN_MSG\u{1}\u{2}",
            "TRAN_MSG\u{1}true\u{2}",
            "TIMER_DELAY_SEC\u{1}5",
            "TIMER_DELIVER_MS\u{1}1\u{2}TIMER_DELAY_MS\u{1}2",
            "KEYS\u{1}k1 k2\u{2}\u{1}x\u{2}a\u{1}b\u{1}c",
        ];
        for client in clients {
            for (dlq, add_uniq) in [(false, false), (false, true), (true, false), (true, true)] {
                let p = stored_properties(client, &cfg, dlq, add_uniq);
                let text = p.text.as_str();
                let scanned_wait = store::props::property(client, "WAIT")
                    .map_or(true, |w| w.eq_ignore_ascii_case("true"));
                assert_eq!(p.wait, scanned_wait, "{client:?}");
                assert_eq!(
                    p.special,
                    store::props::has_any(text, &SPECIAL_KEYS),
                    "{client:?} {dlq}"
                );
                assert_eq!(
                    p.uniq_key.as_deref(),
                    store::props::property(text, UNIQ_KEY),
                    "{client:?} {add_uniq}"
                );
                assert_eq!(
                    p.spans,
                    Some(property_spans(text, DISPATCH_KEYS)),
                    "{client:?} {dlq} {add_uniq}"
                );
            }
        }
        // A configured value holding a separator would make a scan see other pairs than were
        // written: no spans are claimed then.
        let odd = BrokerConfig {
            region_id: "r\u{2}KEYS\u{1}k".into(),
            ..Default::default()
        };
        let p = stored_properties("TAGS\u{1}t", &odd, false, true);
        assert_eq!(p.spans, None);
        assert_eq!(store::props::property(&p.text, "KEYS"), Some("k"));
    }

    /// A batch item's spans, made from the batch's and a scan of its own part, are those a scan
    /// of its whole property string finds.
    #[test]
    fn batch_item_spans_match_a_scan() {
        let parts = [
            "",
            "KEYS\u{1}k1 k2",
            "KEYS\u{1}k\u{2}",
            "TAGS\u{1}a\u{2}TAGS\u{1}\u{2}UNIQ_KEY\u{1}7F",
            "DELAY\u{1}2\u{2}KEYS\u{1}\u{2}x\u{1}y\u{1}z",
            "\u{2}\u{1}v\u{2}KEYS",
        ];
        for item in parts {
            for batch in parts {
                let batch_spans = property_spans(batch, DISPATCH_KEYS);
                let (text, spans) = batch_item_properties(item, batch, &batch_spans);
                assert_eq!(
                    spans,
                    property_spans(&text, DISPATCH_KEYS),
                    "{item:?} + {batch:?}"
                );
            }
        }
    }

    #[test]
    fn batch_items_keep_their_bytes() {
        let batch = "WAIT\u{1}true\u{2}CLUSTER\u{1}c\u{2}";
        let batch_item_properties =
            |item, batch| super::batch_item_properties(item, batch, &Default::default()).0;
        assert_eq!(
            batch_item_properties("KEYS\u{1}k\u{2}WAIT\u{1}true\u{2}", batch),
            "KEYS\u{1}k\u{2}WAIT\u{1}true\u{2}WAIT\u{1}true\u{2}CLUSTER\u{1}c\u{2}"
        );
        assert_eq!(
            batch_item_properties("KEYS\u{1}k", batch),
            "KEYS\u{1}k\u{2}WAIT\u{1}true\u{2}CLUSTER\u{1}c\u{2}"
        );
        assert_eq!(batch_item_properties("", batch), batch);
    }

    #[test]
    fn batch_items_split_zero_copy() {
        // item from protocol.md 6.4: body "x", properties a=b, KEYS, WAIT, TAGS
        let props = "a\u{1}b\u{2}KEYS\u{1}k1 k2\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA";
        let mut item = Vec::new();
        item.extend_from_slice(&(22 + 1 + props.len() as i32).to_be_bytes());
        item.extend_from_slice(&[0; 8]);
        item.extend_from_slice(&0i32.to_be_bytes());
        item.extend_from_slice(&1i32.to_be_bytes());
        item.push(b'x');
        item.extend_from_slice(&(props.len() as i16).to_be_bytes());
        item.extend_from_slice(props.as_bytes());
        let mut body = item.clone();
        body.extend_from_slice(&item);
        let h = SendMessageRequestHeader::default();
        let t = Target {
            topic: "T".into(),
            queue_id: 0,
            sys_flag: 0,
            dlq: false,
        };
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let (msgs, spans) = decode_batch(&Bytes::from(body), &h, "", &t, a, a).unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(msgs.len(), 2);
        assert_eq!(&msgs[1].body[..], b"x");
        assert!(msgs[0].properties.starts_with(props));
        assert!(decode_batch(&Bytes::from_static(&[0, 0, 0, 9]), &h, "", &t, a, a).is_err());
    }

    #[test]
    fn perm_strings() {
        assert_eq!(perm_string(6), "RW-");
        assert_eq!(perm_string(7), "RWX");
    }
}

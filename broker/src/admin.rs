//! Admin and query requests (Java `AdminBrokerProcessor`, `QueryMessageProcessor`):
//! GET_CONSUME_STATS (208), GET_CONSUMER_CONNECTION_LIST (203), GET_PRODUCER_CONNECTION_LIST
//! (204), GET_BROKER_RUNTIME_INFO (28), GET_BROKER_CONFIG (26), UPDATE_BROKER_CONFIG (25),
//! QUERY_MESSAGE (12), VIEW_MESSAGE_BY_ID (33).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use remoting::body::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel};
use remoting::code::response as rc;
use remoting::headers::{
    GetBrokerConfigResponseHeader, GetConsumeStatsRequestHeader,
    GetConsumerConnectionListRequestHeader, GetProducerConnectionListRequestHeader,
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use remoting::{body, Command};
use serde::Serialize;

use crate::broker::Broker;
use crate::client_table::ClientChannel;
use crate::error::{Reject, Reply};
use crate::locks::MessageQueue;
use crate::persist::now_millis;
use crate::subscription::SubscriptionData;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OffsetWrapper {
    broker_offset: i64,
    consumer_offset: i64,
    last_timestamp: i64,
    pull_offset: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConsumeStats {
    consume_tps: f64,
    offset_table: BTreeMap<String, OffsetWrapper>,
}

/// GET_CONSUME_STATS: per read queue of each topic the group consumes.
pub fn consume_stats(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetConsumeStatsRequestHeader = req.decode_header()?;
    let group = &h.consumer_group;
    let topics: Vec<String> = match (h.topic.as_deref(), h.topic_list.as_deref()) {
        (Some(t), _) if !t.is_empty() => vec![t.to_string()],
        (_, Some(list)) if !list.is_empty() => list.split(';').map(str::to_string).collect(),
        _ => b.offsets.topics_of_group(group),
    };
    let mut offset_table = BTreeMap::new();
    for topic in topics {
        if let Some(queues) = stats_queues(b, group, &topic, false) {
            queue_stats(b, group, &topic, queues, &mut offset_table);
        }
    }
    let stats = ConsumeStats {
        consume_tps: 0.0,
        offset_table,
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::to_body_fastjson(&stats)?))
}

/// Read-queue count of `topic` for the group's stats, `None` when Java skips it: unknown topic,
/// or an online group that does not subscribe to it.
fn stats_queues(b: &Broker, group: &str, topic: &str, write_queues: bool) -> Option<i32> {
    let tc = b.topics.get(topic)?;
    if let Some(i) = b.clients.consumer_group(group) {
        if !i.subscriptions.is_empty() && !i.subscriptions.contains_key(topic) {
            return None;
        }
    }
    Some(if write_queues {
        tc.write_queue_nums
    } else {
        tc.read_queue_nums
    })
}

/// One `OffsetWrapper` per queue: max offset, committed offset, store time of the last consumed.
fn queue_stats(
    b: &Broker,
    group: &str,
    topic: &str,
    queues: i32,
    out: &mut BTreeMap<String, OffsetWrapper>,
) {
    let broker_name = b.config().broker_name.clone();
    for q in 0..queues.max(0) {
        let broker_offset = b.store.max_offset(topic, q).max(0);
        let consumer_offset = b.offsets.query(group, topic, q).unwrap_or(0).max(0);
        let last_timestamp = if consumer_offset > 0 {
            b.store
                .message_store_time(topic, q, consumer_offset - 1)
                .max(0)
        } else {
            0
        };
        let mq = MessageQueue {
            broker_name: broker_name.clone(),
            queue_id: q,
            topic: topic.to_string(),
        };
        out.insert(
            body::object_key(&mq),
            OffsetWrapper {
                broker_offset,
                consumer_offset,
                last_timestamp,
                pull_offset: consumer_offset,
            },
        );
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConsumeStatsList {
    broker_addr: String,
    consume_stats_list: Vec<BTreeMap<String, Vec<ConsumeStats>>>,
    total_diff: i64,
    total_inflight_diff: i64,
}

remoting::header! {
    /// GET_BROKER_CONSUME_STATS (317).
    pub struct GetConsumeStatsInBrokerHeader {
        is_order: bool = "isOrder" or false,
    }
}

/// GET_BROKER_CONSUME_STATS (`mqadmin brokerConsumeStats`): every group's stats per topic it has
/// offsets for (write queues, as Java), with the total lag.
pub fn broker_consume_stats(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetConsumeStatsInBrokerHeader = req.decode_header()?;
    let mut list = Vec::new();
    let mut total_diff = 0i64;
    for group in b.groups.names() {
        let mut per_topic = Vec::new();
        for topic in b.offsets.topics_of_group(&group) {
            if h.is_order && !b.topics.get(&topic).is_some_and(|t| t.order) {
                continue;
            }
            let Some(queues) = stats_queues(b, &group, &topic, true) else {
                continue;
            };
            let mut offset_table = BTreeMap::new();
            queue_stats(b, &group, &topic, queues, &mut offset_table);
            total_diff += offset_table
                .values()
                .map(|o| o.broker_offset - o.consumer_offset)
                .sum::<i64>();
            per_topic.push(ConsumeStats {
                consume_tps: 0.0,
                offset_table,
            });
        }
        if !per_topic.is_empty() {
            list.push(BTreeMap::from([(group, per_topic)]));
        }
    }
    let body = ConsumeStatsList {
        broker_addr: b.config().broker_addr(),
        consume_stats_list: list,
        total_diff,
        total_inflight_diff: 0,
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::to_body_fastjson(&body)?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    client_addr: String,
    client_id: String,
    language: String,
    version: i32,
}

fn connection(c: &ClientChannel) -> Connection {
    Connection {
        client_addr: c.conn.peer().to_string(),
        client_id: c.client_id.clone(),
        language: c.language.name().unwrap_or("OTHER").to_string(),
        version: c.version,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConsumerConnection {
    connection_set: Vec<Connection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consume_from_where: Option<ConsumeFromWhere>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consume_type: Option<ConsumeType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_model: Option<MessageModel>,
    subscription_table: BTreeMap<String, SubscriptionData>,
}

pub fn consumer_connections(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetConsumerConnectionListRequestHeader = req.decode_header()?;
    let Some(info) = b.clients.consumer_group(&h.consumer_group) else {
        return Err(Reject::code(
            rc::CONSUMER_NOT_ONLINE,
            format!("the consumer group[{}] not online", h.consumer_group),
        ));
    };
    let cc = ConsumerConnection {
        connection_set: info.channels.values().map(connection).collect(),
        consume_from_where: info.consume_from_where,
        consume_type: info.consume_type,
        message_model: info.message_model,
        subscription_table: info.subscriptions,
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&cc)?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProducerConnection {
    connection_set: Vec<Connection>,
}

pub fn producer_connections(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetProducerConnectionListRequestHeader = req.decode_header()?;
    let chans = b.clients.producer_group(&h.producer_group);
    if chans.is_empty() {
        return Err(Reject::system(format!(
            "the producer group[{}] not exist",
            h.producer_group
        )));
    }
    let pc = ProducerConnection {
        connection_set: chans.iter().map(connection).collect(),
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&pc)?))
}

#[derive(Serialize)]
struct KvTable {
    table: BTreeMap<String, String>,
}

/// GET_BROKER_RUNTIME_INFO: the keys mqadmin clusterList/brokerStatus read, with real values.
pub fn runtime_info(b: &Arc<Broker>) -> Reply {
    let cfg = b.config();
    let s = &b.stats;
    let (cl_max, cl_min) = b.store.commitlog_offsets();
    let put_total = s.put_msgs.load(Ordering::Relaxed);
    let get_total = s.get_transferred.load(Ordering::Relaxed);
    let put_bytes = s.put_bytes.load(Ordering::Relaxed);
    let mut t = BTreeMap::new();
    let mut kv = |k: &str, v: String| {
        t.insert(k.to_string(), v);
    };
    kv("brokerVersionDesc", "V5_3_3".into());
    kv(
        "brokerVersion",
        remoting::command::VERSION_5_3_3.to_string(),
    );
    kv("brokerActive", cfg.is_master().to_string());
    kv("bootTimestamp", b.boot_timestamp.to_string());
    kv("runtime", runtime_text(now_millis() - b.boot_timestamp));
    kv("msgPutTotalTodayNow", put_total.to_string());
    kv("msgGetTotalTodayNow", get_total.to_string());
    kv("msgPutTotalTodayMorning", "0".into());
    kv("msgGetTotalTodayMorning", "0".into());
    kv("msgPutTotalYesterdayMorning", "0".into());
    kv("msgGetTotalYesterdayMorning", "0".into());
    kv("putMessageTimesTotal", put_total.to_string());
    kv("putMessageSizeTotal", put_bytes.to_string());
    kv(
        "putMessageFailedTimes",
        s.put_failed.load(Ordering::Relaxed).to_string(),
    );
    kv(
        "putMessageAverageSize",
        format!("{:.2}", put_bytes as f64 / put_total.max(1) as f64),
    );
    kv("putTps", s.put_tps());
    kv("getFoundTps", s.get_found_tps());
    kv("getMissTps", s.get_miss_tps());
    kv("getTotalTps", s.get_total_tps());
    // 4.9.8 tools read the misspelled key, 5.x the corrected one.
    kv("getTransferedTps", s.get_transferred_tps());
    kv("getTransferredTps", s.get_transferred_tps());
    kv("commitLogMinOffset", cl_min.to_string());
    kv("commitLogMaxOffset", cl_max.to_string());
    kv(
        "earliestMessageTimeStamp",
        b.store.earliest_commitlog_time().max(0).to_string(),
    );
    kv(
        "startAcceptSendRequestTimeStamp",
        cfg.start_accept_send_request_time_stamp.to_string(),
    );
    kv("dispatchBehindBytes", "0".into());
    kv(
        "remainHowManyDataToFlush",
        b.store.flush_behind_bytes().to_string(),
    );
    kv("pageCacheLockTimeMills", "0".into());
    let ratio = s.disk_ratio();
    kv("commitLogDiskRatio", format!("{ratio}"));
    kv("consumeQueueDiskRatio", format!("{ratio}"));
    pool_and_timer_keys(&cfg, &mut kv);
    // Java `ScheduleMessageService.buildRunningStats`: "<delivered>,<max>" per delay level.
    for (level, delivered) in b.delay_offsets.snapshot() {
        let max = b.store.max_offset(crate::topics::SCHEDULE_TOPIC, level - 1);
        kv(
            &format!("scheduleMessageOffset_{level}"),
            format!("{delivered},{max}"),
        );
    }
    let bytes = body::try_to_body(&KvTable { table: t })?;
    Ok(Command::response(rc::SUCCESS, None).with_body(bytes))
}

/// Thread-pool and timer keys: requests run as tasks, never queued behind a pool, so the queues
/// are always empty; the timer wheel is not implemented, so its stats are zero.
fn pool_and_timer_keys(cfg: &crate::config::BrokerConfig, kv: &mut impl FnMut(&str, String)) {
    for (k, cap) in [
        ("sendThreadPoolQueue", cfg.send_thread_pool_queue_capacity),
        ("pullThreadPoolQueue", cfg.pull_thread_pool_queue_capacity),
        (
            "litePullThreadPoolQueue",
            cfg.lite_pull_thread_pool_queue_capacity,
        ),
        ("queryThreadPoolQueue", cfg.query_thread_pool_queue_capacity),
    ] {
        kv(&format!("{k}Size"), "0".into());
        kv(&format!("{k}Capacity"), cap.to_string());
        kv(&format!("{k}HeadWaitTimeMills"), "0".into());
    }
    for k in ["timerReadBehind", "timerOffsetBehind", "timerCongestNum"] {
        kv(k, "0".into());
    }
    kv("timerEnqueueTps", "0.0".into());
    kv("timerDequeueTps", "0.0".into());
}

/// Java `StoreStatsService.getRuntimeInfo` "runtime": `[ D days, H hours, M minutes, S seconds ]`.
fn runtime_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!(
        "[ {} days, {} hours, {} minutes, {} seconds ]",
        s / 86_400,
        s % 86_400 / 3600,
        s % 3600 / 60,
        s % 60
    )
}

pub fn get_broker_config(b: &Arc<Broker>) -> Reply {
    let cfg = b.config();
    let version = serde_json::to_string(&b.config_version.snapshot()).unwrap_or_default();
    Ok(Command::response(rc::SUCCESS, None)
        .with_header(&GetBrokerConfigResponseHeader { version })
        .with_body(cfg.to_properties().into_bytes()))
}

/// UPDATE_BROKER_CONFIG: merge the properties, persist them to the `-c` file (with `.bak`),
/// re-register when `brokerPermission` changed. A value that does not parse or is not supported
/// (the key table's refusals, as at start-up) is refused with SYSTEM_ERROR naming the key, and
/// nothing changes.
pub fn update_broker_config(b: &Arc<Broker>, req: Command) -> Reply {
    let text = String::from_utf8_lossy(req.body.as_deref().unwrap_or(b"")).into_owned();
    let pairs = remoting::props::parse(&text);
    let mut cfg = (*b.config()).clone();
    // Java `AdminBrokerProcessor#initConfigBlackList`: these three always, whatever the
    // configured list says, so no request can choose the file an update is persisted to.
    let black: Vec<&str> = ["brokerConfigPath", "rocketmqHome", "configBlackList"]
        .into_iter()
        .chain(cfg.config_black_list.split(';').map(str::trim))
        .collect();
    if pairs.iter().any(|(k, _)| black.contains(&k.as_str())) {
        return Err(Reject::no_permission(
            "Can not update config in black list.",
        ));
    }
    cfg.update(&pairs)
        .map_err(|e| Reject::system(e.to_string()))?;
    let perm_changed = pairs.iter().any(|(k, _)| k == "brokerPermission");
    if let Some(path) = cfg.persist_path().map(str::to_string) {
        if let Err(e) =
            crate::persist::store(std::path::Path::new(&path), &cfg.to_properties_file())
        {
            tracing::warn!(file = %path, "persist broker config: {e}");
        }
    }
    b.store.update_config(&crate::storage::store_config(&cfg));
    b.set_config(cfg);
    b.config_version.next();
    if perm_changed {
        b.request_register();
    }
    Ok(Command::response(rc::SUCCESS, None))
}

pub fn query_message(b: &Arc<Broker>, req: Command) -> Reply {
    let h: QueryMessageRequestHeader = req.decode_header()?;
    let max = if req.ext("_UNIQUE_KEY_QUERY") == Some("true") {
        b.config().default_query_max_num.max(1) as usize
    } else {
        h.max_num.max(1) as usize
    };
    let (records, q) =
        b.store
            .query_messages(&h.topic, &h.key, max, h.begin_timestamp, h.end_timestamp);
    if records.is_empty() {
        return Err(Reject::code(
            rc::QUERY_NOT_FOUND,
            "can not find message, maybe time range not correct",
        ));
    }
    let header = QueryMessageResponseHeader {
        index_last_update_timestamp: q.last_update_timestamp,
        index_last_update_phyoffset: q.last_update_phy_offset,
    };
    let mut body = bytes::BytesMut::new();
    for r in &records {
        body.extend_from_slice(r);
    }
    Ok(Command::response(rc::SUCCESS, None)
        .with_header(&header)
        .with_body(body.freeze()))
}

pub fn view_message(b: &Arc<Broker>, req: Command) -> Reply {
    let h: ViewMessageRequestHeader = req.decode_header()?;
    match b.store.read_record(h.offset) {
        Some(record) => Ok(Command::response(rc::SUCCESS, None).with_body(record)),
        None => Err(Reject::system(format!(
            "can not find message by the offset, {}",
            h.offset
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_format() {
        assert_eq!(
            runtime_text(90_061_000),
            "[ 1 days, 1 hours, 1 minutes, 1 seconds ]"
        );
    }
}

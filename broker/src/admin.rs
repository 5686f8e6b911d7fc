//! Admin and query requests (Java `AdminBrokerProcessor`, `QueryMessageProcessor`):
//! GET_CONSUME_STATS (208), GET_BROKER_CONSUME_STATS (317), GET_CONSUMER_CONNECTION_LIST (203),
//! GET_PRODUCER_CONNECTION_LIST (204), GET_ALL_PRODUCER_INFO (328), GET_BROKER_CONFIG (26), UPDATE_BROKER_CONFIG (25),
//! QUERY_MESSAGE (12), VIEW_MESSAGE_BY_ID (33).

use std::collections::BTreeMap;
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
    // Java `getTopicsForCollectingConsumeStats`: a topic list is taken as is; otherwise the
    // topic (or every topic with offsets) less those an online group does not subscribe to.
    let list: Vec<String> = h
        .topic_list
        .as_deref()
        .unwrap_or("")
        .split(';')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let (topics, check) = match h.topic.as_deref() {
        _ if !list.is_empty() => (list, false),
        Some(t) if !t.trim().is_empty() => (vec![t.to_string()], true),
        _ => (b.offsets.topics_of_group(group), true),
    };
    let mut offset_table = BTreeMap::new();
    let mut consume_tps = 0.0;
    for topic in topics {
        if check && !subscribed(b, group, &topic) {
            continue;
        }
        if let Some(tc) = b.topics.get(&topic) {
            queue_stats(
                b,
                (group, &topic),
                tc.read_queue_nums,
                true,
                &mut offset_table,
            );
            consume_tps += group_get_tps(b, group, &topic);
        }
    }
    let stats = ConsumeStats {
        consume_tps,
        offset_table,
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::to_body_fastjson(&stats)?))
}

/// False when the group is online with subscriptions and `topic` is not one of them (Java
/// skips such topics in consume stats).
fn subscribed(b: &Broker, group: &str, topic: &str) -> bool {
    b.clients.consumer_group(group).map_or(true, |i| {
        i.subscriptions.is_empty() || i.subscriptions.contains_key(topic)
    })
}

/// Java `BrokerStatsManager.tpsGroupGetNums`: messages the group pulled from the topic per
/// second over the last minute.
fn group_get_tps(b: &Broker, group: &str, topic: &str) -> f64 {
    b.stats_items
        .get(
            crate::stats_items::GROUP_GET_NUMS,
            &format!("{topic}@{group}"),
        )
        .map_or(0.0, |[minute, _, _]| minute.tps)
}

/// One `OffsetWrapper` per queue: max offset, committed offset, store time of the last consumed.
/// The pull offset is the committed one (Java tracks pull offsets apart only for POP consumers);
/// GET_BROKER_CONSUME_STATS leaves it 0 (`with_pull_offset` false), as Java does.
fn queue_stats(
    b: &Broker,
    (group, topic): (&str, &str),
    queues: i32,
    with_pull_offset: bool,
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
                pull_offset: if with_pull_offset { consumer_offset } else { 0 },
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
    let (mut total_diff, mut total_inflight_diff) = (0i64, 0i64);
    // Java lists every subscription group, those without offsets with an empty list.
    for group in b.groups.names() {
        let mut per_topic = Vec::new();
        for topic in b.offsets.topics_of_group(&group) {
            if h.is_order && !b.topics.get(&topic).is_some_and(|t| t.order) {
                continue;
            }
            let Some(tc) = b
                .topics
                .get(&topic)
                .filter(|_| subscribed(b, &group, &topic))
            else {
                continue;
            };
            let queues = tc.write_queue_nums;
            let mut offset_table = BTreeMap::new();
            queue_stats(b, (&group, &topic), queues, false, &mut offset_table);
            for o in offset_table.values() {
                total_diff += o.broker_offset - o.consumer_offset;
                total_inflight_diff += o.pull_offset - o.consumer_offset;
            }
            per_topic.push(ConsumeStats {
                consume_tps: group_get_tps(b, &group, &topic),
                offset_table,
            });
        }
        list.push(BTreeMap::from([(group, per_topic)]));
    }
    let body = ConsumeStatsList {
        broker_addr: b.config().broker_addr(),
        consume_stats_list: list,
        total_diff,
        total_inflight_diff,
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

/// Java `ProducerInfo`: fields in fastjson's sorted order; `remoteIP` is Netty's
/// `remoteAddress().toString()`, with its leading slash.
#[derive(Serialize)]
struct ProducerInfo {
    #[serde(rename = "clientId")]
    client_id: String,
    language: String,
    #[serde(rename = "lastUpdateTimestamp")]
    last_update_timestamp: i64,
    #[serde(rename = "remoteIP")]
    remote_ip: String,
    version: i32,
}

#[derive(Serialize)]
struct ProducerTableInfo {
    data: BTreeMap<String, Vec<ProducerInfo>>,
}

/// GET_ALL_PRODUCER_INFO (328, `mqadmin producer`): every producer channel by group.
pub fn all_producer_info(b: &Arc<Broker>) -> Reply {
    let now = crate::persist::now_millis();
    let data = b
        .clients
        .producer_groups()
        .into_iter()
        .map(|(group, chans)| {
            let infos = chans
                .iter()
                .map(|c| ProducerInfo {
                    client_id: c.client_id.clone(),
                    language: c.language.name().unwrap_or("OTHER").to_string(),
                    last_update_timestamp: now
                        - i64::try_from(c.last_update.elapsed().as_millis()).unwrap_or(0),
                    remote_ip: format!("/{}", c.conn.peer()),
                    version: c.version,
                })
                .collect();
            (group, infos)
        })
        .collect();
    let table = ProducerTableInfo { data };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&table)?))
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

//! Admin requests that read or copy broker state (Java `AdminBrokerProcessor`, 5.3.3):
//!
//! * INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223): asks every live consumer of the group (or the
//!   one named by `clientAddr`) for its offsets with GET_CONSUMER_STATUS_FROM_CLIENT (221) and
//!   gathers the answers by client id (Java `Broker2Client.getConsumeStatus`).
//! * CLONE_GROUP_OFFSET (314): copies a group's committed offsets to another group.
//! * VIEW_BROKER_STATS_DATA (315): one item of [`crate::stats_items`] (mqadmin `statsAll`).
//! * QUERY_CONSUME_QUEUE (321): raw consume-queue units from an index (mqadmin `queryCq`).

use std::sync::Arc;
use std::time::Duration;

use remoting::body::admin::{
    BrokerStatsData, BrokerStatsItem, ConsumeQueueData, GetConsumerStatusBody,
    QueryConsumeQueueResponseBody,
};
use remoting::code::{request as rq, response as rc};
use remoting::headers::{
    CloneGroupOffsetRequestHeader, GetConsumerStatusRequestHeader, QueryConsumeQueueRequestHeader,
    ViewBrokerStatsDataRequestHeader,
};
use remoting::{body, Command};

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::stats_items::WindowStats;
use crate::subscription::SubscriptionData;

/// Java `MQVersion.Version.V3_0_7_SNAPSHOT.ordinal()`.
const V3_0_7_SNAPSHOT: i32 = 28;
/// Java `Broker2Client.getConsumeStatus` waits 5 s for each client.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223).
pub async fn consumer_status(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetConsumerStatusRequestHeader = req.decode_header()?;
    // Java dereferences the group without a null check (an unknown group is a
    // NullPointerException there); both cases mean nobody is online.
    let channels = b
        .clients
        .consumer_group(&h.group)
        .map(|g| g.channels.into_values().collect::<Vec<_>>())
        .unwrap_or_default();
    if channels.is_empty() {
        return Err(Reject::system(format!(
            "No Any Consumer online in the consumer group: [{}]",
            h.group
        )));
    }
    let origin = h.client_addr.filter(|c| !c.trim().is_empty());
    let ask = GetConsumerStatusRequestHeader {
        topic: h.topic.clone(),
        group: h.group.clone(),
        client_addr: None,
    };
    let mut all = GetConsumerStatusBody::default();
    for chan in channels {
        if chan.version < V3_0_7_SNAPSHOT {
            return Err(Reject::system(format!(
                "the client does not support this feature. version={}",
                remoting::command::version_desc(chan.version)
            )));
        }
        if origin.as_ref().is_some_and(|o| *o != chan.client_id) {
            continue;
        }
        let fwd = Command::request(rq::GET_CONSUMER_STATUS_FROM_CLIENT).with_header(&ask);
        match chan.conn.request(fwd, CLIENT_TIMEOUT).await {
            Ok(resp) if resp.code == rc::SUCCESS => {
                if let Some(raw) = resp.body.as_deref() {
                    match body::from_body::<GetConsumerStatusBody>(raw) {
                        Ok(client) => {
                            all.consumer_table
                                .insert(chan.client_id.clone(), client.message_queue_table);
                        }
                        Err(e) => {
                            tracing::warn!(client = %chan.client_id, "consumer status body: {e}")
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(client = %chan.client_id, "get consumer status: {e}"),
        }
        if origin.is_some() {
            break;
        }
    }
    let body = body::to_body_fastjson(&all)?;
    Ok(Command::response(rc::SUCCESS, None).with_body(body))
}

/// CLONE_GROUP_OFFSET (314).
pub fn clone_group_offset(b: &Arc<Broker>, req: Command) -> Reply {
    let h: CloneGroupOffsetRequestHeader = req.decode_header()?;
    let topic = h.topic.clone().filter(|t| !t.trim().is_empty());
    let topics = match &topic {
        Some(t) => vec![t.clone()],
        None => b.offsets.topics_of_group(&h.src_group),
    };
    let group = b.clients.consumer_group(&h.src_group);
    for t in topics {
        if b.topics.get(&t).is_none() {
            tracing::warn!(topic = %t, "[cloneGroupOffset], topic config not exist");
            continue;
        }
        if !h.offline {
            if let Some(g) = &group {
                if !g.subscriptions.is_empty() && !g.subscriptions.contains_key(&t) {
                    continue;
                }
            }
        }
        // Java clones the request's topic, not the loop's: without a topic nothing is copied.
        if let Some(only) = &topic {
            b.offsets.clone_queues(&h.src_group, &h.dest_group, only);
        }
    }
    Ok(Command::response(rc::SUCCESS, None))
}

fn item(w: WindowStats) -> BrokerStatsItem {
    BrokerStatsItem {
        avgpt: w.avgpt,
        sum: w.sum,
        tps: w.tps,
    }
}

/// VIEW_BROKER_STATS_DATA (315).
pub fn view_stats(b: &Arc<Broker>, req: Command) -> Reply {
    let h: ViewBrokerStatsDataRequestHeader = req.decode_header()?;
    let Some([minute, hour, day]) = b.stats_items.get(&h.stats_name, &h.stats_key) else {
        return Err(Reject::system(format!(
            "The stats <{}> <{}> not exist",
            h.stats_name, h.stats_key
        )));
    };
    let data = BrokerStatsData {
        stats_day: item(day),
        stats_hour: item(hour),
        stats_minute: item(minute),
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&data)?))
}

/// QUERY_CONSUME_QUEUE (321).
pub fn query_consume_queue(b: &Arc<Broker>, req: Command) -> Reply {
    let h: QueryConsumeQueueRequestHeader = req.decode_header()?;
    // Java's header field is a plain String: an absent topic reads as "null".
    let topic = h.topic.clone().unwrap_or_else(|| "null".into());
    let Some(cq) = b.store.consume_queue(&topic, h.queue_id) else {
        return Err(Reject::system(format!(
            "{}@{} is not exist!",
            h.queue_id, topic
        )));
    };
    let mut out = QueryConsumeQueueResponseBody::<SubscriptionData> {
        filter_data: None,
        max_queue_index: cq.max_offset(),
        min_queue_index: cq.min_offset(),
        queue_data: None,
        subscription_data: None,
    };
    if let Some(group) = &h.consumer_group {
        out.subscription_data = b.clients.subscription(group, &topic);
        out.filter_data = Some(match out.subscription_data {
            None => format!("{group}@{topic} is not online!"),
            // Java prints the group's SQL filter data; tag subscriptions have none: "null".
            Some(_) => "null".into(),
        });
    }
    // Java iterates one mapped file from the index: nothing below the queue's minimum or at
    // and past its end; the count bounds the span of queue offsets.
    let units = (h.index >= cq.min_offset() && h.index < cq.max_offset())
        .then(|| cq.units(h.index, h.count.max(0) as usize))
        .flatten();
    let Some(units) = units else {
        return Ok(Command::response(
            rc::SUCCESS,
            Some(format!(
                "Index {} of {}@{} is not exist!",
                h.index, h.queue_id, topic
            )),
        ));
    };
    out.queue_data = Some(
        units
            .iter()
            .map(|u| ConsumeQueueData {
                physic_offset: u.physical_offset,
                physic_size: u.size,
                tags_code: u.tags_code,
                ..Default::default()
            })
            .collect(),
    );
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&out)?))
}

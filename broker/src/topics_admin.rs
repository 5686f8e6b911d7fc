//! Topic and subscription-group admin requests (Java `AdminBrokerProcessor`):
//! UPDATE_AND_CREATE_TOPIC (17), UPDATE_AND_CREATE_TOPIC_LIST (18), DELETE_TOPIC_IN_BROKER
//! (215), GET_ALL_TOPIC_CONFIG (21), GET_TOPIC_STATS_INFO (202), QUERY_TOPIC_CONSUME_BY_WHO
//! (300), UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST
//! (225), DELETE_SUBSCRIPTIONGROUP (207), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
//!
//! The list requests carry bodies `{"topicConfigList":[TopicConfig…]}` and
//! `{"groupConfigList":[SubscriptionGroupConfig…]}`, whose `attributes` maps hold `+key`
//! (set) and `-key` (remove) entries, applied to the stored attributes as a single create does.
//!
//! `TopicStatsTable` keys are `MessageQueue` objects written the fastjson way:
//! `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":0,"maxOffset":3,"minOffset":0}}}`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use remoting::code::response as rc;
use remoting::headers::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, DeleteTopicRequestHeader,
    GetTopicStatsInfoRequestHeader, QueryTopicConsumeByWhoRequestHeader,
};
use remoting::{body, Command};
use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::groups::SubscriptionGroupConfig;
use crate::locks::MessageQueue;
use crate::topics::{self, TopicConfig, TopicFilterType};

pub fn create_topic(b: &Arc<Broker>, req: Command) -> Reply {
    let h: CreateTopicRequestHeader = req.decode_header()?;
    let cfg = b.config();
    topics::validate_topic_name(&h.topic).map_err(|r| Reject::code(rc::INVALID_PARAMETER, r))?;
    if cfg.validate_system_topic_when_update_topic && topics::is_system_topic(&h.topic, &cfg) {
        return Err(Reject::code(
            rc::INVALID_PARAMETER,
            format!("The topic[{}] is conflict with system topic.", h.topic),
        ));
    }
    let mut tc = TopicConfig::with_queues(&h.topic, h.read_queue_nums, h.perm);
    tc.write_queue_nums = h.write_queue_nums;
    // Java `CreateTopicRequestHeader#getTopicFilterTypeEnum` (`TopicFilterType.valueOf`).
    tc.topic_filter_type = TopicFilterType::from_name(&h.topic_filter_type).ok_or_else(|| {
        Reject::system(format!(
            "No enum constant org.apache.rocketmq.common.TopicFilterType.{}",
            h.topic_filter_type
        ))
    })?;
    tc.topic_sys_flag = h.topic_sys_flag.unwrap_or(0);
    tc.order = h.order;
    let old = b.topics.get(&h.topic);
    tc.attributes = alter_attributes(
        old.as_ref()
            .map(|t| t.attributes.clone())
            .unwrap_or_default(),
        h.attributes.as_deref().unwrap_or(""),
    );
    if tc.attributes.get("message.type").map(String::as_str) == Some("MIXED") {
        return Err(Reject::code(
            rc::INVALID_PARAMETER,
            "MIXED message type is not supported.",
        ));
    }
    if old.as_ref() != Some(&tc) {
        b.topics.put(tc);
        b.request_register();
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// Java `CreateTopicListRequestBody`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTopicListRequestBody {
    #[serde(default)]
    topic_config_list: Vec<TopicConfig>,
}

/// UPDATE_AND_CREATE_TOPIC_LIST (18, `mqadmin updateTopicList`). As in Java, every topic is
/// checked first, and a topic whose config equals the stored one ends the request with
/// SUCCESS before anything is written.
pub fn create_topic_list(b: &Arc<Broker>, req: Command) -> Reply {
    let list: CreateTopicListRequestBody = body::from_body(req.body.as_deref().unwrap_or(b""))?;
    let cfg = b.config();
    for tc in &list.topic_config_list {
        let topic = &tc.topic_name;
        topics::validate_topic_name(topic).map_err(|r| Reject::code(rc::INVALID_PARAMETER, r))?;
        if cfg.validate_system_topic_when_update_topic && topics::is_system_topic(topic, &cfg) {
            return Err(Reject::code(
                rc::INVALID_PARAMETER,
                format!("The topic[{topic}] is conflict with system topic."),
            ));
        }
        if tc.attributes.get("+message.type").map(String::as_str) == Some("MIXED") {
            return Err(Reject::code(
                rc::INVALID_PARAMETER,
                "MIXED message type is not supported.",
            ));
        }
        if b.topics.get(topic).as_ref() == Some(tc) {
            return Ok(Command::response(rc::SUCCESS, None));
        }
    }
    for mut tc in list.topic_config_list {
        let current = b.topics.get(&tc.topic_name).map(|t| t.attributes);
        tc.attributes =
            alter_attributes(current.unwrap_or_default(), &attribute_text(&tc.attributes));
        b.topics.put(tc);
    }
    b.request_register();
    Ok(Command::response(rc::SUCCESS, None))
}

/// A request's attribute map (`{"+k":"v","-j":""}`) as the text `alter_attributes` reads.
fn attribute_text(requested: &BTreeMap<String, String>) -> String {
    requested
        .iter()
        .map(|(k, v)| {
            if k.starts_with('+') {
                format!("{k}={v}")
            } else {
                k.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Java `AttributeParser` + `AttributeUtil.alterCurrentAttributes`: `+k=v` sets, `-k` removes.
fn alter_attributes(mut current: BTreeMap<String, String>, text: &str) -> BTreeMap<String, String> {
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(kv) = item.strip_prefix('+') {
            if let Some((k, v)) = kv.split_once('=') {
                current.insert(k.to_string(), v.to_string());
            }
        } else if let Some(k) = item.strip_prefix('-') {
            current.remove(k);
        }
    }
    current
}

pub fn delete_topic(b: &Arc<Broker>, req: Command) -> Reply {
    let h: DeleteTopicRequestHeader = req.decode_header()?;
    let cfg = b.config();
    // Java checks only for a blank topic here and then deletes through its own tables; the
    // full name check keeps every other name away from the store's directories.
    topics::validate_topic_name(&h.topic).map_err(|r| Reject::code(rc::INVALID_PARAMETER, r))?;
    if cfg.validate_system_topic_when_update_topic && topics::is_system_topic(&h.topic, &cfg) {
        return Err(Reject::code(
            rc::INVALID_PARAMETER,
            format!("The topic[{}] is conflict with system topic.", h.topic),
        ));
    }
    let mut doomed = vec![h.topic.clone()];
    if cfg.clear_retry_topic_when_delete_topic {
        // Java also drops the retry topics of groups that consumed only this topic.
        for group in b.offsets.groups_of_topic(&h.topic) {
            let others = b.offsets.topics_of_group(&group);
            if others
                .iter()
                .all(|t| t == &h.topic || t.starts_with(topics::RETRY_PREFIX))
            {
                doomed.push(topics::retry_topic(&group));
            }
        }
    }
    for t in doomed {
        b.topics.remove(&t);
        b.offsets.remove_topic(&t);
        b.stats_items.on_topic_deleted(&t);
        if let Err(e) = b.store.delete_topic(&t) {
            tracing::warn!(topic = %t, "delete consume queues: {e}");
        }
    }
    // Like Java, no registration now: the NameServer learns the new topic table (and rebuilds
    // this broker's queue data from it) with the next periodic registration; mqadmin deletes
    // the route from the NameServer itself.
    Ok(Command::response(rc::SUCCESS, None))
}

pub fn all_topic_config(b: &Arc<Broker>) -> Reply {
    let body = crate::register::topic_wrapper_json(b);
    Ok(Command::response(rc::SUCCESS, None).with_body(body))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TopicOffset {
    last_update_timestamp: i64,
    max_offset: i64,
    min_offset: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TopicStatsTable {
    offset_table: BTreeMap<String, TopicOffset>,
    /// Java `BrokerStatsManager.tpsTopicPutNums`: puts per second over the last minute.
    topic_put_tps: f64,
}

/// GET_TOPIC_STATS_INFO: one entry per write queue.
pub fn topic_stats(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetTopicStatsInfoRequestHeader = req.decode_header()?;
    let Some(tc) = b.topics.get(&h.topic) else {
        return Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let broker_name = b.config().broker_name.clone();
    let mut offset_table = BTreeMap::new();
    for q in 0..tc.write_queue_nums.max(0) {
        let mq = MessageQueue {
            broker_name: broker_name.clone(),
            queue_id: q,
            topic: h.topic.clone(),
        };
        let max = b.store.max_offset(&h.topic, q);
        let min = b.store.min_offset(&h.topic, q);
        let last = if max > 0 {
            b.store.message_store_time(&h.topic, q, max - 1).max(0)
        } else {
            0
        };
        offset_table.insert(
            body::object_key(&mq),
            TopicOffset {
                last_update_timestamp: last,
                max_offset: max,
                min_offset: min,
            },
        );
    }
    let topic_put_tps = b
        .stats_items
        .get(crate::stats_items::TOPIC_PUT_NUMS, &h.topic)
        .map_or(0.0, |[minute, _, _]| minute.tps);
    let table = TopicStatsTable {
        offset_table,
        topic_put_tps,
    };
    let bytes = body::to_body_fastjson(&table)?;
    Ok(Command::response(rc::SUCCESS, None).with_body(bytes))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupList {
    group_list: BTreeSet<String>,
}

/// QUERY_TOPIC_CONSUME_BY_WHO: the consumer manager's groups of the topic plus the groups with
/// stored offsets.
pub fn consumed_by_who(b: &Arc<Broker>, req: Command) -> Reply {
    let h: QueryTopicConsumeByWhoRequestHeader = req.decode_header()?;
    let mut group_list = b.clients.topic_consumed_by(&h.topic);
    group_list.extend(b.offsets.groups_of_topic(&h.topic));
    let bytes = body::try_to_body(&GroupList { group_list })?;
    Ok(Command::response(rc::SUCCESS, None).with_body(bytes))
}

pub fn create_group(b: &Arc<Broker>, req: Command) -> Reply {
    let raw = req.body.as_deref().unwrap_or(b"");
    if raw.is_empty() {
        return Ok(Command::response(rc::SUCCESS, None));
    }
    let cfg: SubscriptionGroupConfig = body::from_body(raw)?;
    crate::groups::validate_group_name(&cfg.group_name)
        .map_err(|r| Reject::code(rc::INVALID_PARAMETER, r))?;
    put_group(b, cfg);
    Ok(Command::response(rc::SUCCESS, None))
}

/// Java `SubscriptionGroupList`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionGroupList {
    #[serde(default)]
    group_config_list: Vec<SubscriptionGroupConfig>,
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST (225, `mqadmin updateSubGroupList`). Every name is
/// checked before any group is written (Java checks none; a name ends up in a config file).
pub fn create_group_list(b: &Arc<Broker>, req: Command) -> Reply {
    let list: SubscriptionGroupList = body::from_body(req.body.as_deref().unwrap_or(b""))?;
    for g in &list.group_config_list {
        crate::groups::validate_group_name(&g.group_name)
            .map_err(|r| Reject::code(rc::INVALID_PARAMETER, r))?;
    }
    for g in list.group_config_list {
        put_group(b, g);
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// Java `updateSubscriptionGroupConfigWithoutPersist`: the requested `+k`/`-k` attributes
/// applied to the stored ones.
fn put_group(b: &Broker, mut g: SubscriptionGroupConfig) {
    let current = b.groups.get(&g.group_name).map(|c| c.attributes);
    g.attributes = alter_attributes(current.unwrap_or_default(), &attribute_text(&g.attributes));
    b.groups.put(g);
}

pub fn delete_group(b: &Arc<Broker>, req: Command) -> Reply {
    let h: DeleteSubscriptionGroupRequestHeader = req.decode_header()?;
    b.groups.remove(&h.group_name);
    if h.clean_offset {
        b.offsets.remove_group(&h.group_name);
    }
    // Java deletes the group's stats when `autoDeleteUnusedStats` (default true).
    b.stats_items.on_group_deleted(&h.group_name);
    Ok(Command::response(rc::SUCCESS, None))
}

pub fn all_group_config(b: &Arc<Broker>) -> Reply {
    let bytes = body::try_to_body(&b.groups.wrapper())?;
    Ok(Command::response(rc::SUCCESS, None).with_body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_alteration() {
        let cur = BTreeMap::from([("a".to_string(), "1".to_string())]);
        let out = alter_attributes(cur, "+message.type=FIFO,-a, +x=y");
        assert_eq!(out.get("message.type").map(String::as_str), Some("FIFO"));
        assert_eq!(out.get("x").map(String::as_str), Some("y"));
        assert!(!out.contains_key("a"));
    }
}

//! Live producer and consumer channels (Java `ConsumerManager`, `ConsumerGroupInfo`,
//! `ProducerManager`): who is connected, in which groups, with which subscriptions.
//!
//! One mutex over both tables: every operation is a short map update, and a heartbeat must see
//! channel and subscription changes of a group together to decide whether to notify members.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use remoting::body::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel};
use remoting::{Connection, LanguageCode};

use crate::subscription::SubscriptionData;

/// One client connection as registered by a heartbeat (Java `ClientChannelInfo`).
#[derive(Clone)]
pub struct ClientChannel {
    pub conn: Connection,
    pub client_id: String,
    pub language: LanguageCode,
    pub version: i32,
    pub last_update: Instant,
}

/// A consumer group as the broker sees it.
#[derive(Clone)]
pub struct ConsumerGroupInfo {
    pub consume_type: Option<ConsumeType>,
    pub message_model: Option<MessageModel>,
    pub consume_from_where: Option<ConsumeFromWhere>,
    pub subscriptions: BTreeMap<String, SubscriptionData>,
    /// By connection id.
    pub channels: BTreeMap<u64, ClientChannel>,
}

/// What a heartbeat registers for one consumer group.
pub struct ConsumerRegistration {
    pub consume_type: Option<ConsumeType>,
    pub message_model: Option<MessageModel>,
    pub consume_from_where: Option<ConsumeFromWhere>,
    pub subscriptions: Vec<SubscriptionData>,
}

#[derive(Default)]
struct Tables {
    consumers: HashMap<String, ConsumerGroupInfo>,
    producers: HashMap<String, BTreeMap<u64, ClientChannel>>,
    /// Java `ConsumerManager.topicGroupTable`, which QUERY_TOPIC_CONSUME_BY_WHO reads. Java
    /// 5.3.3 records each subscribed topic's own name in its set where the group's name belongs
    /// (`groups.add(subscriptionData.getTopic())`) and removes the group's name when the group
    /// goes away, so a topic once subscribed lists itself as a consumer group for good; kept
    /// the same here so `mqadmin topicList -c` and `statsAll` print what they print on Java.
    topic_groups: HashMap<String, BTreeSet<String>>,
}

impl Tables {
    fn note_topics<'a>(&mut self, topics: impl IntoIterator<Item = &'a String>) {
        for topic in topics {
            self.topic_groups
                .entry(topic.clone())
                .or_default()
                .insert(topic.clone());
        }
    }

    /// Java `ConsumerManager.clearTopicGroupTable` for a group that left.
    fn forget_group(&mut self, group: &str, info: &ConsumerGroupInfo) {
        for topic in info.subscriptions.keys() {
            if let Some(groups) = self.topic_groups.get_mut(topic) {
                groups.remove(group);
                if groups.is_empty() {
                    self.topic_groups.remove(topic);
                }
            }
        }
    }
}

#[derive(Default)]
pub struct ClientTable {
    tables: Mutex<Tables>,
    /// Last heartbeat fingerprint per consumer group (Java
    /// `ClientManageProcessor.consumerGroupHeartbeatTable`; per group, not per client, as there).
    fingerprints: Mutex<HashMap<String, i32>>,
}

/// The group's entry with the member's settings and channel refreshed (created on first sight);
/// true when the channel is new to the group.
fn refresh_member<'a>(
    t: &'a mut Tables,
    group: &str,
    reg: &ConsumerRegistration,
    channel: ClientChannel,
) -> (&'a mut ConsumerGroupInfo, bool) {
    let info = t
        .consumers
        .entry(group.to_string())
        .or_insert_with(|| ConsumerGroupInfo {
            consume_type: reg.consume_type,
            message_model: reg.message_model,
            consume_from_where: reg.consume_from_where,
            subscriptions: BTreeMap::new(),
            channels: BTreeMap::new(),
        });
    info.consume_type = reg.consume_type;
    info.message_model = reg.message_model;
    info.consume_from_where = reg.consume_from_where;
    let new_channel = info.channels.insert(channel.conn.id(), channel).is_none();
    (info, new_channel)
}

impl ClientTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Java `ConsumerManager.registerConsumer`: returns true when the channel is new to the group
    /// or the subscribed topic set changed (then members should be told).
    pub fn register_consumer(
        &self,
        group: &str,
        reg: ConsumerRegistration,
        channel: ClientChannel,
    ) -> bool {
        let mut t = self.lock();
        t.note_topics(reg.subscriptions.iter().map(|s| &s.topic));
        let (info, new_channel) = refresh_member(&mut t, group, &reg, channel);
        let mut topics_changed = false;
        for sub in &reg.subscriptions {
            match info.subscriptions.get(&sub.topic) {
                None => {
                    topics_changed = true;
                    info.subscriptions.insert(sub.topic.clone(), sub.clone());
                }
                Some(old) if sub.sub_version > old.sub_version => {
                    info.subscriptions.insert(sub.topic.clone(), sub.clone());
                }
                Some(_) => {}
            }
        }
        let before = info.subscriptions.len();
        info.subscriptions
            .retain(|topic, _| reg.subscriptions.iter().any(|s| &s.topic == topic));
        topics_changed |= info.subscriptions.len() != before;
        new_channel || topics_changed
    }

    /// Heartbeat V2 with `withoutSub` (Java `ConsumerManager.registerConsumerWithoutSub`): the
    /// channel and the group's settings are refreshed, the subscriptions kept. True when the
    /// channel is new to the group.
    pub fn register_consumer_without_sub(
        &self,
        group: &str,
        reg: ConsumerRegistration,
        channel: ClientChannel,
    ) -> bool {
        let mut t = self.lock();
        let known: Vec<String> = t
            .consumers
            .get(group)
            .map(|i| i.subscriptions.keys().cloned().collect())
            .unwrap_or_default();
        t.note_topics(&known);
        refresh_member(&mut t, group, &reg, channel).1
    }

    /// Records a group's heartbeat fingerprint; returns the previous one.
    pub fn swap_fingerprint(&self, group: &str, fingerprint: i32) -> Option<i32> {
        self.fingerprints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(group.to_string(), fingerprint)
    }

    pub fn register_producer(&self, group: &str, channel: ClientChannel) {
        self.lock()
            .producers
            .entry(group.to_string())
            .or_default()
            .insert(channel.conn.id(), channel);
    }

    /// Removes the connection from one consumer group; true if it was a member.
    pub fn unregister_consumer(&self, group: &str, conn_id: u64) -> bool {
        let mut t = self.lock();
        let Some(info) = t.consumers.get_mut(group) else {
            return false;
        };
        let removed = info.channels.remove(&conn_id).is_some();
        if info.channels.is_empty() {
            if let Some(gone) = t.consumers.remove(group) {
                t.forget_group(group, &gone);
            }
        }
        removed
    }

    pub fn unregister_producer(&self, group: &str, conn_id: u64) {
        let mut t = self.lock();
        if let Some(chans) = t.producers.get_mut(group) {
            chans.remove(&conn_id);
            if chans.is_empty() {
                t.producers.remove(group);
            }
        }
    }

    /// Drops a closed connection everywhere; returns the consumer groups it left.
    pub fn remove_connection(&self, conn_id: u64) -> Vec<String> {
        let mut t = self.lock();
        let mut left = Vec::new();
        let mut gone = Vec::new();
        t.consumers.retain(|group, info| {
            if info.channels.remove(&conn_id).is_some() {
                left.push(group.clone());
            }
            if info.channels.is_empty() {
                gone.push((group.clone(), info.clone()));
            }
            !info.channels.is_empty()
        });
        for (group, info) in gone {
            t.forget_group(&group, &info);
        }
        t.producers.retain(|_, chans| {
            chans.remove(&conn_id);
            !chans.is_empty()
        });
        left
    }

    /// Channels silent for longer than `timeout` (Java `scanNotActiveChannel`): removed and
    /// returned so the caller can close them and notify their groups.
    pub fn expire(&self, timeout: Duration) -> Vec<(Connection, Vec<String>)> {
        let now = Instant::now();
        let stale: Vec<Connection> = {
            let t = self.lock();
            let consumers = t.consumers.values().flat_map(|i| i.channels.values());
            let producers = t.producers.values().flat_map(|c| c.values());
            let mut v: Vec<Connection> = consumers
                .chain(producers)
                .filter(|c| now.duration_since(c.last_update) > timeout)
                .map(|c| c.conn.clone())
                .collect();
            v.sort_by_key(|c| c.id());
            v.dedup_by_key(|c| c.id());
            v
        };
        stale
            .into_iter()
            .map(|c| {
                let groups = self.remove_connection(c.id());
                (c, groups)
            })
            .collect()
    }

    pub fn consumer_group(&self, group: &str) -> Option<ConsumerGroupInfo> {
        self.lock().consumers.get(group).cloned()
    }

    /// Client ids of the group's live channels (GET_CONSUMER_LIST_BY_GROUP).
    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        self.lock()
            .consumers
            .get(group)
            .map(|i| i.channels.values().map(|c| c.client_id.clone()).collect())
            .unwrap_or_default()
    }

    /// The members to tell of a change in the group: none in a broadcasting group, whose members
    /// each consume every queue (Java `ConsumerManager` skips the CHANGE event for
    /// `MessageModel.BROADCASTING`).
    pub fn members_to_notify(&self, group: &str) -> Vec<Connection> {
        self.lock()
            .consumers
            .get(group)
            .filter(|i| i.message_model != Some(MessageModel::Broadcasting))
            .map(|i| i.channels.values().map(|c| c.conn.clone()).collect())
            .unwrap_or_default()
    }

    /// The group's message model and its subscription to `topic` (the pull path), without
    /// copying the group.
    pub fn model_and_subscription(
        &self,
        group: &str,
        topic: &str,
    ) -> Option<(Option<MessageModel>, Option<SubscriptionData>)> {
        self.lock()
            .consumers
            .get(group)
            .map(|i| (i.message_model, i.subscriptions.get(topic).cloned()))
    }

    /// The subscription registered by heartbeats for (group, topic).
    pub fn subscription(&self, group: &str, topic: &str) -> Option<SubscriptionData> {
        self.lock()
            .consumers
            .get(group)
            .and_then(|i| i.subscriptions.get(topic).cloned())
    }

    /// A live producer connection of `client_id`, any group (Java `ProducerManager.findChannel`).
    pub fn producer_channel(&self, client_id: &str) -> Option<Connection> {
        self.lock()
            .producers
            .values()
            .flat_map(|chans| chans.values())
            .find(|c| c.client_id == client_id && !c.conn.is_closed())
            .map(|c| c.conn.clone())
    }

    pub fn producer_group(&self, group: &str) -> Vec<ClientChannel> {
        self.lock()
            .producers
            .get(group)
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every producer group with its channels (GET_ALL_PRODUCER_INFO).
    pub fn producer_groups(&self) -> BTreeMap<String, Vec<ClientChannel>> {
        self.lock()
            .producers
            .iter()
            .map(|(g, c)| (g.clone(), c.values().cloned().collect()))
            .collect()
    }

    /// Java `ConsumerManager.queryTopicConsumeByWho` (see `Tables::topic_groups`).
    pub fn topic_consumed_by(&self, topic: &str) -> BTreeSet<String> {
        self.lock()
            .topic_groups
            .get(topic)
            .cloned()
            .unwrap_or_default()
    }

    pub fn consumer_groups(&self) -> Vec<String> {
        self.lock().consumers.keys().cloned().collect()
    }

    /// (producer channels, consumer channels) for runtime info.
    pub fn counts(&self) -> (usize, usize) {
        let t = self.lock();
        (
            t.producers.values().map(BTreeMap::len).sum(),
            t.consumers.values().map(|i| i.channels.len()).sum(),
        )
    }
}

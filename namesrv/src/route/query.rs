//! Reads and admin edits of the route tables: routes, cluster info, topic lists, topic deletion,
//! write-permission switches (Java `RouteInfoManager`'s remaining methods).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::{RouteInfoManager, RouteTables, MASTER_ID};
use crate::body::route::{
    perm, sys_flag, BrokerMemberGroup, ClusterInfo, QueueData, TopicList, TopicRouteData,
};

/// Prefix of the topics 5.x brokers use to sync their member group (Java
/// `TopicValidator.SYNC_BROKER_MEMBER_GROUP_PREFIX`); never given an acting master.
const SYNC_BROKER_MEMBER_GROUP_PREFIX: &str = "rmq_sys_SYNC_BROKER_MEMBER_";

/// Which topics a unit-flag topic list selects (Java `TopicSysFlag`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitFilter {
    /// GET_UNIT_TOPIC_LIST: the unit flag is set.
    Unit,
    /// GET_HAS_UNIT_SUB_TOPIC_LIST: the unit-sub flag is set.
    HasUnitSub,
    /// GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: unit-sub set, unit not set.
    HasUnitSubNotUnit,
}

impl UnitFilter {
    fn accepts(self, flag: i32) -> bool {
        let unit = flag & sys_flag::UNIT == sys_flag::UNIT;
        let unit_sub = flag & sys_flag::UNIT_SUB == sys_flag::UNIT_SUB;
        match self {
            UnitFilter::Unit => unit,
            UnitFilter::HasUnitSub => unit_sub,
            UnitFilter::HasUnitSubNotUnit => unit_sub && !unit,
        }
    }
}

impl RouteInfoManager {
    /// Java `pickupTopicRouteData`: `None` when the topic has no queue data or none of its
    /// brokers is known (the caller answers TOPIC_NOT_EXIST). `support_acting_master` is the
    /// NameServer's `supportActingMaster`.
    pub fn pickup_topic_route_data(
        &self,
        topic: &str,
        support_acting_master: bool,
    ) -> Option<TopicRouteData> {
        pickup(&self.read(), topic, support_acting_master)
    }

    /// The encoded body of [`Self::pickup_topic_route_data`] (`TopicRouteData::encode`), from
    /// the route-body cache when the tables have not changed since it was built.
    pub fn topic_route_body(&self, topic: &str, support_acting_master: bool) -> Option<Bytes> {
        let t = self.read();
        let cached = self
            .lock_bodies()
            .get(t.generation, support_acting_master, topic);
        if cached.is_some() {
            return cached;
        }
        let body = Bytes::from(pickup(&t, topic, support_acting_master)?.encode());
        self.lock_bodies()
            .insert(t.generation, support_acting_master, topic, body.clone());
        Some(body)
    }

    /// Java `getAllClusterInfo`.
    pub fn cluster_info(&self) -> ClusterInfo {
        let t = self.read();
        ClusterInfo {
            broker_addr_table: t.broker_addr.clone(),
            cluster_addr_table: t.cluster_addr.clone(),
        }
    }

    /// Java `getAllTopicList`: every topic with queue data, in Java's order.
    pub fn all_topics(&self) -> TopicList {
        let t = self.read();
        TopicList {
            broker_addr: None,
            topic_list: t.java_ordered(t.topic_queue.keys()),
        }
    }

    /// Java `getTopicsByCluster`: topics served by any broker of `cluster` (empty for an
    /// unknown cluster, as Java's caught NPE yields).
    pub fn topics_by_cluster(&self, cluster: &str) -> TopicList {
        let t = self.read();
        let mut topics = Vec::new();
        if let Some(names) = t.cluster_addr.get(cluster) {
            for (topic, queues) in &t.topic_queue {
                if names.iter().any(|n| queues.contains_key(n)) {
                    topics.push(topic);
                }
            }
        }
        TopicList {
            broker_addr: None,
            topic_list: t.java_ordered(topics.into_iter()),
        }
    }

    /// Java `getSystemTopicList`: cluster names and broker names (brokers register topics so
    /// named) plus any one broker address.
    pub fn system_topics(&self) -> TopicList {
        let t = self.read();
        let mut topics = Vec::new();
        for (cluster, names) in &t.cluster_addr {
            topics.push(cluster.clone());
            topics.extend(names.iter().cloned());
        }
        let broker_addr = t
            .broker_addr
            .values()
            .find_map(|bd| bd.broker_addrs.values().next().cloned());
        TopicList {
            broker_addr,
            topic_list: topics,
        }
    }

    /// Java `getUnitTopics` / `getHasUnitSubTopicList` / `getHasUnitSubUnUnitTopicList`: judged
    /// by the flag of the topic's first queue data.
    pub fn unit_topics(&self, filter: UnitFilter) -> TopicList {
        let t = self.read();
        let topics = t.topic_queue.iter().filter(|(_, queues)| {
            queues
                .values()
                .next()
                .is_some_and(|qd| filter.accepts(qd.topic_sys_flag))
        });
        TopicList {
            broker_addr: None,
            topic_list: t.java_ordered(topics.map(|(topic, _)| topic)),
        }
    }

    /// Java `deleteTopic(topic)` and `deleteTopic(topic, cluster)`.
    pub fn delete_topic(&self, topic: &str, cluster: Option<&str>) {
        let mut guard = self.write();
        let t = &mut *guard;
        let Some(cluster) = cluster else {
            t.topic_queue.remove(topic);
            return;
        };
        let Some(names) = t.cluster_addr.get(cluster) else {
            return;
        };
        if let Some(queues) = t.topic_queue.get_mut(topic) {
            for name in names {
                queues.remove(name);
            }
            if queues.is_empty() {
                t.topic_queue.remove(topic);
            }
        }
    }

    /// Java `wipeWritePermOfBrokerByLock`: clears the write bit of every queue data of
    /// `broker_name`; returns how many topics it touched.
    pub fn wipe_write_perm(&self, broker_name: &str) -> i32 {
        self.operate_write_perm(broker_name, |p| p & !perm::WRITE)
    }

    /// Java `addWritePermOfBrokerByLock`: sets the perm to exactly READ|WRITE (Java does not OR).
    pub fn add_write_perm(&self, broker_name: &str) -> i32 {
        self.operate_write_perm(broker_name, |_| perm::READ | perm::WRITE)
    }

    fn operate_write_perm(&self, broker_name: &str, change: impl Fn(i32) -> i32) -> i32 {
        let mut t = self.write();
        let mut count = 0;
        for queues in t.topic_queue.values_mut() {
            if let Some(qd) = queues.get_mut(broker_name) {
                qd.perm = change(qd.perm);
                count += 1;
            }
        }
        count
    }

    /// Java `registerTopic` (REGISTER_TOPIC_IN_NAMESRV): adds queue data for known brokers only;
    /// one unknown broker name refuses the whole request.
    pub fn register_topic(&self, topic: &str, queue_datas: &[QueueData]) -> bool {
        if queue_datas.is_empty() {
            return false;
        }
        let mut guard = self.write();
        let t = &mut *guard;
        if let Some(qd) = queue_datas
            .iter()
            .find(|qd| !t.broker_addr.contains_key(&qd.broker_name))
        {
            tracing::warn!(topic, broker = %qd.broker_name, "register topic contains an unknown broker");
            return false;
        }
        let queues = t.queues_of(topic);
        for qd in queue_datas {
            queues.insert(qd.broker_name.clone(), qd.clone());
        }
        true
    }

    /// Java `getBrokerMemberGroup`.
    pub fn broker_member_group(&self, cluster: &str, broker_name: &str) -> BrokerMemberGroup {
        let t = self.read();
        BrokerMemberGroup {
            broker_addrs: t
                .broker_addr
                .get(broker_name)
                .map(|bd| bd.broker_addrs.clone())
                .unwrap_or_default(),
            broker_name: broker_name.to_string(),
            cluster: cluster.to_string(),
        }
    }
}

/// `pickupTopicRouteData` on locked tables.
fn pickup(t: &RouteTables, topic: &str, support_acting_master: bool) -> Option<TopicRouteData> {
    let queues = t.topic_queue.get(topic)?;
    let broker_datas: Vec<_> = queues
        .keys()
        .filter_map(|name| t.broker_addr.get(name).cloned())
        .collect();
    if broker_datas.is_empty() {
        return None;
    }
    let mut filter_server_table = BTreeMap::new();
    if !t.filter_server.is_empty() {
        for bd in &broker_datas {
            for addr in bd.broker_addrs.values() {
                let key = super::addr_info(&bd.cluster, addr);
                if let Some(list) = t.filter_server.get(&key) {
                    filter_server_table.insert(addr.clone(), list.clone());
                }
            }
        }
    }
    let mut route = TopicRouteData {
        broker_datas,
        filter_server_table,
        order_topic_conf: None,
        queue_datas: queues.values().cloned().collect(),
        topic_queue_mapping_by_broker: t.topic_queue_mapping.get(topic).cloned(),
    };
    if support_acting_master && !topic.starts_with(SYNC_BROKER_MEMBER_GROUP_PREFIX) {
        present_acting_masters(&mut route);
    }
    Some(route)
}

/// Java 5.x `ZoneRouteRPCHook#filterByZoneName`: keeps the broker groups of `zone` (ignoring
/// case) and those without a master (reads fall back to slaves), and the queue data of the kept
/// groups.
pub fn filter_by_zone(route: &mut TopicRouteData, zone: &str) {
    let mut removed = Vec::new();
    route.broker_datas.retain(|bd| {
        let keep = !bd.broker_addrs.contains_key(&MASTER_ID)
            || bd
                .zone_name
                .as_deref()
                .is_some_and(|z| z.eq_ignore_ascii_case(zone));
        if !keep {
            removed.push(bd.clone());
        }
        keep
    });
    route
        .queue_datas
        .retain(|qd| !removed.iter().any(|bd| bd.broker_name == qd.broker_name));
    for bd in &removed {
        for addr in bd.broker_addrs.values() {
            route.filter_server_table.remove(addr);
        }
    }
}

/// 5.x acting master (`pickupTopicRouteData` with `supportActingMaster`): a broker group without
/// a master whose queues are read-only presents its lowest-id slave as id 0.
fn present_acting_masters(route: &mut TopicRouteData) {
    let needs = route
        .broker_datas
        .iter()
        .any(|bd| !bd.broker_addrs.is_empty() && !bd.broker_addrs.contains_key(&MASTER_ID));
    if !needs {
        return;
    }
    for bd in route.broker_datas.iter_mut() {
        if bd.broker_addrs.is_empty()
            || bd.broker_addrs.contains_key(&MASTER_ID)
            || !bd.enable_acting_master
        {
            continue;
        }
        let read_only = route
            .queue_datas
            .iter()
            .find(|qd| qd.broker_name == bd.broker_name)
            .is_some_and(|qd| qd.perm & perm::WRITE == 0);
        if read_only {
            if let Some((_, addr)) = bd.broker_addrs.pop_first() {
                bd.broker_addrs.insert(MASTER_ID, addr);
            }
        }
    }
}

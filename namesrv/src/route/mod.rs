//! The route tables: which brokers exist, which topics they serve, which are alive.
//!
//! One `RwLock` guards all tables together, like Java's `RouteInfoManager#lock`, so that a
//! registration (cluster set + broker addresses + queue data + live entry) or an unregistration
//! is seen whole or not at all. The lock is a `std::sync::RwLock`: it is never held across an
//! `.await`, and every critical section is a few map operations, so blocking a tokio worker for
//! it is cheaper than an async lock. Poisoning is ignored: a panic inside a critical section
//! leaves the maps structurally valid (at worst one registration half-applied, which that
//! broker's next periodic registration repairs), and refusing all later requests would be worse.
//!
//! Rules follow 5.3.3 `RouteInfoManager` (4.9.8 keys the live table by address alone; 5.x by
//! cluster + address, kept here):
//! * only a master (id 0) registration — or, 5.x, the lowest-id slave of an acting-master group —
//!   writes queue data, and only when its `DataVersion` changed or it registers for the first time;
//! * an address registered under another id is dropped first (slave → master switch);
//! * a broker whose last registration is older than its heartbeat timeout (120 s unless the
//!   registration header said otherwise) or whose connection closed is unregistered; the broker
//!   name, its cluster membership and its queue data go when its last address goes.

mod cache;
mod java_order;
pub mod query;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::body::route::{perm, BrokerData, QueueData};
use remoting::body::register::RegisterBrokerBody;
use remoting::body::topic::{DataVersion, TopicConfig};

/// `MixAll.MASTER_ID`.
pub const MASTER_ID: i64 = 0;
/// Java `RouteInfoManager.DEFAULT_BROKER_CHANNEL_EXPIRED_TIME`.
pub const DEFAULT_BROKER_TIMEOUT: Duration = Duration::from_secs(120);

/// Key of the live table (Java `BrokerAddrInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BrokerAddrInfo {
    pub cluster_name: String,
    pub broker_addr: String,
}

/// Java `BrokerLiveInfo`.
#[derive(Clone, Debug)]
struct BrokerLiveInfo {
    last_update: Instant,
    timeout: Duration,
    data_version: DataVersion,
    /// Connection the broker registered over; its close unregisters the broker.
    conn_id: Option<u64>,
    ha_server_addr: String,
}

/// Everything a REGISTER_BROKER header carries (Java `RegisterBrokerRequestHeader` + ext
/// `__ZONE_NAME`) plus the connection it came over.
#[derive(Clone, Debug, Default)]
pub struct BrokerRegistration {
    pub cluster_name: String,
    pub broker_addr: String,
    pub broker_name: String,
    pub broker_id: i64,
    pub ha_server_addr: String,
    pub zone_name: Option<String>,
    pub heartbeat_timeout_millis: Option<i64>,
    /// `None` for brokers older than 5.0 (no acting-master support).
    pub enable_acting_master: Option<bool>,
    pub conn_id: Option<u64>,
}

/// Java `RegisterBrokerResult`: filled for a slave whose master is registered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterResult {
    pub ha_server_addr: Option<String>,
    pub master_addr: Option<String>,
}

/// A broker found expired by [`RouteInfoManager::scan_not_active_brokers`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expired {
    pub key: BrokerAddrInfo,
    /// The connection it registered over, if any.
    pub conn_id: Option<u64>,
}

/// One address to unregister (Java `UnRegisterBrokerRequestHeader`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Unregistration {
    pub cluster_name: String,
    pub broker_addr: String,
    pub broker_name: String,
    pub broker_id: i64,
}

/// What a registration makes of the registering broker.
struct Role {
    register_first: bool,
    is_master: bool,
    /// Lowest-id slave of a 5.x group: writes queue data when acting-master is on.
    is_prime_slave: bool,
    acting_master: bool,
}

/// The tables; only reachable through [`RouteInfoManager`]'s lock.
#[derive(Default)]
struct RouteTables {
    /// topic → broker name → queues.
    topic_queue: HashMap<String, BTreeMap<String, QueueData>>,
    /// When each topic last entered `topic_queue`: the order Java's table received them,
    /// which decides how it lists them (see [`java_order`]).
    topic_seq: HashMap<String, u64>,
    next_topic_seq: u64,
    /// broker name → addresses.
    broker_addr: BTreeMap<String, BrokerData>,
    /// cluster → broker names.
    cluster_addr: BTreeMap<String, BTreeSet<String>>,
    broker_live: HashMap<BrokerAddrInfo, BrokerLiveInfo>,
    /// Legacy filter servers per broker address.
    filter_server: HashMap<BrokerAddrInfo, Vec<String>>,
    /// topic → broker name → `TopicQueueMappingInfo` (5.x static topics).
    topic_queue_mapping: HashMap<String, BTreeMap<String, Value>>,
    /// Bumped by every write that may change a route (see [`cache`]).
    generation: u64,
}

/// The NameServer's routing state (Java `RouteInfoManager`).
#[derive(Default)]
pub struct RouteInfoManager {
    tables: RwLock<RouteTables>,
    /// Encoded route bodies. Lock order: `tables` before `bodies`.
    bodies: Mutex<cache::RouteBodyCache>,
}

impl RouteInfoManager {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, RouteTables> {
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The tables for a change that may alter routes: cached route bodies become stale.
    fn write(&self) -> RwLockWriteGuard<'_, RouteTables> {
        let mut t = self.write_live_only();
        t.generation = t.generation.wrapping_add(1);
        t
    }

    /// The tables for a change of liveness data only (`broker_live`), which no route body
    /// shows, so cached bodies stay valid.
    fn write_live_only(&self) -> RwLockWriteGuard<'_, RouteTables> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_bodies(&self) -> MutexGuard<'_, cache::RouteBodyCache> {
        // The cache is only ever replaced or extended whole; a panic cannot leave it torn.
        self.bodies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Java `RouteInfoManager#registerBroker`. `None` is Java's `null` result ("register broker
    /// failed"): a single-topic registration from a broker id not yet registered.
    /// `delete_missing_topics` is `deleteTopicWithBrokerRegistration`.
    pub fn register_broker(
        &self,
        reg: &BrokerRegistration,
        body: &RegisterBrokerBody,
        delete_missing_topics: bool,
    ) -> Option<RegisterResult> {
        let wrapper = &body.topic_config_serialize_wrapper;
        let mut guard = self.write();
        let t = &mut *guard;
        let known_id = t
            .broker_addr
            .get(&reg.broker_name)
            .is_some_and(|bd| bd.broker_addrs.contains_key(&reg.broker_id));
        // 5.x guard for single-topic registrations (`registerSingleTopicAll`) that arrive before
        // the broker's first full registration. Checked before any change so a refused request
        // leaves no empty broker entry behind (Java leaves one).
        if !known_id && wrapper.topic_config_table.len() == 1 {
            tracing::warn!(broker = %reg.broker_addr, "single-topic registration before the broker's first registration");
            return None;
        }
        let Some(role) = t.update_broker_addrs(reg, &wrapper.data_version) else {
            // Java answers success with an empty result when it ignores a registration.
            return Some(RegisterResult::default());
        };
        if role.is_master || role.is_prime_slave {
            let wipe_write = role.is_prime_slave && role.acting_master;
            t.apply_topic_configs(
                reg,
                body,
                role.register_first,
                wipe_write,
                delete_missing_topics,
            );
        }
        t.record_live(reg, body);
        Some(if role.is_master {
            RegisterResult::default()
        } else {
            t.master_of(reg)
        })
    }

    /// Java `RouteInfoManager#unRegisterBroker` for a batch of addresses.
    pub fn unregister_brokers(&self, requests: &[Unregistration]) {
        let mut guard = self.write();
        let t = &mut *guard;
        let mut removed = BTreeSet::new();
        let mut reduced = BTreeSet::new();
        for req in requests {
            let key = addr_info(&req.cluster_name, &req.broker_addr);
            let was_live = t.broker_live.remove(&key).is_some();
            t.filter_server.remove(&key);
            tracing::info!(cluster = %req.cluster_name, broker = %req.broker_addr, was_live, "unregister broker");

            let mut remove_name = false;
            if let Some(bd) = t.broker_addr.get_mut(&req.broker_name) {
                bd.broker_addrs.retain(|_, addr| *addr != req.broker_addr);
                if bd.broker_addrs.is_empty() {
                    t.broker_addr.remove(&req.broker_name);
                    remove_name = true;
                }
            }
            if remove_name {
                if let Some(names) = t.cluster_addr.get_mut(&req.cluster_name) {
                    names.remove(&req.broker_name);
                    if names.is_empty() {
                        t.cluster_addr.remove(&req.cluster_name);
                    }
                }
                removed.insert(req.broker_name.clone());
            } else {
                reduced.insert(req.broker_name.clone());
            }
        }
        t.clean_topics(&removed, &reduced);
    }

    /// Java `onChannelDestroy(Channel)`: the connection a broker registered over closed.
    /// Returns what was unregistered.
    pub fn on_connection_closed(&self, conn_id: u64) -> Vec<Unregistration> {
        let requests: Vec<Unregistration> = {
            let t = self.read();
            let mut keys: Vec<&BrokerAddrInfo> = t
                .broker_live
                .iter()
                .filter(|(_, live)| live.conn_id == Some(conn_id))
                .map(|(k, _)| k)
                .collect();
            keys.sort();
            keys.into_iter()
                .filter_map(|k| t.unregistration_for(k))
                .collect()
        };
        // Read then write: a registration slipping in between is harmless, the unregistration
        // only removes the exact (cluster, address) pairs found above.
        if !requests.is_empty() {
            self.unregister_brokers(&requests);
        }
        requests
    }

    /// Java `scanNotActiveBroker`: unregisters every broker whose last registration (or
    /// heartbeat) is older than its timeout at `now`. Returns the expired addresses with the
    /// connection each registered over, which the caller closes as Java does.
    pub fn scan_not_active_brokers(&self, now: Instant) -> Vec<Expired> {
        let (expired, requests) = {
            let t = self.read();
            let mut expired: Vec<Expired> = t
                .broker_live
                .iter()
                .filter(|(_, live)| now.saturating_duration_since(live.last_update) > live.timeout)
                .map(|(k, live)| Expired {
                    key: k.clone(),
                    conn_id: live.conn_id,
                })
                .collect();
            expired.sort_by(|a, b| a.key.cmp(&b.key));
            let requests: Vec<Unregistration> = expired
                .iter()
                .filter_map(|e| t.unregistration_for(&e.key))
                .collect();
            (expired, requests)
        };
        for e in &expired {
            tracing::warn!(cluster = %e.key.cluster_name, broker = %e.key.broker_addr, "the broker channel expired");
        }
        if !requests.is_empty() {
            self.unregister_brokers(&requests);
        }
        // A live entry whose broker name is already gone still has to leave the live table.
        let mut t = self.write();
        for e in &expired {
            if t.broker_live
                .get(&e.key)
                .is_some_and(|l| now.saturating_duration_since(l.last_update) > l.timeout)
            {
                t.broker_live.remove(&e.key);
            }
        }
        expired
    }

    /// Java `isBrokerTopicConfigChanged`: true when unknown or different.
    pub fn is_broker_topic_config_changed(
        &self,
        cluster: &str,
        addr: &str,
        dv: Option<&DataVersion>,
    ) -> bool {
        let t = self.read();
        t.is_data_version_changed(&addr_info(cluster, addr), dv)
    }

    /// Java `queryBrokerTopicConfig`: the `DataVersion` of the broker's last registration.
    pub fn query_broker_topic_config(&self, cluster: &str, addr: &str) -> Option<DataVersion> {
        let t = self.read();
        t.broker_live
            .get(&addr_info(cluster, addr))
            .map(|l| l.data_version.clone())
    }

    /// Java `updateBrokerInfoUpdateTimestamp` (BROKER_HEARTBEAT, QUERY_DATA_VERSION).
    pub fn update_broker_info_update_timestamp(&self, cluster: &str, addr: &str) {
        let mut t = self.write_live_only();
        if let Some(live) = t.broker_live.get_mut(&addr_info(cluster, addr)) {
            live.last_update = Instant::now();
        }
    }
}

fn addr_info(cluster: &str, addr: &str) -> BrokerAddrInfo {
    BrokerAddrInfo {
        cluster_name: cluster.to_string(),
        broker_addr: addr.to_string(),
    }
}

impl RouteTables {
    /// The cluster/broker-address half of `registerBroker`. `None` when another address holds
    /// this broker id with a newer state version (Java ignores the registration).
    fn update_broker_addrs(&mut self, reg: &BrokerRegistration, dv: &DataVersion) -> Option<Role> {
        self.cluster_addr
            .entry(reg.cluster_name.clone())
            .or_default()
            .insert(reg.broker_name.clone());
        let mut register_first = !self.broker_addr.contains_key(&reg.broker_name);
        let broker_data = self
            .broker_addr
            .entry(reg.broker_name.clone())
            .or_insert_with(|| BrokerData::new(&reg.cluster_name, &reg.broker_name));
        broker_data.enable_acting_master = reg.enable_acting_master.unwrap_or(false);
        broker_data.zone_name = reg.zone_name.clone();

        // Slave → master switch: one address, one id.
        broker_data
            .broker_addrs
            .retain(|id, addr| !(*addr == reg.broker_addr && *id != reg.broker_id));

        if let Some(old_addr) = broker_data.broker_addrs.get(&reg.broker_id) {
            if *old_addr != reg.broker_addr {
                let old_key = addr_info(&reg.cluster_name, old_addr);
                if self
                    .broker_live
                    .get(&old_key)
                    .is_some_and(|old| old.data_version.state_version > dv.state_version)
                {
                    tracing::warn!(broker = %reg.broker_addr, old = %old_addr, "registration conflicts with a newer broker, ignored");
                    self.broker_live
                        .remove(&addr_info(&reg.cluster_name, &reg.broker_addr));
                    return None;
                }
            }
        }

        let old_addr = broker_data
            .broker_addrs
            .insert(reg.broker_id, reg.broker_addr.clone());
        register_first |= old_addr.map_or(true, |a| a.is_empty());
        let is_master = reg.broker_id == MASTER_ID;
        Some(Role {
            register_first,
            is_master,
            // 5.x brokers only (old ones send no enableActingMaster).
            is_prime_slave: reg.enable_acting_master.is_some()
                && !is_master
                && broker_data.broker_addrs.keys().next() == Some(&reg.broker_id),
            acting_master: broker_data.enable_acting_master,
        })
    }

    /// The live-table and filter-server half of `registerBroker`.
    fn record_live(&mut self, reg: &BrokerRegistration, body: &RegisterBrokerBody) {
        let key = addr_info(&reg.cluster_name, &reg.broker_addr);
        let timeout = reg
            .heartbeat_timeout_millis
            .and_then(|ms| u64::try_from(ms).ok())
            .map_or(DEFAULT_BROKER_TIMEOUT, Duration::from_millis);
        let live = BrokerLiveInfo {
            last_update: Instant::now(),
            timeout,
            data_version: body.topic_config_serialize_wrapper.data_version.clone(),
            conn_id: reg.conn_id,
            ha_server_addr: reg.ha_server_addr.clone(),
        };
        if self.broker_live.insert(key.clone(), live).is_none() {
            tracing::info!(cluster = %reg.cluster_name, broker = %reg.broker_addr, ha = %reg.ha_server_addr, "new broker registered");
        }
        if body.filter_server_list.is_empty() {
            self.filter_server.remove(&key);
        } else {
            self.filter_server
                .insert(key, body.filter_server_list.clone());
        }
    }

    /// For a slave: its live master's address and HA address.
    fn master_of(&self, reg: &BrokerRegistration) -> RegisterResult {
        let mut result = RegisterResult::default();
        let master = self
            .broker_addr
            .get(&reg.broker_name)
            .and_then(|bd| bd.broker_addrs.get(&MASTER_ID));
        if let Some(master_addr) = master {
            if let Some(live) = self
                .broker_live
                .get(&addr_info(&reg.cluster_name, master_addr))
            {
                result.ha_server_addr = Some(live.ha_server_addr.clone());
                result.master_addr = Some(master_addr.clone());
            }
        }
        result
    }

    fn is_data_version_changed(&self, key: &BrokerAddrInfo, dv: Option<&DataVersion>) -> bool {
        match (self.broker_live.get(key), dv) {
            (Some(live), Some(dv)) => live.data_version != *dv,
            _ => true,
        }
    }

    /// The queue-data half of `registerBroker` (master or prime slave only).
    fn apply_topic_configs(
        &mut self,
        reg: &BrokerRegistration,
        body: &RegisterBrokerBody,
        register_first: bool,
        wipe_write: bool,
        delete_missing_topics: bool,
    ) {
        let wrapper = &body.topic_config_serialize_wrapper;
        let mapping = wrapper
            .topic_queue_mapping_info_map
            .clone()
            .unwrap_or_default();
        if delete_missing_topics && mapping.is_empty() {
            let name = &reg.broker_name;
            self.topic_queue.retain(|topic, queues| {
                if !wrapper.topic_config_table.contains_key(topic) {
                    queues.remove(name);
                }
                !queues.is_empty()
            });
        }
        let key = addr_info(&reg.cluster_name, &reg.broker_addr);
        let version_changed = self.is_data_version_changed(&key, Some(&wrapper.data_version));
        for tc in wrapper.topic_config_table.values() {
            let known = self
                .topic_queue
                .get(&tc.topic_name)
                .is_some_and(|q| q.contains_key(&reg.broker_name));
            if register_first || version_changed || !known {
                self.create_and_update_queue_data(&reg.broker_name, tc, wipe_write);
            }
        }
        if version_changed || register_first {
            for (topic, info) in mapping {
                let bname = info
                    .get("bname")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                self.topic_queue_mapping
                    .entry(topic)
                    .or_default()
                    .insert(bname, info);
            }
        }
    }

    fn create_and_update_queue_data(
        &mut self,
        broker_name: &str,
        tc: &TopicConfig,
        wipe_write: bool,
    ) {
        let qd = QueueData {
            broker_name: broker_name.to_string(),
            perm: if wipe_write {
                tc.perm & !perm::WRITE
            } else {
                tc.perm
            },
            read_queue_nums: tc.read_queue_nums,
            topic_sys_flag: tc.topic_sys_flag,
            write_queue_nums: tc.write_queue_nums,
        };
        let queues = self.queues_of(&tc.topic_name);
        if queues.get(broker_name) != Some(&qd) {
            tracing::debug!(topic = %tc.topic_name, ?qd, "topic queue data updated");
            queues.insert(broker_name.to_string(), qd);
        }
    }

    /// A topic's queue table, entered (and numbered) if new.
    fn queues_of(&mut self, topic: &str) -> &mut BTreeMap<String, QueueData> {
        if !self.topic_queue.contains_key(topic) {
            self.next_topic_seq += 1;
            self.topic_seq
                .insert(topic.to_string(), self.next_topic_seq);
        }
        self.topic_queue.entry(topic.to_string()).or_default()
    }

    /// `topics` in the order Java's NameServer lists them.
    fn java_ordered<'a>(&self, topics: impl Iterator<Item = &'a String>) -> Vec<String> {
        let mut by_seq: Vec<(u64, &String)> = topics
            .map(|t| (self.topic_seq.get(t).copied().unwrap_or(0), t))
            .collect();
        by_seq.sort();
        java_order::topic_list_order(by_seq.into_iter().map(|(_, t)| t.as_str()))
    }

    /// Java `cleanTopicByUnRegisterRequests`.
    fn clean_topics(&mut self, removed: &BTreeSet<String>, reduced: &BTreeSet<String>) {
        let no_master: BTreeSet<&String> = reduced
            .iter()
            .filter(|name| {
                self.broker_addr.get(*name).is_some_and(|bd| {
                    bd.enable_acting_master
                        && bd
                            .broker_addrs
                            .keys()
                            .next()
                            .map_or(true, |id| *id > MASTER_ID)
                })
            })
            .collect();
        self.topic_queue.retain(|_, queues| {
            for name in removed {
                queues.remove(name);
            }
            for name in &no_master {
                if let Some(qd) = queues.get_mut(*name) {
                    qd.perm &= !perm::WRITE;
                }
            }
            !queues.is_empty()
        });
    }

    /// Java `setupUnRegisterRequest`: finds the broker name and id of a live address.
    fn unregistration_for(&self, key: &BrokerAddrInfo) -> Option<Unregistration> {
        self.broker_addr
            .values()
            .filter(|bd| bd.cluster == key.cluster_name)
            .find_map(|bd| {
                bd.broker_addrs
                    .iter()
                    .find(|(_, addr)| **addr == key.broker_addr)
                    .map(|(id, _)| Unregistration {
                        cluster_name: key.cluster_name.clone(),
                        broker_addr: key.broker_addr.clone(),
                        broker_name: bd.broker_name.clone(),
                        broker_id: *id,
                    })
            })
    }
}

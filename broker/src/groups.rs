//! Subscription group configs (Java `SubscriptionGroupManager`), persisted in
//! `config/subscriptionGroup.json`:
//! `{"dataVersion":{…},"forbiddenTable":{},"subscriptionGroupTable":{"G":{SubscriptionGroupConfig}}}`.
//! Groups are auto-created on first use when `autoCreateSubscriptionGroup` (or, as in 5.x, for
//! `CID_RMQ_SYS_*` groups when `enableCreateSysGroup`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::RwLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::BrokerConfig;
use crate::persist::{self, DataVersion, DataVersionJson};

/// Java `SubscriptionGroupConfig` (5.3.3 fields; 4.9.8 files lack some and read fine).
/// Java client `Validators.checkGroup` (the broker's auto-create applies the same rule): a
/// group becomes the retry and DLQ topics `%RETRY%<group>`/`%DLQ%<group>`, hence directories.
pub fn validate_group_name(group: &str) -> Result<(), String> {
    if group.trim().is_empty() {
        return Err("the specified group is blank".into());
    }
    if group.len() > 255 {
        return Err("the specified group is longer than group max length 255.".into());
    }
    if !crate::topics::is_legal_name(group) {
        return Err(format!(
            "the specified group[{group}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionGroupConfig {
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub broker_id: i64,
    #[serde(default = "yes")]
    pub consume_broadcast_enable: bool,
    #[serde(default = "yes")]
    pub consume_enable: bool,
    #[serde(default = "yes")]
    pub consume_from_min_enable: bool,
    #[serde(default)]
    pub consume_message_orderly: bool,
    #[serde(default = "fifteen")]
    pub consume_timeout_minute: i32,
    pub group_name: String,
    #[serde(default = "default_retry_policy")]
    pub group_retry_policy: Value,
    #[serde(default)]
    pub group_sys_flag: i32,
    #[serde(default = "yes")]
    pub notify_consumer_ids_changed_enable: bool,
    #[serde(default = "sixteen")]
    pub retry_max_times: i32,
    #[serde(default = "one")]
    pub retry_queue_nums: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_data_set: Option<Value>,
    #[serde(default = "one_i64")]
    pub which_broker_when_consume_slowly: i64,
}

fn yes() -> bool {
    true
}
fn fifteen() -> i32 {
    15
}
fn sixteen() -> i32 {
    16
}
fn one() -> i32 {
    1
}
fn one_i64() -> i64 {
    1
}
fn default_retry_policy() -> Value {
    serde_json::json!({"type": "CUSTOMIZED"})
}

impl SubscriptionGroupConfig {
    /// Java `new SubscriptionGroupConfig()` with a name.
    pub fn new(name: &str) -> Self {
        Self {
            attributes: BTreeMap::new(),
            broker_id: 0,
            consume_broadcast_enable: true,
            consume_enable: true,
            consume_from_min_enable: true,
            consume_message_orderly: false,
            consume_timeout_minute: 15,
            group_name: name.to_string(),
            group_retry_policy: default_retry_policy(),
            group_sys_flag: 0,
            notify_consumer_ids_changed_enable: true,
            retry_max_times: 16,
            retry_queue_nums: 1,
            subscription_data_set: None,
            which_broker_when_consume_slowly: 1,
        }
    }
}

/// subscriptionGroup.json / GET_ALL_SUBSCRIPTIONGROUP_CONFIG body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupWrapper {
    #[serde(default = "zero_version")]
    pub data_version: DataVersionJson,
    #[serde(default)]
    pub forbidden_table: BTreeMap<String, Value>,
    #[serde(default)]
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

fn zero_version() -> DataVersionJson {
    DataVersionJson {
        counter: 0,
        state_version: 0,
        timestamp: 0,
    }
}

/// Groups Java 5.3.3 creates at start.
const PREDEFINED: &[&str] = &[
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
    "CID_RMQ_SYS_TRANS",
];

struct Inner {
    groups: BTreeMap<String, SubscriptionGroupConfig>,
    forbidden: BTreeMap<String, Value>,
}

pub struct GroupTable {
    inner: RwLock<Inner>,
    version: DataVersion,
    path: PathBuf,
}

impl GroupTable {
    pub fn open(config: &BrokerConfig) -> Result<Self, String> {
        let mut groups = BTreeMap::new();
        for name in PREDEFINED {
            groups.insert(name.to_string(), SubscriptionGroupConfig::new(name));
        }
        let mut forbidden = BTreeMap::new();
        let path = PathBuf::from(&config.store_path_root_dir).join("config/subscriptionGroup.json");
        let version = DataVersion::default();
        let loaded = persist::load(&path, |s| {
            remoting::body::from_body::<GroupWrapper>(s.as_bytes()).ok()
        })?;
        if let Some(w) = loaded {
            version.assign(w.data_version);
            groups.extend(w.subscription_group_table);
            forbidden = w.forbidden_table;
        }
        Ok(Self {
            inner: RwLock::new(Inner { groups, forbidden }),
            version,
            path,
        })
    }

    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.read().groups.get(group).cloned()
    }

    /// Java `findSubscriptionGroupConfig`: the group, auto-created when allowed.
    pub fn find_or_create(
        &self,
        group: &str,
        config: &BrokerConfig,
    ) -> Option<SubscriptionGroupConfig> {
        if let Some(g) = self.get(group) {
            return Some(g);
        }
        let sys = group.starts_with("CID_RMQ_SYS_") && config.enable_create_sys_group;
        if !(config.auto_create_subscription_group || sys) {
            return None;
        }
        if validate_group_name(group).is_err() {
            return None;
        }
        let created = {
            let mut inner = self.write();
            inner
                .groups
                .entry(group.to_string())
                .or_insert_with(|| SubscriptionGroupConfig::new(group))
                .clone()
        };
        self.version.next();
        self.persist();
        Some(created)
    }

    pub fn put(&self, cfg: SubscriptionGroupConfig) {
        self.write().groups.insert(cfg.group_name.clone(), cfg);
        self.version.next();
        self.persist();
    }

    pub fn remove(&self, group: &str) -> bool {
        let removed = {
            let mut inner = self.write();
            inner.forbidden.remove(group);
            inner.groups.remove(group).is_some()
        };
        if removed {
            self.version.next();
            self.persist();
        }
        removed
    }

    pub fn names(&self) -> Vec<String> {
        self.read().groups.keys().cloned().collect()
    }

    /// A slave takes the master's groups (Java `SlaveSynchronize.syncSubscriptionGroupConfig`)
    /// when the data versions differ. True when it changed.
    pub fn replace_from_master(&self, master: GroupWrapper) -> bool {
        if self.version.snapshot() == master.data_version {
            return false;
        }
        {
            let mut inner = self.write();
            inner.groups = master.subscription_group_table;
            inner.forbidden = master.forbidden_table;
        }
        self.version.assign(master.data_version);
        self.persist();
        true
    }

    pub fn wrapper(&self) -> GroupWrapper {
        let inner = self.read();
        GroupWrapper {
            data_version: self.version.snapshot(),
            forbidden_table: inner.forbidden.clone(),
            subscription_group_table: inner.groups.clone(),
        }
    }

    pub fn persist(&self) {
        let json = match serde_json::to_string_pretty(&self.wrapper()) {
            Ok(j) => j,
            Err(e) => return tracing::error!("encode subscriptionGroup.json: {e}"),
        };
        if let Err(e) = persist::store(&self.path, &json) {
            tracing::error!(file = %self.path.display(), "persist subscriptionGroup.json: {e}");
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastjson_forms_read_alike() {
        remoting::body::assert_read_alike::<SubscriptionGroupConfig>(include_str!(
            "../../testdata/fastjson/SubscriptionGroupConfig.txt"
        ));
    }

    fn config(dir: &std::path::Path) -> BrokerConfig {
        BrokerConfig {
            store_path_root_dir: dir.display().to_string(),
            ..BrokerConfig::default()
        }
    }

    #[test]
    fn predefined_autocreate_and_reload() {
        let dir = persist::temp_dir("groups");
        let mut c = config(&dir);
        let g = GroupTable::open(&c).unwrap();
        assert!(g.get("TOOLS_CONSUMER").is_some());
        let cg = g.find_or_create("CG", &c).unwrap();
        assert_eq!((cg.retry_queue_nums, cg.retry_max_times), (1, 16));
        let again = GroupTable::open(&c).unwrap();
        assert!(again.get("CG").is_some());
        c.auto_create_subscription_group = false;
        assert!(again.find_or_create("Other", &c).is_none());
        assert!(again.find_or_create("CID_RMQ_SYS_X", &c).is_some());
        assert!(again.remove("CG"));
        assert!(GroupTable::open(&c).unwrap().get("CG").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn java_json_shape() {
        let j = serde_json::to_string(&SubscriptionGroupConfig::new("CG")).unwrap();
        assert_eq!(
            j,
            r#"{"attributes":{},"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"CG","groupRetryPolicy":{"type":"CUSTOMIZED"},"groupSysFlag":0,"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}"#
        );
        let old: SubscriptionGroupConfig = serde_json::from_str(
            r#"{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":false,"consumeFromMinEnable":true,"groupName":"G","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}"#,
        )
        .unwrap();
        assert!(!old.consume_enable);
        assert_eq!(old.retry_max_times, 3);
    }
}

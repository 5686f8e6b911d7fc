//! Topic configs (Java `TopicConfigManager`): the table persisted in `config/topics.json`,
//! system topics created at start, TBW102 auto-creation on send, retry/DLQ topics.
//!
//! `topics.json` shape (fastjson, `TopicConfigSerializeWrapper`):
//! `{"dataVersion":{"counter":n,"stateVersion":0,"timestamp":ms},"topicConfigTable":{"T":{TopicConfig}}}`.
//! One `RwLock` guards the table; the `DataVersion` is bumped on every change so the NameServer
//! re-reads the topics at the next registration.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::RwLock;

use crate::config::BrokerConfig;
use crate::persist::{self, DataVersion, DataVersionJson};

pub use remoting::body::topic::{
    TopicConfig, TopicConfigSerializeWrapper, TopicFilterType, PERM_INHERIT, PERM_PRIORITY,
    PERM_READ, PERM_WRITE,
};

pub const AUTO_CREATE_TOPIC: &str = "TBW102";
pub const SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
pub const BENCHMARK_TOPIC: &str = "BenchmarkTest";
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
pub const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
pub const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
pub const TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
pub const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";
pub const RETRY_PREFIX: &str = "%RETRY%";
pub const DLQ_PREFIX: &str = "%DLQ%";
/// `SCHEDULE_TOPIC_XXXX` always has 18 queues (Java `TopicConfigManager.SCHEDULE_TOPIC_QUEUE_NUM`).
const SCHEDULE_QUEUE_NUM: i32 = 18;

/// Java `TopicValidator.validateTopic`: `^[%|a-zA-Z0-9_-]+$`, 1..=127 chars.
pub fn validate_topic_name(topic: &str) -> Result<(), String> {
    if topic.trim().is_empty() {
        return Err("The specified topic is blank.".into());
    }
    if !is_legal_name(topic) {
        return Err(
            "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
                .into(),
        );
    }
    if topic.len() > 127 {
        return Err("The specified topic is longer than topic max length.".into());
    }
    Ok(())
}

/// Java `TopicValidator.isTopicOrGroupIllegal`, negated: only `[%|a-zA-Z0-9_-]`. No such name
/// can leave its directory (no `.`, no separator), which is why topics and groups are checked
/// with it before they become paths.
pub fn is_legal_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

/// Java `TopicValidator.isNotAllowedSendTopic`.
pub fn is_send_forbidden(topic: &str) -> bool {
    matches!(
        topic,
        SCHEDULE_TOPIC
            | TRANS_HALF_TOPIC
            | TRANS_OP_HALF_TOPIC
            | TRANS_CHECK_MAX_TIME_TOPIC
            | SELF_TEST_TOPIC
            | OFFSET_MOVED_EVENT
    )
}

/// Java `TopicValidator.isSystemTopic` for the fixed names and the `rmq_sys_` prefix.
pub fn is_system_topic(topic: &str, config: &BrokerConfig) -> bool {
    is_send_forbidden(topic)
        || topic.starts_with("rmq_sys_")
        || topic == AUTO_CREATE_TOPIC
        || topic == BENCHMARK_TOPIC
        || topic == config.broker_cluster_name
        || topic == config.broker_name
        || topic.strip_suffix("_REPLY_TOPIC") == Some(config.broker_cluster_name.as_str())
        || (config.trace_topic_enable && topic == config.msg_trace_topic_name)
}

pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_PREFIX}{group}")
}

pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_PREFIX}{group}")
}

/// The topic table.
pub struct TopicTable {
    table: RwLock<BTreeMap<String, TopicConfig>>,
    version: DataVersion,
    path: PathBuf,
}

impl TopicTable {
    /// System topics as Java 5.3.3 `TopicConfigManager.init` creates them, then `topics.json`
    /// on top (a persisted entry wins over the built-in one).
    pub fn open(config: &BrokerConfig) -> Result<Self, String> {
        let mut table = BTreeMap::new();
        for t in system_topics(config) {
            table.insert(t.topic_name.clone(), t);
        }
        let path = PathBuf::from(&config.store_path_root_dir).join("config/topics.json");
        let version = DataVersion::default();
        let loaded = persist::load(&path, |s| {
            remoting::body::from_body::<TopicConfigSerializeWrapper>(s.as_bytes()).ok()
        })?;
        if let Some(w) = loaded {
            version.assign(w.data_version);
            table.extend(w.topic_config_table);
        }
        Ok(Self {
            table: RwLock::new(table),
            version,
            path,
        })
    }

    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.read().get(topic).cloned()
    }

    /// What `f` reads of a topic's config, without a clone of it.
    pub fn with<R>(&self, topic: &str, f: impl FnOnce(&TopicConfig) -> R) -> Option<R> {
        self.read().get(topic).map(f)
    }

    pub fn contains(&self, topic: &str) -> bool {
        self.read().contains_key(topic)
    }

    pub fn names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// Adds or replaces a topic; bumps the data version and persists.
    pub fn put(&self, tc: TopicConfig) {
        self.write().insert(tc.topic_name.clone(), tc);
        self.version.next();
        self.persist();
    }

    pub fn remove(&self, topic: &str) -> Option<TopicConfig> {
        let old = self.write().remove(topic);
        if old.is_some() {
            self.version.next();
            self.persist();
        }
        old
    }

    /// Java `createTopicInSendMessageMethod`: creates `topic` from the template `default_topic`.
    /// Returns the config and whether it was newly created (caller then registers to the NS).
    pub fn create_in_send(
        &self,
        topic: &str,
        default_topic: &str,
        client_queue_nums: i32,
        sys_flag: i32,
        auto_create_enable: bool,
    ) -> Option<(TopicConfig, bool)> {
        let mut table = self.write();
        if let Some(tc) = table.get(topic) {
            return Some((tc.clone(), false));
        }
        let template = table.get(default_topic)?;
        let mut perm = template.perm;
        if default_topic == AUTO_CREATE_TOPIC && !auto_create_enable {
            perm = PERM_READ | PERM_WRITE;
        }
        if perm & PERM_INHERIT == 0 {
            return None;
        }
        let queues = client_queue_nums.min(template.write_queue_nums).max(1);
        let mut tc = TopicConfig::with_queues(topic, queues, perm & !PERM_INHERIT);
        tc.topic_filter_type = template.topic_filter_type;
        tc.topic_sys_flag = sys_flag;
        table.insert(topic.to_string(), tc.clone());
        drop(table);
        self.version.next();
        self.persist();
        Some((tc, true))
    }

    /// Java `createTopicInSendMessageBackMethod` / retry-topic creation on heartbeat.
    pub fn create_if_absent(&self, topic: &str, queues: i32, perm: i32) -> (TopicConfig, bool) {
        let mut table = self.write();
        if let Some(tc) = table.get(topic) {
            return (tc.clone(), false);
        }
        let tc = TopicConfig::with_queues(topic, queues, perm);
        table.insert(topic.to_string(), tc.clone());
        drop(table);
        self.version.next();
        self.persist();
        (tc, true)
    }

    /// Java `DataVersion.nextVersion` at a role change in controller mode.
    pub fn next_version(&self) {
        self.version.next();
    }

    pub fn data_version(&self) -> DataVersionJson {
        self.version.snapshot()
    }

    /// A slave takes the master's table (Java `SlaveSynchronize.syncTopicConfig`): when the
    /// data versions differ, topics the master lacks are removed, the master's replace ours,
    /// the version becomes the master's and the table is persisted. True when it changed.
    pub fn replace_from_master(&self, master: TopicConfigSerializeWrapper) -> bool {
        if self.version.snapshot() == master.data_version {
            return false;
        }
        *self.write() = master.topic_config_table;
        self.version.assign(master.data_version);
        self.persist();
        true
    }

    /// The whole table with its version (registration body, GET_ALL_TOPIC_CONFIG, topics.json).
    pub fn wrapper(&self) -> TopicConfigSerializeWrapper {
        let table = self.read();
        TopicConfigSerializeWrapper {
            data_version: self.version.snapshot(),
            topic_config_table: table.clone(),
            ..TopicConfigSerializeWrapper::default()
        }
    }

    pub fn persist(&self) {
        let json = match serde_json::to_string_pretty(&self.wrapper()) {
            Ok(j) => j,
            Err(e) => return tracing::error!("encode topics.json: {e}"),
        };
        if let Err(e) = persist::store(&self.path, &json) {
            tracing::error!(file = %self.path.display(), "persist topics.json: {e}");
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, TopicConfig>> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, TopicConfig>> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Java 5.3.3 `TopicConfigManager.init`, in its order.
fn system_topics(c: &BrokerConfig) -> Vec<TopicConfig> {
    let rw = PERM_READ | PERM_WRITE;
    let mut v = vec![TopicConfig::with_queues(SELF_TEST_TOPIC, 1, rw)];
    if c.auto_create_topic_enable {
        v.push(TopicConfig::with_queues(
            AUTO_CREATE_TOPIC,
            c.default_topic_queue_nums,
            rw | PERM_INHERIT,
        ));
    }
    v.push(TopicConfig::with_queues(BENCHMARK_TOPIC, 1024, rw));
    let cluster_perm = PERM_INHERIT | if c.cluster_topic_enable { rw } else { 0 };
    v.push(TopicConfig::with_queues(
        &c.broker_cluster_name,
        16,
        cluster_perm,
    ));
    let broker_perm = PERM_INHERIT | if c.broker_topic_enable { rw } else { 0 };
    v.push(TopicConfig::with_queues(&c.broker_name, 1, broker_perm));
    v.push(TopicConfig::with_queues(OFFSET_MOVED_EVENT, 1, rw));
    v.push(TopicConfig::with_queues(
        SCHEDULE_TOPIC,
        SCHEDULE_QUEUE_NUM,
        rw,
    ));
    if c.trace_topic_enable {
        v.push(TopicConfig::with_queues(&c.msg_trace_topic_name, 1, rw));
    }
    let reply = format!("{}_REPLY_TOPIC", c.broker_cluster_name);
    v.push(TopicConfig::with_queues(&reply, 1, rw));
    let revive = format!("rmq_sys_REVIVE_LOG_{}", c.broker_cluster_name);
    v.push(TopicConfig::with_queues(&revive, c.revive_queue_num, rw));
    let sync = format!("rmq_sys_SYNC_BROKER_MEMBER_{}", c.broker_name);
    v.push(TopicConfig::with_queues(&sync, 1, PERM_INHERIT));
    v.push(TopicConfig::with_queues(TRANS_HALF_TOPIC, 1, rw));
    v.push(TopicConfig::with_queues(TRANS_OP_HALF_TOPIC, 1, rw));
    if c.timer_wheel_enable {
        v.push(TopicConfig::with_queues(TIMER_TOPIC, 1, rw));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path) -> BrokerConfig {
        BrokerConfig {
            store_path_root_dir: dir.display().to_string(),
            broker_name: "broker-a".into(),
            ..BrokerConfig::default()
        }
    }

    #[test]
    fn system_topics_and_persistence() {
        let dir = persist::temp_dir("topics");
        let t = TopicTable::open(&config(&dir)).unwrap();
        assert_eq!(t.get("TBW102").unwrap().perm, 7);
        assert_eq!(t.get("TBW102").unwrap().write_queue_nums, 8);
        assert_eq!(t.get("DefaultCluster").unwrap().read_queue_nums, 16);
        assert_eq!(t.get("broker-a").unwrap().perm, 7);
        assert!(t.contains("RMQ_SYS_TRANS_HALF_TOPIC"));
        assert!(t.contains("SCHEDULE_TOPIC_XXXX"));
        t.put(TopicConfig::with_queues("TopicTest", 4, 6));
        let text = std::fs::read_to_string(dir.join("config/topics.json")).unwrap();
        assert!(text.contains("\"topicConfigTable\""));
        let t2 = TopicTable::open(&config(&dir)).unwrap();
        assert_eq!(t2.get("TopicTest").unwrap().read_queue_nums, 4);
        assert_eq!(t2.data_version().counter, t.data_version().counter);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn auto_create_from_tbw102() {
        let dir = persist::temp_dir("autocreate");
        let t = TopicTable::open(&config(&dir)).unwrap();
        let v0 = t.data_version().counter;
        let (tc, created) = t.create_in_send("NewTopic", "TBW102", 4, 0, true).unwrap();
        assert!(created);
        assert_eq!(
            (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
            (4, 4, 6)
        );
        assert!(t.data_version().counter > v0);
        assert!(
            !t.create_in_send("NewTopic", "TBW102", 4, 0, true)
                .unwrap()
                .1
        );
        // a template without the inherit bit refuses
        assert!(t
            .create_in_send("Other", "SELF_TEST_TOPIC", 4, 0, true)
            .is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_java_498_topics_json() {
        let w: TopicConfigSerializeWrapper = serde_json::from_str(
            r#"{"dataVersion":{"counter":2,"timestamp":1},"topicConfigTable":{"T":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4}}}"#,
        )
        .unwrap();
        assert_eq!(w.topic_config_table["T"].write_queue_nums, 4);
        assert_eq!(w.data_version.counter, 2);
    }

    #[test]
    fn topic_name_rules() {
        assert!(validate_topic_name("Topic_a-%|1").is_ok());
        assert!(validate_topic_name("bad topic").is_err());
        assert!(validate_topic_name("").is_err());
        assert!(validate_topic_name(&"a".repeat(128)).is_err());
        assert!(is_send_forbidden("SCHEDULE_TOPIC_XXXX"));
        assert!(!is_send_forbidden("TopicTest"));
    }
}

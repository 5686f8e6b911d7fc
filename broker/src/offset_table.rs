//! Committed consumer offsets (Java `ConsumerOffsetManager`), persisted in
//! `config/consumerOffset.json` exactly as Java writes it, bare integer keys included:
//!
//! ```text
//! {"dataVersion":{…},"offsetTable":{"TopicTest@group_a":{0:250,1:249},"%RETRY%group_a@group_a":{0:0}}}
//! ```
//!
//! Values are "next offset to consume"; a lower value overwrites a higher one (Java only logs it).
//! 5.x bumps `dataVersion` every `consumerOffsetUpdateVersionStep` commits.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::RwLock;

use serde::Deserialize;

use crate::persist::{self, DataVersion, DataVersionJson};

type Table = BTreeMap<String, BTreeMap<i32, i64>>;

pub struct OffsetTable {
    table: RwLock<Table>,
    /// Server-side resets (5.x `resetOffsetTable`): answered once by the next pull of the queue
    /// with PULL_OFFSET_MOVED to the reset offset; commits are ignored until then.
    resets: RwLock<Table>,
    version: DataVersion,
    commits: AtomicI64,
    version_step: i64,
    path: PathBuf,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OffsetFile {
    #[serde(default)]
    data_version: Option<DataVersionJson>,
    #[serde(default)]
    offset_table: BTreeMap<String, BTreeMap<String, i64>>,
}

fn key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

impl OffsetTable {
    pub fn open(store_root: &str, version_step: i64) -> Result<Self, String> {
        let path = PathBuf::from(store_root).join("config/consumerOffset.json");
        let version = DataVersion::default();
        let mut table = Table::new();
        if let Some(f) = persist::load(&path, parse_file)? {
            if let Some(v) = f.data_version {
                version.assign(v);
            }
            for (k, queues) in f.offset_table {
                table.insert(k, parse_queues(queues));
            }
        }
        Ok(Self {
            table: RwLock::new(table),
            resets: RwLock::new(Table::new()),
            version,
            commits: AtomicI64::new(0),
            version_step: version_step.max(1),
            path,
        })
    }

    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.write()
            .entry(key(topic, group))
            .or_default()
            .insert(queue_id, offset);
        if (self.commits.fetch_add(1, Ordering::Relaxed) + 1) % self.version_step == 0 {
            self.version.next();
        }
    }

    /// Java `assignResetOffset`: commit `offset` and remember it for the next pull.
    pub fn assign_reset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.resets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key(topic, group))
            .or_default()
            .insert(queue_id, offset);
        self.commit(group, topic, queue_id, offset);
    }

    pub fn has_reset(&self, group: &str, topic: &str, queue_id: i32) -> bool {
        self.resets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key(topic, group))
            .is_some_and(|q| q.contains_key(&queue_id))
    }

    /// Java `queryThenEraseResetOffset`.
    pub fn take_reset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let mut resets = self.resets.write().unwrap_or_else(|e| e.into_inner());
        let k = key(topic, group);
        let q = resets.get_mut(&k)?;
        let offset = q.remove(&queue_id);
        if q.is_empty() {
            resets.remove(&k);
        }
        offset
    }

    /// The committed offset, `None` when the group never committed this queue.
    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.read()
            .get(&key(topic, group))
            .and_then(|q| q.get(&queue_id).copied())
    }

    /// All queues of (group, topic).
    pub fn queues(&self, group: &str, topic: &str) -> BTreeMap<i32, i64> {
        self.read()
            .get(&key(topic, group))
            .cloned()
            .unwrap_or_default()
    }

    /// Java `cloneOffset`: `dest` gets a copy of `src`'s queue table for `topic` (replacing its
    /// own); nothing happens when `src` has none.
    pub fn clone_queues(&self, src: &str, dest: &str, topic: &str) {
        let mut t = self.write();
        if let Some(q) = t.get(&key(topic, src)).cloned() {
            t.insert(key(topic, dest), q);
        }
    }

    /// Topics the group has offsets for (Java `whichTopicByConsumer`).
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        self.read()
            .keys()
            .filter_map(|k| k.rsplit_once('@'))
            .filter(|(_, g)| *g == group)
            .map(|(t, _)| t.to_string())
            .collect()
    }

    /// Groups with offsets on the topic (Java `whichGroupByTopic`).
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        self.read()
            .keys()
            .filter_map(|k| k.rsplit_once('@'))
            .filter(|(t, _)| *t == topic)
            .map(|(_, g)| g.to_string())
            .collect()
    }

    pub fn remove_group(&self, group: &str) {
        self.write()
            .retain(|k, _| k.rsplit_once('@').map(|(_, g)| g) != Some(group));
    }

    pub fn remove_topic(&self, topic: &str) {
        self.write()
            .retain(|k, _| k.rsplit_once('@').map(|(t, _)| t) != Some(topic));
    }

    pub fn data_version(&self) -> DataVersionJson {
        self.version.snapshot()
    }

    /// A slave takes the master's offsets (Java `SlaveSynchronize.syncConsumerOffset`): every
    /// `topic@group` the master has replaces ours (others stay), the version becomes the
    /// master's, and the table is persisted. `text` is a GET_ALL_CONSUMER_OFFSET body.
    pub fn merge_from_master(&self, text: &str) -> Result<(), String> {
        let f = parse_file(text).ok_or("consumer offsets from the master do not parse")?;
        {
            let mut table = self.write();
            for (k, queues) in f.offset_table {
                table.insert(k, parse_queues(queues));
            }
        }
        if let Some(v) = f.data_version {
            self.version.assign(v);
        }
        self.persist();
        Ok(())
    }

    /// Java's text: fastjson writes `Map<Integer, Long>` keys bare.
    pub fn encode(&self) -> String {
        let table = self.read();
        let dv = serde_json::to_string(&self.version.snapshot()).unwrap_or_default();
        let mut s = format!("{{\n\t\"dataVersion\":{dv},\n\t\"offsetTable\":{{");
        for (i, (k, queues)) in table.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let name = serde_json::to_string(k).unwrap_or_default();
            let inner: Vec<String> = queues.iter().map(|(q, o)| format!("{q}:{o}")).collect();
            s.push_str(&format!("\n\t\t{name}:{{{}}}", inner.join(",")));
        }
        s.push_str("\n\t}\n}");
        s
    }

    pub fn persist(&self) {
        if let Err(e) = persist::store(&self.path, &self.encode()) {
            tracing::error!(file = %self.path.display(), "persist consumerOffset.json: {e}");
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn parse_queues(queues: BTreeMap<String, i64>) -> BTreeMap<i32, i64> {
    queues
        .into_iter()
        .filter_map(|(id, off)| id.trim().parse::<i32>().ok().map(|id| (id, off)))
        .collect()
}

/// fastjson's own form, bare numeric keys included (`{"T@g":{0:250}}`).
fn parse_file(text: &str) -> Option<OffsetFile> {
    remoting::body::from_body(text.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_java_file_with_bare_keys() {
        let dir = persist::temp_dir("offsets");
        let text = "{\n\t\"offsetTable\":{\n\t\t\"TopicTest@group_a\":{0:250,1:249,2:251,3:250},\n\t\t\"%RETRY%group_a@group_a\":{0:0}\n\t}\n}";
        std::fs::create_dir_all(dir.join("config")).unwrap();
        std::fs::write(dir.join("config/consumerOffset.json"), text).unwrap();
        let t = OffsetTable::open(&dir.display().to_string(), 500).unwrap();
        assert_eq!(t.query("group_a", "TopicTest", 1), Some(249));
        assert_eq!(t.query("group_a", "%RETRY%group_a", 0), Some(0));
        assert_eq!(t.query("group_a", "TopicTest", 9), None);
        assert_eq!(t.topics_of_group("group_a").len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn commit_persist_reload_and_lower_overwrites() {
        let dir = persist::temp_dir("offsets2");
        let root = dir.display().to_string();
        let t = OffsetTable::open(&root, 2).unwrap();
        t.commit("g", "T", 0, 10);
        t.commit("g", "T", 0, 7);
        t.commit("g", "T", 3, 1);
        assert_eq!(t.query("g", "T", 0), Some(7));
        assert_eq!(t.data_version().counter, 1, "bumped every 2 commits");
        t.persist();
        let text = std::fs::read_to_string(dir.join("config/consumerOffset.json")).unwrap();
        assert!(text.contains("\"T@g\":{0:7,3:1}"), "{text}");
        let t2 = OffsetTable::open(&root, 2).unwrap();
        assert_eq!(t2.queues("g", "T").len(), 2);
        t2.remove_group("g");
        assert_eq!(t2.query("g", "T", 0), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

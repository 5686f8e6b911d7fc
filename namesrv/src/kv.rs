//! The NameServer's KV config (Java `KVConfigManager`), persisted where Java keeps it.
//!
//! File (`kvConfigPath`, default `~/namesrv/kvConfig.json`), compact JSON as Java's
//! `KVConfigSerializeWrapper`:
//! ```text
//! {"configTable":{"ORDER_TOPIC_CONFIG":{"TopicTest":"broker-a:8;broker-b:8"}}}
//! ```
//! Every change rewrites the whole file; like Java's `MixAll#string2File` the previous content
//! is first copied to `<file>.bak`. The new content goes to `<file>.tmp` and is renamed over the
//! file, so a crash never leaves a half-written file (Java writes in place).
//!
//! The only namespace with protocol meaning is `ORDER_TOPIC_CONFIG` (topic → order conf).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::body::route::KvTable;
use crate::error::{Error, Result};

/// Java `NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG`.
pub const NAMESPACE_ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

type ConfigTable = BTreeMap<String, BTreeMap<String, String>>;

/// Java `KVConfigSerializeWrapper`.
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct KvConfigFile {
    #[serde(default)]
    config_table: ConfigTable,
}

/// Namespaced key/value pairs, persisted on every change.
pub struct KvConfigManager {
    path: PathBuf,
    table: RwLock<ConfigTable>,
    /// Serializes file rewrites so two changes cannot interleave their `.bak`/rename steps.
    persist_lock: Mutex<()>,
}

impl KvConfigManager {
    /// Loads `path` (Java `KVConfigManager#load`): a missing or empty file is an empty table; a
    /// file that is not Java's JSON shape is an error (Java's start fails on it too).
    pub fn load(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let table = match std::fs::read(&path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => ConfigTable::new(),
            Ok(bytes) => {
                let file: KvConfigFile = crate::body::decode("kvConfig.json", &bytes)
                    .map_err(|e| Error::file(&path, e))?;
                tracing::info!(path = %path.display(), namespaces = file.config_table.len(), "load KV config table OK");
                file.config_table
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ConfigTable::new(),
            Err(e) => return Err(Error::file(&path, e)),
        };
        Ok(KvConfigManager {
            path,
            table: RwLock::new(table),
            persist_lock: Mutex::new(()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn put(&self, namespace: &str, key: &str, value: &str) -> Result<()> {
        {
            let mut t = self.table.write().unwrap_or_else(|e| e.into_inner());
            let prev = t
                .entry(namespace.to_string())
                .or_default()
                .insert(key.to_string(), value.to_string());
            tracing::info!(
                namespace,
                key,
                value,
                updated = prev.is_some(),
                "putKVConfig"
            );
        }
        self.persist()
    }

    pub fn get(&self, namespace: &str, key: &str) -> Option<String> {
        let t = self.table.read().unwrap_or_else(|e| e.into_inner());
        t.get(namespace).and_then(|ns| ns.get(key)).cloned()
    }

    /// Java `deleteKVConfig`: removes the key; the (possibly empty) namespace stays, as in Java.
    pub fn delete(&self, namespace: &str, key: &str) -> Result<()> {
        {
            let mut t = self.table.write().unwrap_or_else(|e| e.into_inner());
            if let Some(ns) = t.get_mut(namespace) {
                let value = ns.remove(key);
                tracing::info!(namespace, key, ?value, "deleteKVConfig");
            }
        }
        self.persist()
    }

    /// Java `getKVListByNamespace`: `None` when the namespace does not exist.
    pub fn list(&self, namespace: &str) -> Option<KvTable> {
        let t = self.table.read().unwrap_or_else(|e| e.into_inner());
        t.get(namespace).map(|ns| KvTable { table: ns.clone() })
    }

    /// Rewrites the file with the current table. Small and rare (admin commands), so it runs
    /// inline on the calling task.
    fn persist(&self) -> Result<()> {
        let _serial = self.persist_lock.lock().unwrap_or_else(|e| e.into_inner());
        let content = {
            let t = self.table.read().unwrap_or_else(|e| e.into_inner());
            crate::body::encode(&KvConfigFileRef { config_table: &t })
        };
        write_with_backup(&self.path, &content).map_err(|e| Error::file(&self.path, e))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KvConfigFileRef<'a> {
    config_table: &'a ConfigTable,
}

/// `MixAll#string2File`: previous content to `<file>.bak`, then the new content (via a
/// temporary file and a rename).
pub(crate) fn write_with_backup(path: &Path, content: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    match std::fs::read(path) {
        Ok(prev) => std::fs::write(with_suffix(path, ".bak"), prev)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let tmp = with_suffix(path, ".tmp");
    std::fs::write(&tmp, content)?;
    std::fs::rename(&tmp, path)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("thrust-kv-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn put_get_delete_persist_and_reload() {
        let dir = temp_dir("roundtrip");
        let path = dir.join("namesrv").join("kvConfig.json");
        let kv = KvConfigManager::load(&path).unwrap();
        kv.put(NAMESPACE_ORDER_TOPIC_CONFIG, "TopicTest", "broker-a:8")
            .unwrap();
        kv.put("ns", "k", "v").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            r#"{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicTest":"broker-a:8"},"ns":{"k":"v"}}}"#
        );
        assert!(with_suffix(&path, ".bak").exists());
        kv.delete("ns", "k").unwrap();
        assert_eq!(kv.get("ns", "k"), None);
        assert_eq!(kv.list("ns").unwrap().table.len(), 0);
        assert!(kv.list("missing").is_none());

        let again = KvConfigManager::load(&path).unwrap();
        assert_eq!(
            again
                .get(NAMESPACE_ORDER_TOPIC_CONFIG, "TopicTest")
                .as_deref(),
            Some("broker-a:8")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn loads_java_written_file_and_refuses_garbage() {
        let dir = temp_dir("java");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kvConfig.json");
        std::fs::write(
            &path,
            r#"{"configTable":{"ORDER_TOPIC_CONFIG":{"T":"b:4;c:4"}}}"#,
        )
        .unwrap();
        let kv = KvConfigManager::load(&path).unwrap();
        assert_eq!(
            kv.get("ORDER_TOPIC_CONFIG", "T").as_deref(),
            Some("b:4;c:4")
        );

        std::fs::write(&path, "{not json").unwrap();
        let err = KvConfigManager::load(&path).err().unwrap();
        assert!(err.to_string().contains("kvConfig.json"), "{err}");

        std::fs::write(&path, "").unwrap();
        assert!(KvConfigManager::load(&path)
            .unwrap()
            .list("ORDER_TOPIC_CONFIG")
            .is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

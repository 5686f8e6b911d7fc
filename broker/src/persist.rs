//! Config files under `<storePathRootDir>/config/` (topics.json, subscriptionGroup.json,
//! consumerOffset.json) and the `DataVersion` stamp they carry.
//!
//! Java `ConfigManager` / `MixAll.string2File` keep `<file>.bak` as the previous content and load
//! `<file>.bak` when `<file>` is missing, empty or unparsable. We keep that `.bak` (so a Java
//! broker swapped back in finds what it expects) and write crash-safely:
//! `<file>.tmp` + fsync → copy old `<file>` to `<file>.bak` → rename `.tmp` over `<file>` → fsync dir.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

/// Reads `<file>`, falling back to `<file>.bak` when `parse` rejects it or it is missing/empty.
pub fn load<T>(path: &Path, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    let try_one = |p: &Path| -> Option<T> {
        let text = fs::read_to_string(p).ok()?;
        if text.trim().is_empty() {
            return None;
        }
        let parsed = parse(&text);
        if parsed.is_none() {
            tracing::warn!(file = %p.display(), "config file does not parse; trying the backup");
        }
        parsed
    };
    try_one(path).or_else(|| try_one(&bak_path(path)))
}

/// Writes `content` to `path` keeping the previous content in `<path>.bak`.
pub fn store(path: &Path, content: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = with_suffix(path, ".tmp");
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
    }
    if let Ok(old) = fs::read(path) {
        if !old.is_empty() {
            fs::write(bak_path(path), old)?;
        }
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = fs::File::open(dir) {
            // Directory fsync makes the rename durable; not every filesystem supports it.
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn bak_path(path: &Path) -> PathBuf {
    with_suffix(path, ".bak")
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Java `DataVersion` as JSON: `{"counter":n,"stateVersion":0,"timestamp":ms}` (fastjson sorts
/// fields; 4.9.8 has no `stateVersion` and ignores it when reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataVersionJson {
    #[serde(default)]
    pub counter: i64,
    #[serde(default)]
    pub state_version: i64,
    #[serde(default)]
    pub timestamp: i64,
}

/// A `DataVersion` that can be bumped through a shared reference.
#[derive(Debug)]
pub struct DataVersion {
    counter: AtomicI64,
    state_version: AtomicI64,
    timestamp: AtomicI64,
}

impl Default for DataVersion {
    fn default() -> Self {
        Self {
            counter: AtomicI64::new(0),
            state_version: AtomicI64::new(0),
            timestamp: AtomicI64::new(now_millis()),
        }
    }
}

impl DataVersion {
    /// Java `nextVersion`: new timestamp, counter + 1.
    pub fn next(&self) {
        self.timestamp.store(now_millis(), Ordering::SeqCst);
        self.counter.fetch_add(1, Ordering::SeqCst);
    }

    pub fn snapshot(&self) -> DataVersionJson {
        DataVersionJson {
            counter: self.counter.load(Ordering::SeqCst),
            state_version: self.state_version.load(Ordering::SeqCst),
            timestamp: self.timestamp.load(Ordering::SeqCst),
        }
    }

    /// Java `assignNewOne` when loading a file.
    pub fn assign(&self, v: DataVersionJson) {
        self.counter.store(v.counter, Ordering::SeqCst);
        self.state_version.store(v.state_version, Ordering::SeqCst);
        self.timestamp.store(v.timestamp, Ordering::SeqCst);
    }
}

#[cfg(test)]
pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::AtomicU32;
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "thrust-broker-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_keeps_bak_and_load_falls_back() {
        let dir = temp_dir("persist");
        let f = dir.join("config/topics.json");
        store(&f, "{\"a\":1}").unwrap();
        store(&f, "{\"a\":2}").unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), "{\"a\":2}");
        assert_eq!(
            fs::read_to_string(dir.join("config/topics.json.bak")).unwrap(),
            "{\"a\":1}"
        );
        let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
        fs::write(&f, "{broken").unwrap();
        assert_eq!(load(&f, parse).unwrap()["a"], 1);
        fs::remove_file(&f).unwrap();
        assert_eq!(load(&f, parse).unwrap()["a"], 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn data_version_json_shape() {
        let v = DataVersion::default();
        v.next();
        let j = serde_json::to_string(&v.snapshot()).unwrap();
        assert!(j.starts_with("{\"counter\":1,\"stateVersion\":0,\"timestamp\":"));
        let old: DataVersionJson = serde_json::from_str("{\"counter\":3,\"timestamp\":5}").unwrap();
        v.assign(old);
        assert_eq!(v.snapshot().counter, 3);
    }
}

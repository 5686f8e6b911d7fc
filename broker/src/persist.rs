//! Config files under `<storePathRootDir>/config/` (topics.json, subscriptionGroup.json,
//! consumerOffset.json, delayOffset.json) and the `DataVersion` stamp they carry.
//!
//! The bytes move through the store's [`store::ConfigFile`] (Java's `.bak` discipline, written
//! crash-safely: `.tmp` + fsync → old content to `.bak` → rename → fsync dir); this module only
//! adapts it to the broker's error handling.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};

/// Reads `<file>`, falling back to `<file>.bak`; `Ok(None)` when neither exists. A file that
/// exists but parses in neither copy is an error (Java's broker refuses to start too, rather
/// than overwrite the tables with defaults).
pub fn load<T>(path: &Path, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, String> {
    store::ConfigFile::new(path)
        .load_with(|text| parse(text).ok_or("does not parse"))
        .map_err(|e| e.to_string())
}

/// Writes `content` to `path`, keeping the previous content in `<path>.bak`.
///
/// A persist makes three fsyncs (and waits for any other persist in progress), which can take
/// seconds on a busy disk. Called from a tokio worker (a periodic flush, a topic or group
/// auto-created while a request is handled), it runs under `block_in_place`: the worker's other
/// tasks move to another thread meanwhile, so requests on other connections are not held up.
pub fn store(path: &Path, content: &str) -> Result<(), String> {
    let write = || {
        store::ConfigFile::new(path)
            .persist(content)
            .map_err(|e| e.to_string())
    };
    let on_worker = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if on_worker {
        tokio::task::block_in_place(write)
    } else {
        write()
    }
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Java `DataVersion` as JSON, `{"counter":n,"stateVersion":0,"timestamp":ms}`: the protocol type
/// shared with the NameServer. [`DataVersion`] below is the live one, bumped in place.
pub use remoting::body::topic::DataVersion as DataVersionJson;

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
pub(crate) fn temp_dir(tag: &str) -> std::path::PathBuf {
    use std::sync::atomic::AtomicU32;
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "thrust-broker-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn store_works_on_either_runtime_flavor() {
        let dir = temp_dir("persist-rt");
        let f = dir.join("config/offsets.json");
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async { store(&f, "1").unwrap() });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            // On a worker thread: block_in_place (which would panic on a current-thread runtime).
            let f2 = f.clone();
            tokio::spawn(async move { store(&f2, "2").unwrap() })
                .await
                .unwrap();
        });
        assert_eq!(fs::read_to_string(&f).unwrap(), "2");
        fs::remove_dir_all(&dir).unwrap();
    }

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
        assert_eq!(load(&f, parse).unwrap().unwrap()["a"], 1);
        fs::remove_file(&f).unwrap();
        assert_eq!(load(&f, parse).unwrap().unwrap()["a"], 1);
        fs::write(&f, "{broken").unwrap();
        fs::write(dir.join("config/topics.json.bak"), "{also broken").unwrap();
        assert!(load(&f, parse).is_err());
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

//! Broker config files under `<root>/config/` (`topics.json`, `consumerOffset.json`,
//! `subscriptionGroup.json`, `delayOffset.json`, …) with Java's `.bak` discipline
//! (`MixAll.string2File`, `ConfigManager.load`).
//!
//! Write: `<file>.tmp` (fsync) → the current `<file>` becomes `<file>.bak` (hard-linked as
//! `<file>.bak.tmp`, then renamed) → rename `.tmp` over `<file>` → fsync the directory. Each
//! step replaces a name only with a whole file, so a failure anywhere (ENOSPC on a full disk)
//! leaves `<file>` and `<file>.bak` as they were. Read: `<file>`; if missing, empty or unparsable,
//! `<file>.bak`.
//! The broker owns the content; this only moves text safely.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use tracing::warn;

use crate::error::{Result, StoreError};
use crate::segments::sync_dir;

/// One config file.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

fn write_synced(path: &Path, content: &[u8]) -> Result<()> {
    let mut f = fs::File::create(path).map_err(StoreError::io("create", path))?;
    f.write_all(content)
        .map_err(StoreError::io("write", path))?;
    f.sync_all().map_err(StoreError::io("fsync", path))
}

impl ConfigFile {
    pub fn new(path: impl Into<PathBuf>) -> ConfigFile {
        ConfigFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn bak_path(&self) -> PathBuf {
        with_suffix(&self.path, ".bak")
    }

    /// Load and parse: the file, else its `.bak`. `Ok(None)` when neither exists (or both are
    /// empty); an error naming both files when neither parses.
    pub fn load_with<T, E: std::fmt::Display>(
        &self,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>> {
        let mut failures = Vec::new();
        for p in [self.path.clone(), self.bak_path()] {
            let text = match fs::read_to_string(&p) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    failures.push(format!("{}: {e}", p.display()));
                    continue;
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            match parse(&text) {
                Ok(v) => {
                    if !failures.is_empty() {
                        warn!(path = %p.display(), failures = ?failures, "loaded config from backup");
                    }
                    return Ok(Some(v));
                }
                Err(e) => {
                    warn!(path = %p.display(), error = %e, "config file does not parse");
                    failures.push(format!("{}: {e}", p.display()));
                }
            }
        }
        if failures.is_empty() {
            Ok(None)
        } else {
            Err(StoreError::Config {
                path: self.path.clone(),
                reason: failures.join("; "),
            })
        }
    }

    /// Persist `content` (see module doc). On failure (a full disk) the file and its `.bak` keep
    /// their previous content and no temporary file is left.
    pub fn persist(&self, content: &str) -> Result<()> {
        // Writers share `<file>.tmp`, so two persists of one file at once (a periodic flush
        // racing the shutdown flush) could rename the other's half-written temp file. Java's
        // `ConfigManager.persist` is `synchronized` for the same reason; config files are
        // written every few seconds at most, so one process-wide lock costs nothing.
        static PERSIST: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _serial = PERSIST
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(StoreError::io("create directory", dir))?;
        let tmp = with_suffix(&self.path, ".tmp");
        let res = write_synced(&tmp, content.as_bytes())
            .and_then(|()| self.keep_backup())
            .and_then(|()| fs::rename(&tmp, &self.path).map_err(StoreError::io("rename", &tmp)));
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        res?;
        sync_dir(dir)
    }

    /// Make the current file the `.bak`, replacing the old one only once the new one is whole:
    /// a hard link to the current file (no data copied, so it needs no free space), or a copy
    /// where the filesystem has no hard links; then renamed over `.bak`.
    fn keep_backup(&self) -> Result<()> {
        let staged = with_suffix(&self.path, ".bak.tmp");
        let _ = fs::remove_file(&staged);
        let res = match fs::hard_link(&self.path, &staged) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(_) => match fs::read(&self.path) {
                Ok(old) => write_synced(&staged, &old),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => Err(StoreError::io("read", &self.path)(e)),
            },
        };
        let res = res.and_then(|()| {
            fs::rename(&staged, self.bak_path()).map_err(StoreError::io("rename", &staged))
        });
        if res.is_err() {
            let _ = fs::remove_file(&staged);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse_num(s: &str) -> Result<i64, String> {
        s.trim().parse::<i64>().map_err(|e| e.to_string())
    }

    #[test]
    fn concurrent_persists_of_one_file_all_succeed_whole() {
        let dir = crate::testutil::TempDir::new("cfg-race");
        let path = dir.path().join("config").join("consumerOffset.json");
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for round in 0..50 {
                        let content = format!("{}", i * 1000 + round).repeat(200);
                        ConfigFile::new(&path).persist(&content).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let text = fs::read_to_string(&path).unwrap();
        let unit = &text[..text.len() / 200];
        assert_eq!(
            text,
            unit.repeat(200),
            "the file is one writer's whole content"
        );
    }

    #[test]
    fn persist_keeps_bak_and_load_falls_back() {
        let dir = crate::testutil::TempDir::new("cfg");
        let cf = ConfigFile::new(dir.path().join("config").join("topics.json"));
        assert_eq!(cf.load_with(parse_num).unwrap(), None);
        cf.persist("1").unwrap();
        cf.persist("2").unwrap();
        assert_eq!(fs::read_to_string(cf.bak_path()).unwrap(), "1");
        assert_eq!(cf.load_with(parse_num).unwrap(), Some(2));
        fs::write(cf.path(), "{not json").unwrap();
        assert_eq!(
            cf.load_with(parse_num).unwrap(),
            Some(1),
            "falls back to .bak"
        );
        fs::write(cf.bak_path(), "also bad").unwrap();
        let err = cf.load_with(parse_num).unwrap_err().to_string();
        assert!(err.contains("topics.json") && err.contains(".bak"), "{err}");
        fs::remove_file(cf.bak_path()).unwrap();
        assert!(
            cf.load_with(parse_num).is_err(),
            "unparsable file with no .bak is an error"
        );
    }
}

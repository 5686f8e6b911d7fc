//! A directory of equal-size segment files named by their first byte offset
//! (Java `MappedFileQueue`). Used by the CommitLog and by every consume queue.
//!
//! The segment list is behind one `RwLock`: readers clone an `Arc` of the segment they need and
//! release it at once; only the single writer (under the store's append lock) or clean-up adds
//! and removes segments.
//!
//! Directory entries are made durable with a directory fsync ([`DirSync`]): at once for the
//! CommitLog, whose records a SYNC_FLUSH acknowledgement promises; at the queue's next flush for a
//! consume queue, whose units are only durable after that flush anyway. This keeps fsyncs off the
//! append path when the first message of a new queue creates its directory and file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tracing::{info, warn};

use crate::error::{Result, StoreError};
use crate::layout::{offset_file_name, parse_offset_file_name};
use crate::mmap::MappedFile;

/// One segment: its first byte offset and its mapping.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub base: u64,
    pub file: Arc<MappedFile>,
}

impl Segment {
    pub fn end(&self) -> u64 {
        self.base + self.file.len() as u64
    }
}

/// When a created or removed directory entry is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirSync {
    /// Before the creating call returns.
    Immediate,
    /// At the next [`SegmentQueue::sync_created_dirs`] (the owner's flush).
    AtFlush,
}

#[derive(Debug)]
pub(crate) struct SegmentQueue {
    dir: PathBuf,
    seg_size: u64,
    /// Bytes of a new segment whose blocks are reserved at creation (see `MappedFile::reserve`).
    reserve_on_create: u64,
    dir_sync: DirSync,
    /// Entries created under [`DirSync::AtFlush`] and not fsynced yet.
    dirs_dirty: AtomicBool,
    segs: RwLock<Vec<Segment>>,
}

/// fsync a directory so a created, renamed or deleted entry survives a power cut.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("fsync directory", dir))
}

/// Create `dir` and any missing parents, fsyncing each parent whose entries changed, so a new
/// queue directory survives a power cut together with the files created in it.
pub(crate) fn create_dir_synced(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_synced(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(StoreError::io("create directory", dir)(e)),
    }
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => sync_dir(p),
        _ => Ok(()),
    }
}

impl SegmentQueue {
    /// Load every segment of `dir` (created if missing), sorted by offset. A segment of the wrong
    /// size is refused like Java's `load()`, except a zero-length last file, which is deleted, and
    /// (with `extend_short_last`) a short last file, which is extended. New segments get the
    /// blocks of their first `reserve_on_create` bytes reserved.
    pub fn load(
        dir: &Path,
        seg_size: u64,
        reserve_on_create: u64,
        extend_short_last: bool,
        dir_sync: DirSync,
    ) -> Result<SegmentQueue> {
        // A consume queue's directory appears with its first file, as Java's does: a queue
        // that is only read (a pull, an offset query) leaves nothing on disk.
        if dir_sync == DirSync::Immediate {
            create_dir_synced(dir)?;
        }
        let mut names = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => Some(entries),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(StoreError::io("list directory", dir)(e)),
        };
        for entry in entries.into_iter().flatten() {
            let entry = entry.map_err(StoreError::io("list directory", dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            match parse_offset_file_name(&name) {
                Some(off) if entry.path().is_file() => names.push((off, entry.path())),
                _ => warn!(path = %entry.path().display(), "not a segment file, ignored"),
            }
        }
        names.sort();
        let mut segs = Vec::with_capacity(names.len());
        let count = names.len();
        for (i, (base, path)) in names.into_iter().enumerate() {
            let len = std::fs::metadata(&path)
                .map_err(StoreError::io("stat", &path))?
                .len();
            if len == 0 && i + 1 == count {
                warn!(path = %path.display(), "deleting empty last segment");
                std::fs::remove_file(&path).map_err(StoreError::io("delete", &path))?;
                continue;
            }
            if len < seg_size && i + 1 == count && extend_short_last {
                // Java refuses to start here. A short last segment (a partial copy, a filesystem
                // that lost the tail) keeps its records; recovery finds their end.
                warn!(path = %path.display(), len, seg_size, "last segment is short: extended with zeros");
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(seg_size))
                    .map_err(StoreError::io("extend", &path))?;
            } else if len != seg_size {
                return Err(StoreError::SegmentSize {
                    path,
                    expected: seg_size,
                    actual: len,
                });
            }
            let file = MappedFile::open(&path).map_err(StoreError::io("map", &path))?;
            segs.push(Segment {
                base,
                file: Arc::new(file),
            });
        }
        for w in segs.windows(2) {
            if w[0].base + seg_size != w[1].base {
                warn!(dir = %dir.display(), a = w[0].base, b = w[1].base, "segments are not contiguous");
            }
        }
        Ok(SegmentQueue {
            dir: dir.to_path_buf(),
            seg_size,
            reserve_on_create,
            dir_sync,
            dirs_dirty: AtomicBool::new(false),
            segs: RwLock::new(segs),
        })
    }

    /// fsync the queue directory and its two ancestors (a consume queue's `<queueId>`, `<topic>`
    /// and root) if entries were created in them since the last call.
    pub fn sync_created_dirs(&self) -> Result<()> {
        if !self.dirs_dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let res = self
            .dir
            .ancestors()
            .take(3)
            .filter(|d| !d.as_os_str().is_empty())
            .try_for_each(sync_dir);
        if res.is_err() {
            self.dirs_dirty.store(true, Ordering::Release);
        }
        res
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn seg_size(&self) -> u64 {
        self.seg_size
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<Segment>> {
        self.segs.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Vec<Segment>> {
        self.segs.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn snapshot(&self) -> Vec<Segment> {
        self.read().clone()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    pub fn first(&self) -> Option<Segment> {
        self.read().first().cloned()
    }

    pub fn last(&self) -> Option<Segment> {
        self.read().last().cloned()
    }

    /// The segment holding byte `offset`.
    pub fn find(&self, offset: u64) -> Option<Segment> {
        let segs = self.read();
        let first = segs.first()?.base;
        if offset < first {
            return None;
        }
        let idx = ((offset - first) / self.seg_size) as usize;
        match segs.get(idx) {
            Some(s) if s.base <= offset && offset < s.end() => Some(s.clone()),
            // Non-contiguous directory: fall back to a search.
            _ => segs
                .iter()
                .find(|s| s.base <= offset && offset < s.end())
                .cloned(),
        }
    }

    /// Create the segment starting at `base` (writer only); its directory entry is fsynced as
    /// [`DirSync`] says. A full disk is [`StoreError::DiskFull`] and leaves no file behind.
    pub fn create(&self, base: u64) -> Result<Segment> {
        if self.dir_sync == DirSync::AtFlush && !self.dir.is_dir() {
            std::fs::create_dir_all(&self.dir)
                .map_err(StoreError::io("create directory", &self.dir))?;
        }
        let path = self.dir.join(offset_file_name(base));
        let file = MappedFile::create(&path, self.seg_size, self.reserve_on_create)
            .map_err(StoreError::io("create segment", &path))?;
        match self.dir_sync {
            DirSync::Immediate => sync_dir(&self.dir)?,
            DirSync::AtFlush => self.dirs_dirty.store(true, Ordering::Release),
        }
        let seg = Segment {
            base,
            file: Arc::new(file),
        };
        self.write().push(seg.clone());
        info!(path = %path.display(), "created segment");
        Ok(seg)
    }

    /// Delete every segment whose base is `>= offset` (Java `truncateDirtyFiles`).
    pub fn delete_from(&self, offset: u64) -> Result<()> {
        let removed: Vec<Segment> = {
            let mut segs = self.write();
            let keep = segs.iter().take_while(|s| s.base < offset).count();
            segs.split_off(keep)
        };
        self.delete_files(&removed)
    }

    /// Remove the first `n` segments from the list and delete their files.
    pub fn delete_first(&self, n: usize) -> Result<()> {
        let removed: Vec<Segment> = {
            let mut segs = self.write();
            let n = n.min(segs.len());
            segs.drain(..n).collect()
        };
        self.delete_files(&removed)
    }

    fn delete_files(&self, removed: &[Segment]) -> Result<()> {
        for s in removed {
            info!(path = %s.file.path().display(), "deleting segment");
            std::fs::remove_file(s.file.path()).map_err(StoreError::io("delete", s.file.path()))?;
        }
        if !removed.is_empty() {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn deferred_directory_entries_are_synced_once_at_flush() {
        let root = crate::testutil::TempDir::new("segments");
        let dir = root.path().join("topic").join("0");
        let q = SegmentQueue::load(&dir, 4096, 0, false, DirSync::AtFlush).unwrap();
        assert!(
            !dir.exists(),
            "a queue without files leaves no directory (Java's too)"
        );
        assert!(!q.dirs_dirty.load(Ordering::Acquire));
        q.sync_created_dirs().unwrap();
        q.create(0).unwrap();
        assert!(dir.is_dir());
        assert!(
            q.dirs_dirty.load(Ordering::Acquire),
            "new directory and segment pending"
        );
        q.sync_created_dirs().unwrap();
        assert!(!q.dirs_dirty.load(Ordering::Acquire));

        let reopened = SegmentQueue::load(&dir, 4096, 0, false, DirSync::AtFlush).unwrap();
        assert!(
            !reopened.dirs_dirty.load(Ordering::Acquire),
            "nothing created"
        );
        assert_eq!(reopened.snapshot().len(), 1);
    }

    #[test]
    fn immediate_mode_never_leaves_work_for_flush() {
        let root = crate::testutil::TempDir::new("segments");
        let q = SegmentQueue::load(
            &root.path().join("cl"),
            4096,
            4096,
            false,
            DirSync::Immediate,
        )
        .unwrap();
        q.create(0).unwrap();
        assert!(!q.dirs_dirty.load(Ordering::Acquire));
    }
}

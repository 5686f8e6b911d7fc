//! The `checkpoint` file (Java `StoreCheckpoint`): 4096 bytes, i64 big-endian fields
//! `physicMsgTimestamp | logicsMsgTimestamp | indexMsgTimestamp | masterFlushedOffset |
//! confirmPhyOffset`, rest zero. 4.9.8 uses the first three; we keep the 5.x fields as found.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::warn;

use crate::error::{Result, StoreError};
use crate::layout::CHECKPOINT_SIZE;

/// Checkpoint values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointData {
    pub physic_msg_timestamp: i64,
    pub logics_msg_timestamp: i64,
    pub index_msg_timestamp: i64,
    pub master_flushed_offset: i64,
    pub confirm_phy_offset: i64,
}

impl CheckpointData {
    /// `StoreCheckpoint.getMinTimestamp`: min(physic, logics) − 3 s, not below 0.
    pub fn min_timestamp(&self) -> i64 {
        (self.physic_msg_timestamp.min(self.logics_msg_timestamp) - 3000).max(0)
    }

    fn encode(&self) -> [u8; 40] {
        let mut b = [0u8; 40];
        for (i, v) in [
            self.physic_msg_timestamp,
            self.logics_msg_timestamp,
            self.index_msg_timestamp,
            self.master_flushed_offset,
            self.confirm_phy_offset,
        ]
        .iter()
        .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_be_bytes());
        }
        b
    }

    fn decode(b: &[u8]) -> CheckpointData {
        let f = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i * 8..i * 8 + 8]);
            i64::from_be_bytes(a)
        };
        CheckpointData {
            physic_msg_timestamp: f(0),
            logics_msg_timestamp: f(1),
            index_msg_timestamp: f(2),
            master_flushed_offset: f(3),
            confirm_phy_offset: f(4),
        }
    }
}

/// The open checkpoint file.
#[derive(Debug)]
pub(crate) struct Checkpoint {
    path: PathBuf,
    file: File,
    data: Mutex<CheckpointData>,
}

impl Checkpoint {
    /// Open or create. A file of the wrong length or with negative values is not trusted: it is
    /// logged and treated as all zero, which makes abnormal recovery start from the first segment
    /// (the safe choice).
    pub fn open(path: &Path) -> Result<Checkpoint> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(StoreError::io("open checkpoint", path))?;
        let len = file.metadata().map_err(StoreError::io("stat", path))?.len();
        let mut data = CheckpointData::default();
        if len == CHECKPOINT_SIZE as u64 {
            let mut b = [0u8; 40];
            file.read_exact_at(&mut b, 0)
                .map_err(StoreError::io("read checkpoint", path))?;
            data = CheckpointData::decode(&b);
            let vals = [
                data.physic_msg_timestamp,
                data.logics_msg_timestamp,
                data.index_msg_timestamp,
            ];
            if vals.iter().any(|v| *v < 0) {
                warn!(path = %path.display(), ?data, "checkpoint has negative timestamps, ignored");
                data = CheckpointData::default();
            }
        } else if len != 0 {
            warn!(path = %path.display(), len, "checkpoint has the wrong size, ignored and rewritten");
        }
        file.set_len(CHECKPOINT_SIZE as u64)
            .map_err(StoreError::io("resize checkpoint", path))?;
        if let Err(e) = crate::mmap::reserve_file(&file, CHECKPOINT_SIZE as u64) {
            // Its writes then fail with an error on a full disk (it is not mapped): not fatal.
            warn!(path = %path.display(), error = %e, "could not reserve the checkpoint's blocks");
        }
        Ok(Checkpoint {
            path: path.to_path_buf(),
            file,
            data: Mutex::new(data),
        })
    }

    pub fn get(&self) -> CheckpointData {
        *self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Change values in memory.
    pub fn update(&self, f: impl FnOnce(&mut CheckpointData)) {
        f(&mut self.data.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Write and fsync.
    pub fn flush(&self) -> Result<()> {
        let b = self.get().encode();
        self.file
            .write_all_at(&b, 0)
            .map_err(StoreError::io("write checkpoint", &self.path))?;
        self.file
            .sync_data()
            .map_err(StoreError::io("fsync checkpoint", &self.path))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_bad_files() {
        let dir = crate::testutil::TempDir::new("ckpt");
        let p = dir.path().join("checkpoint");
        let c = Checkpoint::open(&p).unwrap();
        c.update(|d| {
            d.physic_msg_timestamp = 10_000;
            d.logics_msg_timestamp = 9_000;
            d.index_msg_timestamp = 1;
        });
        c.flush().unwrap();
        drop(c);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 4096);
        let raw = std::fs::read(&p).unwrap();
        assert_eq!(&raw[..8], &10_000i64.to_be_bytes());
        let c = Checkpoint::open(&p).unwrap();
        assert_eq!(c.get().min_timestamp(), 6_000);
        drop(c);
        std::fs::write(&p, b"garbage").unwrap();
        let c = Checkpoint::open(&p).unwrap();
        assert_eq!(c.get(), CheckpointData::default());
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 4096);
    }
}

//! The store's one error type.
//!
//! Every variant keeps its cause and says what was being done, with the file it concerns, so a
//! broker log line is enough to find the problem. The broker maps these to RocketMQ response codes
//! (see [`StoreError::put_status`]).

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Result alias used across the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything that can go wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// An I/O call failed on a named file or directory.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Another process (a Java or Thrust broker) holds `<root>/lock`.
    #[error("Lock failed, MQ already started: {0} is locked by another process")]
    Locked(PathBuf),
    /// A segment's length differs from the configured segment size (Java refuses to start too).
    #[error("{path}: length {actual} does not match the configured segment size {expected}")]
    SegmentSize {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    /// A file or directory the store needs is not in the expected format.
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    /// The message cannot be stored as given (Java `MESSAGE_ILLEGAL` / `PROPERTIES_SIZE_EXCEEDED`).
    #[error("message illegal: {0}")]
    MessageIllegal(String),
    /// A name from a request cannot become a path inside the store (Java `MESSAGE_ILLEGAL`).
    #[error("illegal name: {0}")]
    IllegalName(String),
    /// A previous msync/fsync failed; the store refuses writes because the page cache and the
    /// disk may disagree (see fjall's poison rule). Restart the broker to recover.
    #[error("store poisoned by a failed sync, writes refused: {0}")]
    Poisoned(String),
    /// The disk is above `diskSpaceWarningLevelRatio` or a file could not be allocated; writes
    /// resume by themselves when space returns.
    #[error("disk full: {0}")]
    DiskFull(String),
    /// A put on a slave's store (Java `checkStoreStatus`: "message store is slave mode, so
    /// putMessage is forbidden").
    #[error("message store is slave mode, so putMessage is forbidden")]
    Replica,
    /// The store is shut down or not yet started.
    #[error("store is not running")]
    NotRunning,
    /// SYNC_FLUSH waited `syncFlushTimeout` without the record becoming durable. The message is
    /// stored (Java `FLUSH_DISK_TIMEOUT`).
    #[error("flush disk timeout after {0} ms (message stored)")]
    FlushTimeout(u64),
    /// Config file content could not be parsed, neither from the file nor from its `.bak`.
    #[error("config {path}: {reason}")]
    Config { path: PathBuf, reason: String },
}

/// Java's `PutMessageStatus` names for the put-path errors, so the broker can map them to response
/// codes in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutStatus {
    PutOk,
    FlushDiskTimeout,
    MessageIllegal,
    ServiceNotAvailable,
    CreateMappedFileFailed,
    UnknownError,
}

impl StoreError {
    /// Build an [`StoreError::Io`] from an operation name and path; a full filesystem (ENOSPC,
    /// EDQUOT) is [`StoreError::DiskFull`], which the broker answers like Java's disk-full check.
    /// The path is copied only when there is an error: the put path calls this on every write.
    pub fn io<P: AsRef<Path>>(op: &'static str, path: P) -> impl FnOnce(io::Error) -> StoreError {
        move |source| {
            let path = path.as_ref();
            if matches!(source.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT)) {
                StoreError::DiskFull(format!("{op} {}: {source}", path.display()))
            } else {
                StoreError::Io {
                    op,
                    path: path.to_path_buf(),
                    source,
                }
            }
        }
    }

    /// The Java `PutMessageStatus` this error corresponds to on the put path.
    pub fn put_status(&self) -> PutStatus {
        match self {
            StoreError::MessageIllegal(_) | StoreError::IllegalName(_) => PutStatus::MessageIllegal,
            StoreError::Poisoned(_)
            | StoreError::DiskFull(_)
            | StoreError::NotRunning
            | StoreError::Replica => PutStatus::ServiceNotAvailable,
            StoreError::FlushTimeout(_) => PutStatus::FlushDiskTimeout,
            StoreError::Io { .. } => PutStatus::CreateMappedFileFailed,
            _ => PutStatus::UnknownError,
        }
    }
}

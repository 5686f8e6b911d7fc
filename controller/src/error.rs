//! The controller's errors.

use std::path::PathBuf;

/// Why the controller cannot start, or a request or update cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config value that cannot be parsed as the key's type.
    #[error("config key {key}: bad value {value:?}: {reason}")]
    ConfigValue {
        key: String,
        value: String,
        reason: String,
    },

    /// An update changing a key the controller reads once at start-up.
    #[error("config key {key} is read at start-up only: change it in the config file and restart the controller")]
    AtStart { key: String },

    /// A config value that turns on a feature Thrust does not have yet, or a config that
    /// cannot start (Java's `IllegalArgumentException` at start-up).
    #[error("{message}")]
    Unsupported { key: String, message: String },

    /// A file of the controller that cannot be read, parsed or written.
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },

    /// The event log refused a write after an earlier write failed to reach the disk.
    #[error("the controller's event log failed to sync and takes no more writes: {0}")]
    Poisoned(String),

    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },

    /// Socket-level failure while starting the server.
    #[error("{0}")]
    Io(#[from] std::io::Error),

    /// The TLS settings (`-Dtls.*` in `JAVA_OPT`, the `tls.config.file` file) cannot be used.
    #[error("{0}")]
    Tls(#[from] remoting::tls::TlsError),
}

impl Error {
    pub(crate) fn file(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        Error::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

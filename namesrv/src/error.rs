//! The NameServer's one error type.
//!
//! Request handlers turn these into RocketMQ response codes in one place
//! (`dispatch::reject`); start-up turns them into a refused start with the message.

use std::path::PathBuf;

/// Everything that can go wrong inside the NameServer crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request body that is not the JSON (or binary) shape Java sends.
    #[error("malformed {what} body: {reason}")]
    Body { what: &'static str, reason: String },

    /// A config value that cannot be parsed as the key's type.
    #[error("config key {key}: bad value {value:?}: {reason}")]
    ConfigValue {
        key: String,
        value: String,
        reason: String,
    },

    /// An update changing a key the NameServer reads once at start-up.
    #[error("config key {key} is read at start-up only: change it in the config file and restart the NameServer")]
    AtStart { key: String },

    /// A config value that turns on a feature Thrust does not have yet.
    #[error("{message}")]
    Unsupported { key: String, message: String },

    /// A config or KV file that cannot be read, parsed or written.
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },

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
    pub(crate) fn body(what: &'static str, reason: impl std::fmt::Display) -> Self {
        Error::Body {
            what,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn file(path: impl Into<PathBuf>, reason: impl std::fmt::Display) -> Self {
        Error::File {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

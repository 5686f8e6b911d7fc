//! Typed errors of the remoting crate: framing/header decoding ([`CodecError`]), typed custom
//! headers ([`HeaderError`]), JSON bodies ([`BodyError`]) and network calls ([`RemotingError`]).

use std::time::Duration;

/// A frame or command header that cannot be decoded. Java's `NettyDecoder` closes the connection
/// on any of these; so does [`crate::server`].
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("frame length {length} exceeds the maximum {max}")]
    FrameTooLarge { length: i64, max: usize },
    #[error("frame length {0} is too small to hold the 4-byte header-length word")]
    FrameTooShort(i64),
    #[error("header length {header_len} exceeds the {available} bytes left in the frame")]
    HeaderLength { header_len: usize, available: usize },
    #[error("unknown serialize type {0} in the header-length word")]
    UnknownSerializeType(u8),
    #[error("JSON header: {0}")]
    JsonHeader(String),
    #[error("ROCKETMQ binary header: {0}")]
    BinaryHeader(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// A typed custom header could not be built from a command's ext fields. Names the header class
/// (Java's name) and the wire key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the custom field <{field}> is null ({header})")]
    Missing {
        header: &'static str,
        field: &'static str,
    },
    #[error("the custom field <{field}> of {header} is not a valid {expected}: {value:?}")]
    Malformed {
        header: &'static str,
        field: &'static str,
        expected: &'static str,
        value: String,
    },
}

impl HeaderError {
    /// The wire key of the field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            HeaderError::Missing { field, .. } | HeaderError::Malformed { field, .. } => field,
        }
    }

    /// The answer to a request whose header does not decode: `SYSTEM_ERROR` with this error as
    /// remark (what a Java processor's failure turns into, but naming the field).
    pub fn to_response(&self) -> crate::command::Command {
        crate::command::Command::response(crate::code::response::SYSTEM_ERROR, self.to_string())
    }
}

/// A JSON body that cannot be read (even leniently) or does not fit the expected type.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("JSON syntax error at byte {offset}: {message}")]
    Syntax {
        offset: usize,
        message: &'static str,
    },
    #[error("JSON nesting deeper than {0} levels")]
    TooDeep(usize),
    #[error("JSON body does not match the expected shape: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("bad topic config text {text:?}: {reason}")]
    TopicConfigText { text: String, reason: String },
    #[error("compressed {what}: {reason}")]
    Compressed { what: &'static str, reason: String },
}

/// Failure of a network call made with [`crate::client::Client`] or
/// [`crate::server::Connection`].
#[derive(Debug, thiserror::Error)]
pub enum RemotingError {
    #[error("connect to {addr} failed: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connect to {addr} timed out after {timeout:?}")]
    ConnectTimeout { addr: String, timeout: Duration },
    #[error("no response within {timeout:?} for request code {code} (opaque {opaque})")]
    Timeout {
        code: i32,
        opaque: i32,
        timeout: Duration,
    },
    #[error("connection closed")]
    ConnectionClosed,
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

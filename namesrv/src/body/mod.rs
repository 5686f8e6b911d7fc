//! The JSON (and one binary) bodies the NameServer reads and writes.
//!
//! Field names and order follow what Java's fastjson emits: properties come from getters and are
//! sorted alphabetically, so every struct here declares its fields in alphabetical order and
//! serde writes them in that order; `null` fields are omitted. Maps keyed by broker id (`Long` in
//! Java) are written with quoted keys — the "standard JSON" form Java's NameServer uses for
//! clients ≥ 4.9.4 and which the Go client's string-splitting route parser survives
//! (protocol spec §3.3).
//!
//! What brokers send (`RegisterBrokerBody` and its topic configs) is shared with the broker and
//! lives in `remoting::body::register` / `remoting::body::topic`.
//! * [`route`]: what the NameServer answers — `TopicRouteData`, `QueueData`, `BrokerData`,
//!   `ClusterInfo`, `TopicList`, `KVTable`, `BrokerMemberGroup`.

pub mod route;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// Parses a body the way Java's fastjson would: accepts its non-standard map keys (bare numbers,
/// e.g. `{"brokerAddrs":{0:"a"}}` from a Java 5.x broker's `REGISTER_TOPIC_IN_NAMESRV`).
pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T> {
    remoting::body::from_body(bytes).map_err(|e| Error::body(what, e))
}

/// Compact JSON, fields in declared order, non-ASCII as raw UTF-8 (fastjson's default).
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain data structs (string/number/map keys only) cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Compact JSON as fastjson writes it with `BrowserCompatible`: characters outside printable
/// ASCII and `/` are escaped (`\uXXXX`, upper-case hex). Java's NameServer uses this for route
/// data (`ClientRequestProcessor#getRouteInfoByTopic`).
pub fn encode_browser_compatible<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, BrowserCompatible);
    match value.serialize(&mut ser) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

/// serde_json formatter reproducing fastjson's `BrowserCompatible` string escaping.
struct BrowserCompatible;

impl serde_json::ser::Formatter for BrowserCompatible {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c == '/' || (c as u32) >= 0x7F {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                if c == '/' {
                    writer.write_all(b"\\/")?;
                } else {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        write!(writer, "\\u{:04X}", unit)?;
                    }
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        use serde_json::ser::CharEscape::*;
        let s: &[u8] = match escape {
            Quote => b"\\\"",
            ReverseSolidus => b"\\\\",
            Solidus => b"\\/",
            Backspace => b"\\b",
            FormFeed => b"\\f",
            LineFeed => b"\\n",
            CarriageReturn => b"\\r",
            Tab => b"\\t",
            AsciiControl(byte) => return write!(writer, "\\u00{:02X}", byte),
        };
        writer.write_all(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn browser_compatible_escapes_like_fastjson() {
        let v = serde_json::json!({"k": "a/b\u{e9}\u{1F600}\n\u{1}"});
        let out = String::from_utf8(encode_browser_compatible(&v)).unwrap();
        assert_eq!(out, r#"{"k":"a\/b\u00E9\uD83D\uDE00\n\u0001"}"#);
    }

    #[test]
    fn plain_encode_keeps_utf8() {
        let v = serde_json::json!({"k": "é"});
        assert_eq!(encode(&v), "{\"k\":\"é\"}".as_bytes());
    }
}

//! Shared helpers for the store integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use bytes::Bytes;
use store::{NewMessage, StoreConfig};

pub use store::testutil::TempDir;

/// Small geometry: 64 KiB commitlog segments, 100-unit CQ files, small index.
pub fn small_config(dir: &TempDir) -> StoreConfig {
    StoreConfig::new(dir.path()).with_small_files(64 * 1024, 100, 64, 400)
}

pub fn msg(
    topic: &str,
    queue_id: i32,
    body: &[u8],
    tags: Option<&str>,
    keys: Option<&str>,
) -> NewMessage {
    let mut props = String::new();
    if let Some(t) = tags {
        props.push_str(&format!("TAGS\u{1}{t}\u{2}"));
    }
    if let Some(k) = keys {
        props.push_str(&format!("KEYS\u{1}{k}\u{2}"));
    }
    NewMessage {
        topic: topic.into(),
        queue_id,
        flag: 0,
        body: Bytes::copy_from_slice(body),
        properties: props,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "127.0.0.1:50000".parse().unwrap(),
        store_host: "127.0.0.1:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

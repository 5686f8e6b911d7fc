//! Delay levels (Java `ScheduleMessageService`, `HookUtils.handleScheduleMessage`).
//!
//! A message with property `DELAY=<level>` (level ≥ 1, clamped to the number of levels in
//! `messageDelayLevel`) is stored in `SCHEDULE_TOPIC_XXXX` queue `level-1` with `REAL_TOPIC` and
//! `REAL_QID` added; the store puts the delivery time in its consume-queue tags code. A task
//! walks each level's queue from its offset in `config/delayOffset.json`
//! (`{"offsetTable":{1:5,2:0}}`, bare integer keys as Java writes them) and, once a unit is due,
//! stores the message again in its real topic and queue. Java's `messageTimeUp` builds the
//! delivered record's properties before it clears `DELAY` from the message, so the record keeps
//! `DELAY`, `REAL_TOPIC` and `REAL_QID` (a consumer's `getDelayTimeLevel()` reads the level).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use store::props::{get, parse_properties, put, to_java_string};
use store::{NewMessage, StoredMessage};

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::persist::{self, DataVersion};
use crate::topics::SCHEDULE_TOPIC;

/// Number of levels in `messageDelayLevel` (18 by default).
pub fn level_count(cfg: &BrokerConfig) -> i32 {
    cfg.message_delay_level.split_whitespace().count() as i32
}

fn property(props: &str, key: &str) -> Option<String> {
    store::props::property(props, key).map(str::to_string)
}

/// Moves a message with a positive `DELAY` into the schedule topic; others pass unchanged.
pub fn to_schedule_topic(mut msg: NewMessage, cfg: &BrokerConfig) -> NewMessage {
    let level = property(&msg.properties, "DELAY")
        .and_then(|d| d.trim().parse::<i32>().ok())
        .unwrap_or(0);
    // Transactional (prepared/rollback) messages are never delayed here.
    let tran = msg.sys_flag & 0xC;
    if level <= 0 || msg.topic == SCHEDULE_TOPIC || !(tran == 0 || tran == 0x8) {
        return msg;
    }
    let level = level.min(level_count(cfg).max(1));
    let mut props = parse_properties(&msg.properties);
    put(&mut props, "DELAY", level.to_string());
    put(&mut props, "REAL_TOPIC", msg.topic.clone());
    put(&mut props, "REAL_QID", msg.queue_id.to_string());
    msg.properties = to_java_string(&mut props);
    msg.topic = SCHEDULE_TOPIC.to_string();
    msg.queue_id = level - 1;
    msg
}

/// Per-level delivery progress, persisted in `delayOffset.json`.
pub struct DelayOffsets {
    table: Mutex<BTreeMap<i32, i64>>,
    version: DataVersion,
    path: PathBuf,
}

impl DelayOffsets {
    pub fn open(store_root: &str) -> Result<Self, String> {
        let path = PathBuf::from(store_root).join("config/delayOffset.json");
        let table = persist::load(&path, parse_delay_offsets)?.unwrap_or_default();
        Ok(Self {
            table: Mutex::new(table),
            version: DataVersion::default(),
            path,
        })
    }

    /// A slave takes the master's `delayOffset.json` (Java `SlaveSynchronize.syncDelayOffset`
    /// writes the text it got, then reloads it).
    pub fn replace_from_master(&self, text: &str) -> Result<(), String> {
        let table =
            parse_delay_offsets(text).ok_or("delay offsets from the master do not parse")?;
        persist::store(&self.path, text)?;
        *self.table.lock().unwrap_or_else(|e| e.into_inner()) = table;
        Ok(())
    }

    fn get(&self, level: i32) -> i64 {
        *self
            .table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&level)
            .unwrap_or(&0)
    }

    fn set(&self, level: i32, offset: i64) {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(level, offset);
    }

    /// Every level's progress, in level order.
    pub fn snapshot(&self) -> Vec<(i32, i64)> {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.iter().map(|(l, o)| (*l, *o)).collect()
    }

    pub fn persist(&self) {
        if let Err(e) = persist::store(&self.path, &self.encode()) {
            tracing::error!(file = %self.path.display(), "persist delayOffset.json: {e}");
        }
    }

    /// Java's `delayOffset.json` text: bare integer level keys.
    pub fn encode(&self) -> String {
        let inner: Vec<String> = self
            .table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(l, o)| format!("{l}:{o}"))
            .collect();
        let dv = serde_json::to_string(&self.version.snapshot()).unwrap_or_default();
        format!(
            "{{\"dataVersion\":{dv},\"offsetTable\":{{{}}}}}",
            inner.join(",")
        )
    }
}

fn parse_delay_offsets(text: &str) -> Option<BTreeMap<i32, i64>> {
    let v: serde_json::Value = remoting::body::from_body(text.as_bytes()).ok()?;
    let map = v.get("offsetTable")?.as_object()?;
    Some(
        map.iter()
            .filter_map(|(k, v)| Some((k.trim().parse::<i32>().ok()?, v.as_i64()?)))
            .collect(),
    )
}

/// The delivery task: every 100 ms, deliver what is due on every level.
pub async fn run(b: Arc<Broker>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut since_persist = 0u32;
    while !b.is_shutting_down() {
        tick.tick().await;
        if !b.acts_as_master() {
            continue;
        }
        let levels = level_count(&b.config());
        for level in 1..=levels {
            deliver_due(&b, level);
        }
        since_persist += 1;
        if since_persist >= 100 {
            since_persist = 0;
            b.delay_offsets.persist();
        }
    }
}

/// Delivers the due units of one level, in order, stopping at the first one not yet due.
fn deliver_due(b: &Broker, level: i32) {
    let queue = level - 1;
    let mut offset = b
        .delay_offsets
        .get(level)
        .max(b.store.min_offset(SCHEDULE_TOPIC, queue));
    let now = persist::now_millis();
    while let Some(unit) = b.store.unit(SCHEDULE_TOPIC, queue, offset) {
        if unit.tags_code > now {
            break;
        }
        let record = b.store.read_range(unit.physical_offset, unit.size);
        if let Some(msg) = record.as_ref().and_then(StoredMessage::decode) {
            if let Some(real) = real_message(msg) {
                let topic = real.topic.clone();
                match b.store.put(real) {
                    Ok(put) => {
                        b.stats_items.put_result(b, &topic, &put);
                        b.metrics.on_schedule_delivery(&topic, &put);
                    }
                    Err(e) => {
                        tracing::warn!(level, offset, "deliver delayed message: {e}");
                        return;
                    }
                }
            }
        }
        offset += 1;
        b.delay_offsets.set(level, offset);
    }
}

/// Java `messageTimeUp`: back to `REAL_TOPIC`/`REAL_QID`, every property kept.
fn real_message(msg: StoredMessage) -> Option<NewMessage> {
    let mut props = parse_properties(&msg.properties);
    to_real_topic(msg, &mut props)
}

/// A message parked in a system topic (schedule, timer) stored again in its `REAL_TOPIC` and
/// `REAL_QID` (0 when absent) with the properties `props`; `None` without `REAL_TOPIC`.
pub(crate) fn to_real_topic(
    msg: StoredMessage,
    props: &mut [(String, String)],
) -> Option<NewMessage> {
    let topic = get(props, "REAL_TOPIC")?.to_string();
    let queue_id = get(props, "REAL_QID")
        .and_then(|q| q.parse().ok())
        .unwrap_or(0);
    Some(msg.to_new(topic, queue_id, to_java_string(props)))
}

/// A message as a producer sends it to topic `T`, for the schedule and timer tests.
#[cfg(test)]
pub(crate) fn test_message(queue_id: i32, properties: &str) -> NewMessage {
    let a = "127.0.0.1:1".parse().expect("address");
    NewMessage {
        topic: "T".into(),
        queue_id,
        flag: 0,
        body: bytes::Bytes::from_static(b"x"),
        properties: properties.into(),
        sys_flag: 0,
        born_timestamp: 0,
        born_host: a,
        store_host: a,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(props: &str) -> NewMessage {
        test_message(2, props)
    }

    #[test]
    fn delayed_messages_move_to_the_schedule_queue() {
        let cfg = BrokerConfig::default();
        let m = to_schedule_topic(msg("DELAY\u{1}3\u{2}TAGS\u{1}A\u{2}"), &cfg);
        assert_eq!((m.topic.as_str(), m.queue_id), (SCHEDULE_TOPIC, 2));
        assert_eq!(property(&m.properties, "REAL_TOPIC").as_deref(), Some("T"));
        assert_eq!(property(&m.properties, "REAL_QID").as_deref(), Some("2"));
        assert_eq!(
            m.properties, "DELAY\u{1}3\u{2}TAGS\u{1}A\u{2}REAL_TOPIC\u{1}T\u{2}REAL_QID\u{1}2\u{2}",
            "Java's HashMap order"
        );
        let clamped = to_schedule_topic(msg("DELAY\u{1}99\u{2}"), &cfg);
        assert_eq!(clamped.queue_id, 17);
        assert_eq!(
            property(&clamped.properties, "DELAY").as_deref(),
            Some("18")
        );
        let plain = to_schedule_topic(msg("TAGS\u{1}A\u{2}"), &cfg);
        assert_eq!(plain.topic, "T");
    }

    #[test]
    fn delay_offsets_round_trip() {
        let dir = persist::temp_dir("delay");
        let root = dir.display().to_string();
        let d = DelayOffsets::open(&root).unwrap();
        d.set(1, 5);
        d.set(3, 2);
        d.persist();
        let text = std::fs::read_to_string(dir.join("config/delayOffset.json")).unwrap();
        assert!(text.contains("\"offsetTable\":{1:5,3:2}"), "{text}");
        assert_eq!(DelayOffsets::open(&root).unwrap().get(3), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

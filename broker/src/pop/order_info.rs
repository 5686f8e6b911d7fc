//! Orderly POP's per-queue state (Java `ConsumerOrderInfoManager`): what the last orderly pop of
//! a queue handed out, which of it is acked, when it may be handed out again and how many times
//! each message was handed out before. While a queue holds un-acked messages that are still
//! invisible, orderly pops of other attempts skip it (the queue is blocked); the group's offset
//! stays at the first un-acked message, so what is not acked in time comes back with the next
//! pop, counted in `orderCountInfo`.
//!
//! Persisted as `config/consumerOrderInfo.json`, fastjson's text of Java's table (bare integer
//! queue-id and offset keys, the fields of `OrderInfo` sorted by their JSON names):
//!
//! ```text
//! {"table":{"TopicTest@group_a":{0:{"a":"<attemptId>","cm":1,"i":60000,"l":1700000000123,
//!     "o":[250,1,2],"oc":{251:1},"ot":{252:1700000070000},"popTime":1700000000100}}}}
//! ```
//! `o` is the first queue offset, then each other offset's distance from it; `cm` is the bit set
//! of the acked ones (bit i stands for `o[i]`); `ot` holds next visible times set by
//! CHANGE_MESSAGE_INVISIBLETIME; `oc` how many times an offset was popped before. Like Java, a
//! persist first drops the entries of deleted topics, groups and queues and those not popped
//! for 24 hours.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use serde::Deserialize;

use super::records::retry_mark;
use crate::persist;

/// Java `CLEAN_SPAN_FROM_LAST`: an entry not popped for this long is dropped at persist.
const CLEAN_SPAN_FROM_LAST: i64 = 24 * 3600 * 1000;

/// Java `ConsumerOrderInfoManager.OrderInfo`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderInfo {
    pub pop_time: i64,
    /// The pop's invisible time; Java's `Long`, absent in files of older brokers.
    pub invisible_time: Option<i64>,
    /// `[first, o1 - first, o2 - first, …]` (a single offset as it is).
    pub offset_list: Vec<i64>,
    /// Next visible time by queue offset (CHANGE_MESSAGE_INVISIBLETIME).
    pub offset_next_visible_time: Option<BTreeMap<i64, i64>>,
    /// Earlier deliveries by queue offset, only the offsets delivered before.
    pub offset_consumed_count: Option<BTreeMap<i64, i32>>,
    pub last_consume_timestamp: i64,
    pub commit_offset_bit: i64,
    pub attempt_id: Option<String>,
}

/// Java's `1L << i`: the shift count is taken modulo 64.
fn bit(i: usize) -> i64 {
    1i64.wrapping_shl(i as u32)
}

impl OrderInfo {
    pub fn new(
        attempt_id: Option<&str>,
        pop_time: i64,
        invisible_time: i64,
        queue_offsets: &[i64],
        now: i64,
    ) -> OrderInfo {
        OrderInfo {
            pop_time,
            invisible_time: Some(invisible_time),
            offset_list: build_offset_list(queue_offsets),
            last_consume_timestamp: now,
            attempt_id: attempt_id.map(str::to_string),
            ..Default::default()
        }
    }

    /// The queue offset of entry `i` of the offset list.
    pub fn queue_offset(&self, i: usize) -> i64 {
        queue_offset(&self.offset_list, i)
    }

    fn is_not_ack(&self, i: usize) -> bool {
        self.commit_offset_bit & bit(i) == 0
    }

    /// When the un-acked message `i` may be handed out again.
    fn next_visible_time(&self, i: usize, invisible_time: i64) -> i64 {
        self.offset_next_visible_time
            .as_ref()
            .and_then(|t| t.get(&self.queue_offset(i)).copied())
            .unwrap_or(self.pop_time + invisible_time)
    }

    /// Java `needBlock`: a pop of another attempt must skip the queue while one of its un-acked
    /// messages is still invisible. A missing invisible time takes the asking pop's, as Java's.
    pub fn need_block(&mut self, attempt_id: Option<&str>, invisible_time: i64, now: i64) -> bool {
        if self.offset_list.is_empty() {
            return false;
        }
        if self.attempt_id.is_some() && self.attempt_id.as_deref() == attempt_id {
            return false;
        }
        let invisible = match self.invisible_time {
            Some(t) if t > 0 => t,
            _ => {
                self.invisible_time = Some(invisible_time);
                invisible_time
            }
        };
        (0..self.offset_list.len())
            .any(|i| self.is_not_ack(i) && now < self.next_visible_time(i, invisible))
    }

    /// Java `getLockFreeTimestamp`: when the queue stops blocking (`now` when it does not);
    /// `None` without an offset list or an invisible time.
    pub fn lock_free_timestamp(&self, now: i64) -> Option<i64> {
        if self.offset_list.is_empty() {
            return None;
        }
        for i in 0..self.offset_list.len() {
            if !self.is_not_ack(i) {
                continue;
            }
            let invisible = self.invisible_time.filter(|t| *t > 0)?;
            let next = self.next_visible_time(i, invisible);
            if now < next {
                return Some(next);
            }
        }
        Some(now)
    }

    /// Java `updateOffsetNextVisibleTime`.
    pub fn update_offset_next_visible_time(&mut self, offset: i64, next_visible_time: i64) {
        self.offset_next_visible_time
            .get_or_insert_with(BTreeMap::new)
            .insert(offset, next_visible_time);
    }

    /// Java `getNextOffset`: the first un-acked offset, or past the last when all are acked.
    pub fn next_offset(&self) -> i64 {
        let n = self.offset_list.len();
        if n == 0 {
            return -2;
        }
        match (0..n).find(|i| self.is_not_ack(*i)) {
            Some(i) => self.queue_offset(i),
            None => self.queue_offset(n - 1) + 1,
        }
    }

    /// Java `mergeOffsetConsumedCount`: an offset handed out again counts one more delivery;
    /// a pop of the same attempt (a client retrying its request) keeps the previous counts.
    pub fn merge_offset_consumed_count(
        &mut self,
        pre_attempt_id: Option<&str>,
        pre_offset_list: &[i64],
        pre_counts: Option<&BTreeMap<i64, i32>>,
    ) {
        if pre_attempt_id.is_some() && pre_attempt_id == self.attempt_id.as_deref() {
            self.offset_consumed_count = Some(pre_counts.cloned().unwrap_or_default());
            return;
        }
        let before: Vec<i64> = (0..pre_offset_list.len())
            .map(|i| queue_offset(pre_offset_list, i))
            .collect();
        let mut counts = BTreeMap::new();
        for i in 0..self.offset_list.len() {
            let offset = self.queue_offset(i);
            if before.contains(&offset) {
                let pre = pre_counts.and_then(|c| c.get(&offset)).copied();
                counts.insert(offset, pre.map_or(1, |c| c + 1));
            }
        }
        self.offset_consumed_count = Some(counts);
    }
}

/// Java `OrderInfo.buildOffsetList`.
pub fn build_offset_list(queue_offsets: &[i64]) -> Vec<i64> {
    match queue_offsets {
        [] => Vec::new(),
        [one] => vec![*one],
        [first, rest @ ..] => std::iter::once(*first)
            .chain(rest.iter().map(|o| o - first))
            .collect(),
    }
}

fn queue_offset(list: &[i64], i: usize) -> i64 {
    if i == 0 {
        list[0]
    } else {
        list[0] + list[i]
    }
}

/// The keys of a Java `HashMap<Long, _>` filled in ascending order, in its iteration order (by
/// bucket, ties in insertion order): `orderCountInfo` lists the counts in that order.
fn java_long_map_order(keys: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut keys: Vec<i64> = keys.collect();
    let mut capacity = 16usize;
    while keys.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let bucket = |k: &i64| {
        let h = (*k ^ ((*k as u64) >> 32) as i64) as i32 as u32;
        (h ^ (h >> 16)) as usize & (capacity - 1)
    };
    keys.sort_by_key(bucket);
    keys
}

/// Java `ExtraInfoUtil.buildQueueOffsetOrderCountInfo`: `<mark> qo<queueId>%<offset> <count>`.
fn push_offset_count(out: &mut String, topic: &str, qid: i32, offset: i64, count: i32) {
    if !out.is_empty() {
        out.push(';');
    }
    out.push_str(&format!("{} qo{qid}%{offset} {count}", retry_mark(topic)));
}

/// Java `ExtraInfoUtil.buildQueueIdOrderCountInfo`: `<mark> <queueId> <count>`.
fn push_queue_count(out: &mut String, topic: &str, qid: i32, count: i32) {
    if !out.is_empty() {
        out.push(';');
    }
    out.push_str(&format!("{} {qid} {count}", retry_mark(topic)));
}

type Queues = BTreeMap<i32, OrderInfo>;

/// The table, `topic@group` → queue id → [`OrderInfo`].
pub struct OrderInfoTable {
    /// A std mutex: every operation is a few map steps, never held across an await.
    table: Mutex<BTreeMap<String, Queues>>,
    path: PathBuf,
}

fn key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

impl OrderInfoTable {
    pub fn open(store_root: &str) -> Result<Self, String> {
        let path = PathBuf::from(store_root).join("config/consumerOrderInfo.json");
        let table = persist::load(&path, decode)?.unwrap_or_default();
        Ok(Self {
            table: Mutex::new(table),
            path,
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Queues>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Java `update`: the queue's new pop replaces the entry, counting the offsets handed out
    /// again; appends the counts to `order_count_info` (each offset's, then the queue's least,
    /// which older clients read).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &self,
        attempt_id: Option<&str>,
        (topic, group, qid): (&str, &str, i32),
        pop_time: i64,
        invisible_time: i64,
        queue_offsets: &[i64],
        now: i64,
        order_count_info: &mut String,
    ) {
        let mut info = OrderInfo::new(attempt_id, pop_time, invisible_time, queue_offsets, now);
        let mut table = self.lock();
        let queues = table.entry(key(topic, group)).or_default();
        if let Some(old) = queues.get(&qid) {
            info.merge_offset_consumed_count(
                old.attempt_id.as_deref(),
                &old.offset_list,
                old.offset_consumed_count.as_ref(),
            );
        }
        let mut min = 0;
        if let Some(counts) = &info.offset_consumed_count {
            let mut least = i32::MAX;
            for offset in java_long_map_order(counts.keys().copied()) {
                let n = counts.get(&offset).copied().unwrap_or(0);
                push_offset_count(order_count_info, topic, qid, offset, n);
                least = least.min(n);
            }
            // Offsets handed out for the first time have no count: the least is then 0.
            if counts.len() == info.offset_list.len() {
                min = least;
            }
        }
        push_queue_count(order_count_info, topic, qid, min);
        queues.insert(qid, info);
    }

    /// Java `checkBlock`.
    pub fn check_block(
        &self,
        attempt_id: Option<&str>,
        (topic, group, qid): (&str, &str, i32),
        invisible_time: i64,
        now: i64,
    ) -> bool {
        self.lock()
            .get_mut(&key(topic, group))
            .and_then(|q| q.get_mut(&qid))
            .is_some_and(|info| info.need_block(attempt_id, invisible_time, now))
    }

    /// Java `clearBlock`: a reset offset forgets the queue's pop.
    pub fn clear_block(&self, topic: &str, group: &str, qid: i32) {
        if let Some(q) = self.lock().get_mut(&key(topic, group)) {
            q.remove(&qid);
        }
    }

    /// Java `commitAndNext`: marks `offset` acked and answers the offset to commit, −1 when the
    /// offset is not one of the pop's, −2 when the ack belongs to an older pop.
    pub fn commit_and_next(
        &self,
        (topic, group, qid): (&str, &str, i32),
        offset: i64,
        pop_time: i64,
    ) -> i64 {
        let mut table = self.lock();
        let Some(info) = table
            .get_mut(&key(topic, group))
            .and_then(|q| q.get_mut(&qid))
        else {
            return offset + 1;
        };
        if info.offset_list.is_empty() {
            return -1;
        }
        if pop_time != info.pop_time {
            tracing::warn!(
                topic,
                group,
                qid,
                offset,
                "orderly ack of an older pop ignored"
            );
            return -2;
        }
        let Some(i) = (0..info.offset_list.len()).find(|i| info.queue_offset(*i) == offset) else {
            return -1;
        };
        info.commit_offset_bit |= bit(i);
        info.next_offset()
    }

    /// Java `updateNextVisibleTime` (CHANGE_MESSAGE_INVISIBLETIME of an orderly message).
    pub fn update_next_visible_time(
        &self,
        (topic, group, qid): (&str, &str, i32),
        offset: i64,
        pop_time: i64,
        next_visible_time: i64,
    ) {
        let mut table = self.lock();
        let Some(info) = table
            .get_mut(&key(topic, group))
            .and_then(|q| q.get_mut(&qid))
        else {
            return;
        };
        if pop_time != info.pop_time {
            return;
        }
        info.update_offset_next_visible_time(offset, next_visible_time);
    }

    /// When the queue stops blocking, if it blocks now.
    pub fn lock_free_timestamp(
        &self,
        (topic, group, qid): (&str, &str, i32),
        now: i64,
    ) -> Option<i64> {
        self.lock()
            .get(&key(topic, group))
            .and_then(|q| q.get(&qid))
            .and_then(|info| info.lock_free_timestamp(now))
            .filter(|t| *t > now)
    }

    /// A copy of one entry.
    pub fn get(&self, topic: &str, group: &str, qid: i32) -> Option<OrderInfo> {
        self.lock()
            .get(&key(topic, group))
            .and_then(|q| q.get(&qid))
            .cloned()
    }

    /// Java `autoClean`: drops entries of topics (`read_queue_nums` answers `None`) and groups
    /// that are gone, of queues past the topic's read queues, and those not popped for a day.
    pub fn auto_clean(
        &self,
        read_queue_nums: impl Fn(&str) -> Option<i32>,
        group_exists: impl Fn(&str) -> bool,
        now: i64,
    ) {
        self.lock().retain(|k, queues| {
            let Some((topic, group)) = split_key(k) else {
                return true;
            };
            let Some(n) = read_queue_nums(topic) else {
                return false;
            };
            if !group_exists(group) || queues.is_empty() {
                return false;
            }
            queues.retain(|qid, info| {
                *qid < n && now - info.last_consume_timestamp <= CLEAN_SPAN_FROM_LAST
            });
            true
        });
    }

    /// fastjson's pretty text of the table.
    pub fn encode(&self) -> String {
        encode(&self.lock())
    }

    /// Java `persist` (every 10 s and at shutdown): cleans, then writes.
    pub fn persist(&self, b: &crate::broker::Broker) {
        self.auto_clean(
            |t| b.topics.get(t).map(|c| c.read_queue_nums),
            |g| b.groups.get(g).is_some(),
            persist::now_millis(),
        );
        if let Err(e) = persist::store(&self.path, &self.encode()) {
            tracing::error!(file = %self.path.display(), "persist consumerOrderInfo.json: {e}");
        }
    }
}

/// Java `decodeKey`: `topic@group`, nothing else.
fn split_key(k: &str) -> Option<(&str, &str)> {
    let mut parts = k.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(t), Some(g), None) => Some((t, g)),
        _ => None,
    }
}

#[derive(Deserialize)]
struct FileJson {
    #[serde(default)]
    table: Option<BTreeMap<String, Option<BTreeMap<String, OrderInfoJson>>>>,
}

#[derive(Deserialize)]
struct OrderInfoJson {
    #[serde(default, rename = "popTime")]
    pop_time: Option<i64>,
    #[serde(default, rename = "i", alias = "invisibleTime")]
    invisible_time: Option<i64>,
    #[serde(default, rename = "o", alias = "offsetList")]
    offset_list: Option<Vec<i64>>,
    #[serde(default, rename = "ot", alias = "offsetNextVisibleTime")]
    offset_next_visible_time: Option<BTreeMap<String, i64>>,
    #[serde(default, rename = "oc", alias = "offsetConsumedCount")]
    offset_consumed_count: Option<BTreeMap<String, i32>>,
    #[serde(default, rename = "l", alias = "lastConsumeTimestamp")]
    last_consume_timestamp: Option<i64>,
    #[serde(default, rename = "cm", alias = "commitOffsetBit")]
    commit_offset_bit: Option<i64>,
    #[serde(default, rename = "a", alias = "attemptId")]
    attempt_id: Option<String>,
}

fn numeric_keys<V>(m: BTreeMap<String, V>) -> Option<BTreeMap<i64, V>> {
    m.into_iter()
        .map(|(k, v)| k.trim().parse::<i64>().ok().map(|k| (k, v)))
        .collect()
}

impl OrderInfoJson {
    fn into_info(self) -> Option<OrderInfo> {
        Some(OrderInfo {
            pop_time: self.pop_time.unwrap_or(0),
            invisible_time: self.invisible_time,
            offset_list: self.offset_list.unwrap_or_default(),
            offset_next_visible_time: match self.offset_next_visible_time {
                Some(m) => Some(numeric_keys(m)?),
                None => None,
            },
            offset_consumed_count: match self.offset_consumed_count {
                Some(m) => Some(numeric_keys(m)?),
                None => None,
            },
            last_consume_timestamp: self.last_consume_timestamp.unwrap_or(0),
            commit_offset_bit: self.commit_offset_bit.unwrap_or(0),
            attempt_id: self.attempt_id,
        })
    }
}

/// The table of a `consumerOrderInfo.json` text; `None` when it does not parse as Java's.
fn decode(text: &str) -> Option<BTreeMap<String, Queues>> {
    let f: FileJson = remoting::body::from_body(text.as_bytes()).ok()?;
    let mut table = BTreeMap::new();
    for (k, queues) in f.table.unwrap_or_default() {
        let mut q = Queues::new();
        for (qid, info) in queues.unwrap_or_default() {
            q.insert(qid.trim().parse().ok()?, info.into_info()?);
        }
        table.insert(k, q);
    }
    Some(table)
}

/// One `OrderInfo` as fastjson's pretty format writes it inside the table (its fields four
/// tabs deep, a list's items five, a map's entries on the line of its `{`).
fn encode_info(info: &OrderInfo) -> String {
    const IN: &str = "\n\t\t\t\t";
    let mut fields = Vec::with_capacity(8);
    if let Some(a) = &info.attempt_id {
        fields.push(format!(
            "\"a\":{}",
            serde_json::to_string(a).unwrap_or_default()
        ));
    }
    fields.push(format!("\"cm\":{}", info.commit_offset_bit));
    if let Some(i) = info.invisible_time {
        fields.push(format!("\"i\":{i}"));
    }
    fields.push(format!("\"l\":{}", info.last_consume_timestamp));
    let list: Vec<String> = info
        .offset_list
        .iter()
        .map(|o| format!("{IN}\t{o}"))
        .collect();
    if list.is_empty() {
        fields.push("\"o\":[]".to_string());
    } else {
        fields.push(format!("\"o\":[{}{IN}]", list.join(",")));
    }
    if let Some(oc) = &info.offset_consumed_count {
        fields.push(format!("\"oc\":{}", bare_key_map(oc)));
    }
    if let Some(ot) = &info.offset_next_visible_time {
        fields.push(format!("\"ot\":{}", bare_key_map(ot)));
    }
    fields.push(format!("\"popTime\":{}", info.pop_time));
    format!("{{{IN}{}\n\t\t\t}}", fields.join(&format!(",{IN}")))
}

fn bare_key_map<V: std::fmt::Display>(m: &BTreeMap<i64, V>) -> String {
    if m.is_empty() {
        return "{}".to_string();
    }
    let items: Vec<String> = java_long_map_order(m.keys().copied())
        .into_iter()
        .map(|k| format!("{k}:{}", m[&k]))
        .collect();
    format!("{{{}\n\t\t\t\t}}", items.join(","))
}

/// The table as Java's `encode(true)` writes it (fastjson 1.2.83, `PrettyFormat`).
fn encode(table: &BTreeMap<String, Queues>) -> String {
    if table.is_empty() {
        return "{\n\t\"table\":{}\n}".to_string();
    }
    let mut s = String::from("{\n\t\"table\":{");
    for (i, (k, queues)) in table.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let name = serde_json::to_string(k).unwrap_or_default();
        if queues.is_empty() {
            s.push_str(&format!("\n\t\t{name}:{{}}"));
            continue;
        }
        let inner: Vec<String> = queues
            .iter()
            .map(|(q, info)| format!("{q}:{}", encode_info(info)))
            .collect();
        s.push_str(&format!("\n\t\t{name}:{{{}\n\t\t}}", inner.join(",")));
    }
    s.push_str("\n\t}\n}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "TopicTest";
    const G: &str = "group_a";
    const POP: i64 = 1_700_000_000_000;

    fn popped(t: &OrderInfoTable, attempt: &str, offsets: &[i64], pop_time: i64) -> String {
        let mut counts = String::new();
        t.update(
            Some(attempt),
            (T, G, 0),
            pop_time,
            60_000,
            offsets,
            pop_time,
            &mut counts,
        );
        counts
    }

    fn table() -> OrderInfoTable {
        OrderInfoTable {
            table: Mutex::new(BTreeMap::new()),
            path: PathBuf::new(),
        }
    }

    #[test]
    fn offset_list_is_first_then_distances() {
        assert_eq!(build_offset_list(&[5]), [5]);
        assert_eq!(build_offset_list(&[5, 6, 9]), [5, 1, 4]);
        let info = OrderInfo::new(None, POP, 1000, &[5, 6, 9], POP);
        assert_eq!((info.queue_offset(0), info.queue_offset(2)), (5, 9));
    }

    #[test]
    fn blocks_other_attempts_until_acked_or_visible() {
        let mut info = OrderInfo::new(Some("a1"), POP, 60_000, &[5, 6], POP);
        assert!(info.need_block(Some("a2"), 1000, POP + 1));
        assert!(info.need_block(None, 1000, POP + 59_999));
        assert!(
            !info.need_block(Some("a1"), 1000, POP + 1),
            "the same attempt"
        );
        assert!(
            !info.need_block(Some("a2"), 1000, POP + 60_000),
            "visible again"
        );
        info.commit_offset_bit = 0b11;
        assert!(!info.need_block(Some("a2"), 1000, POP + 1), "all acked");
        info.commit_offset_bit = 0b01;
        info.update_offset_next_visible_time(6, POP + 3000);
        assert!(info.need_block(Some("a2"), 1000, POP + 2999));
        assert!(!info.need_block(Some("a2"), 1000, POP + 3000));
        assert_eq!(info.lock_free_timestamp(POP + 10), Some(POP + 3000));
        assert_eq!(info.lock_free_timestamp(POP + 3000), Some(POP + 3000));
    }

    #[test]
    fn missing_invisible_time_takes_the_asking_pops() {
        let mut info = OrderInfo::new(None, POP, 0, &[5], POP);
        info.invisible_time = None;
        assert_eq!(info.lock_free_timestamp(POP), None);
        assert!(info.need_block(None, 5000, POP + 4999));
        assert_eq!(info.invisible_time, Some(5000));
    }

    #[test]
    fn acks_commit_the_first_offset_still_unacked() {
        let t = table();
        popped(&t, "a1", &[5, 6, 7], POP);
        let q = (T, G, 0);
        assert_eq!(t.commit_and_next(q, 6, POP), 5);
        assert_eq!(t.commit_and_next(q, 6, POP - 1), -2, "an older pop's ack");
        assert_eq!(t.commit_and_next(q, 9, POP), -1, "not handed out");
        assert_eq!(t.commit_and_next(q, 5, POP), 7);
        assert!(t.check_block(Some("a2"), q, 60_000, POP + 1));
        assert_eq!(t.commit_and_next(q, 7, POP), 8);
        assert!(!t.check_block(Some("a2"), q, 60_000, POP + 1));
        assert_eq!(t.commit_and_next((T, G, 3), 4, POP), 5, "no entry");
        t.clear_block(T, G, 0);
        assert_eq!(t.get(T, G, 0), None);
    }

    #[test]
    fn deliveries_are_counted_in_order_count_info() {
        let t = table();
        assert_eq!(popped(&t, "a1", &[5, 6, 7], POP), "0 0 0");
        assert_eq!(
            popped(&t, "a2", &[5, 6, 7], POP + 1),
            "0 qo0%5 1;0 qo0%6 1;0 qo0%7 1;0 0 1"
        );
        assert_eq!(
            popped(&t, "a2", &[5, 6, 7], POP + 2),
            "0 qo0%5 1;0 qo0%6 1;0 qo0%7 1;0 0 1",
            "a retried request of the same attempt keeps the counts"
        );
        assert_eq!(
            popped(&t, "a3", &[6, 7, 8], POP + 3),
            "0 qo0%6 2;0 qo0%7 2;0 0 0",
            "offset 8 is new: the least count is 0"
        );
        let info = t.get(T, G, 0).unwrap();
        assert_eq!(info.pop_time, POP + 3);
        assert_eq!(info.offset_list, [6, 1, 2]);
    }

    #[test]
    fn counts_are_listed_in_java_hash_map_order() {
        let t = table();
        popped(&t, "a1", &[15, 16, 17], POP);
        assert_eq!(
            popped(&t, "a2", &[15, 16, 17], POP + 1),
            "0 qo0%16 1;0 qo0%17 1;0 qo0%15 1;0 0 1"
        );
        let mut counts = String::new();
        let retry = "%RETRY%group_a_TopicTest";
        t.update(None, (retry, G, 1), POP, 1000, &[3], POP, &mut counts);
        assert_eq!(counts, "1 1 0");
    }

    #[test]
    fn auto_clean_drops_what_java_drops() {
        let t = table();
        popped(&t, "a1", &[5], POP);
        let mut counts = String::new();
        t.update(None, (T, G, 4), POP, 1000, &[1], POP, &mut counts);
        t.update(None, ("Gone", G, 0), POP, 1000, &[1], POP, &mut counts);
        t.update(None, (T, "gone", 0), POP, 1000, &[1], POP, &mut counts);
        let topics = |topic: &str| (topic == T).then_some(4);
        t.auto_clean(topics, |g| g == G, POP + 1000);
        assert!(t.get(T, G, 0).is_some());
        assert!(t.get(T, G, 4).is_none(), "queue past the read queues");
        assert!(t.get("Gone", G, 0).is_none() && t.get(T, "gone", 0).is_none());
        t.auto_clean(topics, |g| g == G, POP + CLEAN_SPAN_FROM_LAST + 1);
        assert!(t.get(T, G, 0).is_none(), "not popped for a day");
    }

    /// Written by Java 5.3.3's `ConsumerOrderInfoManager.encode(true)` after the pops of
    /// `deliveries_are_counted_in_order_count_info` and `counts_are_listed_in_java_hash_map_order`
    /// (on queues 0 and 1), an ack of offset 7 and a next visible time for offset 8.
    const JAVA_FILE: &str = "{\n\t\"table\":{\n\t\t\"TopicTest@group_a\":{0:{\n\t\t\t\t\"a\":\"a3\",\n\t\t\t\t\"cm\":2,\n\t\t\t\t\"i\":60000,\n\t\t\t\t\"l\":1796507969133,\n\t\t\t\t\"o\":[\n\t\t\t\t\t6,\n\t\t\t\t\t1,\n\t\t\t\t\t2\n\t\t\t\t],\n\t\t\t\t\"oc\":{6:2,7:2\n\t\t\t\t},\n\t\t\t\t\"ot\":{8:1700000009000\n\t\t\t\t},\n\t\t\t\t\"popTime\":1700000000003\n\t\t\t},1:{\n\t\t\t\t\"a\":\"a2\",\n\t\t\t\t\"cm\":0,\n\t\t\t\t\"i\":60000,\n\t\t\t\t\"l\":1796507969134,\n\t\t\t\t\"o\":[\n\t\t\t\t\t15,\n\t\t\t\t\t1,\n\t\t\t\t\t2\n\t\t\t\t],\n\t\t\t\t\"oc\":{16:1,17:1,15:1\n\t\t\t\t},\n\t\t\t\t\"popTime\":1700000000001\n\t\t\t}\n\t\t}\n\t}\n}";

    /// The same with a second `topic@group` (the retry topic's pop of that test).
    const JAVA_FILE_TWO_KEYS: &str = "{\n\t\"table\":{\n\t\t\"TopicTest@group_a\":{0:{\n\t\t\t\t\"a\":\"a3\",\n\t\t\t\t\"cm\":2,\n\t\t\t\t\"i\":60000,\n\t\t\t\t\"l\":1796507969133,\n\t\t\t\t\"o\":[\n\t\t\t\t\t6,\n\t\t\t\t\t1,\n\t\t\t\t\t2\n\t\t\t\t],\n\t\t\t\t\"oc\":{6:2,7:2\n\t\t\t\t},\n\t\t\t\t\"ot\":{8:1700000009000\n\t\t\t\t},\n\t\t\t\t\"popTime\":1700000000003\n\t\t\t},1:{\n\t\t\t\t\"a\":\"a2\",\n\t\t\t\t\"cm\":0,\n\t\t\t\t\"i\":60000,\n\t\t\t\t\"l\":1796507969134,\n\t\t\t\t\"o\":[\n\t\t\t\t\t15,\n\t\t\t\t\t1,\n\t\t\t\t\t2\n\t\t\t\t],\n\t\t\t\t\"oc\":{16:1,17:1,15:1\n\t\t\t\t},\n\t\t\t\t\"popTime\":1700000000001\n\t\t\t}\n\t\t},\n\t\t\"%RETRY%group_a_TopicTest@group_a\":{1:{\n\t\t\t\t\"cm\":0,\n\t\t\t\t\"i\":1000,\n\t\t\t\t\"l\":1796507969134,\n\t\t\t\t\"o\":[\n\t\t\t\t\t3\n\t\t\t\t],\n\t\t\t\t\"popTime\":1700000000000\n\t\t\t}\n\t\t}\n\t}\n}";

    #[test]
    fn java_file_round_trip() {
        let table = decode(JAVA_FILE).expect("Java's file");
        let info = &table["TopicTest@group_a"][&0];
        assert_eq!(info.attempt_id.as_deref(), Some("a3"));
        assert_eq!(
            (info.commit_offset_bit, info.invisible_time),
            (2, Some(60_000))
        );
        assert_eq!(info.offset_list, [6, 1, 2]);
        assert_eq!(info.offset_consumed_count.as_ref().unwrap()[&7], 2);
        assert_eq!(
            info.offset_next_visible_time.as_ref().unwrap()[&8],
            POP + 9000
        );
        assert_eq!(info.pop_time, POP + 3);
        assert_eq!(info.next_offset(), 6);
        assert_eq!(encode(&table), JAVA_FILE, "byte for byte");
        let two = decode(JAVA_FILE_TWO_KEYS).expect("Java's file");
        let retry = &two["%RETRY%group_a_TopicTest@group_a"][&1];
        assert_eq!(
            (retry.attempt_id.as_deref(), retry.offset_list.as_slice()),
            (None, &[3][..])
        );
        assert_eq!(decode(&encode(&two)), Some(two));
        assert_eq!(encode(&BTreeMap::new()), "{\n\t\"table\":{}\n}");
        assert_eq!(
            decode("{\n\t\"table\":{\n\t\t\"T@G\":{}\n\t}\n}").unwrap()["T@G"].len(),
            0
        );
    }

    #[test]
    fn persists_and_reloads() {
        let dir = persist::temp_dir("order-info");
        let root = dir.display().to_string();
        let t = OrderInfoTable::open(&root).unwrap();
        popped(&t, "a1", &[5, 6], POP);
        t.commit_and_next((T, G, 0), 5, POP);
        std::fs::create_dir_all(dir.join("config")).unwrap();
        persist::store(&t.path, &t.encode()).unwrap();
        let again = OrderInfoTable::open(&root).unwrap();
        assert_eq!(again.get(T, G, 0), t.get(T, G, 0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

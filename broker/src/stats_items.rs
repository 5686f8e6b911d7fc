//! Named, keyed counters sampled over a minute, an hour and a day (Java `BrokerStatsManager`,
//! `StatsItemSet`, `StatsItem`), read by VIEW_BROKER_STATS_DATA (mqadmin `statsAll`,
//! `exportMetrics`).
//!
//! Each item holds a running `value` and a count of additions (`times`). Three samplers snapshot
//! every item: every 10 s (minute list, 7 snapshots), every 10 min (hour list, 7) and every hour
//! (day list, 25), all starting when the broker starts. The first snapshot of a list is preceded
//! by a synthetic zero snapshot one period earlier, as in Java, so an item reports its whole value
//! at its first sampling. A window's `sum` is last − first value, `tps` is sum per second between
//! the two snapshots, `avgpt` is sum / (last − first times).
//!
//! Keys as Java builds them: `TOPIC_PUT_*` by topic, `GROUP_GET_*` and `SNDBCK_PUT_NUMS` by
//! `topic@group`, `BROKER_*_NUMS` by cluster name.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use foldhash::fast::RandomState as FastHash;

use crate::broker::Broker;
use crate::persist::now_millis;

pub const TOPIC_PUT_NUMS: &str = "TOPIC_PUT_NUMS";
pub const TOPIC_PUT_SIZE: &str = "TOPIC_PUT_SIZE";
pub const GROUP_GET_NUMS: &str = "GROUP_GET_NUMS";
pub const GROUP_GET_SIZE: &str = "GROUP_GET_SIZE";
pub const SNDBCK_PUT_NUMS: &str = "SNDBCK_PUT_NUMS";
pub const BROKER_PUT_NUMS: &str = "BROKER_PUT_NUMS";
pub const BROKER_GET_NUMS: &str = "BROKER_GET_NUMS";

/// The item sets, by position in [`StatsItems`]: a put or a pull finds its three sets without
/// hashing their names.
#[derive(Clone, Copy)]
enum Set {
    TopicPutNums,
    TopicPutSize,
    GroupGetNums,
    GroupGetSize,
    SndbckPutNums,
    BrokerPutNums,
    BrokerGetNums,
}

/// The stats names, in [`Set`] order.
const NAMES: [&str; 7] = [
    TOPIC_PUT_NUMS,
    TOPIC_PUT_SIZE,
    GROUP_GET_NUMS,
    GROUP_GET_SIZE,
    SNDBCK_PUT_NUMS,
    BROKER_PUT_NUMS,
    BROKER_GET_NUMS,
];

/// The position of the set named `name`, `None` for a name Java does not keep.
fn set_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|n| *n == name)
}

/// One sampling window: its period and how many snapshots it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Minute,
    Hour,
    Day,
}

impl Window {
    fn period_ms(self) -> i64 {
        match self {
            Window::Minute => 10_000,
            Window::Hour => 600_000,
            Window::Day => 3_600_000,
        }
    }

    fn keep(self) -> usize {
        match self {
            Window::Minute | Window::Hour => 7,
            Window::Day => 25,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Snap {
    at_ms: i64,
    times: u64,
    value: u64,
}

#[derive(Default)]
struct Item {
    value: u64,
    times: u64,
    minute: VecDeque<Snap>,
    hour: VecDeque<Snap>,
    day: VecDeque<Snap>,
}

impl Item {
    fn list(&mut self, w: Window) -> &mut VecDeque<Snap> {
        match w {
            Window::Minute => &mut self.minute,
            Window::Hour => &mut self.hour,
            Window::Day => &mut self.day,
        }
    }

    fn sample(&mut self, w: Window, now_ms: i64) {
        let snap = Snap {
            at_ms: now_ms,
            times: self.times,
            value: self.value,
        };
        let list = self.list(w);
        if list.is_empty() {
            list.push_back(Snap {
                at_ms: now_ms - w.period_ms(),
                times: 0,
                value: 0,
            });
        }
        list.push_back(snap);
        while list.len() > w.keep() {
            list.pop_front();
        }
    }
}

/// Java `StatsSnapshot` of one window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WindowStats {
    pub sum: i64,
    pub tps: f64,
    pub avgpt: f64,
}

fn compute(list: &VecDeque<Snap>) -> WindowStats {
    let (Some(first), Some(last)) = (list.front(), list.back()) else {
        return WindowStats::default();
    };
    let sum = last.value as i64 - first.value as i64;
    let dt = (last.at_ms - first.at_ms) as f64;
    let times = last.times as i64 - first.times as i64;
    WindowStats {
        sum,
        // Java divides by the timestamp difference as is; the synthetic first snapshot keeps it
        // positive.
        tps: if dt > 0.0 {
            sum as f64 * 1000.0 / dt
        } else {
            0.0
        },
        avgpt: if times > 0 {
            sum as f64 / times as f64
        } else {
            0.0
        },
    }
}

/// Items by key. foldhash (seeded per process) rather than SipHash: every send and pull hashes
/// three keys here, and the keys are topics and groups the broker already holds.
type ItemSet = HashMap<String, Item, FastHash>;

/// All items, by stats name ([`Set`]) then key.
#[derive(Default)]
pub struct StatsItems {
    items: Mutex<[ItemSet; NAMES.len()]>,
    /// Java `BROKER_PUT_NUMS_WITHOUT_SYSTEM_TOPIC` / `BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC`:
    /// records put to and pulled from topics that are not system topics, since start.
    put_user: AtomicU64,
    get_user: AtomicU64,
    /// Java `BrokerStats`: the two totals at the last two local midnights.
    days: Mutex<DailyTotals>,
}

/// The put and get totals recorded at the last two local midnights (Java `BrokerStats.record`),
/// 0 until the broker has run through one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DailyTotals {
    pub put_yesterday: u64,
    pub put_today: u64,
    pub get_yesterday: u64,
    pub get_today: u64,
}

impl StatsItems {
    /// Java `StatsItemSet.addValue`: the item is created on first use. A name Java does not keep
    /// counts nothing.
    pub fn add(&self, name: &'static str, key: &str, value: u64, times: u64) {
        if let Some(set) = set_of(name) {
            self.add_all(&[(set, key, value, times)]);
        }
    }

    /// Several additions under one lock (a put or a pull counts three items).
    fn add_all(&self, adds: &[(usize, &str, u64, u64)]) {
        let mut t = self.items.lock().unwrap_or_else(|e| e.into_inner());
        for &(set, key, value, times) in adds {
            let set = &mut t[set];
            let item = match set.get_mut(key) {
                Some(i) => i,
                None => set.entry(key.to_string()).or_default(),
            };
            item.value += value;
            item.times += times;
        }
    }

    /// Java `BrokerStatsManager.onTopicDeleted`: the topic's items and every `topic@group` item.
    pub fn on_topic_deleted(&self, topic: &str) {
        let prefix = format!("{topic}@");
        let mut t = self.items.lock().unwrap_or_else(|e| e.into_inner());
        for set in [Set::TopicPutNums, Set::TopicPutSize] {
            t[set as usize].remove(topic);
        }
        for set in [Set::GroupGetNums, Set::GroupGetSize, Set::SndbckPutNums] {
            t[set as usize].retain(|k, _| !k.starts_with(&prefix));
        }
    }

    /// Java `BrokerStatsManager.onGroupDeleted`: every `topic@group` item of the group.
    pub fn on_group_deleted(&self, group: &str) {
        let suffix = format!("@{group}");
        let mut t = self.items.lock().unwrap_or_else(|e| e.into_inner());
        for set in [Set::GroupGetNums, Set::GroupGetSize, Set::SndbckPutNums] {
            t[set as usize].retain(|k, _| !k.ends_with(&suffix));
        }
    }

    /// Snapshots every item for window `w` (called by the samplers).
    pub fn sample(&self, w: Window) {
        let now = now_millis();
        let mut t = self.items.lock().unwrap_or_else(|e| e.into_inner());
        for item in t.iter_mut().flat_map(|s| s.values_mut()) {
            item.sample(w, now);
        }
    }

    /// Minute, hour and day statistics of an item; `None` if nothing was ever counted for it.
    pub fn get(&self, name: &str, key: &str) -> Option<[WindowStats; 3]> {
        let t = self.items.lock().unwrap_or_else(|e| e.into_inner());
        let item = t[set_of(name)?].get(key)?;
        Some([
            compute(&item.minute),
            compute(&item.hour),
            compute(&item.day),
        ])
    }

    /// Records put to and pulled from topics that are not system topics, since start (Java
    /// `BrokerStats.getMsgPutTotalTodayNow`, `getMsgGetTotalTodayNow`).
    pub fn put_nums_user(&self) -> u64 {
        self.put_user.load(Ordering::Relaxed)
    }
    pub fn get_nums_user(&self) -> u64 {
        self.get_user.load(Ordering::Relaxed)
    }

    /// The totals of the last two midnights.
    pub fn daily_totals(&self) -> DailyTotals {
        *self.days.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Java `BrokerStats.record`, run at each local midnight: today's totals become
    /// yesterday's, the current ones today's.
    pub fn record_day(&self) {
        let mut d = self.days.lock().unwrap_or_else(|e| e.into_inner());
        *d = DailyTotals {
            put_yesterday: d.put_today,
            put_today: self.put_nums_user(),
            get_yesterday: d.get_today,
            get_today: self.get_nums_user(),
        };
    }

    /// A put of `msgs` records (`bytes` written) to `topic` (Java `incTopicPutNums`,
    /// `incTopicPutSize`, `incBrokerPutNums`); `system` when `topic` is a system topic.
    pub fn put(&self, cluster: &str, topic: &str, system: bool, msgs: u64, bytes: u64) {
        if !system {
            self.put_user.fetch_add(msgs, Ordering::Relaxed);
        }
        // Java adds to the value only for the broker-wide item: it counts no times.
        self.add_all(&[
            (Set::TopicPutNums as usize, topic, msgs, 1),
            (Set::TopicPutSize as usize, topic, bytes, 1),
            (Set::BrokerPutNums as usize, cluster, msgs, 0),
        ]);
    }

    /// A pull that found `msgs` records of `bytes` (Java `incGroupGetNums`, `incGroupGetSize`,
    /// `incBrokerGetNums`); `system` when `topic` is a system topic.
    pub fn get_found(
        &self,
        cluster: &str,
        group: &str,
        (topic, system): (&str, bool),
        msgs: u64,
        bytes: u64,
    ) {
        if !system {
            self.get_user.fetch_add(msgs, Ordering::Relaxed);
        }
        let key = format!("{topic}@{group}");
        self.add_all(&[
            (Set::GroupGetNums as usize, &key, msgs, 1),
            (Set::GroupGetSize as usize, &key, bytes, 1),
            (Set::BrokerGetNums as usize, cluster, msgs, 0),
        ]);
    }

    /// A put made by the broker itself (delay/timer delivery, transaction commit), counted like
    /// a client's (Java `ScheduleMessageService`, `TimerMessageStore`, `EndTransactionProcessor`).
    pub fn put_result(&self, b: &Broker, topic: &str, put: &store::PutResult) {
        let bytes: i64 = put.records.iter().map(|p| i64::from(p.size)).sum();
        let cfg = b.config();
        self.put(
            &cfg.broker_cluster_name,
            topic,
            crate::topics::is_system_topic(topic, &cfg),
            put.records.len() as u64,
            bytes.unsigned_abs(),
        );
    }

    /// A message sent back for retry or to the DLQ (Java `incSendBackNums`).
    pub fn send_back(&self, group: &str, origin_topic: &str) {
        let key = format!("{origin_topic}@{group}");
        self.add_all(&[(Set::SndbckPutNums as usize, &key, 1, 1)]);
    }
}

/// Starts the three samplers (first sampling at once, as Java's fixed-rate tasks with delay 0)
/// and the daily record at each local midnight.
pub fn spawn_samplers(b: &Arc<Broker>) {
    let bc = b.clone();
    tokio::spawn(async move {
        while !bc.is_shutting_down() {
            let wait = store::layout::ms_to_next_local_midnight(now_millis());
            tokio::time::sleep(Duration::from_millis(wait.max(1).unsigned_abs())).await;
            bc.stats_items.record_day();
        }
    });
    for w in [Window::Minute, Window::Hour, Window::Day] {
        let bc = b.clone();
        tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(Duration::from_millis(w.period_ms().unsigned_abs()));
            while !bc.is_shutting_down() {
                tick.tick().await;
                bc.stats_items.sample(w);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_leave_system_topics_out_and_roll_at_midnight() {
        let s = StatsItems::default();
        s.put("C", "T", false, 3, 300);
        s.put("C", "SCHEDULE_TOPIC_XXXX", true, 1, 100);
        s.get_found("C", "G", ("T", false), 2, 200);
        s.get_found("C", "G", ("RMQ_SYS_TRANS_HALF_TOPIC", true), 5, 500);
        assert_eq!((s.put_nums_user(), s.get_nums_user()), (3, 2));
        assert_eq!(s.daily_totals(), DailyTotals::default());
        s.record_day();
        s.put("C", "T", false, 1, 100);
        s.record_day();
        let d = s.daily_totals();
        assert_eq!((d.put_yesterday, d.put_today), (3, 4));
        assert_eq!((d.get_yesterday, d.get_today), (2, 2));
    }

    #[test]
    fn unknown_items_are_absent() {
        let s = StatsItems::default();
        assert!(s.get(TOPIC_PUT_NUMS, "T").is_none());
        s.put("C", "T", false, 3, 300);
        assert!(s.get(TOPIC_PUT_NUMS, "T").is_some());
        assert!(s.get(TOPIC_PUT_NUMS, "U").is_none());
        assert!(s.get("NO_SUCH_STATS", "T").is_none());
        s.add("NO_SUCH_STATS", "T", 1, 1);
        assert!(s.get("NO_SUCH_STATS", "T").is_none());
    }

    #[test]
    fn first_sampling_reports_the_whole_value() {
        let s = StatsItems::default();
        s.put("C", "T", false, 5, 500);
        s.put("C", "T", false, 5, 500);
        let [minute, hour, day] = s.get(TOPIC_PUT_NUMS, "T").unwrap();
        assert_eq!(minute, WindowStats::default(), "nothing sampled yet");
        assert_eq!((hour.sum, day.sum), (0, 0));
        s.sample(Window::Minute);
        let [minute, hour, _] = s.get(TOPIC_PUT_NUMS, "T").unwrap();
        assert_eq!(minute.sum, 10);
        assert!((minute.tps - 1.0).abs() < 0.01, "{minute:?}");
        assert!((minute.avgpt - 5.0).abs() < 1e-9, "{minute:?}");
        assert_eq!(hour.sum, 0);
        let size = s.get(TOPIC_PUT_SIZE, "T").unwrap()[0];
        assert_eq!(size.sum, 1000);
    }

    #[test]
    fn windows_slide_and_keep_their_length() {
        let mut item = Item::default();
        for i in 0..10 {
            item.value += 1;
            item.times += 1;
            item.sample(Window::Minute, 1_000_000 + i * 10_000);
        }
        assert_eq!(item.minute.len(), 7);
        let w = compute(&item.minute);
        assert_eq!(w.sum, 6);
        assert!((w.tps - 0.1).abs() < 1e-9, "{w:?}");
    }

    #[test]
    fn group_and_send_back_keys() {
        let s = StatsItems::default();
        s.get_found("C", "G", ("T", false), 4, 40);
        s.send_back("G", "T");
        s.sample(Window::Minute);
        assert_eq!(s.get(GROUP_GET_NUMS, "T@G").unwrap()[0].sum, 4);
        assert_eq!(s.get(GROUP_GET_SIZE, "T@G").unwrap()[0].sum, 40);
        assert_eq!(s.get(SNDBCK_PUT_NUMS, "T@G").unwrap()[0].sum, 1);
        assert_eq!(s.get(BROKER_GET_NUMS, "C").unwrap()[0].sum, 4);
    }

    #[test]
    fn deleting_a_topic_or_group_drops_its_items() {
        let s = StatsItems::default();
        s.put("C", "T", false, 1, 10);
        s.get_found("C", "G", ("T", false), 1, 10);
        s.get_found("C", "G", ("U", false), 1, 10);
        s.get_found("C", "H", ("U", false), 1, 10);
        s.on_topic_deleted("T");
        assert!(s.get(TOPIC_PUT_NUMS, "T").is_none());
        assert!(s.get(GROUP_GET_NUMS, "T@G").is_none());
        assert!(s.get(GROUP_GET_NUMS, "U@G").is_some());
        s.on_group_deleted("G");
        assert!(s.get(GROUP_GET_NUMS, "U@G").is_none());
        assert!(s.get(GROUP_GET_NUMS, "U@H").is_some());
        assert!(
            s.get(BROKER_PUT_NUMS, "C").is_some(),
            "broker-wide items stay"
        );
    }
}

//! The order in which Java's NameServer lists topics (GET_ALL_TOPIC_LIST_FROM_NAMESERVER and
//! the other `TopicList` answers): `RouteInfoManager` keeps topics in a
//! `ConcurrentHashMap<>(1024)`, whose key set is added to `TopicList`'s own
//! `ConcurrentHashMap.newKeySet()`, which is serialized in its iteration order.
//!
//! Clients read the list into a `HashSet`, so the order shows wherever two topics share a
//! bucket there: `mqadmin topicList` prints them in the order the NameServer sent them.
//! [`ChmOrder`] follows `ConcurrentHashMap`'s bins as a single writer sees them: a key goes to
//! bin `spread(hashCode) & (n-1)` at the end of its list, and a resize splits every bin as
//! `transfer` does (the nodes before the bin's last run are prepended, so they reverse).

/// Java `String.hashCode` (over UTF-16 code units).
pub(crate) fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Java `ConcurrentHashMap.spread`.
fn spread(h: i32) -> u32 {
    ((h ^ ((h as u32) >> 16) as i32) & 0x7fff_ffff) as u32
}

/// Java `ConcurrentHashMap.tableSizeFor`.
fn table_size_for(c: usize) -> usize {
    c.max(1).next_power_of_two()
}

/// A `ConcurrentHashMap`'s keys in its iteration order.
pub(crate) struct ChmOrder {
    bins: Vec<Vec<(u32, String)>>,
    count: usize,
    size_ctl: usize,
}

impl ChmOrder {
    /// `new ConcurrentHashMap<>()`: 16 bins on the first insert.
    pub(crate) fn new() -> Self {
        Self::with_table(16)
    }

    /// `new ConcurrentHashMap<>(initialCapacity)`.
    pub(crate) fn with_capacity(cap: usize) -> Self {
        Self::with_table(table_size_for(cap + (cap >> 1) + 1))
    }

    fn with_table(n: usize) -> Self {
        ChmOrder {
            bins: vec![Vec::new(); n],
            count: 0,
            size_ctl: n - (n >> 2),
        }
    }

    /// `putVal` of a key not yet present, then `addCount`'s resize check.
    pub(crate) fn insert(&mut self, key: &str) {
        let h = spread(java_hash(key));
        let n = self.bins.len();
        let bin = &mut self.bins[h as usize & (n - 1)];
        if bin.iter().any(|(_, k)| k == key) {
            return;
        }
        bin.push((h, key.to_string()));
        self.count += 1;
        if self.count >= self.size_ctl {
            self.resize();
        }
    }

    /// `transfer` to a table twice as large, bins from the last to the first.
    fn resize(&mut self) {
        let n = self.bins.len();
        let mut next = vec![Vec::new(); n * 2];
        for i in (0..n).rev() {
            let bin = std::mem::take(&mut self.bins[i]);
            let Some(first) = bin.first() else {
                continue;
            };
            let high = |h: u32| h as usize & n != 0;
            let mut run_high = high(first.0);
            let mut last_run = 0;
            for (j, (h, _)) in bin.iter().enumerate().skip(1) {
                if high(*h) != run_high {
                    run_high = high(*h);
                    last_run = j;
                }
            }
            let tail = bin[last_run..].to_vec();
            let (mut lo, mut hi) = if run_high {
                (Vec::new(), tail)
            } else {
                (tail, Vec::new())
            };
            for node in &bin[..last_run] {
                let list = if high(node.0) { &mut hi } else { &mut lo };
                list.insert(0, node.clone());
            }
            next[i] = lo;
            next[i + n] = hi;
        }
        self.bins = next;
        self.size_ctl = (n << 1) - (n >> 1);
    }

    /// The keys in iteration order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.bins.iter().flatten().map(|(_, k)| k.as_str())
    }
}

/// The order Java's NameServer sends `topics` in, given the order in which they entered its
/// topic table.
pub(crate) fn topic_list_order<'a>(
    topics_in_insertion_order: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let mut table = ChmOrder::with_capacity(1024);
    for t in topics_in_insertion_order {
        table.insert(t);
    }
    let mut list = ChmOrder::new();
    for t in table.keys() {
        list.insert(t);
    }
    list.keys().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hashes_are_javas() {
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("TagA"), 2598919);
        assert_eq!(java_hash("TBW102"), -1826525782);
    }

    /// Orders printed by JDK 17 for these keys put in this order into
    /// `new ConcurrentHashMap<>(1024)`, whose key set is then added to
    /// `ConcurrentHashMap.newKeySet()`.
    #[test]
    fn topic_lists_come_out_in_javas_order() {
        let keys = "RMQ_SYS_TRANS_HALF_TOPIC,%RETRY%AdmConsumer,rmq_sys_REVIVE_LOG_MqCluster,\
            BenchmarkTest,OFFSET_MOVED_EVENT,AdmTopic,TBW102,SELF_TEST_TOPIC,AdmSend,\
            SCHEDULE_TOPIC_XXXX,rmq_sys_wheel_timer,MqCluster_REPLY_TOPIC,AdmFill,\
            RMQ_SYS_TRANS_OP_HALF_TOPIC,MqCluster,rmq_sys_SYNC_BROKER_MEMBER_broker-mq,AdmTail,\
            broker-mq,AdmList1,AdmList2,T1,T2,T3,T4,T5,T6,T7,T8,T9,T10,T11,T12,T13,T14,T15,T16,\
            T17,T18,T19,T20,T21,T22,T23,T24,T25,T26,T27,T28,T29,T30";
        let keys: Vec<&str> = keys.split(',').collect();
        let java = [
            (
                18,
                "RMQ_SYS_TRANS_HALF_TOPIC,%RETRY%AdmConsumer,rmq_sys_REVIVE_LOG_MqCluster,\
                BenchmarkTest,OFFSET_MOVED_EVENT,AdmTopic,TBW102,SELF_TEST_TOPIC,AdmSend,\
                SCHEDULE_TOPIC_XXXX,rmq_sys_wheel_timer,MqCluster_REPLY_TOPIC,AdmFill,\
                RMQ_SYS_TRANS_OP_HALF_TOPIC,MqCluster,rmq_sys_SYNC_BROKER_MEMBER_broker-mq,\
                AdmTail,broker-mq",
            ),
            (
                20,
                "RMQ_SYS_TRANS_HALF_TOPIC,%RETRY%AdmConsumer,rmq_sys_REVIVE_LOG_MqCluster,\
                BenchmarkTest,OFFSET_MOVED_EVENT,AdmTopic,TBW102,SELF_TEST_TOPIC,AdmSend,\
                SCHEDULE_TOPIC_XXXX,AdmList1,rmq_sys_wheel_timer,MqCluster_REPLY_TOPIC,AdmList2,\
                AdmFill,RMQ_SYS_TRANS_OP_HALF_TOPIC,MqCluster,\
                rmq_sys_SYNC_BROKER_MEMBER_broker-mq,AdmTail,broker-mq",
            ),
            (
                50,
                "RMQ_SYS_TRANS_HALF_TOPIC,BenchmarkTest,TBW102,T21,T20,T23,T22,AdmList1,\
                MqCluster_REPLY_TOPIC,AdmList2,T25,AdmFill,T24,T27,T26,T29,T28,\
                %RETRY%AdmConsumer,rmq_sys_REVIVE_LOG_MqCluster,OFFSET_MOVED_EVENT,AdmTopic,T30,\
                MqCluster,rmq_sys_SYNC_BROKER_MEMBER_broker-mq,AdmTail,broker-mq,\
                SELF_TEST_TOPIC,SCHEDULE_TOPIC_XXXX,rmq_sys_wheel_timer,\
                RMQ_SYS_TRANS_OP_HALF_TOPIC,T1,T2,T3,T4,T5,T6,T7,T8,T9,T10,AdmSend,T12,T11,T14,\
                T13,T16,T15,T18,T17,T19",
            ),
        ];
        for (n, order) in java {
            let want: Vec<String> = order.split(',').map(|k| k.trim().to_string()).collect();
            assert_eq!(
                topic_list_order(keys[..n].iter().copied()),
                want,
                "{n} keys"
            );
        }
    }

    #[test]
    fn sizing_follows_java() {
        assert_eq!(ChmOrder::with_capacity(1024).bins.len(), 2048);
        let mut m = ChmOrder::new();
        for i in 0..12 {
            m.insert(&format!("k{i}"));
        }
        assert_eq!(m.bins.len(), 32, "the 12th key resizes 16 bins to 32");
        assert_eq!(m.keys().count(), 12);
    }

    #[test]
    fn a_resize_reverses_the_nodes_before_the_last_run() {
        // Four keys in one bin of 16 whose next hash bit alternates low/high/low/high: the last
        // run is the last key alone, the others are prepended in turn.
        let mut m = ChmOrder::with_table(16);
        let hashes = [0b0_0011u32, 0b1_0011, 0b0_0011 | 0x100, 0b1_0011 | 0x100];
        for (i, h) in hashes.iter().enumerate() {
            m.bins[3].push((*h, format!("k{i}")));
        }
        m.resize();
        let lo: Vec<&str> = m.bins[3].iter().map(|(_, k)| k.as_str()).collect();
        let hi: Vec<&str> = m.bins[19].iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(lo, vec!["k2", "k0"]);
        assert_eq!(hi, vec!["k1", "k3"]);
    }
}

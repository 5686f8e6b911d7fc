//! Put and get statistics of the store (Java `StoreStatsService`), for the broker's runtime info
//! (`mqadmin brokerStatus`, `clusterList`).
//!
//! Every put through the store counts its records and written bytes (the whole records, as
//! Java's `AppendMessageResult.wroteBytes`), its latency (maximum, a per-range distribution and
//! the buckets the p99/p999 estimates read); every get counts as found or missed, with the
//! messages transferred and its latency. A sampler records the counters once a second and keeps
//! 601 samples, so a rate is available over 10, 60 and 600 seconds once that much history
//! exists; every 60 s the distribution and the buckets start over and the finished minute
//! becomes the one reported.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::layout::now_ms;

/// Samples kept: Java `MAX_RECORDS_OF_SAMPLING + 1`.
const KEEP: usize = 601;
/// Java `printTPSInterval`: the distribution and buckets rotate this often (ms).
const ROTATE_MS: i64 = 60_000;
/// Upper bounds (ms) of the latency distribution's ranges; the last range is unbounded.
const DISTRIBUTION: [i64; 12] = [
    0, 10, 50, 100, 200, 500, 1000, 2000, 3000, 4000, 5000, 10000,
];
/// Java `PUT_MESSAGE_ENTIRE_TIME_MAX_DESC`.
pub const DISTRIBUTION_NAMES: [&str; 13] = [
    "[<=0ms]",
    "[0~10ms]",
    "[10~50ms]",
    "[50~100ms]",
    "[100~200ms]",
    "[200~500ms]",
    "[500ms~1s]",
    "[1~2s]",
    "[2~3s]",
    "[3~4s]",
    "[4~5s]",
    "[5~10s]",
    "[10s~]",
];

/// Java `PUT_MESSAGE_ENTIRE_TIME_BUCKETS`: (step, count) runs of bucket upper bounds, 1..10000 ms,
/// then one unbounded bucket.
fn bucket_bounds() -> Vec<i64> {
    let mut bounds = Vec::with_capacity(76);
    let mut at = 0;
    for (step, n) in [
        (1, 20),
        (2, 15),
        (5, 10),
        (10, 10),
        (50, 6),
        (100, 5),
        (1000, 9),
    ] {
        for _ in 0..n {
            at += step;
            bounds.push(at);
        }
    }
    bounds.push(i64::MAX);
    bounds
}

/// One sample of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub at_ms: i64,
    pub put: u64,
    pub get_found: u64,
    pub get_miss: u64,
    pub transferred: u64,
}

/// What the previous full minute recorded.
#[derive(Debug, Clone, Default)]
struct Minute {
    /// `None` until the first minute is over (Java prints `null` then).
    distribution: Option<[u64; 13]>,
    buckets: Vec<u64>,
}

/// The store's statistics; shared by the put and get paths (atomics only) and the sampler.
pub struct StoreStats {
    pub boot_ms: i64,
    put_times: AtomicU64,
    put_bytes: AtomicU64,
    put_failed: AtomicU64,
    get_found: AtomicU64,
    get_miss: AtomicU64,
    transferred: AtomicU64,
    put_time_max: AtomicI64,
    get_time_max: AtomicI64,
    distribution: [AtomicU64; 13],
    bounds: Vec<i64>,
    buckets: Vec<AtomicU64>,
    /// Samples and the last minute; taken by the sampler and by readers, never on a put or get.
    window: Mutex<(VecDeque<Sample>, Minute, i64)>,
}

impl Default for StoreStats {
    fn default() -> Self {
        let bounds = bucket_bounds();
        let now = now_ms();
        StoreStats {
            boot_ms: now,
            put_times: AtomicU64::new(0),
            put_bytes: AtomicU64::new(0),
            put_failed: AtomicU64::new(0),
            get_found: AtomicU64::new(0),
            get_miss: AtomicU64::new(0),
            transferred: AtomicU64::new(0),
            put_time_max: AtomicI64::new(0),
            get_time_max: AtomicI64::new(0),
            distribution: Default::default(),
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            bounds,
            window: Mutex::new((VecDeque::new(), Minute::default(), now)),
        }
    }
}

impl StoreStats {
    /// A put of `records` records, `bytes` written, that took `elapsed_ms` (Java
    /// `CommitLog.asyncPutMessage` counting and `setPutMessageEntireTimeMax`).
    pub(crate) fn on_put(&self, records: u64, bytes: u64, elapsed_ms: i64) {
        self.put_times.fetch_add(records, Ordering::Relaxed);
        self.put_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.on_put_time(elapsed_ms);
    }

    /// A put the CommitLog refused (Java counts `putMessageFailedTimes` for a result that is not
    /// OK; the checks made before the CommitLog count nothing).
    pub(crate) fn on_put_failed(&self, elapsed_ms: i64) {
        self.put_failed.fetch_add(1, Ordering::Relaxed);
        self.on_put_time(elapsed_ms);
    }

    fn on_put_time(&self, ms: i64) {
        let range = if ms <= 0 {
            0
        } else {
            DISTRIBUTION[1..]
                .iter()
                .position(|b| ms < *b)
                .map_or(12, |i| i + 1)
        };
        self.distribution[range].fetch_add(1, Ordering::Relaxed);
        let bucket = self.bounds.partition_point(|b| *b < ms);
        if let Some(b) = self.buckets.get(bucket) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.put_time_max.fetch_max(ms, Ordering::Relaxed);
    }

    /// A get: found or not, `transferred` messages, taking `elapsed_ms`.
    pub(crate) fn on_get(&self, found: bool, transferred: u64, elapsed_ms: i64) {
        let counter = if found {
            &self.get_found
        } else {
            &self.get_miss
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.transferred.fetch_add(transferred, Ordering::Relaxed);
        self.get_time_max.fetch_max(elapsed_ms, Ordering::Relaxed);
    }

    fn now(&self, at_ms: i64) -> Sample {
        Sample {
            at_ms,
            put: self.put_times.load(Ordering::Relaxed),
            get_found: self.get_found.load(Ordering::Relaxed),
            get_miss: self.get_miss.load(Ordering::Relaxed),
            transferred: self.transferred.load(Ordering::Relaxed),
        }
    }

    /// Records a sample (the store calls this once a second); rotates the minute when due.
    pub(crate) fn sample(&self, at_ms: i64) {
        let s = self.now(at_ms);
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        w.0.push_back(s);
        while w.0.len() > KEEP {
            w.0.pop_front();
        }
        if at_ms > w.2 + ROTATE_MS {
            w.2 = at_ms;
            let mut distribution = [0u64; 13];
            for (d, a) in distribution.iter_mut().zip(&self.distribution) {
                *d = a.swap(0, Ordering::Relaxed);
            }
            w.1 = Minute {
                distribution: Some(distribution),
                buckets: self
                    .buckets
                    .iter()
                    .map(|b| b.swap(0, Ordering::Relaxed))
                    .collect(),
            };
        }
    }

    /// Records put (Java `getPutMessageTimesTotal`).
    pub fn put_times(&self) -> u64 {
        self.put_times.load(Ordering::Relaxed)
    }
    /// Bytes written by puts (Java `getPutMessageSizeTotal`).
    pub fn put_bytes(&self) -> u64 {
        self.put_bytes.load(Ordering::Relaxed)
    }
    pub fn put_failed(&self) -> u64 {
        self.put_failed.load(Ordering::Relaxed)
    }
    pub fn put_time_max(&self) -> i64 {
        self.put_time_max.load(Ordering::Relaxed)
    }
    pub fn get_time_max(&self) -> i64 {
        self.get_time_max.load(Ordering::Relaxed)
    }

    /// Rate of `pick` over the last `secs` samples, `None` until that many samples exist plus
    /// one (Java `getPutTps(int)` and its siblings).
    pub fn rate(&self, secs: usize, pick: fn(&Sample) -> u64) -> Option<f64> {
        let w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let q = &w.0;
        let last = q.back()?;
        if q.len() <= secs {
            return None;
        }
        let before = q.get(q.len() - (secs + 1))?;
        let total = pick(last) as f64 - pick(before) as f64;
        let ms = (last.at_ms - before.at_ms) as f64;
        Some(total / ms * 1000.0)
    }

    /// The last minute's distribution, `None` before the first minute ended.
    pub fn distribution(&self) -> Option<[u64; 13]> {
        let w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        w.1.distribution
    }

    /// Java `findPutMessageEntireTimePX`: the put latency (ms) below which a fraction `px` of
    /// the last minute's puts fell, interpolated within its bucket; 0 before the first minute.
    pub fn put_latency(&self, px: f64) -> f64 {
        let w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let counts = &w.1.buckets;
        let total: u64 = counts.iter().sum();
        let index = (total as f64 * px) as u64;
        let mut passed = 0u64;
        for (i, (&count, &bound)) in counts.iter().zip(&self.bounds).enumerate() {
            if index <= passed + count {
                let relative = index - passed;
                if count == 0 {
                    return if i == 0 {
                        0.0
                    } else {
                        self.bounds[i - 1] as f64
                    };
                }
                // Java multiplies in long arithmetic: the unbounded bucket overflows it.
                let relative = relative as i64;
                return if i == 0 {
                    bound.wrapping_mul(relative) as f64 / count as f64
                } else {
                    let prev = self.bounds[i - 1];
                    prev as f64 + (bound - prev).wrapping_mul(relative) as f64 / count as f64
                };
            }
            passed += count;
        }
        0.0
    }
}

/// One turn of the sampler thread: wait a second, take a sample.
pub(crate) fn sampler_step(stats: &StoreStats) {
    std::thread::sleep(std::time::Duration::from_millis(1000));
    stats.sample(now_ms());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rates_need_history() {
        let s = StoreStats::default();
        assert_eq!(s.rate(10, |x| x.put), None, "no sample yet");
        for i in 0..=10 {
            s.on_put(2, 200, 1);
            s.sample(1_000_000 + i * 1000);
        }
        assert_eq!(s.rate(60, |x| x.put), None, "11 samples are not a minute");
        assert_eq!(s.rate(10, |x| x.put), Some(2.0));
        assert_eq!((s.put_times(), s.put_bytes()), (22, 2200));
    }

    #[test]
    fn latency_distribution_rotates_each_minute() {
        let s = StoreStats::default();
        for ms in [0, 5, 60, 20_000] {
            s.on_put(1, 1, ms);
        }
        assert_eq!(s.put_time_max(), 20_000);
        assert_eq!(
            s.distribution(),
            None,
            "Java prints null for the first minute"
        );
        assert_eq!(s.put_latency(0.99), 0.0);
        let boot = s.window.lock().unwrap().2;
        s.sample(boot + ROTATE_MS + 1);
        let d = s.distribution().unwrap();
        assert_eq!((d[0], d[1], d[3], d[12]), (1, 1, 1, 1));
        assert_eq!(d.iter().sum::<u64>(), 4);
        // 4 puts in buckets [1], [5], [60], [∞]: index 3 ends in the bucket of 60 ms.
        assert_eq!(s.put_latency(0.99), 60.0);
        assert_eq!(s.put_latency(1.0), 10_000.0 + (i64::MAX - 10_000) as f64);
        assert_eq!(s.put_latency(0.25), 1.0);
    }

    #[test]
    fn bucket_bounds_match_java() {
        let b = bucket_bounds();
        assert_eq!(b.len(), 76);
        assert_eq!((b[0], b[19], b[20], b[34], b[35]), (1, 20, 22, 50, 55));
        assert_eq!((b[74], b[75]), (10_000, i64::MAX));
    }
}

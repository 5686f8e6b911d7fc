//! Put/get counters and their TPS over 10 s, 60 s and 600 s windows (Java
//! `StoreStatsService`), for GET_BROKER_RUNTIME_INFO. A sampler task records the counters every
//! 10 s; TPS is the counter delta over the window divided by its length.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    put: u64,
    get_found: u64,
    get_miss: u64,
    transferred: u64,
}

#[derive(Default)]
pub struct Stats {
    pub put_msgs: AtomicU64,
    pub put_bytes: AtomicU64,
    pub put_failed: AtomicU64,
    pub get_found: AtomicU64,
    pub get_miss: AtomicU64,
    pub get_transferred: AtomicU64,
    samples: Mutex<VecDeque<Sample>>,
    /// Used fraction of the store's file system, as f64 bits (refreshed by the sampler).
    disk_ratio_bits: AtomicU64,
}

/// Samples kept: 600 s at one per 10 s, plus the current one.
const KEEP: usize = 61;

impl Stats {
    fn now(&self) -> Sample {
        Sample {
            at: Instant::now(),
            put: self.put_msgs.load(Ordering::Relaxed),
            get_found: self.get_found.load(Ordering::Relaxed),
            get_miss: self.get_miss.load(Ordering::Relaxed),
            transferred: self.get_transferred.load(Ordering::Relaxed),
        }
    }

    /// Called every 10 s by the broker's sampler task.
    pub fn sample(&self) {
        let s = self.now();
        let mut q = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        q.push_back(s);
        while q.len() > KEEP {
            q.pop_front();
        }
    }

    /// Refreshes the store disk's used fraction (`df -P`; the store exposes no statvfs).
    pub fn refresh_disk_ratio(&self, path: &str) {
        let out = std::process::Command::new("df")
            .arg("-P")
            .arg(path)
            .output();
        let ratio = out.ok().and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let line = text.lines().nth(1)?.to_string();
            let cols: Vec<&str> = line.split_whitespace().collect();
            let used: f64 = cols.get(2)?.parse().ok()?;
            let avail: f64 = cols.get(3)?.parse().ok()?;
            (used + avail > 0.0).then(|| used / (used + avail))
        });
        if let Some(r) = ratio {
            self.disk_ratio_bits.store(r.to_bits(), Ordering::Relaxed);
        }
    }

    pub fn disk_ratio(&self) -> f64 {
        f64::from_bits(self.disk_ratio_bits.load(Ordering::Relaxed))
    }

    /// `"<10s> <60s> <600s>"` TPS of one counter, Java's format (`%.2f`-like decimals).
    fn tps(&self, pick: fn(&Sample) -> u64) -> String {
        let now = self.now();
        let q = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let window = |secs: u64| -> f64 {
            let base = q
                .iter()
                .find(|s| now.at.duration_since(s.at).as_secs() <= secs)
                .copied()
                .unwrap_or(now);
            let dt = now.at.duration_since(base.at).as_secs_f64();
            if dt <= 0.0 {
                0.0
            } else {
                (pick(&now) - pick(&base)) as f64 / dt
            }
        };
        format!("{:.2} {:.2} {:.2}", window(10), window(60), window(600))
    }

    pub fn put_tps(&self) -> String {
        self.tps(|s| s.put)
    }
    pub fn get_found_tps(&self) -> String {
        self.tps(|s| s.get_found)
    }
    pub fn get_miss_tps(&self) -> String {
        self.tps(|s| s.get_miss)
    }
    pub fn get_total_tps(&self) -> String {
        self.tps(|s| s.get_found + s.get_miss)
    }
    pub fn get_transferred_tps(&self) -> String {
        self.tps(|s| s.transferred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tps_strings_have_three_numbers() {
        let s = Stats::default();
        s.sample();
        s.put_msgs.fetch_add(10, Ordering::Relaxed);
        let t = s.put_tps();
        assert_eq!(t.split(' ').count(), 3, "{t}");
        assert!(t.split(' ').all(|n| n.parse::<f64>().is_ok()));
    }
}

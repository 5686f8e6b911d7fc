//! The hot-path side of the metrics: series found by their label values, counters and
//! histograms made of atomics.
//!
//! A [`Series`] maps label values to one value per series. A request finds its series under a
//! read lock with borrowed `&str`s (no allocation); only the first request of a label set takes
//! the write lock to create it. The value is then updated with relaxed atomic adds while the
//! read lock is held, so a scrape (which also only reads) never blocks a request.
//!
//! Java's OTel SDK caps each metric at `metricsOtelCardinalityLimit` series; beyond it, values
//! go to one overflow series labelled `otel_metric_overflow="true"`, as the SDK does.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

use foldhash::fast::RandomState as FastHash;
use indexmap::{Equivalent, IndexMap};

/// The label values of one series, in the order the metric declares its label names.
#[derive(Debug, PartialEq, Eq)]
pub struct SeriesKey<const N: usize>(pub [Box<str>; N]);

impl<const N: usize> Hash for SeriesKey<N> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for s in &self.0 {
            s.as_ref().hash(h);
        }
    }
}

/// A borrowed [`SeriesKey`] for lookups: hashes the same way, compares by value. It is not `Eq`,
/// so indexmap's blanket `Equivalent` does not apply and this one is used.
struct Look<'a, const N: usize>(&'a [&'a str; N]);

impl<const N: usize> Hash for Look<'_, N> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for s in self.0 {
            s.hash(h);
        }
    }
}

impl<const N: usize> Equivalent<SeriesKey<N>> for Look<'_, N> {
    fn equivalent(&self, key: &SeriesKey<N>) -> bool {
        self.0.iter().zip(&key.0).all(|(a, b)| *a == &**b)
    }
}

/// The series of one metric (or of several metrics sharing label names, the value then holding
/// them all), keyed by `K`.
pub struct Series<K, V> {
    /// Written only when a label set is seen for the first time. foldhash (seeded per process)
    /// rather than SipHash: every request hashes its labels, and the cardinality limit already
    /// bounds what a client's chosen names can do to a table.
    map: RwLock<IndexMap<K, Arc<V>, FastHash>>,
    overflow: Arc<V>,
    limit: usize,
}

/// Series keyed by `N` label values.
pub type Labelled<const N: usize, V> = Series<SeriesKey<N>, V>;

impl<K: Hash + Eq, V: Default> Series<K, V> {
    pub fn new(limit: usize) -> Self {
        Series {
            map: RwLock::new(IndexMap::with_hasher(FastHash::default())),
            overflow: Arc::default(),
            limit: limit.max(1),
        }
    }

    /// Runs `f` on the series `q` finds, created (keyed by `own(q)`) on first use.
    pub fn with_key<Q, R>(&self, q: &Q, own: impl FnOnce(&Q) -> K, f: impl FnOnce(&V) -> R) -> R
    where
        Q: ?Sized + Hash + Equivalent<K>,
    {
        {
            let map = self.map.read().unwrap_or_else(|e| e.into_inner());
            if let Some(v) = map.get(q) {
                return f(v);
            }
        }
        f(&self.handle_key(q, own))
    }

    /// The series `q` finds, created on first use, to be kept and updated without a lookup.
    pub fn handle_key<Q>(&self, q: &Q, own: impl FnOnce(&Q) -> K) -> Arc<V>
    where
        Q: ?Sized + Hash + Equivalent<K>,
    {
        {
            let map = self.map.read().unwrap_or_else(|e| e.into_inner());
            if let Some(v) = map.get(q) {
                return Arc::clone(v);
            }
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(q) && map.len() + 1 >= self.limit {
            return Arc::clone(&self.overflow);
        }
        Arc::clone(map.entry(own(q)).or_default())
    }

    /// Visits every series (in creation order), then the overflow series if `used` says it
    /// holds anything (`None` for its key).
    pub fn each(&self, mut f: impl FnMut(Option<&K>, &V), used: impl Fn(&V) -> bool) {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        for (k, v) in map.iter() {
            f(Some(k), v);
        }
        drop(map);
        if used(&self.overflow) {
            f(None, &self.overflow);
        }
    }
}

impl<const N: usize, V: Default> Series<SeriesKey<N>, V> {
    /// Runs `f` on the series of `labels`, created on first use.
    pub fn with<R>(&self, labels: [&str; N], f: impl FnOnce(&V) -> R) -> R {
        self.with_key(&Look(&labels), |l| SeriesKey(l.0.map(Box::from)), f)
    }

    /// The series of `labels`, created on first use ([`Series::handle_key`]).
    pub fn handle(&self, labels: [&str; N]) -> Arc<V> {
        self.handle_key(&Look(&labels), |l| SeriesKey(l.0.map(Box::from)))
    }

    /// Runs `f` on the series of `labels` if it exists.
    pub fn find<R>(&self, labels: [&str; N], f: impl FnOnce(&V) -> R) -> Option<R> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(&Look(&labels)).map(|v| f(v))
    }
}

/// A monotonic counter.
#[derive(Default, Debug)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// An explicit-bucket histogram of non-negative integers (OTel `explicitBucketHistogram`): a
/// value falls in the first bucket whose upper bound it does not exceed, or in the last,
/// unbounded one.
#[derive(Debug)]
pub struct Histogram<const B: usize> {
    /// One more than the bounds: the last is +Inf.
    counts: [AtomicU64; B],
    sum: AtomicU64,
}

impl<const B: usize> Default for Histogram<B> {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum: AtomicU64::new(0),
        }
    }
}

impl<const B: usize> Histogram<B> {
    /// Records `v` against `bounds` (B − 1 ascending upper bounds).
    pub fn record(&self, bounds: &[u64], v: u64) {
        let i = bounds.partition_point(|b| *b < v).min(B - 1);
        self.counts[i].fetch_add(1, Relaxed);
        self.sum.fetch_add(v, Relaxed);
    }

    /// Per-bucket (not cumulative) counts and the sum.
    pub fn snapshot(&self) -> (Vec<u64>, u64) {
        let counts = self.counts.iter().map(|c| c.load(Relaxed)).collect();
        (counts, self.sum.load(Relaxed))
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Relaxed)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_found_by_value_and_created_once() {
        let s: Labelled<2, Counter> = Series::new(100);
        s.with(["t", "g"], |c| c.add(2));
        let (t, g) = (String::from("t"), String::from("g"));
        s.with([&t, &g], |c| c.add(3));
        s.with(["t", "h"], |c| c.add(1));
        let mut seen = Vec::new();
        s.each(
            |k, c| seen.push((k.map(|k| k.0.join("/")), c.get())),
            |c| c.get() > 0,
        );
        assert_eq!(
            seen,
            vec![(Some("t/g".to_string()), 5), (Some("t/h".to_string()), 1)]
        );
    }

    #[test]
    fn beyond_the_limit_values_go_to_the_overflow_series() {
        let s: Labelled<1, Counter> = Series::new(3);
        for t in ["a", "b", "c", "d", "a"] {
            s.with([t], |c| c.add(1));
        }
        let mut seen = Vec::new();
        s.each(
            |k, c| seen.push((k.map(|k| k.0[0].to_string()), c.get())),
            |c| c.get() > 0,
        );
        assert_eq!(
            seen,
            vec![
                (Some("a".to_string()), 2),
                (Some("b".to_string()), 1),
                (None, 2)
            ]
        );
    }

    #[test]
    fn histogram_bounds_are_inclusive_upper_bounds() {
        let h: Histogram<4> = Histogram::default();
        for v in [0, 1, 2, 3, 5, 6, 100] {
            h.record(&[1, 3, 5], v);
        }
        assert_eq!(h.snapshot(), (vec![2, 2, 1, 2], 117));
        assert_eq!(h.count(), 7);
    }
}

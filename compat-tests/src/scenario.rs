//! What every compat test declares first: its cost and its time budget.
//!
//! Tests run side by side (`./test` gives libtest a thread per test, so every test waits here
//! from the start). A [`Scenario`] guard, taken on a test's first line, admits it only when the
//! machine can take it: each test costs units of one shared pool ([`light`] 1, [`heavy`] 2 for
//! tests that start their own Java servers, [`exclusive`] the whole pool for tests that need the
//! shared stacks to themselves). The pool holds `THRUST_COMPAT_UNITS` units (default
//! [`DEFAULT_UNITS`], which suits two cores: JVM start-ups are the bursts that push clients past
//! their request timeouts). Among the tests waiting, heavy ones go before light ones, and the
//! longest budget first: the long scenarios start early instead of ending the run alone. While
//! both kinds wait, light tests hold [`LIGHT_ROOM`] units of the pool and heavy ones the rest, so
//! neither starves the other (light tests would otherwise take every unit as it frees, one at a
//! time, and a heavy test never find two).
//!
//! When the machine stands partly idle (the scenarios running mostly wait on their servers), the
//! pool lends up to [`IDLE_LOAN`] units more: one admission at a time, each only when the cores
//! were less than [`IDLE_BUSY`] % busy over the last seconds and the previous loan has had time to
//! show in that measure (`THRUST_COMPAT_IDLE_LOAN=0` turns this off). A loan goes to a light test
//! first, even beyond its share: a short client run against the shared stacks fills idle cores in
//! small steps, where a heavy test starts JVM servers in a burst. Kept to their share otherwise,
//! light tests last into the run's second half, where the loans need them.
//!
//! When the guard drops, the test's wall time is appended to
//! `target/compat-work/timings.tsv` (`name`, seconds, budget, outcome, and when it was admitted,
//! in seconds from the first test's arrival); a test over its budget says so on stderr. `./test` prints the slowest tests and the overruns from that file.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// When the first test arrived: admissions are timed from there.
static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Pool size when `THRUST_COMPAT_UNITS` is unset.
pub const DEFAULT_UNITS: u32 = 10;

/// Units the pool may lend beyond its size while the machine is idle (`THRUST_COMPAT_IDLE_LOAN`):
/// in the second half of a run the scenarios left are heavy ones that mostly wait (elections,
/// restarts), five of them fill the pool, and the cores stand a quarter idle or more.
pub const IDLE_LOAN: u32 = 8;

/// Busy share of all cores (%) below which a unit is lent.
pub const IDLE_BUSY: u32 = 80;

/// How often the cores' busy share is sampled, and the window it is measured over.
const SAMPLE: Duration = Duration::from_secs(2);
const WINDOW_SAMPLES: usize = 3;

/// Time a loan needs to show in the measure (a JVM start-up) before the next one.
const LOAN_SPACING: Duration = Duration::from_secs(10);

/// Units light tests hold, unlent, while heavy ones wait; heavy tests hold the rest while light
/// ones wait.
pub const LIGHT_ROOM: u32 = 2;

/// Where finished tests record their times.
pub fn timings_file() -> std::path::PathBuf {
    crate::env::repo_root()
        .join("target")
        .join("compat-work")
        .join("timings.tsv")
}

/// A test waiting for units: its budget orders it, then its arrival.
struct Waiter {
    budget: u64,
    seq: u64,
    want: u32,
}

struct State {
    /// None until the first test sizes the pool; below zero while units are lent.
    free: Option<i64>,
    /// When the last unit was lent.
    last_loan: Option<Instant>,
    /// Units held by heavy tests (2 units or more).
    heavy: u32,
    /// Units held by light tests.
    light: u32,
    waiting: Vec<Waiter>,
    next_seq: u64,
}

struct Pool {
    state: Mutex<State>,
    freed: Condvar,
}

static POOL: Pool = Pool {
    state: Mutex::new(State {
        free: None,
        last_loan: None,
        heavy: 0,
        light: 0,
        waiting: Vec::new(),
        next_seq: 0,
    }),
    freed: Condvar::new(),
};

fn capacity() -> u32 {
    std::env::var("THRUST_COMPAT_UNITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_UNITS)
}

fn idle_loan() -> u32 {
    std::env::var("THRUST_COMPAT_IDLE_LOAN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(IDLE_LOAN)
}

/// The cores' busy share (%) over the last [`WINDOW_SAMPLES`] samples; 100 until measured.
static BUSY: AtomicU32 = AtomicU32::new(100);

/// Busy and total jiffies of all cores (`/proc/stat`), None where it cannot be read.
fn cpu_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().sum();
    // idle and iowait
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Samples the cores' busy share for the pool's loans, and wakes the waiters at each sample.
fn start_sampler() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        std::thread::spawn(|| {
            let mut window = std::collections::VecDeque::new();
            loop {
                if let Some(sample) = cpu_jiffies() {
                    window.push_back(sample);
                    if window.len() > WINDOW_SAMPLES + 1 {
                        window.pop_front();
                    }
                    if let (Some(first), Some(last)) = (window.front(), window.back()) {
                        let total = last.1.saturating_sub(first.1);
                        if total > 0 && window.len() > WINDOW_SAMPLES {
                            let busy = last.0.saturating_sub(first.0) * 100 / total;
                            BUSY.store(busy as u32, Ordering::Relaxed);
                        }
                    }
                }
                POOL.freed.notify_all();
                std::thread::sleep(SAMPLE);
            }
        });
    });
}

impl Pool {
    /// Admits, of the waiters that fit, heavy ones before light ones (each kind within its share)
    /// and the longest budget first: the long scenarios start early instead of ending the run
    /// alone, and light ones fill the units left over.
    fn take(&self, want: u32, budget: u64) -> u32 {
        let cap = capacity();
        let want = want.min(cap);
        let loan = idle_loan();
        if loan > 0 {
            start_sampler();
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let seq = st.next_seq;
        st.next_seq += 1;
        st.waiting.push(Waiter { budget, seq, want });
        loop {
            let owned = *st.free.get_or_insert(i64::from(cap));
            // While the cores idle, lend units (down to -loan free), one admission per spacing.
            let lend = loan > 0
                && BUSY.load(Ordering::Relaxed) < IDLE_BUSY
                && st.last_loan.map_or(true, |t| t.elapsed() >= LOAN_SPACING);
            let exclusive = |w: &Waiter| w.want == cap;
            let light_waits = st.waiting.iter().any(|w| w.want < 2 && !exclusive(w));
            let heavy_waits = st.waiting.iter().any(|w| w.want >= 2 && !exclusive(w));
            // Each kind's share while the other kind waits.
            let heavy_share = cap.saturating_sub(LIGHT_ROOM).max(2);
            let light_share = if heavy_waits { LIGHT_ROOM } else { cap };
            // More units than the pool holds, or a light test beyond its share: only a loan admits it.
            let (light, heavy) = (st.light, st.heavy);
            let on_loan =
                |want: u32| i64::from(want) > owned || (want < 2 && light + want > light_share);
            let fits = |w: &&Waiter| {
                // An exclusive test waits for the whole pool, never a loan.
                if exclusive(w) {
                    return owned >= i64::from(cap);
                }
                if w.want >= 2 && light_waits && heavy + w.want > heavy_share {
                    return false;
                }
                !on_loan(w.want) || (lend && i64::from(w.want) <= owned + i64::from(loan))
            };
            // Of the tests a loan would admit, light ones rank first (see the module doc).
            let first = st
                .waiting
                .iter()
                .filter(fits)
                .max_by_key(|w| {
                    let ranked = !on_loan(w.want) || w.want < 2;
                    (ranked, w.want, w.budget, std::cmp::Reverse(w.seq))
                })
                .map(|w| w.seq);
            if first == Some(seq) {
                if on_loan(want) {
                    st.last_loan = Some(Instant::now());
                }
                st.waiting.retain(|w| w.seq != seq);
                st.free = Some(owned - i64::from(want));
                if want >= 2 {
                    st.heavy += want;
                } else {
                    st.light += want;
                }
                // The next in line may fit in what is left.
                self.freed.notify_all();
                return want;
            }
            st = self.freed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn give(&self, units: u32) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.free = Some(st.free.unwrap_or(0) + i64::from(units));
        if units >= 2 {
            st.heavy = st.heavy.saturating_sub(units);
        } else {
            st.light = st.light.saturating_sub(units);
        }
        self.freed.notify_all();
    }
}

/// A running test: holds its units and times it (see the module doc).
pub struct Scenario {
    name: String,
    units: u32,
    budget: Duration,
    started: Instant,
}

/// A test that drives clients against the shared stacks: 1 unit.
pub fn light(budget_secs: u64) -> Scenario {
    Scenario::admit(1, budget_secs)
}

/// A test that starts Java servers of its own (a broker, a NameServer): 2 units.
pub fn heavy(budget_secs: u64) -> Scenario {
    Scenario::admit(2, budget_secs)
}

/// A test that must not share the machine or the shared stacks: the whole pool.
pub fn exclusive(budget_secs: u64) -> Scenario {
    Scenario::admit(u32::MAX, budget_secs)
}

impl Scenario {
    fn admit(want: u32, budget_secs: u64) -> Scenario {
        EPOCH.get_or_init(Instant::now);
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        let units = POOL.take(want, budget_secs);
        Scenario {
            name,
            units,
            budget: Duration::from_secs(budget_secs),
            started: Instant::now(),
        }
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        POOL.give(self.units);
        let took = self.started.elapsed();
        let outcome = if std::thread::panicking() {
            "failed"
        } else {
            "ok"
        };
        if took > self.budget {
            eprintln!(
                "{}: took {:.0} s, over its budget of {} s",
                self.name,
                took.as_secs_f64(),
                self.budget.as_secs()
            );
        }
        let admitted = EPOCH
            .get()
            .map_or(0.0, |e| self.started.duration_since(*e).as_secs_f64());
        let line = format!(
            "{}\t{:.1}\t{}\t{outcome}\t{admitted:.1}\n",
            self.name,
            took.as_secs_f64(),
            self.budget.as_secs()
        );
        let path = timings_file();
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

//! What every compat test declares first: its cost and its time budget.
//!
//! Tests run side by side (`./test` gives libtest several threads). A [`Scenario`] guard, taken
//! on a test's first line, admits it only when the machine can take it: each test costs units
//! of one shared pool ([`light`] 1, [`heavy`] 2 for tests that start their own Java servers,
//! [`exclusive`] the whole pool for tests that need the shared stacks to themselves). The pool
//! holds `THRUST_COMPAT_UNITS` units (default [`DEFAULT_UNITS`], which suits two cores: JVM
//! start-ups are the bursts that push clients past their request timeouts).
//!
//! When the guard drops, the test's wall time is appended to
//! `target/compat-work/timings.tsv` (`name`, seconds, budget, outcome); a test over its budget
//! says so on stderr. `./test` prints the slowest tests and the overruns from that file.

use std::io::Write;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Pool size when `THRUST_COMPAT_UNITS` is unset.
pub const DEFAULT_UNITS: u32 = 4;

/// Where finished tests record their times.
pub fn timings_file() -> std::path::PathBuf {
    crate::env::repo_root()
        .join("target")
        .join("compat-work")
        .join("timings.tsv")
}

struct Pool {
    free: Mutex<u32>,
    freed: Condvar,
}

static POOL: Pool = Pool {
    free: Mutex::new(u32::MAX),
    freed: Condvar::new(),
};

fn capacity() -> u32 {
    std::env::var("THRUST_COMPAT_UNITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_UNITS)
}

impl Pool {
    fn take(&self, want: u32) -> u32 {
        let cap = capacity();
        let want = want.min(cap);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if *free == u32::MAX {
            *free = cap;
        }
        while *free < want {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= want;
        want
    }

    fn give(&self, units: u32) {
        *self.free.lock().unwrap_or_else(|e| e.into_inner()) += units;
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
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        let units = POOL.take(want);
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
        let line = format!(
            "{}\t{:.1}\t{}\t{outcome}\n",
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

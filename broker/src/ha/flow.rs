//! Bytes moved per second on one HA connection (Java `FlowMonitor`): the figure `haStatus` shows
//! as TransferSpeed, and the budget of `haFlowControlEnable` / `maxHaTransferByteInSecond`.
//!
//! Java's monitor thread moves the running count to "last second" once a second; here the
//! window is rolled when it is read or added to, so an idle connection costs nothing.

use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug)]
struct Window {
    /// Whole seconds since `origin` of the current window.
    second: u64,
    this: u64,
    last: u64,
}

/// A per-connection byte counter; the lock is held only for a few arithmetic operations.
#[derive(Debug)]
pub struct Flow {
    origin: Instant,
    window: Mutex<Window>,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            origin: Instant::now(),
            window: Mutex::new(Window {
                second: 0,
                this: 0,
                last: 0,
            }),
        }
    }
}

impl Flow {
    fn rolled(&self) -> std::sync::MutexGuard<'_, Window> {
        self.rolled_at(self.origin.elapsed().as_secs())
    }

    fn rolled_at(&self, now: u64) -> std::sync::MutexGuard<'_, Window> {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if now != w.second {
            w.last = if now == w.second.saturating_add(1) {
                w.this
            } else {
                0
            };
            w.this = 0;
            w.second = now;
        }
        w
    }

    /// Counts `n` bytes moved now.
    pub fn add(&self, n: usize) {
        self.rolled().this += n as u64;
    }

    /// Bytes moved in the last whole second (Java `getTransferredByteInSecond`).
    pub fn per_second(&self) -> i64 {
        self.rolled().last as i64
    }

    /// How many bytes may go out in the current second (Java `canTransferMaxByteNum`):
    /// unlimited unless flow control is on.
    pub fn budget(&self, enabled: bool, max_per_second: i64) -> usize {
        if !enabled {
            return usize::MAX;
        }
        let used = self.rolled().this;
        usize::try_from(max_per_second.max(0) as u64 - used.min(max_per_second.max(0) as u64))
            .unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_second_and_limits_the_current_one() {
        let f = Flow::default();
        f.rolled_at(5).this += 100;
        let budget = |f: &Flow, now| {
            let used = f.rolled_at(now).this;
            150u64.saturating_sub(used)
        };
        assert_eq!(budget(&f, 5), 50);
        assert_eq!(
            f.rolled_at(6).last,
            100,
            "the next second sees the count as last"
        );
        assert_eq!(budget(&f, 6), 150);
        assert_eq!(
            f.rolled_at(9).last,
            0,
            "idle seconds in between count nothing"
        );
        f.add(10);
        assert_eq!(f.budget(false, 1), usize::MAX);
    }
}

//! Polling for a condition another process brings about (a route registered, a consumer
//! rebalanced), with a deadline that fails the test naming what never happened.

use std::thread::sleep;
use std::time::{Duration, Instant};

/// Polls `f` every 200 ms until it returns a value; panics after `timeout`, naming `what`.
pub fn eventually<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let mut got = None;
    poll(timeout, || {
        got = f();
        got.is_some()
    });
    got.unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for: {what}"))
}

/// [`eventually`] for a plain condition.
pub fn wait_until(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    eventually(timeout, what, || f().then_some(()))
}

/// Polls `f` every 200 ms until it holds or `timeout` passes; whether it held (a caller whose
/// failure message names what `f` saw last keeps it itself).
pub fn poll(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        sleep(Duration::from_millis(200));
    }
}

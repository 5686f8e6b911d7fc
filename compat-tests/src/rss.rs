//! Memory measurement for benchmarks: a process's peak resident set size.

/// `VmHWM` (peak RSS) of a live process in KiB, from `/proc/<pid>/status`.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmHWM:")
}

/// `VmRSS` (current RSS) of a live process in KiB.
pub fn current_rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmRSS:")
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_peak_rss() {
        let pid = std::process::id();
        let now = current_rss_kib(pid).expect("VmRSS of this process");
        // Touch 64 MiB so the peak must reach at least that much above the earlier reading.
        let block = vec![1u8; 64 << 20];
        let peak = peak_rss_kib(pid).expect("VmHWM of this process");
        assert!(block.iter().step_by(4096).all(|b| *b == 1));
        assert!(
            now > 0 && peak >= now + 60 * 1024,
            "peak {peak} KiB, earlier {now} KiB"
        );
    }
}

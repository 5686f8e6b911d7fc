//! The parts of `thrust-bench` its modes share: option parsing, the latency histogram, the
//! broker process's CPU time and memory from `/proc`, and the report lines (human lines and
//! `key=value` lines for scripts).

pub mod admin;
pub mod consume;
pub mod floor;
pub mod frame;
pub mod latency;
pub mod produce;

use std::collections::BTreeMap;
use std::time::Duration;

/// Command-line options of one mode: `--flag value` pairs and bare `--flag`s.
pub struct Args {
    values: BTreeMap<String, String>,
    used: std::cell::RefCell<Vec<String>>,
}

impl Args {
    /// Splits `--flag value` pairs; a flag followed by another flag (or nothing) is a switch.
    pub fn parse(args: &[String]) -> Result<Args, String> {
        let mut values = BTreeMap::new();
        let mut i = 0;
        while i < args.len() {
            let Some(flag) = args[i].strip_prefix("--") else {
                return Err(format!("unexpected argument {}", args[i]));
            };
            match args.get(i + 1).filter(|v| !v.starts_with("--")) {
                Some(v) => {
                    values.insert(flag.to_owned(), v.clone());
                    i += 2;
                }
                None => {
                    values.insert(flag.to_owned(), String::new());
                    i += 1;
                }
            }
        }
        Ok(Args {
            values,
            used: Default::default(),
        })
    }

    fn mark(&self, flag: &str) {
        self.used.borrow_mut().push(flag.to_owned());
    }

    pub fn string(&self, flag: &str, default: &str) -> String {
        self.mark(flag);
        self.values
            .get(flag)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    pub fn required(&self, flag: &str) -> Result<String, String> {
        self.mark(flag);
        match self.values.get(flag) {
            Some(v) if !v.is_empty() => Ok(v.clone()),
            _ => Err(format!("--{flag} is required")),
        }
    }

    pub fn number<T: std::str::FromStr>(&self, flag: &str, default: T) -> Result<T, String> {
        self.mark(flag);
        match self.values.get(flag) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{flag}: not a number: {v:?}")),
        }
    }

    pub fn optional<T: std::str::FromStr>(&self, flag: &str) -> Result<Option<T>, String> {
        self.mark(flag);
        match self.values.get(flag) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("--{flag}: not a number: {v:?}")),
        }
    }

    pub fn switch(&self, flag: &str) -> bool {
        self.mark(flag);
        self.values.contains_key(flag)
    }

    /// Refuses flags no option read: a misspelt flag must not silently measure something else.
    pub fn finish(&self) -> Result<(), String> {
        let used = self.used.borrow();
        match self.values.keys().find(|k| !used.contains(k)) {
            Some(k) => Err(format!("unknown option --{k}")),
            None => Ok(()),
        }
    }
}

/// `remoting`'s serialize type from `--serialize json|rocketmq` (Java clients send JSON unless
/// `rocketmq.serialize.type` says otherwise).
pub fn serialize_type(args: &Args) -> Result<remoting::SerializeType, String> {
    match args
        .string("serialize", "json")
        .to_ascii_lowercase()
        .as_str()
    {
        "json" => Ok(remoting::SerializeType::Json),
        "rocketmq" => Ok(remoting::SerializeType::RocketMq),
        other => Err(format!("--serialize: json or rocketmq, not {other:?}")),
    }
}

/// Log-linear histogram of microseconds: exact below 2048 µs, then 1024 steps per power of
/// two (within 0.1 %), so millions of samples cost a fixed 130 KiB.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u32>,
    total: u64,
    max: u64,
}

const SUB: usize = 1024;
const BUCKETS: usize = 2 * SUB + 40 * SUB;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    fn index(v: u64) -> usize {
        if v < 2 * SUB as u64 {
            return v as usize;
        }
        let top = 63 - v.leading_zeros() as usize;
        let shift = top - 10;
        let mantissa = (v >> shift) as usize;
        (2 * SUB + (shift - 1) * SUB + (mantissa - SUB)).min(BUCKETS - 1)
    }

    fn value(i: usize) -> u64 {
        if i < 2 * SUB {
            return i as u64;
        }
        let j = i - 2 * SUB;
        let shift = j / SUB + 1;
        ((j % SUB + SUB) as u64) << shift
    }

    pub fn record(&mut self, micros: u64) {
        self.counts[Self::index(micros)] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    pub fn samples(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0..=1), 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64 * q).ceil() as u64).clamp(1, self.total);
        if rank == self.total {
            return self.max;
        }
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return Self::value(i).min(self.max);
            }
        }
        self.max
    }

    /// `latency p50 … max` as a human line and `prefix.p50_us=` lines.
    pub fn report(&self, what: &str, prefix: &str) {
        let (p50, p99, p999) = (
            self.quantile(0.50),
            self.quantile(0.99),
            self.quantile(0.999),
        );
        println!(
            "{what}: p50 {p50} µs, p99 {p99} µs, p99.9 {p999} µs, max {} µs ({} samples)",
            self.max, self.total
        );
        println!("{prefix}p50_us={p50}");
        println!("{prefix}p99_us={p99}");
        println!("{prefix}p999_us={p999}");
        println!("{prefix}max_us={}", self.max);
    }
}

/// utime + stime of `pid` in µs.
pub fn cpu_micros(pid: u32) -> Option<u64> {
    proc_stat(pid).map(|s| s.user_us + s.system_us)
}

/// What `/proc/PID/stat` counts for a process.
#[derive(Clone, Copy)]
pub struct ProcStat {
    /// CPU in user mode and in the kernel on its behalf, µs (fields 14 and 15).
    pub user_us: u64,
    pub system_us: u64,
    /// Minor page faults (field 10): for a broker, mostly first writes to new store pages.
    pub minor_faults: u64,
}

pub fn proc_stat(pid: u32) -> Option<ProcStat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its ')' are plain, the
    // first of them being field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    // /proc counts in USER_HZ, 100 per second on the architectures Linux runs this on,
    // whatever the kernel's own tick rate.
    Some(ProcStat {
        user_us: field(14)? * 10_000,
        system_us: field(15)? * 10_000,
        minor_faults: field(10)?,
    })
}

/// Time the threads of `pid` spent runnable but waiting for a CPU, in µs (the second field of
/// each `/proc/PID/task/TID/schedstat`): on a shared machine, what the CPU figures leave out.
/// Threads that ended in between are missed, which only lowers the figure.
pub fn wait_micros(pid: u32) -> Option<u64> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .nth(1)
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or(0)
            / 1000;
    }
    Some(total)
}

/// A `/proc/PID/status` field in KiB (VmHWM, VmRSS, RssAnon).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

/// The broker's CPU over a window and its memory at the end, when `--pid` was given.
pub struct BrokerWatch {
    pid: Option<u32>,
    start: Option<ProcStat>,
    /// The tool's own CPU at the start: a tool near 100 % of its CPUs measures itself.
    tool_start: Option<u64>,
    /// Run-queue waits (µs) of the broker and the tool at the start.
    waits: (Option<u64>, Option<u64>),
}

impl BrokerWatch {
    pub fn new(pid: Option<u32>) -> Self {
        if let Some(p) = pid {
            if cpu_micros(p).is_none() {
                eprintln!(
                    "thrust-bench: warning: cannot read /proc/{p}/stat; no broker CPU figures"
                );
            }
        }
        BrokerWatch {
            pid,
            start: None,
            tool_start: None,
            waits: (None, None),
        }
    }

    pub fn start(&mut self) {
        self.start = self.pid.and_then(proc_stat);
        self.tool_start = cpu_micros(std::process::id());
        self.waits = (
            self.pid.and_then(wait_micros),
            wait_micros(std::process::id()),
        );
    }

    /// Prints CPU µs per message over the window (since [`BrokerWatch::start`]) and the
    /// broker's VmHWM / VmRSS / RssAnon now.
    pub fn report(&self, messages: u64, window: Duration) {
        if let (Some(a), Some(b)) = (self.tool_start, cpu_micros(std::process::id())) {
            let cores = b.saturating_sub(a) as f64 / window.as_micros().max(1) as f64;
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            println!("tool CPU: {cores:.2} cores busy of the {cpus} it may use");
            println!("tool_cpu_cores={cores:.3}");
        }
        let waited = |start: Option<u64>, pid: Option<u32>| {
            let (a, b) = (start?, wait_micros(pid?)?);
            Some(b.saturating_sub(a) as f64 / window.as_micros().max(1) as f64)
        };
        // Threads waiting for a CPU: a run on a busy machine that measured contention.
        let (broker_wait, tool_wait) = (
            waited(self.waits.0, self.pid),
            waited(self.waits.1, Some(std::process::id())),
        );
        if broker_wait.is_some() || tool_wait.is_some() {
            let show = |w: Option<f64>| w.map_or("n/a".into(), |w| format!("{w:.2}"));
            println!(
                "waiting for a CPU (runnable, not running; threads summed): broker {}, tool {} of the window",
                show(broker_wait),
                show(tool_wait)
            );
            if let Some(w) = broker_wait {
                println!("broker_cpu_wait={w:.3}");
            }
            if let Some(w) = tool_wait {
                println!("tool_cpu_wait={w:.3}");
            }
        }
        let Some(pid) = self.pid else { return };
        if let (Some(a), Some(b)) = (self.start, proc_stat(pid)) {
            let user = b.user_us.saturating_sub(a.user_us);
            let system = b.system_us.saturating_sub(a.system_us);
            let used = user + system;
            let n = messages.max(1) as f64;
            let per_msg = used as f64 / n;
            let cores = used as f64 / window.as_micros().max(1) as f64;
            let faults = b.minor_faults.saturating_sub(a.minor_faults) as f64 / n;
            println!(
                "broker CPU: {:.2} µs per message (user {:.2}, kernel {:.2}), {:.2} cores busy ({} ms over {:.2} s); {:.3} page faults per message",
                per_msg,
                user as f64 / n,
                system as f64 / n,
                cores,
                used / 1000,
                window.as_secs_f64(),
                faults
            );
            println!("broker_cpu_us_per_msg={per_msg:.3}");
            println!("broker_cpu_user_us_per_msg={:.3}", user as f64 / n);
            println!("broker_cpu_sys_us_per_msg={:.3}", system as f64 / n);
            println!("broker_faults_per_msg={faults:.4}");
            println!("broker_cpu_cores={cores:.3}");
        }
        let mem = |f| status_kib(pid, f).map_or("n/a".to_string(), |k| k.to_string());
        let (hwm, rss, anon) = (mem("VmHWM"), mem("VmRSS"), mem("RssAnon"));
        println!("broker memory: VmHWM {hwm} KiB, VmRSS {rss} KiB, RssAnon {anon} KiB");
        println!("broker_vmhwm_kib={hwm}");
        println!("broker_vmrss_kib={rss}");
        println!("broker_rssanon_kib={anon}");
    }
}

/// Per response code counts, printed as `failures code=N` lines (`failures=0` when none).
pub fn report_failures(failures: &BTreeMap<i32, u64>, what: &str) {
    let total: u64 = failures.values().sum();
    if total == 0 {
        println!("{what} failures: none");
    } else {
        let list: Vec<String> = failures
            .iter()
            .map(|(code, n)| format!("{n} × {}", code_name(*code)))
            .collect();
        println!("{what} failures: {}", list.join(", "));
    }
    println!("failures={total}");
    for (code, n) in failures {
        println!("failures.code_{code}={n}");
    }
}

/// A response code's name, or the tool's own failure kinds (negative, as Java's client codes).
pub fn code_name(code: i32) -> String {
    use remoting::code::response as rc;
    let name = match code {
        rc::SYSTEM_ERROR => "SYSTEM_ERROR",
        rc::SYSTEM_BUSY => "SYSTEM_BUSY",
        rc::REQUEST_CODE_NOT_SUPPORTED => "REQUEST_CODE_NOT_SUPPORTED",
        rc::FLUSH_DISK_TIMEOUT => "FLUSH_DISK_TIMEOUT",
        rc::SLAVE_NOT_AVAILABLE => "SLAVE_NOT_AVAILABLE",
        rc::FLUSH_SLAVE_TIMEOUT => "FLUSH_SLAVE_TIMEOUT",
        rc::MESSAGE_ILLEGAL => "MESSAGE_ILLEGAL",
        rc::SERVICE_NOT_AVAILABLE => "SERVICE_NOT_AVAILABLE",
        rc::NO_PERMISSION => "NO_PERMISSION",
        rc::TOPIC_NOT_EXIST => "TOPIC_NOT_EXIST",
        rc::RPC_TIME_OUT => "timeout",
        rc::RPC_SEND_TO_CHANNEL_FAILED => "connection lost",
        _ => return format!("code {code}"),
    };
    format!("{name} ({code})")
}

/// `N msg/s, M MiB/s` over `window`, as a human line and key=value lines.
pub fn report_rate(what: &str, messages: u64, bytes: u64, window: Duration) {
    let secs = window.as_secs_f64().max(1e-9);
    let rate = messages as f64 / secs;
    let mib = bytes as f64 / secs / (1024.0 * 1024.0);
    println!(
        "{what}: {messages} messages in {secs:.2} s: {:.0} msg/s, {mib:.1} MiB/s",
        rate
    );
    println!("messages={messages}");
    println!("seconds={secs:.3}");
    println!("msg_per_s={rate:.0}");
    println!("mib_per_s={mib:.2}");
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn histogram_quantiles_within_a_tenth_of_a_percent() {
        let mut h = Histogram::default();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        for (q, want) in [(0.5, 50_000.0), (0.99, 99_000.0), (0.999, 99_900.0)] {
            let got = h.quantile(q) as f64;
            assert!((got - want).abs() / want < 0.002, "q{q}: {got} vs {want}");
        }
        assert_eq!(h.quantile(1.0), 100_000);
        assert_eq!(Histogram::value(Histogram::index(5000)), 5000);
        let mut small = Histogram::default();
        small.record(7);
        assert_eq!(small.quantile(0.5), 7);
    }
}

//! What idle connections cost a broker (Thrust's or Java's), and whether a busy connection's
//! sends slow down meanwhile.
//!
//! ```text
//! conn-bench --addr 127.0.0.1:10911 --pid <broker pid> [--connections 10000] [--waves 1]
//!            [--seconds 10] [--size 1024] [--interval-us 1000] [--topic ConnBenchTopic]
//! ```
//! It creates `--topic` on the broker (UPDATE_AND_CREATE_TOPIC), then one connection sends
//! `--size`-byte messages (SEND_MESSAGE_V2, one in flight, the next `--interval-us` after the
//! last one started, so the store grows slowly and RSS shows the connections, not the
//! messages) for the whole run, while the run goes
//! through its phases: `--seconds` of sends alone (baseline); `--connections` idle TCP
//! connections opened (from another thread); `--seconds` with them held open; all closed. With
//! `--waves 2` the open / hold / close repeats, which shows whether the memory left after the
//! first close is used again. The broker's RSS (VmRSS, RssAnon of `--pid`) is read before and
//! after each step once it has settled, and the send latency p50/p99/max is printed per phase.
//! Every figure is also printed as a `key=value` line for scripts (`bench/idle-connections.sh`).
//! The process needs `ulimit -n` above `--connections`.

use std::net::TcpStream as StdTcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use remoting::code::response;
use remoting::Client;

mod bench;
use bench::number;

const USAGE: &str = "usage: conn-bench --addr HOST:PORT --pid PID [--connections N] [--waves N] \
[--seconds N] [--size BYTES] [--interval-us N] [--topic T]";

struct Opts {
    addr: String,
    pid: u32,
    connections: usize,
    waves: usize,
    seconds: u64,
    size: usize,
    interval: Duration,
    topic: String,
}

fn parse_opts() -> Result<Opts, String> {
    let mut o = Opts {
        addr: String::new(),
        pid: 0,
        connections: 10_000,
        waves: 1,
        seconds: 10,
        size: 1024,
        interval: Duration::from_micros(1000),
        topic: "ConnBenchTopic".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => o.addr = value()?,
            "--pid" => o.pid = number(&flag, &value()?)?,
            "--connections" => o.connections = number(&flag, &value()?)?,
            "--waves" => o.waves = number(&flag, &value()?)?,
            "--seconds" => o.seconds = number(&flag, &value()?)?,
            "--size" => o.size = number(&flag, &value()?)?,
            "--interval-us" => o.interval = Duration::from_micros(number(&flag, &value()?)?),
            "--topic" => o.topic = value()?,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    if o.addr.is_empty() || o.pid == 0 {
        return Err(format!("--addr and --pid are required\n{USAGE}"));
    }
    if o.waves == 0 || o.seconds == 0 || o.size == 0 {
        return Err("--waves, --seconds and --size must be positive".into());
    }
    Ok(o)
}

/// `(VmRSS, RssAnon)` of `pid` in KiB.
fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse().ok())
    };
    Some((field("VmRSS:")?, field("RssAnon:")?))
}

/// RSS once it has stopped moving: two readings 1 s apart within 64 KiB (at most 30 s).
async fn settled_rss(pid: u32) -> (u64, u64) {
    let mut last = rss_kib(pid).unwrap_or_default();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = rss_kib(pid).unwrap_or_default();
        if now.0.abs_diff(last.0) < 64 {
            return now;
        }
        last = now;
    }
    last
}

/// Send latencies in µs, per phase.
#[derive(Default)]
struct Latencies {
    phase: AtomicUsize,
    by_phase: Mutex<Vec<Vec<u32>>>,
    errors: AtomicUsize,
}

impl Latencies {
    fn record(&self, micros: u32) {
        let phase = self.phase.load(Ordering::SeqCst);
        let mut all = self.by_phase.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() <= phase {
            all.resize_with(phase + 1, Vec::new);
        }
        all[phase].push(micros);
    }

    /// `(count, p50, p99, max)` of a phase, in µs.
    fn summary(&self, phase: usize) -> (usize, u32, u32, u32) {
        let mut v = self
            .by_phase
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(phase)
            .cloned()
            .unwrap_or_default();
        if v.is_empty() {
            return (0, 0, 0, 0);
        }
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        (v.len(), at(0.50), at(0.99), v[v.len() - 1])
    }
}

/// Sends one message at a time on one connection until `stop`, recording each round trip.
async fn busy_sender(o: Arc<Opts>, lat: Arc<Latencies>, stop: Arc<AtomicBool>) {
    let client = Client::new();
    let body = bytes::Bytes::from(vec![b'x'; o.size]);
    let mut tick = tokio::time::interval(o.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::SeqCst) {
        tick.tick().await;
        let started = Instant::now();
        match client
            .invoke(
                &o.addr,
                bench::send(
                    "conn_bench_pg",
                    &o.topic,
                    4,
                    0,
                    "TAGS\u{1}bench\u{2}",
                    &body,
                ),
                Duration::from_secs(5),
            )
            .await
        {
            Ok(r) if r.code == response::SUCCESS => {
                lat.record(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
            }
            _ => {
                lat.errors.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Opens `n` connections, blocking (run on a thread of its own); stops at the first failure.
fn open_idle(addr: &str, n: usize) -> (Vec<StdTcpStream>, Option<String>) {
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        match StdTcpStream::connect(addr) {
            Ok(c) => conns.push(c),
            Err(e) => return (conns, Some(e.to_string())),
        }
    }
    (conns, None)
}

fn print_phase(lat: &Latencies, phase: usize, name: &str) {
    let (n, p50, p99, max) = lat.summary(phase);
    println!("{name:<28} sends {n:>7}   p50 {p50:>6} µs   p99 {p99:>6} µs   max {max:>7} µs");
    println!("latency.{name}.count={n}");
    println!("latency.{name}.p50_us={p50}");
    println!("latency.{name}.p99_us={p99}");
}

fn print_rss(name: &str, (rss, anon): (u64, u64)) {
    println!(
        "{name:<28} VmRSS {:>8.1} MiB   RssAnon {:>8.1} MiB",
        rss as f64 / 1024.0,
        anon as f64 / 1024.0
    );
    println!("rss.{name}.vmrss_kib={rss}");
    println!("rss.{name}.rssanon_kib={anon}");
}

async fn run(o: Arc<Opts>) -> Result<(), String> {
    let client = Client::new();
    let created = client
        .invoke(
            &o.addr,
            bench::create_topic(&o.topic, 4),
            Duration::from_secs(10),
        )
        .await
        .map_err(|e| format!("create topic: {e}"))?;
    if created.code != response::SUCCESS {
        return Err(format!(
            "create topic answered {}: {:?}",
            created.code, created.remark
        ));
    }
    let lat = Arc::new(Latencies::default());
    let stop = Arc::new(AtomicBool::new(false));
    let sender = tokio::spawn(busy_sender(o.clone(), lat.clone(), stop.clone()));
    let hold = Duration::from_secs(o.seconds);
    let mut phases = vec!["baseline".to_string()];
    print_rss("before", settled_rss(o.pid).await);
    tokio::time::sleep(hold).await;
    for wave in 1..=o.waves {
        let tag = if o.waves == 1 {
            String::new()
        } else {
            format!("wave{wave}.")
        };
        lat.phase.store(phases.len(), Ordering::SeqCst);
        phases.push(format!("{tag}opening"));
        let (addr, n) = (o.addr.clone(), o.connections);
        let started = Instant::now();
        let (conns, failure) = tokio::task::spawn_blocking(move || open_idle(&addr, n))
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "opened {} idle connections in {:.1} s{}",
            conns.len(),
            started.elapsed().as_secs_f64(),
            failure.map(|f| format!(" (then: {f})")).unwrap_or_default()
        );
        println!("{tag}opened={}", conns.len());
        lat.phase.store(phases.len(), Ordering::SeqCst);
        phases.push(format!("{tag}idle"));
        print_rss(&format!("{tag}open"), settled_rss(o.pid).await);
        tokio::time::sleep(hold).await;
        lat.phase.store(phases.len(), Ordering::SeqCst);
        phases.push(format!("{tag}closed"));
        drop(conns);
        print_rss(&format!("{tag}closed"), settled_rss(o.pid).await);
    }
    tokio::time::sleep(hold).await;
    stop.store(true, Ordering::SeqCst);
    let _ = sender.await;
    for (i, name) in phases.iter().enumerate() {
        print_phase(&lat, i, name);
    }
    println!("send_errors={}", lat.errors.load(Ordering::SeqCst));
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let opts = match parse_opts() {
        Ok(o) => Arc::new(o),
        Err(e) => return bench::usage_error(&e),
    };
    bench::finish("conn-bench", run(opts).await)
}

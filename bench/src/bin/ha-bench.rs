//! Send latency and replication lag of a master/slave pair (Thrust's or Java's).
//!
//! ```text
//! ha-bench --master 127.0.0.1:10911 --slave 127.0.0.1:10921 [--seconds 20] [--senders 16]
//!          [--size 1024] [--topic HaBenchTopic]
//! ```
//! It waits until the master has a slave attached (GET_BROKER_HA_STATUS lists a connection with
//! an acknowledged offset), creates `--topic` on the master, then `--senders` connections each send `--size`-byte messages
//! (SEND_MESSAGE_V2, one in flight per connection) for `--seconds`. Every 100 ms it reads both
//! brokers' `commitLogMaxOffset` (GET_BROKER_RUNTIME_INFO) and records the slave's lag in bytes.
//! After the sends it measures how long the slave takes to reach the master's end.
//! Prints send TPS (acknowledged SEND_OK per second), latency p50/p99/max of those, the answers
//! other than SEND_OK by code (FLUSH_SLAVE_TIMEOUT is 12, SLAVE_NOT_AVAILABLE 11), the mean and
//! maximum lag and the catch-up time, each also as a `key=value` line (`bench/ha-compare.sh`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use remoting::code::{request as rq, response};
use remoting::{Client, Command};

mod bench;
use bench::number;

/// The topic's queues; the senders spread over them.
const QUEUES: i32 = 8;
/// Tag `bench`, and WAIT=true: a SYNC_MASTER answers once the slave has the message.
const PROPS: &str = "TAGS\u{1}bench\u{2}WAIT\u{1}true\u{2}";

const USAGE: &str = "usage: ha-bench --master HOST:PORT --slave HOST:PORT [--seconds N] \
[--senders N] [--size BYTES] [--topic T]";

struct Opts {
    master: String,
    slave: String,
    seconds: u64,
    senders: usize,
    size: usize,
    topic: String,
}

fn parse_opts() -> Result<Opts, String> {
    let mut o = Opts {
        master: String::new(),
        slave: String::new(),
        seconds: 20,
        senders: 16,
        size: 1024,
        topic: "HaBenchTopic".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--master" => o.master = value()?,
            "--slave" => o.slave = value()?,
            "--seconds" => o.seconds = number(&flag, &value()?)?,
            "--senders" => o.senders = number(&flag, &value()?)?,
            "--size" => o.size = number(&flag, &value()?)?,
            "--topic" => o.topic = value()?,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    if o.master.is_empty() || o.slave.is_empty() {
        return Err(format!("--master and --slave are required\n{USAGE}"));
    }
    if o.seconds == 0 || o.senders == 0 || o.size == 0 {
        return Err("--seconds, --senders and --size must be positive".into());
    }
    Ok(o)
}

/// What the senders saw: SEND_OK latencies in µs and the other answers by code (-1: no answer).
#[derive(Default)]
struct Sends {
    ok_micros: Vec<u32>,
    other: BTreeMap<i32, u64>,
}

async fn sender(o: Arc<Opts>, queue: i32, sends: Arc<Mutex<Sends>>, stop: Arc<AtomicBool>) {
    let client = Client::new();
    let body = bytes::Bytes::from(vec![b'x'; o.size]);
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        let answer = client
            .invoke(
                &o.master,
                bench::send("ha_bench_pg", &o.topic, QUEUES, queue, PROPS, &body),
                Duration::from_secs(10),
            )
            .await;
        let micros = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
        let mut s = sends.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            Ok(r) if r.code == response::SUCCESS => s.ok_micros.push(micros),
            Ok(r) => *s.other.entry(r.code).or_default() += 1,
            Err(_) => *s.other.entry(-1).or_default() += 1,
        }
    }
}

/// A broker's `commitLogMaxOffset` (GET_BROKER_RUNTIME_INFO).
async fn commitlog_max(client: &Client, addr: &str) -> Option<i64> {
    let r = client
        .invoke(
            addr,
            Command::request(rq::GET_BROKER_RUNTIME_INFO),
            Duration::from_secs(5),
        )
        .await
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(r.body.as_deref()?).ok()?;
    v["table"]["commitLogMaxOffset"].as_str()?.parse().ok()
}

/// Waits (up to 120 s) until the master lists a slave that has reported its offset
/// (GET_BROKER_HA_STATUS): a master sends nothing before the first report, which a slave makes
/// up to `haSendHeartbeatInterval` after it starts, so sends before it would wait in vain.
async fn wait_attached(client: &Client, master: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let status = client
            .invoke(
                master,
                Command::request(rq::GET_BROKER_HA_STATUS),
                Duration::from_secs(5),
            )
            .await;
        if let Ok(r) = status {
            let v: serde_json::Value =
                serde_json::from_slice(r.body.as_deref().unwrap_or_default()).unwrap_or_default();
            let reported = |c: &serde_json::Value| c["slaveAckOffset"].as_i64() >= Some(0);
            if v["haConnectionInfo"]
                .as_array()
                .is_some_and(|c| c.iter().any(reported))
            {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err("no slave attached to the master within 120 s".into())
}

async fn run(o: Arc<Opts>) -> Result<(), String> {
    let client = Client::new();
    wait_attached(&client, &o.master).await?;
    let created = client
        .invoke(
            &o.master,
            bench::create_topic(&o.topic, QUEUES),
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
    let sends = Arc::new(Mutex::new(Sends::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..o.senders)
        .map(|i| {
            tokio::spawn(sender(
                o.clone(),
                i as i32 % QUEUES,
                sends.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let mut lags = Vec::new();
    let end = started + Duration::from_secs(o.seconds);
    while Instant::now() < end {
        let (m, s) = tokio::join!(
            commitlog_max(&client, &o.master),
            commitlog_max(&client, &o.slave)
        );
        if let (Some(m), Some(s)) = (m, s) {
            lags.push((m - s).max(0));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stopped = Instant::now();
    let mut catch_up_ms = None;
    while stopped.elapsed() < Duration::from_secs(60) {
        let (m, s) = tokio::join!(
            commitlog_max(&client, &o.master),
            commitlog_max(&client, &o.slave)
        );
        if m.is_some() && m == s {
            catch_up_ms = Some(stopped.elapsed().as_millis());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut s = std::mem::take(&mut *sends.lock().unwrap_or_else(|e| e.into_inner()));
    s.ok_micros.sort_unstable();
    let v = &s.ok_micros;
    let at = |q: f64| {
        if v.is_empty() {
            0
        } else {
            v[((v.len() - 1) as f64 * q).round() as usize]
        }
    };
    let tps = v.len() as f64 / elapsed;
    let (p50, p99, max) = (at(0.50), at(0.99), v.last().copied().unwrap_or(0));
    let lag_mean = if lags.is_empty() {
        0
    } else {
        lags.iter().sum::<i64>() / lags.len() as i64
    };
    let lag_max = lags.iter().copied().max().unwrap_or(0);
    let other: Vec<String> = s.other.iter().map(|(c, n)| format!("{c}:{n}")).collect();
    println!(
        "SEND_OK {} in {elapsed:.1} s: {tps:.0}/s   p50 {p50} µs   p99 {p99} µs   max {max} µs",
        v.len()
    );
    println!("other answers (code:count, -1 = none): {}", other.join(" "));
    println!(
        "slave lag: mean {lag_mean} B, max {lag_max} B over {} samples; caught up {} after the sends",
        lags.len(),
        catch_up_ms.map_or("never (60 s)".to_string(), |ms| format!("{ms} ms"))
    );
    println!("send_ok={}", v.len());
    println!("tps={tps:.0}");
    println!("p50_us={p50}");
    println!("p99_us={p99}");
    println!("max_us={max}");
    println!("other={}", s.other.values().sum::<u64>());
    println!("lag_mean_bytes={lag_mean}");
    println!("lag_max_bytes={lag_max}");
    println!(
        "catch_up_ms={}",
        catch_up_ms.map_or("n/a".to_string(), |ms| ms.to_string())
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let opts = match parse_opts() {
        Ok(o) => Arc::new(o),
        Err(e) => return bench::usage_error(&e),
    };
    bench::finish("ha-bench", run(opts).await)
}

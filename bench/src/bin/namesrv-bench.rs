//! Route-lookup load generator for any RocketMQ NameServer (Thrust's or Java's).
//!
//! ```text
//! namesrv-bench --addr 127.0.0.1:9876 [--connections 16] [--pipeline 16] [--seconds 10]
//!               [--topic BenchTopic] [--no-register] [--pid <server pid>]
//! ```
//! Unless `--no-register`, it first registers a fake master broker (`bench-broker`, cluster
//! `BenchCluster`, address `127.0.0.1:1`) serving `--topic` on a connection it keeps open for
//! the run, and unregisters it at the end. Then `--connections` TCP connections each keep
//! `--pipeline` GET_ROUTEINFO_BY_TOPIC requests in flight for `--seconds`. It prints requests,
//! errors, QPS, latency percentiles and the server's peak RSS (`VmHWM` of `--pid`, or of the
//! local process listening on the port when it can be found in /proc).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use remoting::client::NotSupported;
use remoting::code::{request as rq, response};
use remoting::codec::{decode_frame, encode};
use remoting::headers::namesrv::RegisterBrokerRequestHeader;
use remoting::{Command, Connection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug)]
struct Opts {
    addr: String,
    connections: usize,
    pipeline: usize,
    seconds: u64,
    topic: String,
    register: bool,
    pid: Option<u32>,
}

const USAGE: &str =
    "usage: namesrv-bench --addr HOST:PORT [--connections N] [--pipeline N] [--seconds N] \
[--topic T] [--no-register] [--pid PID]";

fn parse_opts() -> Result<Opts, String> {
    let mut o = Opts {
        addr: String::new(),
        connections: 16,
        pipeline: 16,
        seconds: 10,
        topic: "BenchTopic".into(),
        register: true,
        pid: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => o.addr = value()?,
            "--connections" => o.connections = number(&flag, &value()?)?,
            "--pipeline" => o.pipeline = number(&flag, &value()?)?,
            "--seconds" => o.seconds = number(&flag, &value()?)?,
            "--topic" => o.topic = value()?,
            "--pid" => o.pid = Some(number(&flag, &value()?)?),
            "--no-register" => o.register = false,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    if o.addr.is_empty() {
        return Err(format!("--addr is required\n{USAGE}"));
    }
    if o.connections == 0 || o.pipeline == 0 || o.seconds == 0 {
        return Err("--connections, --pipeline and --seconds must be positive".into());
    }
    Ok(o)
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
}

async fn connect(addr: &str) -> Result<Connection, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    Connection::spawn(stream, Arc::new(NotSupported)).map_err(|e| e.to_string())
}

const BENCH_BROKER: (&str, &str, &str) = ("BenchCluster", "bench-broker", "127.0.0.1:1");

fn topic_table(topic: &str) -> String {
    // Two topics: a 5.x NameServer refuses a first registration carrying exactly one.
    let tc = |t: &str| {
        format!(
            r#""{t}":{{"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"{t}","topicSysFlag":0,"writeQueueNums":8}}"#
        )
    };
    format!(
        r#"{{"filterServerList":[],"topicConfigSerializeWrapper":{{"dataVersion":{{"counter":1,"timestamp":1}},"topicConfigTable":{{{},{}}}}}}}"#,
        tc(topic),
        tc("bench-broker")
    )
}

async fn register(conn: &Connection, topic: &str) -> Result<(), String> {
    let (cluster, name, addr) = BENCH_BROKER;
    let header = RegisterBrokerRequestHeader {
        broker_name: name.into(),
        broker_addr: addr.into(),
        cluster_name: cluster.into(),
        ha_server_addr: "127.0.0.1:2".into(),
        broker_id: 0,
        heartbeat_timeout_millis: None,
        enable_acting_master: None,
        compressed: false,
        body_crc32: 0,
    };
    let cmd = Command::request(rq::REGISTER_BROKER)
        .with_header(&header)
        .with_body(topic_table(topic).into_bytes());
    let reply = conn
        .request(cmd, Duration::from_secs(10))
        .await
        .map_err(|e| e.to_string())?;
    if reply.code != response::SUCCESS {
        return Err(format!(
            "REGISTER_BROKER answered {}: {:?}",
            reply.code, reply.remark
        ));
    }
    Ok(())
}

async fn unregister(conn: &Connection) {
    let (cluster, name, addr) = BENCH_BROKER;
    let cmd = Command::request(rq::UNREGISTER_BROKER)
        .with_ext("clusterName", cluster)
        .with_ext("brokerName", name)
        .with_ext("brokerAddr", addr)
        .with_ext("brokerId", "0");
    let _ = conn.request(cmd, Duration::from_secs(5)).await;
}

#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    errors: AtomicU64,
}

/// How long a connection waits for any reply before giving up.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

/// Outcome of one connection's run.
struct ConnResult {
    micros: Vec<u32>,
    error: Option<String>,
}

/// One connection keeping `pipeline` GET_ROUTEINFO_BY_TOPIC requests in flight until `stop`.
///
/// Raw frames on the socket rather than [`Connection::request`]: the generator shares the
/// machine with the server, so it must cost less per request than the server does (no task,
/// channel, timer or oneshot per request). Each read's replies are counted, and as many new
/// requests go out in one write. Replies are matched by opaque (any order is fine).
async fn drive(
    addr: String,
    topic: String,
    pipeline: usize,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
) -> ConnResult {
    let mut micros = Vec::with_capacity(1 << 16);
    let error = drive_conn(&addr, &topic, pipeline, &stop, &counters, &mut micros)
        .await
        .err();
    ConnResult { micros, error }
}

async fn drive_conn(
    addr: &str,
    topic: &str,
    pipeline: usize,
    stop: &AtomicBool,
    counters: &Counters,
    micros: &mut Vec<u32>,
) -> Result<(), String> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut req = Command::request(rq::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", topic);
    let mut sent_at: HashMap<i32, Instant> = HashMap::with_capacity(pipeline * 2);
    let mut out = BytesMut::with_capacity(pipeline * 128);
    let mut input = BytesMut::with_capacity(64 * 1024);
    let mut to_send = pipeline;
    loop {
        if !stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            for _ in 0..to_send {
                req.opaque = req.opaque.wrapping_add(1);
                sent_at.insert(req.opaque, now);
                encode(&req, &mut out);
            }
            stream
                .write_all(&out)
                .await
                .map_err(|e| format!("write: {e}"))?;
            out.clear();
        }
        to_send = 0;
        if sent_at.is_empty() {
            return Ok(());
        }
        input.reserve(16 * 1024);
        let read = tokio::time::timeout(REPLY_TIMEOUT, stream.read_buf(&mut input))
            .await
            .map_err(|_| format!("no reply within {REPLY_TIMEOUT:?}"))?;
        if read.map_err(|e| format!("read: {e}"))? == 0 {
            return Err("server closed the connection".into());
        }
        let now = Instant::now();
        while let Some(reply) = next_frame(&mut input)? {
            let Some(started) = sent_at.remove(&reply.opaque) else {
                continue;
            };
            to_send += 1;
            if reply.code == response::SUCCESS {
                counters.ok.fetch_add(1, Ordering::Relaxed);
                let us = now.duration_since(started).as_micros();
                micros.push(u32::try_from(us).unwrap_or(u32::MAX));
            } else {
                counters.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The next complete frame at the front of `input`, if any.
fn next_frame(input: &mut BytesMut) -> Result<Option<Command>, String> {
    let Some(len) = input
        .first_chunk::<4>()
        .map(|b| u32::from_be_bytes(*b) as usize)
    else {
        return Ok(None);
    };
    if input.len() < 4 + len {
        return Ok(None);
    }
    input.advance(4);
    decode_frame(input.split_to(len).freeze())
        .map(Some)
        .map_err(|e| format!("undecodable reply: {e}"))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx.min(sorted.len() - 1)]) / 1000.0
}

/// `VmHWM` (peak resident set) of `pid` in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The pid of the local process listening on `port`, found through /proc/net/tcp{,6} inodes.
fn listening_pid(port: u16) -> Option<u32> {
    let hex_port = format!(":{port:04X}");
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // cols: sl local_address rem_address st ... inode (index 9); 0A = LISTEN.
            if cols.len() > 9 && cols[1].ends_with(&hex_port) && cols[3] == "0A" {
                inodes.push(format!("socket:[{}]", cols[9]));
            }
        }
    }
    for proc_entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = proc_entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                if inodes.iter().any(|i| target.as_os_str() == i.as_str()) {
                    return Some(pid);
                }
            }
        }
    }
    None
}

async fn run(o: Opts) -> Result<(), String> {
    let control = connect(&o.addr).await?;
    if o.register {
        register(&control, &o.topic).await?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let tasks: Vec<_> = (0..o.connections)
        .map(|_| {
            tokio::spawn(drive(
                o.addr.clone(),
                o.topic.clone(),
                o.pipeline,
                stop.clone(),
                counters.clone(),
            ))
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        let result = t.await.map_err(|e| e.to_string())?;
        if let Some(e) = result.error {
            eprintln!("namesrv-bench: connection failed: {e}");
        }
        all.extend(result.micros);
    }
    let elapsed = started.elapsed().as_secs_f64();
    if o.register {
        unregister(&control).await;
    }
    all.sort_unstable();
    let ok = counters.ok.load(Ordering::Relaxed);
    report(
        &o,
        elapsed,
        &all,
        ok,
        counters.errors.load(Ordering::Relaxed),
    );
    if ok == 0 {
        return Err("no successful route lookup".into());
    }
    Ok(())
}

/// Prints the results.
fn report(o: &Opts, elapsed: f64, all: &[u32], ok: u64, errors: u64) {
    println!("target       {}", o.addr);
    println!(
        "connections  {}  pipeline {}  ({} in flight)",
        o.connections,
        o.pipeline,
        o.connections * o.pipeline
    );
    println!("duration     {elapsed:.1} s");
    println!("requests     {ok} ok, {errors} errors");
    println!("qps          {:.0}", ok as f64 / elapsed);
    println!(
        "latency ms   p50 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        percentile(all, 0.50),
        percentile(all, 0.99),
        percentile(all, 0.999),
        percentile(all, 1.0)
    );
    let port = o.addr.rsplit(':').next().and_then(|p| p.parse().ok());
    let pid = o.pid.or_else(|| port.and_then(listening_pid));
    match pid.and_then(|p| peak_rss_kib(p).map(|k| (p, k))) {
        Some((p, kib)) => println!(
            "server rss   peak {:.1} MiB (pid {p}, VmHWM)",
            kib as f64 / 1024.0
        ),
        None => println!("server rss   unknown (pass --pid of a local server)"),
    }
}

fn main() -> std::process::ExitCode {
    let opts = match parse_opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(opts)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("namesrv-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

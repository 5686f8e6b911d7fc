//! `produce`: SEND_MESSAGE_V2 (or SEND_BATCH_MESSAGE) on connections of the tool's own, each
//! with a fixed number of requests in flight matched by opaque, queues taken round-robin.
//!
//! A connection is one task that writes every request it may send in one `write`, then reads
//! whatever replies have come, and sends again for each slot they free: `remoting`'s client
//! would add a channel, a timer and a table lookup per request, a cost of the tool, not the
//! broker. sync = 1 in flight per connection, async = `--inflight`, oneway = written without
//! waiting for anything (the broker does not answer them; each connection ends with one two-way
//! send, whose reply closes the window once the broker has read everything before it).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use remoting::SerializeType;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::frame::{next_reply, IdGen, SendSpec, Template, OPAQUE_BASE};
use super::{admin, Args, BrokerWatch, Histogram};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Sync,
    Async,
    Oneway,
}

/// Everything a producer run needs.
pub struct Opts {
    pub addr: String,
    pub topic: String,
    pub group: String,
    pub queues: i32,
    pub mode: Mode,
    pub connections: usize,
    pub inflight: usize,
    pub batch: usize,
    pub size: usize,
    pub seconds: Option<f64>,
    pub messages: Option<u64>,
    pub warmup: Duration,
    pub pid: Option<u32>,
    pub serialize: SerializeType,
    /// Total requests per second over all connections (latency mode); `None` = as fast as
    /// replies allow.
    pub rate: Option<f64>,
    /// Whether bodies carry the send time (ns since `clock`).
    pub stamped: bool,
    pub timeout: Duration,
}

pub const USAGE: &str = "thrust-bench produce --addr HOST:PORT --topic T [--create-queues 8] \
[--mode sync|async|oneway] [--connections 16] [--inflight 16] [--batch 1] [--size 1024] \
[--seconds 20 | --messages N] [--warmup-seconds 2] [--pid BROKER_PID] [--serialize json|rocketmq] \
[--group G] [--no-create]";

/// How far behind its schedule a paced connection may fall and still catch up: a timer that
/// wakes a little late must not lower the rate, a long stall must not end in a huge burst.
const CATCH_UP: Duration = Duration::from_millis(50);

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// What the connections share: the phase and, with `--messages`, the requests left to send.
pub struct Shared {
    pub phase: AtomicU8,
    budget: AtomicI64,
    limited: bool,
    pub clock: Instant,
    /// When the measured window began, ns since `clock` (`u64::MAX` before): stamps from then
    /// on are counted by a consumer of the same run.
    pub measure_ns: Arc<AtomicU64>,
}

impl Shared {
    pub fn new(messages: Option<u64>, clock: Instant) -> Arc<Shared> {
        Arc::new(Shared {
            phase: AtomicU8::new(WARMUP),
            budget: AtomicI64::new(messages.map_or(i64::MAX, |m| m as i64)),
            limited: messages.is_some(),
            clock,
            measure_ns: Arc::new(AtomicU64::new(u64::MAX)),
        })
    }

    pub fn measure(&self) {
        let now = self.clock.elapsed().as_nanos() as u64;
        self.measure_ns.store(now, Ordering::SeqCst);
        self.phase.store(MEASURE, Ordering::SeqCst);
    }

    pub fn stop(&self) {
        self.phase.store(STOP, Ordering::SeqCst);
    }

    /// Whether another request may go out, and whether it counts.
    fn admit(&self, messages: u64) -> Option<bool> {
        match self.phase.load(Ordering::Relaxed) {
            WARMUP => Some(false),
            MEASURE if !self.limited => Some(true),
            MEASURE => {
                let left = self.budget.fetch_sub(messages as i64, Ordering::Relaxed);
                (left > 0).then_some(true)
            }
            _ => None,
        }
    }
}

/// One connection's results.
#[derive(Default)]
pub struct Stats {
    pub hist: Histogram,
    pub ok_messages: u64,
    pub ok_bytes: u64,
    pub failures: BTreeMap<i32, u64>,
    pub first_error: Option<String>,
}

impl Stats {
    pub fn merge(&mut self, o: Stats) {
        self.hist.merge(&o.hist);
        self.ok_messages += o.ok_messages;
        self.ok_bytes += o.ok_bytes;
        for (k, v) in o.failures {
            *self.failures.entry(k).or_default() += v;
        }
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
    }
}

pub fn parse(args: &Args) -> Result<Opts, String> {
    let mode = match args.string("mode", "async").as_str() {
        "sync" => Mode::Sync,
        "async" => Mode::Async,
        "oneway" => Mode::Oneway,
        other => return Err(format!("--mode: sync, async or oneway, not {other:?}")),
    };
    let seconds: Option<f64> = args.optional("seconds")?;
    let messages: Option<u64> = args.optional("messages")?;
    if seconds.is_some() && messages.is_some() {
        return Err("--seconds and --messages exclude each other".into());
    }
    let o = Opts {
        addr: args.required("addr")?,
        topic: args.required("topic")?,
        group: args.string("group", "thrust_bench_pg"),
        queues: args.number("create-queues", 8)?,
        mode,
        connections: args.number("connections", 16)?,
        inflight: if mode == Mode::Sync {
            1
        } else {
            args.number("inflight", 16)?
        },
        batch: args.number("batch", 1)?,
        size: args.number("size", 1024)?,
        seconds: seconds.or(messages.is_none().then_some(20.0)),
        messages,
        warmup: Duration::from_secs_f64(args.number("warmup-seconds", 2.0)?),
        pid: args.optional("pid")?,
        serialize: super::serialize_type(args)?,
        rate: None,
        stamped: false,
        timeout: Duration::from_secs(args.number("timeout-seconds", 10)?),
    };
    if o.queues < 1 || o.connections < 1 || o.inflight < 1 || o.batch < 1 || o.size < 1 {
        return Err(
            "--create-queues, --connections, --inflight, --batch, --size must be positive".into(),
        );
    }
    if o.inflight > 4096 {
        return Err("--inflight: at most 4096".into());
    }
    Ok(o)
}

/// `thrust-bench produce`.
pub async fn run(args: &Args) -> Result<(), String> {
    let o = parse(args)?;
    let no_create = args.switch("no-create");
    args.finish()?;
    if !no_create {
        let client = remoting::Client::new();
        admin::create_topic(&client, &o.addr, &o.topic, o.queues).await?;
    }
    let mode = match o.mode {
        Mode::Sync => "sync",
        Mode::Async => "async",
        Mode::Oneway => "oneway",
    };
    println!(
        "produce: {} × {} in flight ({mode}), {} B × batch {}, topic {} ({} queues), {:?} header",
        o.connections, o.inflight, o.size, o.batch, o.topic, o.queues, o.serialize
    );
    let shared = Shared::new(o.messages, Instant::now());
    let mut watch = BrokerWatch::new(o.pid);
    let (stats, window) = drive(&o, &shared, &mut watch).await?;
    report(&o, &stats, window, &watch);
    Ok(())
}

/// Runs the connections through warm-up, the measured window and the drain; returns the
/// merged results and the measured window.
pub async fn drive(
    o: &Opts,
    shared: &Arc<Shared>,
    watch: &mut BrokerWatch,
) -> Result<(Stats, Duration), String> {
    let templates: Vec<Template> = (0..o.queues)
        .map(|queue| {
            Template::send(&SendSpec {
                serialize: o.serialize,
                group: &o.group,
                topic: &o.topic,
                queue,
                size: o.size,
                batch: o.batch,
                oneway: o.mode == Mode::Oneway,
                stamped: o.stamped,
            })
        })
        .collect::<Result<_, _>>()?;
    let templates = Arc::new(templates);
    // Oneway sends end with one two-way send on the same connection: its reply comes after the
    // broker has read every frame before it, which is when the window may close.
    let fence = Arc::new(Template::send(&SendSpec {
        serialize: o.serialize,
        group: &o.group,
        topic: &o.topic,
        queue: 0,
        size: o.size,
        batch: 1,
        oneway: false,
        stamped: false,
    })?);
    if o.warmup.is_zero() {
        // Nothing before the window: `--messages N` sends exactly N.
        shared.measure();
    }
    let mut tasks = Vec::new();
    for c in 0..o.connections {
        let stream = TcpStream::connect(&o.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", o.addr))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let conn = Conn {
            index: c,
            templates: templates.clone(),
            fence: fence.clone(),
            shared: shared.clone(),
            inflight: if o.mode == Mode::Oneway {
                0
            } else {
                o.inflight
            },
            interval: o
                .rate
                .map(|r| Duration::from_secs_f64(o.connections as f64 / r.max(1e-3))),
            timeout: o.timeout,
        };
        tasks.push(tokio::spawn(conn.run(stream)));
    }
    tokio::time::sleep(o.warmup).await;
    shared.measure();
    watch.start();
    let started = Instant::now();
    if let Some(s) = o.seconds {
        tokio::time::sleep(Duration::from_secs_f64(s)).await;
        shared.stop();
    }
    let mut stats = Stats::default();
    for t in tasks {
        stats.merge(t.await.map_err(|e| e.to_string())?);
    }
    Ok((stats, started.elapsed()))
}

fn report(o: &Opts, s: &Stats, window: Duration, watch: &BrokerWatch) {
    if o.mode == Mode::Oneway {
        println!(
            "oneway: the messages written, not confirmed; a broker may drop some (Java's flow \
             control discards requests queued longer than waitTimeMillsInSendQueue): consume \
             counts what was stored"
        );
    }
    let what = if o.mode == Mode::Oneway {
        "sent (oneway)"
    } else {
        "stored"
    };
    super::report_rate(what, s.ok_messages, s.ok_bytes, window);
    if o.mode != Mode::Oneway {
        s.hist.report("request latency", "latency_");
    }
    super::report_failures(&s.failures, "send");
    if let Some(e) = &s.first_error {
        println!("first error: {e}");
    }
    watch.report(s.ok_messages, window);
}

struct Slot {
    busy: bool,
    generation: u32,
    sent: Instant,
    measured: bool,
}

struct Conn {
    index: usize,
    templates: Arc<Vec<Template>>,
    fence: Arc<Template>,
    shared: Arc<Shared>,
    /// Requests in flight; 0 = oneway.
    inflight: usize,
    /// With a rate: the time between two sends of this connection.
    interval: Option<Duration>,
    timeout: Duration,
}

impl Conn {
    async fn run(self, stream: TcpStream) -> Stats {
        let mut stats = Stats::default();
        let result = if self.inflight == 0 {
            self.oneway(stream, &mut stats).await
        } else {
            self.two_way(stream, &mut stats).await
        };
        if let Err(e) = result {
            stats.first_error.get_or_insert(e);
        }
        stats
    }

    fn stamp(&self) -> u64 {
        self.shared.clock.elapsed().as_nanos() as u64
    }

    async fn oneway(&self, mut stream: TcpStream, stats: &mut Stats) -> Result<(), String> {
        let mut ids = IdGen::new(self.index as u32);
        let mut out = Vec::with_capacity(64 * 1024);
        let queues = self.templates.len();
        let mut n = 0u32;
        let mut next_at = Instant::now();
        'run: loop {
            // A burst of 16 per write keeps syscalls off the profile without hiding the pace.
            for _ in 0..16 {
                let Some(measured) = self.shared.admit(self.templates[0].messages) else {
                    break 'run;
                };
                let t = &self.templates[(self.index + n as usize) % queues];
                t.write(&mut out, n, &mut ids, self.stamp());
                n = n.wrapping_add(1);
                if measured {
                    stats.ok_messages += t.messages;
                    stats.ok_bytes += t.payload;
                }
                if let Some(iv) = self.interval {
                    next_at += iv;
                    break;
                }
            }
            stream
                .write_all(&out)
                .await
                .map_err(|e| format!("write: {e}"))?;
            out.clear();
            if self.interval.is_some() {
                tokio::time::sleep_until(next_at.into()).await;
            }
        }
        self.fence.write(&mut out, n, &mut ids, 0);
        stream
            .write_all(&out)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut input = BytesMut::with_capacity(4096);
        loop {
            match tokio::time::timeout(self.timeout, stream.read_buf(&mut input)).await {
                Err(_) => {
                    return Err(format!(
                        "no reply to the two-way send after the oneway ones in {:?} (a broker \
                         under flow control drops queued requests unanswered)",
                        self.timeout
                    ))
                }
                Ok(Err(e)) => return Err(format!("read: {e}")),
                Ok(Ok(0)) => return Err("the broker closed the connection".into()),
                Ok(Ok(_)) => {}
            }
            while let Some(reply) = next_reply(&mut input)? {
                if reply.opaque.wrapping_sub(OPAQUE_BASE) as u32 == n % super::frame::OPAQUE_SPAN {
                    return Ok(());
                }
            }
        }
    }

    async fn two_way(&self, mut stream: TcpStream, stats: &mut Stats) -> Result<(), String> {
        let k = self.inflight as u32;
        let generations = super::frame::OPAQUE_SPAN / k;
        let mut slots: Vec<Slot> = (0..k)
            .map(|_| Slot {
                busy: false,
                generation: 0,
                sent: Instant::now(),
                measured: false,
            })
            .collect();
        let mut free: Vec<u32> = (0..k).rev().collect();
        let mut busy = 0usize;
        let mut ids = IdGen::new(self.index as u32);
        let mut out = Vec::with_capacity(64 * 1024);
        let mut input = BytesMut::with_capacity(64 * 1024);
        let queues = self.templates.len();
        let mut sent = 0usize;
        let mut stopping = false;
        let mut next_at = Instant::now();
        loop {
            while !stopping {
                if self.interval.is_some() && Instant::now() < next_at {
                    break;
                }
                let Some(&slot) = free.last() else { break };
                let t = &self.templates[(self.index + sent) % queues];
                let Some(measured) = self.shared.admit(t.messages) else {
                    stopping = true;
                    break;
                };
                free.pop();
                let s = &mut slots[slot as usize];
                s.generation = (s.generation + 1) % generations;
                t.write(&mut out, s.generation * k + slot, &mut ids, self.stamp());
                s.busy = true;
                s.sent = Instant::now();
                s.measured = measured;
                busy += 1;
                sent += 1;
                if let Some(iv) = self.interval {
                    next_at = (next_at + iv).max(Instant::now() - CATCH_UP);
                }
            }
            if !out.is_empty() {
                stream
                    .write_all(&out)
                    .await
                    .map_err(|e| format!("write: {e}"))?;
                out.clear();
            }
            if busy == 0 {
                if stopping {
                    return Ok(());
                }
                if self.interval.is_some() {
                    tokio::time::sleep_until(next_at.into()).await;
                    continue;
                }
            }
            let read =
                async { tokio::time::timeout(self.timeout, stream.read_buf(&mut input)).await };
            let n = if self.interval.is_some() && busy < k as usize && !stopping {
                tokio::select! {
                    r = read => r,
                    _ = tokio::time::sleep_until(next_at.into()) => continue,
                }
            } else {
                read.await
            };
            match n {
                Err(_) => {
                    *stats
                        .failures
                        .entry(remoting::code::response::RPC_TIME_OUT)
                        .or_default() += busy as u64;
                    return Err(format!(
                        "no reply for {:?} with {busy} in flight",
                        self.timeout
                    ));
                }
                Ok(Err(e)) => return Err(format!("read: {e}")),
                Ok(Ok(0)) => {
                    *stats
                        .failures
                        .entry(remoting::code::response::RPC_SEND_TO_CHANNEL_FAILED)
                        .or_default() += busy as u64;
                    return Err("the broker closed the connection".into());
                }
                Ok(Ok(_)) => {}
            }
            while let Some(reply) = next_reply(&mut input)? {
                let n = reply.opaque.wrapping_sub(OPAQUE_BASE) as u32;
                let slot = n % k;
                let s = &mut slots[slot as usize];
                if !s.busy || n / k != s.generation {
                    continue;
                }
                s.busy = false;
                busy -= 1;
                free.push(slot);
                if !s.measured {
                    continue;
                }
                let t = &self.templates[0];
                if reply.code == 0 {
                    stats.ok_messages += t.messages;
                    stats.ok_bytes += t.payload;
                    stats.hist.record(s.sent.elapsed().as_micros() as u64);
                } else {
                    *stats.failures.entry(reply.code).or_default() += 1;
                    if stats.first_error.is_none() {
                        stats.first_error = Some(format!(
                            "{}: {}",
                            super::code_name(reply.code),
                            reply.remark.unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
}

//! `consume`: PULL_MESSAGE per queue with long polling (the suspend flag, as Java's push consumer
//! pulls), offsets kept in the tool and, with `--commit`, committed with each pull (the
//! commit-offset flag). `drain` reads every queue up to the max offset it had at the start
//! (GET_MAX_OFFSET) and reports the rate; `tail` keeps pulling for `--seconds`.
//!
//! A drain may keep `--pipeline` pulls in flight per queue (a Java consumer keeps one), so that
//! the broker's read path, not the round trip, sets the rate.
//!
//! The subscription travels with each pull (the subscription flag, expression `*`), so neither
//! broker needs a heartbeat from the tool.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use remoting::code::request as rq;
use remoting::code::response as rc;
use remoting::headers::{PullMessageRequestHeader, PullMessageResponseHeader};
use remoting::{Client, Command, RemotingError};
use tokio::task::JoinHandle;

use super::frame::STAMP_MAGIC;
use super::{admin, Args, BrokerWatch, Histogram};

pub const USAGE: &str = "thrust-bench consume --addr HOST:PORT --topic T --group G \
[--from first|last] [--connections 1] [--mode drain|tail] [--seconds N] [--batch 32] \
[--pipeline 1] [--queues N] [--commit] [--suspend-ms 15000] [--pid BROKER_PID] [--serialize json|rocketmq]";

const FLAG_COMMIT_OFFSET: i32 = 0x1;
const FLAG_SUSPEND: i32 = 0x2;
const FLAG_SUBSCRIPTION: i32 = 0x4;

pub struct Opts {
    pub addr: String,
    pub topic: String,
    pub group: String,
    pub from_first: bool,
    pub connections: usize,
    pub drain: bool,
    pub seconds: f64,
    pub batch: i32,
    /// Pulls in flight per queue in a drain.
    pub pipeline: usize,
    pub queues: Option<i32>,
    pub commit: bool,
    pub suspend: Duration,
    pub pid: Option<u32>,
    pub serialize: remoting::SerializeType,
}

pub fn parse(args: &Args) -> Result<Opts, String> {
    let drain = match args.string("mode", "drain").as_str() {
        "drain" => true,
        "tail" => false,
        other => return Err(format!("--mode: drain or tail, not {other:?}")),
    };
    let from_first = match args
        .string("from", if drain { "first" } else { "last" })
        .as_str()
    {
        "first" => true,
        "last" => false,
        other => return Err(format!("--from: first or last, not {other:?}")),
    };
    let o = Opts {
        addr: args.required("addr")?,
        topic: args.required("topic")?,
        group: args.required("group")?,
        from_first,
        connections: args.number("connections", 1)?,
        drain,
        // A drain stops at its target; the limit only ends a drain that cannot finish.
        seconds: args.number("seconds", if drain { 600.0 } else { 20.0 })?,
        batch: args.number("batch", 32)?,
        pipeline: args.number("pipeline", 1)?,
        queues: args.optional("queues")?,
        commit: args.switch("commit"),
        suspend: Duration::from_millis(args.number("suspend-ms", 15_000)?),
        pid: args.optional("pid")?,
        serialize: super::serialize_type(args)?,
    };
    if o.connections < 1 || o.batch < 1 || o.pipeline < 1 {
        return Err("--connections, --batch and --pipeline must be positive".into());
    }
    Ok(o)
}

/// What the pulling tasks share while they run.
#[derive(Default)]
pub struct Progress {
    pub messages: AtomicU64,
    pub bytes: AtomicU64,
    pub failures: Mutex<std::collections::BTreeMap<i32, u64>>,
    pub first_error: Mutex<Option<String>>,
    /// Send→receive latencies of stamped messages sent at or after `stamped_from` ns.
    pub latency: Mutex<Histogram>,
    pub stamped_from: Arc<AtomicU64>,
    pub stop: AtomicBool,
}

/// The consumer side of a run, started on its own tasks.
pub struct Consumer {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub progress: Arc<Progress>,
}

impl Consumer {
    /// Starts one pulling task per queue, from `start[q]`, until `target[q]` when given.
    /// `clock` is the base of the stamps in bodies (latency mode).
    pub fn start(
        o: &Opts,
        start: Vec<i64>,
        target: Option<Vec<i64>>,
        clock: Option<(Instant, Arc<AtomicU64>)>,
    ) -> Consumer {
        let clients: Vec<Arc<Client>> = (0..o.connections)
            .map(|_| Arc::new(Client::new()))
            .collect();
        let mut progress = Progress::default();
        if let Some((_, from)) = &clock {
            progress.stamped_from = from.clone();
        }
        let progress = Arc::new(progress);
        let clock = clock.map(|(c, _)| c);
        let mut tasks = Vec::new();
        for (q, &offset) in start.iter().enumerate() {
            let target = target.as_ref().map(|t| t[q]);
            if target.is_some_and(|t| offset >= t) {
                continue;
            }
            let puller = Puller {
                client: clients[q % clients.len()].clone(),
                addr: o.addr.clone(),
                topic: o.topic.clone(),
                group: o.group.clone(),
                queue: q as i32,
                batch: o.batch,
                pipeline: o.pipeline,
                commit: o.commit,
                suspend: o.suspend,
                serialize: o.serialize,
                progress: progress.clone(),
                clock,
            };
            tasks.push(tokio::spawn(puller.run(offset, target)));
        }
        Consumer { tasks, progress }
    }

    /// Waits for every queue to reach its target, at most until `deadline`.
    pub async fn finish(self, deadline: Option<Instant>) -> Arc<Progress> {
        for t in self.tasks {
            match deadline {
                Some(d) => {
                    let abort = t.abort_handle();
                    if tokio::time::timeout_at(d.into(), t).await.is_err() {
                        abort.abort();
                    }
                }
                None => {
                    t.abort();
                }
            }
        }
        self.progress.stop.store(true, Ordering::SeqCst);
        self.progress
    }
}

struct Puller {
    client: Arc<Client>,
    addr: String,
    topic: String,
    group: String,
    queue: i32,
    batch: i32,
    pipeline: usize,
    commit: bool,
    suspend: Duration,
    serialize: remoting::SerializeType,
    progress: Arc<Progress>,
    clock: Option<Instant>,
}

impl Puller {
    fn failed(&self, code: i32, why: String) {
        let mut f = self
            .progress
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *f.entry(code).or_default() += 1;
        let mut first = self
            .progress
            .first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        first.get_or_insert(why);
    }

    /// PULL_MESSAGE of `queue_offset` on its own task.
    fn spawn_pull(&self, offset: i64) -> JoinHandle<Result<Command, RemotingError>> {
        let mut sys_flag = FLAG_SUSPEND | FLAG_SUBSCRIPTION;
        if self.commit && offset > 0 {
            sys_flag |= FLAG_COMMIT_OFFSET;
        }
        let h = PullMessageRequestHeader {
            consumer_group: self.group.clone(),
            topic: self.topic.clone(),
            queue_id: self.queue,
            queue_offset: offset,
            max_msg_nums: self.batch,
            sys_flag,
            commit_offset: offset,
            suspend_timeout_millis: self.suspend.as_millis() as i64,
            subscription: Some("*".into()),
            sub_version: 0,
            expression_type: Some("TAG".into()),
            max_msg_bytes: None,
            request_source: None,
            proxy_froward_client_id: None,
        };
        let mut cmd = Command::request(rq::PULL_MESSAGE).with_header(&h);
        cmd.serialize_type = self.serialize;
        let timeout = self.suspend + Duration::from_secs(15);
        let (client, addr) = (self.client.clone(), self.addr.clone());
        tokio::spawn(async move { client.invoke(&addr, cmd, timeout).await })
    }

    /// Pulls from `offset` until `target` (a drain) or the stop. A drain keeps up to
    /// `pipeline` pulls in flight at consecutive offsets (`batch` apart, as a queue's offsets
    /// are dense); a reply that ends elsewhere drops the pulls after it and starts again from
    /// its `nextBeginOffset`.
    async fn run(self, mut offset: i64, target: Option<i64>) {
        let mut errors = 0;
        let mut window: VecDeque<(i64, JoinHandle<Result<Command, RemotingError>>)> =
            VecDeque::new();
        let mut next_ask = offset;
        while !self.progress.stop.load(Ordering::Relaxed) {
            if window.front().map(|w| w.0) != Some(offset) {
                for (_, pull) in window.drain(..) {
                    pull.abort();
                }
                next_ask = offset;
            }
            while window.is_empty()
                || (window.len() < self.pipeline && target.is_some_and(|t| next_ask < t))
            {
                window.push_back((next_ask, self.spawn_pull(next_ask)));
                next_ask += i64::from(self.batch);
            }
            let Some((_, pull)) = window.pop_front() else {
                continue;
            };
            let reply = match pull.await {
                Ok(Ok(r)) => r,
                failed => {
                    let why = match failed {
                        Ok(Err(e)) => e.to_string(),
                        Err(e) => e.to_string(),
                        Ok(Ok(_)) => String::new(),
                    };
                    self.failed(rc::RPC_TIME_OUT, format!("queue {}: {why}", self.queue));
                    errors += 1;
                    if errors > 10 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    // Ask the same offset again, after the pulls behind it.
                    window.clear();
                    continue;
                }
            };
            let next = reply
                .decode_header::<PullMessageResponseHeader>()
                .map(|h| h.next_begin_offset);
            match (reply.code, next) {
                (rc::SUCCESS, Ok(next)) => {
                    if let Some(body) = &reply.body {
                        self.count(body);
                    }
                    offset = next;
                }
                (
                    rc::PULL_NOT_FOUND | rc::PULL_RETRY_IMMEDIATELY | rc::PULL_OFFSET_MOVED,
                    Ok(next),
                ) => {
                    offset = next;
                }
                (code, _) => {
                    self.failed(
                        code,
                        format!(
                            "queue {}: {}",
                            self.queue,
                            reply.remark.clone().unwrap_or_default()
                        ),
                    );
                    errors += 1;
                    if errors > 10 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            if target.is_some_and(|t| offset >= t) {
                break;
            }
        }
        for (_, pull) in window {
            pull.abort();
        }
    }

    /// Counts the stored records of a pull's body (and, stamped, their latency).
    fn count(&self, body: &[u8]) {
        let now = self.clock.map(|c| c.elapsed().as_nanos() as u64);
        let from = self.progress.stamped_from.load(Ordering::Relaxed);
        let (mut messages, mut bytes) = (0u64, 0u64);
        let mut lat = Vec::new();
        for record in Records(body) {
            messages += 1;
            bytes += record.len() as u64;
            if let Some(now) = now {
                if record.len() >= 16 && &record[..8] == STAMP_MAGIC {
                    let sent = u64::from_be_bytes(record[8..16].try_into().unwrap_or_default());
                    if sent >= from && sent > 0 {
                        lat.push(now.saturating_sub(sent) / 1000);
                    }
                }
            }
        }
        self.progress
            .messages
            .fetch_add(messages, Ordering::Relaxed);
        self.progress.bytes.fetch_add(bytes, Ordering::Relaxed);
        if !lat.is_empty() {
            let mut h = self
                .progress
                .latency
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for v in lat {
                h.record(v);
            }
        }
    }
}

/// The message bodies of a pull's body: stored records back to back (Java `MessageDecoder`).
pub struct Records<'a>(pub &'a [u8]);

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let b = self.0;
        let int = |at: usize| {
            b.get(at..at + 4)
                .map(|s| i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        };
        let total = int(0)? as usize;
        if total < 4 || total > b.len() {
            self.0 = &[];
            return None;
        }
        self.0 = &b[total..];
        // total size, magic, body CRC, queue id, flag, queue offset, physical offset: 36 bytes;
        // then sys flag, born time, born host (v6: 20 bytes), store time, store host,
        // reconsume times, prepared transaction offset, body length.
        let sys_flag = int(36)?;
        let born_host = if sys_flag & (1 << 4) != 0 { 20 } else { 8 };
        let store_host = if sys_flag & (1 << 5) != 0 { 20 } else { 8 };
        let at = 40 + 8 + born_host + 8 + store_host + 4 + 8;
        let len = int(at)? as usize;
        b.get(at + 4..(at + 4 + len).min(total))
    }
}

/// `thrust-bench consume`.
pub async fn run(args: &Args) -> Result<(), String> {
    let o = parse(args)?;
    args.finish()?;
    let admin_client = Client::new();
    let queues = match o.queues {
        Some(q) => q,
        None => admin::read_queues(&admin_client, &o.addr, &o.topic).await?,
    };
    let max = admin::max_offsets(&admin_client, &o.addr, &o.topic, queues).await?;
    let start = if o.from_first {
        vec![0; max.len()]
    } else {
        max.clone()
    };
    let backlog: i64 = max.iter().sum::<i64>() - start.iter().sum::<i64>();
    println!(
        "consume ({}): topic {} ({queues} queues), group {}, {} connection(s), {} per pull, {} in flight per queue, {backlog} messages up to the max offsets",
        if o.drain { "drain" } else { "tail" },
        o.topic,
        o.group,
        o.connections,
        o.batch,
        if o.drain { o.pipeline } else { 1 }
    );
    let mut watch = BrokerWatch::new(o.pid);
    watch.start();
    let started = Instant::now();
    let consumer = Consumer::start(&o, start, o.drain.then(|| max.clone()), None);
    let limit = started + Duration::from_secs_f64(o.seconds);
    let progress = if o.drain {
        consumer.finish(Some(limit)).await
    } else {
        tokio::time::sleep_until(limit.into()).await;
        consumer.finish(None).await
    };
    let window = started.elapsed();
    let messages = progress.messages.load(Ordering::SeqCst);
    super::report_rate(
        "consumed",
        messages,
        progress.bytes.load(Ordering::SeqCst),
        window,
    );
    if o.drain {
        let done = messages as i64 >= backlog;
        println!(
            "drain {}: {messages} of {backlog}",
            if done { "complete" } else { "INCOMPLETE" }
        );
        println!("drained={}", u8::from(done));
    }
    let failures = progress
        .failures
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    super::report_failures(&failures, "pull");
    if let Some(e) = progress
        .first_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
    {
        println!("first error: {e}");
    }
    watch.report(messages, window);
    Ok(())
}

//! Send and receive throughput of a RocketMQ 5.x gRPC endpoint (apache/rocketmq-apis v2
//! `MessagingService`): Thrust's `mqbroker --enable-proxy` or Java's proxy. A native client, so
//! that what is measured is the server, not a JVM client beside it.
//!
//! ```text
//! grpc-bench send    --endpoint 127.0.0.1:8081 --topic T [--connections 4] [--concurrency 8]
//!                    [--seconds 20] [--warmup 5] [--size 1024]
//! grpc-bench receive --endpoint 127.0.0.1:8081 --topic T --group G [--connections 4]
//!                    [--receivers 8] [--batch 32] [--seconds 60] [--expect N] [--size 1024]
//!                    [--idle-polls 3] [--polling-ms 5000] [--invisible-ms 30000]
//! ```
//!
//! Each connection is one client as an SDK makes it: its own `x-mq-client-id` and the metadata
//! the SDKs put on every call, a Telemetry stream that carries its Settings (a producer's topic,
//! a simple consumer's group and subscription) and stays open, since Java's proxy reads a
//! client's settings on every receive, and a Heartbeat at start and every 10 s. Every call goes
//! to `--endpoint`; a QueryRoute first checks the topic is served and names the broker a
//! receive asks for.
//!
//! `send`: `--connections` × `--concurrency` unary SendMessage calls in flight, each one
//! `--size`-byte NORMAL message with a unique SDK-shaped message id, for `--warmup` and then
//! `--seconds` s. Counted are the calls answered OK that end within the measured seconds:
//! their rate and latency p50/p99/p999/max; `sent_total` is every message the server accepted,
//! the warm-up's too, which is the backlog a receive finds.
//!
//! `receive`: `--receivers` loops, spread over the connections, each a ReceiveMessage (batch
//! `--batch`, invisible `--invisible-ms`, long polling `--polling-ms`) followed by one
//! AckMessage of the batch's receipt handles. It ends when `--expect` distinct messages have
//! arrived, when every receiver has had `--idle-polls` empty answers in a row, or after
//! `--seconds`. The rate is distinct messages over the time to the last one; latencies are
//! those of the receives that brought messages (an empty one lasts the long polling) and of
//! the acks.
//!
//! Human lines first, then one summary line per phase, `phase=send key=value ...`
//! (`bench/grpc-compare.sh` reads it).

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use broker::grpc::proto::{self, client_type, code, PubSub, Resource, Settings};
use bytes::Bytes;
use http::uri::PathAndQuery;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tonic::body::BoxBody;
use tonic::client::Grpc;
use tonic::codec::ProstCodec;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};

// The remoting requests there serve the remoting tools; this one shares the option helpers.
#[allow(dead_code)]
mod bench;
use bench::number;

const QUERY_ROUTE: &str = "/apache.rocketmq.v2.MessagingService/QueryRoute";
const HEARTBEAT: &str = "/apache.rocketmq.v2.MessagingService/Heartbeat";
const SEND_MESSAGE: &str = "/apache.rocketmq.v2.MessagingService/SendMessage";
const RECEIVE_MESSAGE: &str = "/apache.rocketmq.v2.MessagingService/ReceiveMessage";
const ACK_MESSAGE: &str = "/apache.rocketmq.v2.MessagingService/AckMessage";
const TELEMETRY: &str = "/apache.rocketmq.v2.MessagingService/Telemetry";

/// The SDK version this client presents: Java's proxy picks some error codes by the client's
/// version (`ILLEGAL_POLLING_TIME` only for clients from 5.0.3 on), so it is that of a current
/// Java SDK rather than this crate's.
const CLIENT_VERSION: &str = "5.0.8";
/// apache.rocketmq.v2.Language.RUST, in the Settings' user agent.
const LANGUAGE_RUST: i32 = 5;
/// The SDKs' default request timeout, which they also tell the server in their Settings.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// The deadline of a send or an ack: longer than an SDK's 3 s, so that a slow answer under
/// load counts as slow, not as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an SDK client sends its Heartbeat.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

const USAGE: &str = "usage: grpc-bench send|receive --endpoint HOST:PORT --topic T [--group G] \
[--connections N] [--concurrency N] [--receivers N] [--batch N] [--seconds N] [--warmup N] \
[--size BYTES] [--expect N] [--idle-polls N] [--polling-ms MS] [--invisible-ms MS]";

#[derive(PartialEq)]
enum Mode {
    Send,
    Receive,
}

struct Opts {
    mode: Mode,
    endpoint: String,
    topic: String,
    group: String,
    connections: usize,
    concurrency: usize,
    receivers: usize,
    batch: i32,
    seconds: u64,
    warmup: u64,
    size: usize,
    expect: Option<usize>,
    idle_polls: u32,
    polling_ms: i64,
    invisible_ms: i64,
}

fn parse_opts() -> Result<Opts, String> {
    let mut args = std::env::args().skip(1);
    let mode = match args.next().as_deref() {
        Some("send") => Mode::Send,
        Some("receive") => Mode::Receive,
        _ => return Err(USAGE.into()),
    };
    let mut o = Opts {
        seconds: if mode == Mode::Send { 20 } else { 60 },
        mode,
        endpoint: String::new(),
        topic: String::new(),
        group: String::new(),
        connections: 4,
        concurrency: 8,
        receivers: 8,
        batch: 32,
        warmup: 5,
        size: 1024,
        expect: None,
        idle_polls: 3,
        polling_ms: 5000,
        invisible_ms: 30_000,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint" => o.endpoint = value()?,
            "--topic" => o.topic = value()?,
            "--group" => o.group = value()?,
            "--connections" => o.connections = number(&flag, &value()?)?,
            "--concurrency" => o.concurrency = number(&flag, &value()?)?,
            "--receivers" => o.receivers = number(&flag, &value()?)?,
            "--batch" => o.batch = number(&flag, &value()?)?,
            "--seconds" => o.seconds = number(&flag, &value()?)?,
            "--warmup" => o.warmup = number(&flag, &value()?)?,
            "--size" => o.size = number(&flag, &value()?)?,
            "--expect" => o.expect = Some(number(&flag, &value()?)?),
            "--idle-polls" => o.idle_polls = number(&flag, &value()?)?,
            "--polling-ms" => o.polling_ms = number(&flag, &value()?)?,
            "--invisible-ms" => o.invisible_ms = number(&flag, &value()?)?,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    if o.endpoint.is_empty() || o.topic.is_empty() {
        return Err(format!("--endpoint and --topic are required\n{USAGE}"));
    }
    if o.mode == Mode::Receive && o.group.is_empty() {
        return Err(format!("receive needs --group\n{USAGE}"));
    }
    if o.connections == 0
        || o.concurrency == 0
        || o.receivers == 0
        || o.batch <= 0
        || o.seconds == 0
        || o.size == 0
        || o.idle_polls == 0
    {
        return Err("counts, --seconds and --size must be positive".into());
    }
    Ok(o)
}

/// One HTTP/2 connection as the tower service tonic's client codec runs on.
#[derive(Clone)]
struct H2(SendRequest<BoxBody>);

impl tower_service::Service<http::Request<BoxBody>> for H2 {
    type Response = http::Response<hyper::body::Incoming>;
    type Error = hyper::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, hyper::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), hyper::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<BoxBody>) -> Self::Future {
        Box::pin(self.0.send_request(req))
    }
}

/// Plain-text HTTP/2 with prior knowledge, which both servers accept on their gRPC port.
async fn connect(endpoint: &str) -> Result<H2, String> {
    let tcp = tokio::net::TcpStream::connect(endpoint)
        .await
        .map_err(|e| format!("connect {endpoint}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .map_err(|e| format!("HTTP/2 handshake with {endpoint}: {e}"))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("connection to the endpoint ended: {e}");
        }
    });
    Ok(H2(send))
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// One SDK client: a connection and a client id.
#[derive(Clone)]
struct Client {
    grpc: Grpc<H2>,
    meta: MetadataMap,
}

impl Client {
    async fn connect(endpoint: &str, id: &str) -> Result<Client, String> {
        let h2 = connect(endpoint).await?;
        let origin = format!("http://{endpoint}")
            .parse()
            .map_err(|e| format!("endpoint {endpoint}: {e}"))?;
        let mut meta = MetadataMap::new();
        meta.insert("x-mq-client-id", ascii(id)?);
        meta.insert("x-mq-language", AsciiMetadataValue::from_static("RUST"));
        meta.insert("x-mq-protocol", AsciiMetadataValue::from_static("v2"));
        meta.insert(
            "x-mq-client-version",
            AsciiMetadataValue::from_static(CLIENT_VERSION),
        );
        Ok(Client {
            grpc: Grpc::with_origin(h2, origin),
            meta,
        })
    }

    /// A request with the client's metadata, the SDKs' per-call date and request id, and a
    /// deadline when given (Java's proxy reads the time left from it, and a receive without
    /// one is refused).
    fn request<T>(&self, msg: T, timeout: Option<Duration>) -> tonic::Request<T> {
        let mut r = tonic::Request::new(msg);
        let m = r.metadata_mut();
        *m = self.meta.clone();
        if let Ok(v) = ascii(&date_time()) {
            m.insert("x-mq-date-time", v);
        }
        let id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed).to_string();
        if let Ok(v) = ascii(&id) {
            m.insert("x-mq-request-id", v);
        }
        if let Some(t) = timeout {
            r.set_timeout(t);
        }
        r
    }

    async fn unary<Req, Resp>(
        &mut self,
        path: &'static str,
        msg: Req,
        timeout: Duration,
    ) -> Result<Resp, String>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        self.grpc.ready().await.map_err(|e| e.to_string())?;
        let req = self.request(msg, Some(timeout));
        let r = self
            .grpc
            .unary(req, PathAndQuery::from_static(path), ProstCodec::default())
            .await
            .map_err(|s| format!("gRPC {:?}: {}", s.code(), s.message()))?;
        Ok(r.into_inner())
    }

    /// A ReceiveMessage: the whole answer stream (a status, the messages, a delivery time).
    async fn receive(
        &mut self,
        msg: proto::ReceiveMessageRequest,
        timeout: Duration,
    ) -> Result<Vec<proto::ReceiveMessageResponse>, String> {
        self.grpc.ready().await.map_err(|e| e.to_string())?;
        let req = self.request(msg, Some(timeout));
        let grpc_err = |s: tonic::Status| format!("gRPC {:?}: {}", s.code(), s.message());
        let mut stream = self
            .grpc
            .server_streaming(
                req,
                PathAndQuery::from_static(RECEIVE_MESSAGE),
                ProstCodec::default(),
            )
            .await
            .map_err(grpc_err)?
            .into_inner();
        let mut out = Vec::new();
        while let Some(item) = stream.message().await.map_err(grpc_err)? {
            out.push(item);
        }
        Ok(out)
    }

    /// Opens the Telemetry stream with the client's settings and waits for the server's
    /// answer; the stream then stays open for the client's life, as an SDK keeps it (a server
    /// may drop a client's settings when it closes).
    async fn telemetry(&mut self, settings: Settings) -> Result<(), String> {
        let (tx, rx) = tokio::sync::mpsc::channel::<proto::TelemetryCommand>(4);
        tx.send(proto::TelemetryCommand {
            status: None,
            command: Some(proto::Command::Settings(settings)),
        })
        .await
        .map_err(|e| e.to_string())?;
        let outbound =
            futures::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|cmd| (cmd, rx)) },
            );
        self.grpc.ready().await.map_err(|e| e.to_string())?;
        // No deadline: the stream lives as long as the client.
        let req = self.request(outbound, None);
        let mut inbound: tonic::Streaming<proto::TelemetryCommand> = self
            .grpc
            .streaming(
                req,
                PathAndQuery::from_static(TELEMETRY),
                ProstCodec::default(),
            )
            .await
            .map_err(|s| format!("telemetry: gRPC {:?}: {}", s.code(), s.message()))?
            .into_inner();
        let first = inbound
            .message()
            .await
            .map_err(|s| format!("telemetry: gRPC {:?}: {}", s.code(), s.message()))?
            .ok_or("telemetry: the server closed the stream without answering the settings")?;
        ok_status(first.status.as_ref()).map_err(|e| format!("telemetry settings: {e}"))?;
        tokio::spawn(async move {
            let _keep_open = tx;
            while let Ok(Some(_)) = inbound.message().await {}
        });
        Ok(())
    }

    /// A Heartbeat now and then every [`HEARTBEAT_EVERY`], as an SDK client sends them.
    async fn heartbeats(&mut self, group: Option<&str>, kind: i32) -> Result<(), String> {
        let req = proto::HeartbeatRequest {
            group: group.map(resource),
            client_type: kind,
        };
        let first: proto::HeartbeatResponse =
            self.unary(HEARTBEAT, req.clone(), REQUEST_TIMEOUT).await?;
        ok_status(first.status.as_ref()).map_err(|e| format!("heartbeat: {e}"))?;
        let mut c = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                let answer: Result<proto::HeartbeatResponse, _> =
                    c.unary(HEARTBEAT, req.clone(), REQUEST_TIMEOUT).await;
                if let Err(e) = answer {
                    eprintln!("heartbeat: {e}");
                }
            }
        });
        Ok(())
    }
}

fn ascii(v: &str) -> Result<AsciiMetadataValue, String> {
    v.parse()
        .map_err(|_| format!("not an ASCII metadata value: {v}"))
}

fn ok_status(s: Option<&proto::Status>) -> Result<(), String> {
    match s {
        Some(s) if s.code == code::OK => Ok(()),
        Some(s) => Err(format!("status {} {}", s.code, s.message)),
        None => Err("no status".into()),
    }
}

fn resource(name: &str) -> Resource {
    Resource {
        resource_namespace: String::new(),
        name: name.into(),
    }
}

fn endpoints(endpoint: &str) -> proto::Endpoints {
    let (host, port) = endpoint.rsplit_once(':').unwrap_or((endpoint, "0"));
    proto::Endpoints {
        scheme: proto::address_scheme::IPV4,
        addresses: vec![proto::Address {
            host: host.into(),
            port: port.parse().unwrap_or(0),
        }],
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `x-mq-date-time`: the SDKs' `yyyyMMdd'T'HHmmss'Z'` in UTC.
fn date_time() -> String {
    date_time_of(now_millis().div_euclid(1000))
}

fn date_time_of(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = remoting::jfmt::civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The SDK's client id shape, `host@pid@index@nonce`.
fn client_id(index: usize) -> String {
    format!(
        "grpc-bench@{}@{index}@{:x}",
        std::process::id(),
        RandomState::new().build_hasher().finish() & 0xffff_ffff
    )
}

/// Message ids of the SDK's shape, 34 hex characters: `01`, six bytes that stand for the host's
/// address (random per run here), the pid's low two bytes, the seconds since 2021-01-01 at the
/// start and a sequence number.
struct Ids {
    prefix: String,
    seq: AtomicU32,
}

impl Ids {
    fn new() -> Ids {
        let host = RandomState::new().build_hasher().finish() & 0xffff_ffff_ffff;
        let since_2021 = (now_millis() / 1000 - 1_609_459_200).max(0) as u32;
        Ids {
            prefix: format!(
                "01{host:012X}{:04X}{since_2021:08X}",
                std::process::id() & 0xffff
            ),
            seq: AtomicU32::new(0),
        }
    }

    fn next(&self) -> String {
        format!(
            "{}{:08X}",
            self.prefix,
            self.seq.fetch_add(1, Ordering::Relaxed)
        )
    }
}

/// This process's CPU time so far in ms (utime + stime of /proc/self/stat, in the kernel's fixed
/// 100 Hz USER_HZ), so that a run shows whether the load tool had CPU to spare.
fn own_cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which may hold spaces: state is the first, utime the 12th.
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split(' ')
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<u64>() * 10
}

/// The value at quantile `q` of sorted `v` (0 when empty).
fn at(v: &[u32], q: f64) -> u32 {
    if v.is_empty() {
        0
    } else {
        v[((v.len() - 1) as f64 * q).round() as usize]
    }
}

/// QueryRoute of the topic: its queues as the endpoint serves them.
async fn route(c: &mut Client, o: &Opts) -> Result<Vec<proto::MessageQueue>, String> {
    let r: proto::QueryRouteResponse = c
        .unary(
            QUERY_ROUTE,
            proto::QueryRouteRequest {
                topic: Some(resource(&o.topic)),
                endpoints: Some(endpoints(&o.endpoint)),
            },
            REQUEST_TIMEOUT,
        )
        .await
        .map_err(|e| format!("QueryRoute {}: {e}", o.topic))?;
    ok_status(r.status.as_ref()).map_err(|e| format!("QueryRoute {}: {e}", o.topic))?;
    if r.message_queues.is_empty() {
        return Err(format!("QueryRoute {}: no queues", o.topic));
    }
    Ok(r.message_queues)
}

fn user_agent() -> proto::Ua {
    proto::Ua {
        language: LANGUAGE_RUST,
        version: CLIENT_VERSION.into(),
        platform: std::env::consts::OS.into(),
        hostname: "grpc-bench".into(),
    }
}

fn producer_settings(o: &Opts) -> Settings {
    Settings {
        client_type: Some(client_type::PRODUCER),
        access_point: Some(endpoints(&o.endpoint)),
        request_timeout: Some(proto::Duration::from_millis(
            REQUEST_TIMEOUT.as_millis() as i64
        )),
        pub_sub: Some(PubSub::Publishing(proto::Publishing {
            topics: vec![resource(&o.topic)],
            max_body_size: 4 << 20,
            validate_message_type: true,
        })),
        user_agent: Some(user_agent()),
        ..Default::default()
    }
}

fn consumer_settings(o: &Opts) -> Settings {
    Settings {
        client_type: Some(client_type::SIMPLE_CONSUMER),
        access_point: Some(endpoints(&o.endpoint)),
        request_timeout: Some(proto::Duration::from_millis(
            REQUEST_TIMEOUT.as_millis() as i64
        )),
        pub_sub: Some(PubSub::Subscription(proto::Subscription {
            group: Some(resource(&o.group)),
            subscriptions: vec![proto::SubscriptionEntry {
                topic: Some(resource(&o.topic)),
                expression: Some(proto::FilterExpression {
                    r#type: proto::filter_type::TAG,
                    expression: "*".into(),
                }),
            }],
            long_polling_timeout: Some(proto::Duration::from_millis(o.polling_ms)),
            ..Default::default()
        })),
        user_agent: Some(user_agent()),
        ..Default::default()
    }
}

/// `--connections` clients, each with its settings told and its first heartbeat answered.
async fn clients(o: &Opts) -> Result<Vec<Client>, String> {
    let mut out = Vec::new();
    for i in 0..o.connections {
        let mut c = Client::connect(&o.endpoint, &client_id(i)).await?;
        if o.mode == Mode::Send {
            c.telemetry(producer_settings(o)).await?;
            c.heartbeats(None, client_type::PRODUCER).await?;
        } else {
            c.telemetry(consumer_settings(o)).await?;
            c.heartbeats(Some(&o.group), client_type::SIMPLE_CONSUMER)
                .await?;
        }
        out.push(c);
    }
    Ok(out)
}

#[derive(Default)]
struct SendStats {
    /// Every send answered OK, warm-up included.
    ok_total: u64,
    /// Latencies (µs) of the sends answered OK within the measured seconds.
    micros: Vec<u32>,
    failed: u64,
    first_error: Option<String>,
}

/// One call in flight at a time until `end`.
async fn sender(
    mut c: Client,
    o: Arc<Opts>,
    ids: Arc<Ids>,
    measure_from: Instant,
    end: Instant,
) -> SendStats {
    let mut s = SendStats::default();
    let topic = resource(&o.topic);
    let body = Bytes::from(vec![b'x'; o.size]);
    while Instant::now() < end {
        let msg = proto::Message {
            topic: Some(topic.clone()),
            user_properties: Default::default(),
            system_properties: Some(proto::SystemProperties {
                message_id: ids.next(),
                body_encoding: proto::encoding::IDENTITY,
                message_type: proto::message_type::NORMAL,
                born_timestamp: Some(proto::Timestamp::from_millis(now_millis())),
                born_host: "127.0.0.1".into(),
                ..Default::default()
            }),
            body: body.clone(),
        };
        let started = Instant::now();
        let answer: Result<proto::SendMessageResponse, String> = c
            .unary(
                SEND_MESSAGE,
                proto::SendMessageRequest {
                    messages: vec![msg],
                },
                CALL_TIMEOUT,
            )
            .await;
        let done = Instant::now();
        let outcome = answer.and_then(|r| {
            ok_status(r.status.as_ref())?;
            match r.entries.first() {
                Some(e) => ok_status(e.status.as_ref()),
                None => Err("no result entry".into()),
            }
        });
        match outcome {
            Ok(()) => {
                s.ok_total += 1;
                if done >= measure_from && done <= end {
                    let us = done.duration_since(started).as_micros();
                    s.micros.push(us.min(u32::MAX as u128) as u32);
                }
            }
            Err(e) => {
                s.failed += 1;
                s.first_error.get_or_insert(e);
            }
        }
    }
    s
}

async fn send(o: Arc<Opts>) -> Result<(), String> {
    let mut clients = clients(&o).await?;
    let queues = route(&mut clients[0], &o).await?;
    eprintln!(
        "send: {} queues of {}; {} connections x {} calls in flight, {} B bodies, {} s warm-up + {} s",
        queues.len(),
        o.topic,
        o.connections,
        o.concurrency,
        o.size,
        o.warmup,
        o.seconds
    );
    let ids = Arc::new(Ids::new());
    let (cpu0, wall0) = (own_cpu_ms(), Instant::now());
    let measure_from = Instant::now() + Duration::from_secs(o.warmup);
    let end = measure_from + Duration::from_secs(o.seconds);
    let mut tasks = Vec::new();
    for c in &clients {
        for _ in 0..o.concurrency {
            tasks.push(tokio::spawn(sender(
                c.clone(),
                o.clone(),
                ids.clone(),
                measure_from,
                end,
            )));
        }
    }
    let mut all = SendStats::default();
    for t in tasks {
        let s = t.await.map_err(|e| format!("a sender failed: {e}"))?;
        all.ok_total += s.ok_total;
        all.micros.extend(s.micros);
        all.failed += s.failed;
        if all.first_error.is_none() {
            all.first_error = s.first_error;
        }
    }
    let (cpu, wall) = (own_cpu_ms() - cpu0, wall0.elapsed().as_millis());
    all.micros.sort_unstable();
    let v = &all.micros;
    let tps = v.len() as f64 / o.seconds as f64;
    let (p50, p99, p999, max) = (at(v, 0.5), at(v, 0.99), at(v, 0.999), at(v, 1.0));
    println!(
        "send: {} OK in {} s: {tps:.0}/s   p50 {p50} µs   p99 {p99} µs   p999 {p999} µs   max {max} µs",
        v.len(),
        o.seconds
    );
    println!(
        "send: {} accepted in all (warm-up included), {} failed{}",
        all.ok_total,
        all.failed,
        all.first_error
            .as_deref()
            .map_or(String::new(), |e| format!(" (first: {e})"))
    );
    println!(
        "phase=send connections={} concurrency={} size={} seconds={} ok={} tps={tps:.0} \
         p50_us={p50} p99_us={p99} p999_us={p999} max_us={max} failed={} sent_total={} \
         wall_ms={wall} client_cpu_ms={cpu}",
        o.connections,
        o.concurrency,
        o.size,
        o.seconds,
        v.len(),
        all.failed,
        all.ok_total
    );
    if all.ok_total == 0 {
        return Err("no send was accepted".into());
    }
    Ok(())
}

#[derive(Default)]
struct RecvStats {
    seen: HashSet<String>,
    received: u64,
    duplicates: u64,
    wrong_body: u64,
    /// Latencies (µs) of the receives that brought messages.
    recv_micros: Vec<u32>,
    empty: u64,
    errors: u64,
    first_error: Option<String>,
    ack_micros: Vec<u32>,
    acked: u64,
    ack_failed: u64,
    last_message: Option<Instant>,
}

struct Shared {
    stats: Mutex<RecvStats>,
    /// Set when `--expect` distinct messages have arrived.
    done: AtomicBool,
    /// Acks on their way: the end waits for them, so that what arrived is also acked.
    acking: AtomicUsize,
    all_in: tokio::sync::Notify,
}

impl Shared {
    fn stats(&self) -> std::sync::MutexGuard<'_, RecvStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn error(&self, e: String) {
        let mut s = self.stats();
        s.errors += 1;
        s.first_error.get_or_insert(e);
    }
}

async fn receiver(mut c: Client, o: Arc<Opts>, queue: proto::MessageQueue, shared: Arc<Shared>) {
    let mut idle = 0;
    let deadline = Duration::from_millis(o.polling_ms as u64) + REQUEST_TIMEOUT;
    while !shared.done.load(Ordering::SeqCst) {
        let req = proto::ReceiveMessageRequest {
            group: Some(resource(&o.group)),
            message_queue: Some(queue.clone()),
            filter_expression: Some(proto::FilterExpression {
                r#type: proto::filter_type::TAG,
                expression: "*".into(),
            }),
            batch_size: o.batch,
            invisible_duration: Some(proto::Duration::from_millis(o.invisible_ms)),
            auto_renew: false,
            long_polling_timeout: Some(proto::Duration::from_millis(o.polling_ms)),
            attempt_id: None,
        };
        let started = Instant::now();
        let answer = c.receive(req, deadline).await;
        let done = Instant::now();
        let items = match answer {
            Ok(items) => items,
            Err(e) => {
                shared.error(format!("receive: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let mut msgs = Vec::new();
        let mut status = None;
        for item in items {
            match item.content {
                Some(proto::ReceiveContent::Message(m)) => msgs.push(m),
                Some(proto::ReceiveContent::Status(s)) => status = Some(s),
                _ => {}
            }
        }
        if msgs.is_empty() {
            match status {
                Some(s) if s.code != code::OK && s.code != code::MESSAGE_NOT_FOUND => {
                    shared.error(format!("receive: status {} {}", s.code, s.message));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => {
                    shared.stats().empty += 1;
                    idle += 1;
                    if idle >= o.idle_polls {
                        return;
                    }
                }
            }
            continue;
        }
        idle = 0;
        let mut entries = Vec::with_capacity(msgs.len());
        {
            let mut s = shared.stats();
            let us = done.duration_since(started).as_micros();
            s.recv_micros.push(us.min(u32::MAX as u128) as u32);
            s.last_message = Some(done);
            for m in msgs {
                let sys = m.system_properties.unwrap_or_default();
                s.received += 1;
                if m.body.len() != o.size {
                    s.wrong_body += 1;
                }
                if !s.seen.insert(sys.message_id.clone()) {
                    s.duplicates += 1;
                }
                entries.push(proto::AckMessageEntry {
                    message_id: sys.message_id,
                    receipt_handle: sys.receipt_handle.unwrap_or_default(),
                });
            }
            // Counted before `done` is set, under the same lock, so the end cannot miss it.
            shared.acking.fetch_add(1, Ordering::SeqCst);
            if o.expect.is_some_and(|n| s.seen.len() >= n) {
                shared.done.store(true, Ordering::SeqCst);
                shared.all_in.notify_one();
            }
        }
        let count = entries.len() as u64;
        let ack = proto::AckMessageRequest {
            group: Some(resource(&o.group)),
            topic: Some(resource(&o.topic)),
            entries,
        };
        let started = Instant::now();
        let answer: Result<proto::AckMessageResponse, String> =
            c.unary(ACK_MESSAGE, ack, CALL_TIMEOUT).await;
        let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
        let mut s = shared.stats();
        shared.acking.fetch_sub(1, Ordering::SeqCst);
        s.ack_micros.push(us);
        match answer {
            Ok(r) if r.status.as_ref().is_some_and(|st| st.code == code::OK) => s.acked += count,
            Ok(r) => {
                let ok = r
                    .entries
                    .iter()
                    .filter(|e| e.status.as_ref().is_some_and(|st| st.code == code::OK))
                    .count() as u64;
                s.acked += ok;
                s.ack_failed += count - ok.min(count);
                let st = r.status.unwrap_or_default();
                s.first_error
                    .get_or_insert(format!("ack: status {} {}", st.code, st.message));
            }
            Err(e) => {
                s.ack_failed += count;
                s.first_error.get_or_insert(format!("ack: {e}"));
            }
        }
    }
}

async fn receive(o: Arc<Opts>) -> Result<(), String> {
    let mut clients = clients(&o).await?;
    let queues = route(&mut clients[0], &o).await?;
    let readable = |q: &&proto::MessageQueue| {
        q.permission == proto::permission::READ || q.permission == proto::permission::READ_WRITE
    };
    // A receive names a broker; the server picks the queues (POP over all of them).
    let queue = queues
        .iter()
        .find(readable)
        .cloned()
        .ok_or_else(|| format!("QueryRoute {}: no readable queue", o.topic))?;
    eprintln!(
        "receive: {} receivers over {} connections, batch {}, invisible {} ms, long polling {} ms, \
         up to {} s{}",
        o.receivers,
        o.connections,
        o.batch,
        o.invisible_ms,
        o.polling_ms,
        o.seconds,
        o.expect
            .map_or(String::new(), |n| format!(", until {n} distinct messages"))
    );
    let shared = Arc::new(Shared {
        stats: Mutex::new(RecvStats::default()),
        done: AtomicBool::new(o.expect == Some(0)),
        acking: AtomicUsize::new(0),
        all_in: tokio::sync::Notify::new(),
    });
    let (cpu0, started) = (own_cpu_ms(), Instant::now());
    let mut tasks: Vec<_> = (0..o.receivers)
        .map(|i| {
            tokio::spawn(receiver(
                clients[i % clients.len()].clone(),
                o.clone(),
                queue.clone(),
                shared.clone(),
            ))
        })
        .collect();
    {
        let all_ended = async {
            for t in tasks.iter_mut() {
                let _ = t.await;
            }
        };
        tokio::select! {
            _ = all_ended => {}
            _ = shared.all_in.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(o.seconds)) => {}
        }
    }
    // What is still polling would only wait out its long polling: nothing is left to get.
    let waited = Instant::now();
    while shared.acking.load(Ordering::SeqCst) > 0 && waited.elapsed() < CALL_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    for t in &tasks {
        t.abort();
    }
    let (cpu, wall) = (own_cpu_ms() - cpu0, started.elapsed().as_millis());
    let mut s = std::mem::take(&mut *shared.stats());
    s.recv_micros.sort_unstable();
    s.ack_micros.sort_unstable();
    let drain = s
        .last_message
        .map_or(0.0, |t| t.duration_since(started).as_secs_f64());
    let distinct = s.seen.len();
    let tps = if drain > 0.0 {
        distinct as f64 / drain
    } else {
        0.0
    };
    let (r50, r99, r999) = (
        at(&s.recv_micros, 0.5),
        at(&s.recv_micros, 0.99),
        at(&s.recv_micros, 0.999),
    );
    let (a50, a99) = (at(&s.ack_micros, 0.5), at(&s.ack_micros, 0.99));
    let expected = o.expect.map_or("n/a".to_string(), |n| n.to_string());
    println!(
        "receive: {distinct} distinct of {expected} expected in {drain:.2} s: {tps:.0}/s \
         ({} received, {} duplicates, {} with another body size)",
        s.received, s.duplicates, s.wrong_body
    );
    println!(
        "receive: {} receives with messages: p50 {r50} µs   p99 {r99} µs   p999 {r999} µs; {} empty",
        s.recv_micros.len(),
        s.empty
    );
    println!(
        "ack: {} calls: p50 {a50} µs   p99 {a99} µs; {} acked, {} not; {} errors{}",
        s.ack_micros.len(),
        s.acked,
        s.ack_failed,
        s.errors,
        s.first_error
            .as_deref()
            .map_or(String::new(), |e| format!(" (first: {e})"))
    );
    println!(
        "phase=receive receivers={} batch={} expected={expected} distinct={distinct} \
         received={} duplicates={} wrong_body={} drain_ms={:.0} tps={tps:.0} recv_calls={} \
         empty={} recv_p50_us={r50} recv_p99_us={r99} recv_p999_us={r999} ack_p50_us={a50} \
         ack_p99_us={a99} acked={} ack_failed={} errors={} wall_ms={wall} client_cpu_ms={cpu}",
        o.receivers,
        o.batch,
        s.received,
        s.duplicates,
        s.wrong_body,
        drain * 1000.0,
        s.recv_micros.len(),
        s.empty,
        s.acked,
        s.ack_failed,
        s.errors
    );
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let opts = match parse_opts() {
        Ok(o) => Arc::new(o),
        Err(e) => return bench::usage_error(&e),
    };
    let run = match opts.mode {
        Mode::Send => send(opts).await,
        Mode::Receive => receive(opts).await,
    };
    bench::finish("grpc-bench", run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_date_time() {
        assert_eq!(date_time_of(0), "19700101T000000Z");
        assert_eq!(date_time_of(951_782_400), "20000229T000000Z");
        assert_eq!(date_time_of(1_796_560_496), "20261206T123456Z");
    }

    #[test]
    fn sdk_shaped_ids() {
        let ids = Ids::new();
        let (a, b) = (ids.next(), ids.next());
        assert_eq!(a.len(), 34);
        assert!(a.starts_with("01"));
        assert_ne!(a, b);
    }
}

//! `latency`: produces at a fixed rate with the send time in each body and tail-consumes the
//! same topic (long-polling pulls from the max offsets at the start), reporting send→receive
//! p50/p99/p99.9/max next to the send round trip. Both ends run in this process, on one clock.

use std::time::{Duration, Instant};

use super::produce::{self, Mode, Shared};
use super::{admin, consume, Args, BrokerWatch};

pub const USAGE: &str = "thrust-bench latency --addr HOST:PORT --topic T [--rate 1000] \
[--seconds 10] [--warmup-seconds 1] [--size 1024] [--connections 1] [--inflight 64] \
[--create-queues 8] [--group G] [--consumer-connections 1] [--pid BROKER_PID] \
[--serialize json|rocketmq] [--no-create]";

/// `thrust-bench latency`.
pub async fn run(args: &Args) -> Result<(), String> {
    let rate: f64 = args.number("rate", 1000.0)?;
    if rate <= 0.0 {
        return Err("--rate must be positive".into());
    }
    let serialize = super::serialize_type(args)?;
    let inflight = args.number("inflight", 64)?;
    let p = produce::Opts {
        addr: args.required("addr")?,
        topic: args.required("topic")?,
        group: "thrust_bench_pg".into(),
        queues: args.number("create-queues", 8)?,
        mode: if inflight == 1 {
            Mode::Sync
        } else {
            Mode::Async
        },
        connections: args.number("connections", 1)?,
        inflight,
        batch: 1,
        size: args.number("size", 1024)?,
        seconds: Some(args.number("seconds", 10.0)?),
        messages: None,
        warmup: Duration::from_secs_f64(args.number("warmup-seconds", 1.0)?),
        pid: args.optional("pid")?,
        serialize,
        rate: Some(rate),
        stamped: true,
        timeout: Duration::from_secs(10),
    };
    let c = consume::Opts {
        addr: p.addr.clone(),
        topic: p.topic.clone(),
        group: args.string("group", "thrust_bench_latency_cg"),
        from_first: false,
        connections: args.number("consumer-connections", 1)?,
        drain: false,
        seconds: 0.0,
        batch: 32,
        pipeline: 1,
        queues: Some(p.queues),
        commit: false,
        suspend: Duration::from_millis(15_000),
        pid: None,
        serialize,
    };
    let no_create = args.switch("no-create");
    args.finish()?;
    if p.connections < 1 || p.inflight < 1 || p.queues < 1 || c.connections < 1 {
        return Err("--connections, --inflight, --create-queues must be positive".into());
    }
    let client = remoting::Client::new();
    if !no_create {
        admin::create_topic(&client, &p.addr, &p.topic, p.queues).await?;
    }
    let start = admin::max_offsets(&client, &p.addr, &p.topic, p.queues).await?;
    println!(
        "latency: {rate} msg/s of {} B on {} connection(s) × {} in flight, tail-consumed on {} connection(s), topic {} ({} queues)",
        p.size, p.connections, p.inflight, c.connections, p.topic, p.queues
    );
    let clock = Instant::now();
    let shared = Shared::new(None, clock);
    // Messages sent in the warm-up are received but not counted.
    let consumer =
        consume::Consumer::start(&c, start, None, Some((clock, shared.measure_ns.clone())));
    let progress = consumer.progress.clone();
    // Let the first pulls reach the broker and suspend there before anything is sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut watch = BrokerWatch::new(p.pid);
    let (stats, window) = produce::drive(&p, &shared, &mut watch).await?;
    // The last messages sent are still on their way to the consumer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let got = progress
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .samples();
        if got >= stats.ok_messages {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let progress = consumer.finish(None).await;
    super::report_rate("sent", stats.ok_messages, stats.ok_bytes, window);
    stats.hist.report("send round trip", "send_");
    let e2e = progress
        .latency
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let received = e2e.samples();
    println!(
        "received {received} of {} measured messages{}",
        stats.ok_messages,
        if received < stats.ok_messages {
            " (MISSING some)"
        } else {
            ""
        }
    );
    println!("received={received}");
    e2e.report("send→receive latency", "e2e_");
    super::report_failures(&stats.failures, "send");
    let pulls = progress
        .failures
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if !pulls.is_empty() {
        println!("pull failures: {pulls:?}");
    }
    watch.report(stats.ok_messages, window);
    Ok(())
}

//! `thrust-bench`: a load tool for any RocketMQ broker (Thrust's or Java's), speaking only the
//! remoting protocol, as a client does, so that what it measures is the broker and not a JVM
//! client.
//!
//! ```text
//! thrust-bench produce --addr HOST:PORT --topic T [--create-queues 8] [--mode sync|async|oneway]
//!              [--connections 16] [--inflight 16] [--batch 1] [--size 1024]
//!              [--seconds 20 | --messages N] [--warmup-seconds 2] [--pid BROKER_PID]
//! thrust-bench consume --addr HOST:PORT --topic T --group G [--from first|last]
//!              [--connections 1] [--mode drain|tail] [--seconds N] [--batch 32] [--commit]
//! thrust-bench latency --addr HOST:PORT --topic T [--rate 1000] [--seconds 10] [--size 1024]
//! thrust-bench echo --port PORT | pingpong --addr HOST:PORT | fsync --dir DIR
//! ```
//! Every mode prints human lines and `key=value` lines for scripts (`bench/remoting-compare.sh`).
//! With `--pid` (a broker on this machine) it adds the broker's CPU µs per message over the
//! measured window and its VmHWM / VmRSS / RssAnon at the end. `--serialize rocketmq` sends
//! ROCKETMQ binary headers instead of JSON (what Java clients send by default). `echo`,
//! `pingpong` and `fsync` measure the machine without a broker (the floor under the broker's
//! figures).

#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::process::ExitCode;

#[path = "../bench/mod.rs"]
mod bench;

const USAGE: &str =
    "usage: thrust-bench <produce|consume|latency|echo|pingpong|fsync> [options]  (--help after a mode lists them)";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = argv.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let usage = match mode.as_str() {
        "produce" => bench::produce::USAGE,
        "consume" => bench::consume::USAGE,
        "latency" => bench::latency::USAGE,
        "echo" | "pingpong" | "fsync" => bench::floor::USAGE,
        "-h" | "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("unknown mode {other}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if argv[1..].iter().any(|a| a == "-h" || a == "--help") {
        println!("{usage}");
        return ExitCode::SUCCESS;
    }
    let args = match bench::Args::parse(&argv[1..]) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{usage}");
            return ExitCode::from(2);
        }
    };
    // The machine's floor is measured with plain blocking threads: no runtime in the way.
    let floor = match mode.as_str() {
        "echo" => Some(bench::floor::echo(&args)),
        "pingpong" => Some(bench::floor::pingpong(&args)),
        "fsync" => Some(bench::floor::fsync(&args)),
        _ => None,
    };
    if let Some(result) = floor {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("thrust-bench {mode}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("thrust-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match mode.as_str() {
            "produce" => bench::produce::run(&args).await,
            "consume" => bench::consume::run(&args).await,
            "latency" => bench::latency::run(&args).await,
            _ => unreachable!(),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("thrust-bench {mode}: {e}");
            ExitCode::FAILURE
        }
    }
}

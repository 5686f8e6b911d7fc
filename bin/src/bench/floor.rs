//! What this machine allows, measured the way the broker is used, with no broker in the way:
//! `echo` and `pingpong` time a loopback round trip between two processes (pinned like the broker
//! and the load tool), `fsync` times an append made durable on a disk. The comparison script
//! prints them beside the broker's figures as the floor under one-in-flight latency and the
//! ceiling over a SYNC_FLUSH group commit.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::{Args, Histogram};

pub const USAGE: &str = "\
thrust-bench echo --port PORT
    answers each request of `pingpong` (an 8-byte header giving the request's and the reply's
    length, then the request's bytes) with the reply's length in bytes, one thread per connection,
    blocking reads and writes: the least a server can do per round trip
thrust-bench pingpong --addr HOST:PORT [--size 1024] [--reply 256] [--seconds 5]
                      [--warmup-seconds 1]
    one connection, one request in flight: round-trip p50/p99 (keys floor_rtt_*)
thrust-bench fsync --dir DIR [--size 1024] [--seconds 5] [--warmup-seconds 1]
    appends SIZE bytes to a file in DIR and fdatasyncs it, one after the other: how long one
    durable append takes (keys fsync_*), so that N producers waiting on a group commit can get at
    most N / fsync_p50 messages per second";

/// `thrust-bench echo`: serves until killed.
pub fn echo(args: &Args) -> Result<(), String> {
    let port: u16 = args
        .required("port")?
        .parse()
        .map_err(|e| format!("--port: {e}"))?;
    args.finish()?;
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("bind: {e}"))?;
    println!("echo: listening on 127.0.0.1:{port}");
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            let _ = answer(stream);
        });
    }
    Ok(())
}

fn answer(mut s: TcpStream) -> std::io::Result<()> {
    s.set_nodelay(true)?;
    let mut buf = Vec::new();
    loop {
        let mut head = [0u8; 8];
        s.read_exact(&mut head)?;
        let (req, reply) = lengths(&head);
        buf.resize(req.max(reply), 0);
        s.read_exact(&mut buf[..req])?;
        s.write_all(&buf[..reply])?;
    }
}

fn lengths(head: &[u8; 8]) -> (usize, usize) {
    let [a, b, c, d, e, f, g, h] = *head;
    (
        u32::from_be_bytes([a, b, c, d]) as usize,
        u32::from_be_bytes([e, f, g, h]) as usize,
    )
}

/// `thrust-bench pingpong`.
pub fn pingpong(args: &Args) -> Result<(), String> {
    let addr = args.required("addr")?;
    let size: u32 = args.number("size", 1024)?;
    let reply: u32 = args.number("reply", 256)?;
    let secs: f64 = args.number("seconds", 5.0)?;
    let warm: f64 = args.number("warmup-seconds", 1.0)?;
    args.finish()?;
    let mut s = TcpStream::connect(&addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut frame = Vec::with_capacity(8 + size as usize);
    frame.extend_from_slice(&size.to_be_bytes());
    frame.extend_from_slice(&reply.to_be_bytes());
    frame.resize(8 + size as usize, b'x');
    let mut back = vec![0u8; reply as usize];
    let mut hist = Histogram::default();
    let start = Instant::now();
    let (warm, end) = (
        Duration::from_secs_f64(warm),
        Duration::from_secs_f64(warm + secs),
    );
    loop {
        let t = Instant::now();
        if t - start >= end {
            break;
        }
        s.write_all(&frame).map_err(|e| e.to_string())?;
        s.read_exact(&mut back).map_err(|e| e.to_string())?;
        if t - start >= warm {
            hist.record(t.elapsed().as_micros() as u64);
        }
    }
    println!("pingpong: {size} B request, {reply} B reply, one in flight");
    hist.report("round trip", "floor_rtt_");
    Ok(())
}

/// `thrust-bench fsync`.
pub fn fsync(args: &Args) -> Result<(), String> {
    let dir = std::path::PathBuf::from(args.required("dir")?);
    let size: usize = args.number("size", 1024)?;
    let secs: f64 = args.number("seconds", 5.0)?;
    let warm: f64 = args.number("warmup-seconds", 1.0)?;
    args.finish()?;
    let path = dir.join("thrust-bench-fsync");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let data = vec![b'x'; size];
    let mut hist = Histogram::default();
    let start = Instant::now();
    let (warm, end) = (
        Duration::from_secs_f64(warm),
        Duration::from_secs_f64(warm + secs),
    );
    let result = loop {
        let t = Instant::now();
        if t - start >= end {
            break Ok(());
        }
        if let Err(e) = f.write_all(&data).and_then(|()| f.sync_data()) {
            break Err(format!("{}: {e}", path.display()));
        }
        if t - start >= warm {
            hist.record(t.elapsed().as_micros() as u64);
        }
    };
    let _ = std::fs::remove_file(&path);
    result?;
    println!("fsync: {size} B appended then fdatasync, one after the other");
    let n = hist.samples();
    println!("fsync_per_s={:.0}", n as f64 / secs);
    hist.report("durable append", "fsync_");
    Ok(())
}

//! Black-box tests: a real `Server` on 127.0.0.1:0 with a small handler, spoken to with raw bytes
//! over TCP (and with the crate's `Client`).

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use remoting::code::response;
use remoting::codec::{decode_frame, encode};
use remoting::{
    Client, Command, Connection, ConnectionOptions, Connections, Handler, RemotingError,
    SerializeType, Server,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

const ECHO: i32 = 1;
const NOTE: i32 = 2;
const CALL_BACK: i32 = 3;
const HANG_UP: i32 = 4;
const PANIC: i32 = 6;
const HUGE: i32 = 7;
const CLIENT_SIDE: i32 = 500;

struct TestHandler {
    notes: mpsc::UnboundedSender<String>,
    closed: AtomicUsize,
}

impl Handler for TestHandler {
    async fn handle(&self, conn: &Connection, req: Command) -> Option<Command> {
        match req.code {
            ECHO => {
                let delay: u64 = req.ext("delayMs").and_then(|d| d.parse().ok()).unwrap_or(0);
                // No timer for no delay: a zero sleep still waits for the timer's next tick.
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                let mut reply = Command::response(response::SUCCESS, None);
                reply.body = req.body.clone();
                Some(reply.with_ext("echo", req.ext("tag").unwrap_or("")))
            }
            NOTE => {
                self.notes
                    .send(req.ext("note").unwrap_or("").to_owned())
                    .unwrap();
                Some(Command::response(response::SUCCESS, None)) // must not be sent: oneway
            }
            CALL_BACK => {
                let answer = conn
                    .request(Command::request(CLIENT_SIDE), Duration::from_secs(5))
                    .await;
                let remark = match answer {
                    Ok(resp) => resp.remark.clone().unwrap_or_default(),
                    Err(e) => format!("failed: {e}"),
                };
                Some(Command::response(response::SUCCESS, remark))
            }
            PANIC => panic!("handler bug"),
            HUGE => Some(
                Command::response(response::SUCCESS, None)
                    .with_body(vec![0u8; remoting::codec::MAX_FRAME_LENGTH]),
            ),
            HANG_UP => {
                conn.close();
                None
            }
            code => Some(Command::response(
                response::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {code} not supported"),
            )),
        }
    }

    /// Requests marked `inline=true` run on the reader.
    fn answer_inline(&self, req: &Command) -> bool {
        req.ext("inline") == Some("true")
    }

    fn on_close(&self, _conn: &Connection) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

async fn start() -> (String, Arc<TestHandler>, mpsc::UnboundedReceiver<String>) {
    start_with(ConnectionOptions::default()).await
}

async fn start_with(
    options: ConnectionOptions,
) -> (String, Arc<TestHandler>, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handler = Arc::new(TestHandler {
        notes: tx,
        closed: AtomicUsize::new(0),
    });
    let server = Server::bind("127.0.0.1:0", handler.clone())
        .await
        .unwrap()
        .with_options(options);
    let addr = server.local_addr().unwrap().to_string();
    server.spawn();
    (addr, handler, rx)
}

/// `on_close` runs right after the socket closes; give it a moment, then demand the exact count.
async fn wait_closed(handler: &TestHandler, expected: usize) {
    for _ in 0..100 {
        if handler.closed.load(Ordering::SeqCst) >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        handler.closed.load(Ordering::SeqCst),
        expected,
        "on_close once per connection"
    );
}

fn frame(cmd: &Command) -> BytesMut {
    let mut buf = BytesMut::new();
    encode(cmd, &mut buf);
    buf
}

async fn read_frame(stream: &mut TcpStream) -> Option<Command> {
    let mut len = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut len))
        .await
        .unwrap()
        .ok()?;
    let mut data = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut data).await.unwrap();
    Some(decode_frame(Bytes::from(data)).unwrap())
}

/// The server closed the connection: the next read sees EOF (or a reset).
async fn assert_closed(stream: &mut TcpStream) {
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
        .await
        .unwrap();
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "connection still open: {read:?}"
    );
}

fn echo(opaque: i32, delay_ms: u64, serialize_type: SerializeType) -> Command {
    let mut cmd = Command::request(ECHO)
        .with_ext("delayMs", delay_ms.to_string())
        .with_ext("tag", format!("t{opaque}"))
        .with_body(format!("body{opaque}"));
    cmd.opaque = opaque;
    cmd.serialize_type = serialize_type;
    cmd
}

#[tokio::test]
async fn pipelined_requests_are_answered_out_of_order() {
    let (addr, _, _) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut all = BytesMut::new();
    all.extend_from_slice(&frame(&echo(1, 400, SerializeType::Json)));
    all.extend_from_slice(&frame(&echo(2, 0, SerializeType::RocketMq)));
    all.extend_from_slice(&frame(&echo(3, 150, SerializeType::Json)));
    s.write_all(&all).await.unwrap();
    let mut order = Vec::new();
    for _ in 0..3 {
        let r = read_frame(&mut s).await.unwrap();
        assert!(r.is_response());
        assert_eq!(r.ext("echo"), Some(format!("t{}", r.opaque).as_str()));
        assert_eq!(
            r.body.as_deref(),
            Some(format!("body{}", r.opaque).as_bytes())
        );
        let expected = if r.opaque == 2 {
            SerializeType::RocketMq
        } else {
            SerializeType::Json
        };
        assert_eq!(
            r.serialize_type, expected,
            "reply mirrors the request's serialization"
        );
        order.push(r.opaque);
    }
    assert_eq!(order, [2, 3, 1]);
}

/// Inline requests are answered in arrival order, even when many arrive in one segment; a
/// panic is still SYSTEM_ERROR, a oneway inline request still gets no reply, and a slow request
/// on its own task does not hold them up.
#[tokio::test]
async fn inline_requests_answer_in_order_in_one_burst() {
    let (addr, _, mut notes) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut all = BytesMut::new();
    all.extend_from_slice(&frame(&echo(1000, 300, SerializeType::Json)));
    for opaque in 1..=200 {
        let cmd = echo(opaque, 0, SerializeType::Json).with_ext("inline", "true");
        all.extend_from_slice(&frame(&cmd));
    }
    let mut note = Command::request(NOTE)
        .oneway()
        .with_ext("note", "inline")
        .with_ext("inline", "true");
    note.opaque = 201;
    all.extend_from_slice(&frame(&note));
    let mut boom = Command::request(PANIC).with_ext("inline", "true");
    boom.opaque = 202;
    all.extend_from_slice(&frame(&boom));
    s.write_all(&all).await.unwrap();
    // The delayed echo (1000) runs on its own task: it may overtake nothing, but on a slow
    // machine it can land anywhere after the first inline replies; never first, which is where
    // it would be if it held the inline ones up.
    let mut replies = Vec::new();
    while replies.len() < 202 {
        replies.push(read_frame(&mut s).await.unwrap());
    }
    assert_ne!(
        replies[0].opaque, 1000,
        "the slow request held up the inline ones"
    );
    let slow = replies.iter().filter(|r| r.opaque == 1000).count();
    assert_eq!(slow, 1, "the delayed echo arrives once");
    let inline: Vec<&Command> = replies.iter().filter(|r| r.opaque != 1000).collect();
    for (r, opaque) in inline.iter().zip(1..=200) {
        assert_eq!(r.opaque, opaque);
        assert_eq!(r.ext("echo"), Some(format!("t{opaque}").as_str()));
        assert_eq!(r.body.as_deref(), Some(format!("body{opaque}").as_bytes()));
    }
    assert_eq!(notes.recv().await.as_deref(), Some("inline"));
    let r = inline[200];
    assert_eq!((r.code, r.opaque), (response::SYSTEM_ERROR, 202));
}

#[tokio::test]
async fn oneway_requests_get_no_reply() {
    let (addr, _, mut notes) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut note = Command::request(NOTE).oneway().with_ext("note", "hello");
    note.opaque = 10;
    s.write_all(&frame(&note)).await.unwrap();
    assert_eq!(notes.recv().await.as_deref(), Some("hello"));
    s.write_all(&frame(&echo(11, 0, SerializeType::Json)))
        .await
        .unwrap();
    assert_eq!(
        read_frame(&mut s).await.unwrap().opaque,
        11,
        "first frame back is the echo"
    );
}

/// A peer that sends a oneway request and resets the connection before the server has accepted
/// it still has its request handled (Java reads what arrived before the reset). The test's
/// single-threaded runtime runs nothing of the server until the first await, so the accept
/// comes after the reset.
#[tokio::test]
async fn oneway_request_of_a_reset_peer_is_handled() {
    use std::io::Write;
    let (addr, _, mut notes) = start().await;
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    let mut note = Command::request(NOTE)
        .oneway()
        .with_ext("note", "before reset");
    note.opaque = 12;
    s.write_all(&frame(&note)).unwrap();
    s.set_nonblocking(true).unwrap();
    let s = TcpStream::from_std(s).unwrap();
    s.set_zero_linger().unwrap();
    drop(s);
    let got = tokio::time::timeout(Duration::from_secs(10), notes.recv()).await;
    assert_eq!(got.ok().flatten().as_deref(), Some("before reset"));
}

#[tokio::test]
async fn unknown_code_is_the_handlers_answer() {
    let (addr, _, _) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    // Raw JSON exactly as a Go client writes it.
    let header = br#"{"code":777,"language":"GO","version":317,"opaque":5,"flag":0,"remark":"","extFields":{}}"#;
    let mut raw = ((header.len() + 4) as u32).to_be_bytes().to_vec();
    raw.extend_from_slice(&(header.len() as u32).to_be_bytes());
    raw.extend_from_slice(header);
    s.write_all(&raw).await.unwrap();
    let r = read_frame(&mut s).await.unwrap();
    assert_eq!((r.code, r.opaque, r.flag), (3, 5, 1));
    assert_eq!(r.remark.as_deref(), Some(" request type 777 not supported"));
}

#[tokio::test]
async fn server_calls_the_client_over_its_connection() {
    let (addr, _, _) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut call = Command::request(CALL_BACK);
    call.opaque = 77;
    s.write_all(&frame(&call)).await.unwrap();
    let inbound = read_frame(&mut s).await.unwrap();
    assert_eq!(inbound.code, CLIENT_SIDE);
    assert!(!inbound.is_response() && !inbound.is_oneway());
    let answer = Command::response(0, Some("pong".to_owned())).into_reply_to(&inbound);
    s.write_all(&frame(&answer)).await.unwrap();
    let reply = read_frame(&mut s).await.unwrap();
    assert_eq!((reply.opaque, reply.remark.as_deref()), (77, Some("pong")));
}

#[tokio::test]
async fn garbage_closes_only_that_connection() {
    let (addr, handler, _) = start().await;
    let mut good = TcpStream::connect(&addr).await.unwrap();
    good.write_all(&frame(&echo(1, 0, SerializeType::Json)))
        .await
        .unwrap();
    assert_eq!(read_frame(&mut good).await.unwrap().opaque, 1);

    let garbage: [&[u8]; 4] = [
        &[0x01, 0x00, 0x00, 0x00, 0xde, 0xad], // 16 MiB + 4: over Netty's cap
        &[0xff, 0xff, 0xff, 0xfe],             // negative length
        b"\x00\x00\x00\x08\x00\x00\x00\x04{{{{", // header that is not JSON
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  // not RocketMQ at all
    ];
    for bytes in garbage {
        let mut bad = TcpStream::connect(&addr).await.unwrap();
        bad.write_all(bytes).await.unwrap();
        assert_closed(&mut bad).await;
    }
    good.write_all(&frame(&echo(2, 0, SerializeType::RocketMq)))
        .await
        .unwrap();
    assert_eq!(read_frame(&mut good).await.unwrap().opaque, 2);
    wait_closed(&handler, 4).await;
}

#[tokio::test]
async fn client_invokes_times_out_and_reconnects() {
    let (addr, _, mut notes) = start().await;
    let client = Client::new();
    let reply = client
        .invoke(
            &addr,
            echo(0, 0, SerializeType::Json),
            Duration::from_secs(3),
        )
        .await
        .unwrap();
    assert_eq!(reply.body.as_deref(), Some(&b"body0"[..]));

    let mut slow = echo(0, 2_000, SerializeType::Json);
    slow.opaque = remoting::command::next_opaque();
    let err = client
        .invoke(&addr, slow, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, RemotingError::Timeout { .. }), "{err}");

    client
        .invoke_oneway(&addr, Command::request(NOTE).with_ext("note", "one"))
        .await
        .unwrap();
    assert_eq!(notes.recv().await.as_deref(), Some("one"));

    // The server drops the connection; the next call opens a new one.
    let gone = client
        .invoke(&addr, Command::request(HANG_UP), Duration::from_secs(2))
        .await;
    assert!(
        matches!(gone, Err(RemotingError::ConnectionClosed)),
        "{gone:?}"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let again = client
        .invoke(&addr, Command::request(ECHO), Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(again.code, response::SUCCESS);
}

#[tokio::test]
async fn client_connect_failure_is_typed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let err = Client::new()
        .invoke(&addr, Command::request(ECHO), Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(matches!(err, RemotingError::Connect { .. }), "{err}");
}

#[tokio::test]
async fn handler_panic_answers_system_error_and_keeps_the_connection() {
    let (addr, _, _) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut boom = Command::request(PANIC);
    boom.opaque = 9;
    s.write_all(&frame(&boom)).await.unwrap();
    let r = read_frame(&mut s).await.unwrap();
    assert_eq!((r.code, r.opaque), (response::SYSTEM_ERROR, 9));
    assert!(r.remark.as_deref().unwrap().contains("handler bug"));
    s.write_all(&frame(&echo(10, 0, SerializeType::Json)))
        .await
        .unwrap();
    assert_eq!(read_frame(&mut s).await.unwrap().opaque, 10);
}

#[tokio::test]
async fn requests_beyond_the_in_flight_limit_get_system_busy() {
    let options = ConnectionOptions {
        max_in_flight: 1,
        ..ConnectionOptions::default()
    };
    let (addr, _, _) = start_with(options).await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut both = frame(&echo(1, 300, SerializeType::Json));
    both.extend_from_slice(&frame(&echo(2, 0, SerializeType::Json)));
    s.write_all(&both).await.unwrap();
    let first = read_frame(&mut s).await.unwrap();
    assert_eq!((first.opaque, first.code), (2, response::SYSTEM_BUSY));
    assert!(first.remark.as_deref().unwrap().starts_with("[OVERLOAD]"));
    let second = read_frame(&mut s).await.unwrap();
    assert_eq!((second.opaque, second.code), (1, response::SUCCESS));
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let options = ConnectionOptions {
        idle_timeout: Some(Duration::from_millis(600)),
        ..ConnectionOptions::default()
    };
    let (addr, handler, _) = start_with(options).await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    // Traffic keeps it open past the timeout...
    for i in 0..6 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        s.write_all(&frame(&echo(i, 0, SerializeType::Json)))
            .await
            .unwrap();
        assert_eq!(read_frame(&mut s).await.unwrap().opaque, i);
    }
    // ...silence closes it.
    assert_closed(&mut s).await;
    wait_closed(&handler, 1).await;
}

#[tokio::test]
async fn shutdown_closes_connections_and_stops_accepting() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let handler = Arc::new(TestHandler {
        notes: tx,
        closed: AtomicUsize::new(0),
    });
    let server = Server::bind("127.0.0.1:0", handler.clone()).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, task) = server.spawn();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&frame(&echo(1, 0, SerializeType::Json)))
        .await
        .unwrap();
    assert_eq!(read_frame(&mut s).await.unwrap().opaque, 1);
    stop.shutdown();
    task.await.unwrap();
    assert_closed(&mut s).await;
    assert!(TcpStream::connect(addr).await.is_err(), "listener is gone");
    wait_closed(&handler, 1).await;
}

#[tokio::test]
async fn oversize_reply_becomes_system_error() {
    let (addr, _, _) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut huge = Command::request(HUGE);
    huge.opaque = 31;
    huge.serialize_type = SerializeType::RocketMq;
    s.write_all(&frame(&huge)).await.unwrap();
    let r = read_frame(&mut s).await.unwrap();
    assert_eq!(
        (r.code, r.opaque, r.serialize_type),
        (response::SYSTEM_ERROR, 31, SerializeType::RocketMq)
    );
    assert!(r.remark.as_deref().unwrap().contains("frame limit"));
    assert!(r.body.is_none());
}

#[tokio::test]
async fn large_and_small_bodies_interleave_intact() {
    let (addr, _, _) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let sizes = [3 * 1024 * 1024 + 7, 10, 20_000, 0, 16 * 1024, 16 * 1024 + 1];
    let body_of =
        |i: usize, n: usize| -> Vec<u8> { (0..n).map(|j| (i * 31 + j * 7) as u8).collect() };
    let mut all = BytesMut::new();
    for (i, &n) in sizes.iter().enumerate() {
        let mut cmd = Command::request(ECHO).with_body(body_of(i, n));
        cmd.opaque = i as i32;
        all.extend_from_slice(&frame(&cmd));
    }
    // Write from a separate task: the replies flow back while we are still sending.
    let (mut rd, mut wr) = s.split();
    let send = async { wr.write_all(&all).await.unwrap() };
    let receive = async {
        let mut seen = Vec::new();
        for _ in 0..sizes.len() {
            let mut len = [0u8; 4];
            rd.read_exact(&mut len).await.unwrap();
            let mut data = vec![0u8; u32::from_be_bytes(len) as usize];
            rd.read_exact(&mut data).await.unwrap();
            let r = decode_frame(Bytes::from(data)).unwrap();
            let i = r.opaque as usize;
            let expected = body_of(i, sizes[i]);
            assert_eq!(
                r.body.as_deref().unwrap_or(&[]),
                &expected[..],
                "body of {i}"
            );
            seen.push(i);
        }
        seen.sort();
        assert_eq!(seen, (0..sizes.len()).collect::<Vec<_>>());
    };
    tokio::join!(send, receive);
}

/// A client-side handler: answers the server's CLIENT_SIDE request (as a Java client answers
/// GET_CONSUMER_RUNNING_INFO over its own connection).
struct Pong;

impl Handler for Pong {
    async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
        assert_eq!(req.code, CLIENT_SIDE);
        Some(Command::response(
            response::SUCCESS,
            "pong from client".to_owned(),
        ))
    }
}

#[tokio::test]
async fn client_handler_answers_server_requests() {
    let (addr, _, _) = start().await;
    let client = Client::with_handler(Arc::new(Pong));
    let reply = client
        .invoke(&addr, Command::request(CALL_BACK), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(reply.remark.as_deref(), Some("pong from client"));
    // The default client handler answers REQUEST_CODE_NOT_SUPPORTED.
    let reply = Client::new()
        .invoke(&addr, Command::request(CALL_BACK), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        reply.remark.as_deref(),
        Some(" request type 500 not supported")
    );
}

/// Polls `cond` every 10 ms for up to 10 s.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not reached within 10 s: {what}");
}

async fn start_counted(
    options: ConnectionOptions,
    connections: Arc<Connections>,
) -> (String, Arc<TestHandler>) {
    let (tx, _rx) = mpsc::unbounded_channel();
    let handler = Arc::new(TestHandler {
        notes: tx,
        closed: AtomicUsize::new(0),
    });
    let server = Server::bind("127.0.0.1:0", handler.clone())
        .await
        .unwrap()
        .with_options(options)
        .with_connections(connections);
    let addr = server.local_addr().unwrap().to_string();
    server.spawn();
    (addr, handler)
}

/// A connection holds a read buffer only while it has a partial frame or is handling what it
/// read: after their requests are answered, idle connections hold none.
#[tokio::test]
async fn idle_connections_hold_no_read_buffer() {
    let counts = Arc::new(Connections::default());
    let (addr, _) = start_counted(ConnectionOptions::default(), counts.clone()).await;
    let mut conns = Vec::new();
    for i in 0..50 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let mut req = echo(i, 0, SerializeType::Json);
        if i % 2 == 0 {
            req = req.with_ext("inline", "true");
        }
        s.write_all(&frame(&req)).await.unwrap();
        assert_eq!(read_frame(&mut s).await.unwrap().opaque, i);
        conns.push(s);
    }
    eventually("50 open", || counts.open() == 50).await;
    eventually("no read buffer held", || counts.read_buffers() == 0).await;

    // Half a frame keeps its bytes; the rest completes it and the buffer goes back.
    let whole = frame(&echo(100, 0, SerializeType::Json));
    let (head, tail) = whole.split_at(whole.len() / 2);
    conns[7].write_all(head).await.unwrap();
    eventually("a partial frame holds one buffer", || {
        counts.read_buffers() == 1
    })
    .await;
    conns[7].write_all(tail).await.unwrap();
    assert_eq!(read_frame(&mut conns[7]).await.unwrap().opaque, 100);
    eventually("released after the frame", || counts.read_buffers() == 0).await;

    // A large frame in pieces: every connection keeps working meanwhile.
    let big = frame(&echo(101, 0, SerializeType::Json).with_body(vec![7u8; 300_000]));
    let (head, tail) = big.split_at(100_000);
    conns[3].write_all(head).await.unwrap();
    conns[4]
        .write_all(&frame(&echo(102, 0, SerializeType::RocketMq)))
        .await
        .unwrap();
    assert_eq!(read_frame(&mut conns[4]).await.unwrap().opaque, 102);
    conns[3].write_all(tail).await.unwrap();
    let r = read_frame(&mut conns[3]).await.unwrap();
    assert_eq!(
        (r.opaque, r.body.as_ref().map(|b| b.len())),
        (101, Some(300_000))
    );
    eventually("released after the large frame", || {
        counts.read_buffers() == 0
    })
    .await;

    drop(conns);
    eventually("all closed", || counts.open() == 0).await;
}

/// Collects what the test's log subscriber writes.
#[derive(Clone, Default)]
struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogSink {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn round_trip(s: &mut TcpStream, opaque: i32) {
    s.write_all(&frame(&echo(opaque, 0, SerializeType::Json)))
        .await
        .unwrap();
    assert_eq!(read_frame(s).await.unwrap().opaque, opaque);
}

/// Beyond the limit a connection is closed as soon as it is accepted, with one warning for a
/// burst of refusals; the connections already open keep working, and a close makes room.
#[tokio::test]
async fn connections_beyond_the_limit_are_refused_and_logged() {
    let log = LogSink::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    // This runtime runs every task on this thread, so the server logs here.
    let _logging = tracing::subscriber::set_default(subscriber);
    let counts = Arc::new(Connections::with_max(Some(3)));
    let (addr, _) = start_counted(ConnectionOptions::default(), counts.clone()).await;
    let mut kept = Vec::new();
    for i in 0..3 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        round_trip(&mut s, i).await;
        kept.push(s);
    }
    for _ in 0..4 {
        let mut extra = TcpStream::connect(&addr).await.unwrap();
        assert_closed(&mut extra).await;
    }
    assert_eq!((counts.open(), counts.refused()), (3, 4));
    let warnings = log.text();
    assert_eq!(
        warnings
            .matches("connection limit reached (serverMaxConnections=3)")
            .count(),
        1,
        "one warning for a burst of refusals: {warnings}"
    );
    for (i, s) in kept.iter_mut().enumerate() {
        round_trip(s, 10 + i as i32).await;
    }
    drop(kept.pop());
    eventually("a closed connection leaves the count", || {
        counts.open() == 2
    })
    .await;
    let mut again = TcpStream::connect(&addr).await.unwrap();
    round_trip(&mut again, 20).await;
    assert_eq!(counts.refused(), 4);
}

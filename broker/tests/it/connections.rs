//! The broker's connections: the `serverMaxConnections` limit, Java's idle close
//! (`serverChannelMaxIdleTimeSeconds`), and no read buffer held by an idle connection.

use crate::common;

use std::time::Duration;

use common::*;
use remoting::code::response as rc;
use remoting::Client;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Polls `cond` every 20 ms for up to 30 s.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not reached within 30 s: {what}");
}

/// The broker closed `s`: a read sees the end of the stream (or a reset).
async fn closed_by_broker(s: &mut TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(within, s.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

async fn send_ok(client: &Client, addr: &str, body: &[u8]) {
    let r = call(client, addr, send_cmd("ConnTopic", 0, body, "")).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
}

#[tokio::test]
async fn connections_beyond_server_max_connections_are_closed() {
    let tb = boot("connlimit", "serverMaxConnections=3").await;
    let a = &tb.addr;
    let counts = tb.broker().connections.clone();
    assert_eq!(counts.max(), Some(3));
    let clients: Vec<Client> = (0..3).map(|_| Client::new()).collect();
    for c in &clients {
        send_ok(c, a, b"before").await;
    }
    for _ in 0..2 {
        let mut extra = TcpStream::connect(a).await.unwrap();
        assert!(
            closed_by_broker(&mut extra, Duration::from_secs(30)).await,
            "a connection beyond the limit is closed"
        );
    }
    assert_eq!((counts.open(), counts.refused()), (3, 2));
    for c in &clients {
        send_ok(c, a, b"after").await;
    }
    drop(clients);
    eventually("the closed clients leave the count", || counts.open() == 0).await;
    send_ok(&Client::new(), a, b"room again").await;
    tb.stop().await;
}

#[tokio::test]
async fn server_max_connections_zero_is_no_limit() {
    let tb = boot("connnolimit", "serverMaxConnections=0").await;
    assert_eq!(tb.broker().connections.max(), None);
    tb.stop().await;
}

#[tokio::test]
async fn idle_connections_hold_no_read_buffer() {
    let tb = boot("connidle", "").await;
    let counts = tb.broker().connections.clone();
    assert_eq!(counts.max(), Some(100_000), "the default limit");
    let clients: Vec<Client> = (0..20).map(|_| Client::new()).collect();
    for (i, c) in clients.iter().enumerate() {
        send_ok(c, &tb.addr, format!("m{i}").as_bytes()).await;
    }
    eventually("20 open, none holding a read buffer", || {
        counts.open() == 20 && counts.read_buffers() == 0
    })
    .await;
    drop(clients);
    tb.stop().await;
}

/// Java's `IdleStateHandler(0, 0, serverChannelMaxIdleTimeSeconds)`: a connection with neither
/// reads nor writes for that long is closed; one with traffic stays.
#[tokio::test]
async fn server_channel_max_idle_time_seconds_closes_silent_connections() {
    let tb = boot("connidleclose", "serverChannelMaxIdleTimeSeconds=2").await;
    let a = &tb.addr;
    let client = Client::new();
    send_ok(&client, a, b"first").await;
    let busy = client.connection(a, TIMEOUT).await.unwrap();
    let mut silent = TcpStream::connect(a).await.unwrap();
    // Traffic every 200 ms for longer than the idle time.
    for i in 0..15 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send_ok(&client, a, format!("busy{i}").as_bytes()).await;
    }
    assert!(
        closed_by_broker(&mut silent, Duration::from_secs(30)).await,
        "a silent connection is closed"
    );
    let now = client.connection(a, TIMEOUT).await.unwrap();
    assert!(
        !busy.is_closed() && now.id() == busy.id(),
        "the busy connection stayed open"
    );
    tb.stop().await;
}

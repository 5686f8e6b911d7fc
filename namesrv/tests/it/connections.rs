//! Thrust's `serverMaxConnections`: a connection beyond it is closed at accept, the open ones
//! keep being served.

use crate::common;

use std::time::Duration;

use common::*;
use remoting::code::response;
use remoting::Client;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn connections_beyond_server_max_connections_are_closed() {
    let dir = temp_dir("connlimit");
    let mut config = config(&dir);
    config.server_max_connections = 2;
    let (ns, addr) = boot_with(config).await;
    let counts = ns.connections.clone();
    let clients = [Client::new(), Client::new()];
    for c in &clients {
        let r = call(c, &addr, route_request("NoSuchTopic")).await;
        assert_eq!(r.code, response::TOPIC_NOT_EXIST);
    }
    let mut extra = TcpStream::connect(&addr).await.unwrap();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(30), extra.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "closed at accept: {read:?}"
    );
    assert_eq!((counts.open(), counts.refused()), (2, 1));
    for c in &clients {
        let r = call(c, &addr, route_request("NoSuchTopic")).await;
        assert_eq!(r.code, response::TOPIC_NOT_EXIST, "open ones keep working");
    }
    ns.shutdown().await;
}

#[tokio::test]
async fn default_limit_is_generous() {
    let dir = temp_dir("connlimitdefault");
    let (ns, _) = boot_with(config(&dir)).await;
    assert_eq!(ns.connections.max(), Some(100_000));
    ns.shutdown().await;
}

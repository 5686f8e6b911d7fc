//! The Prometheus listener: a small HTTP/1.1 responder, as Java's exporter (a JDK `HttpServer`)
//! answers: `GET /metrics` and `GET /` the exposition, `GET /-/healthy` "Exporter is Healthy.",
//! anything else 404. Connections stay open between scrapes (keep-alive) unless the client
//! says `Connection: close`; a request head is at most 8 KiB and must arrive within 30 s.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::text::Format;
use crate::broker::Broker;

const MAX_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts scrapers until the broker shuts down.
pub async fn serve(b: Arc<Broker>, listener: TcpListener) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = b.shutdown.notified() => return,
        };
        match accepted {
            Ok((stream, _)) => {
                let b = b.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    connection(&b, stream).await;
                });
            }
            Err(e) => {
                tracing::warn!("metrics listener: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        if b.is_shutting_down() {
            return;
        }
    }
}

/// One parsed request head.
#[derive(Debug, PartialEq)]
pub(crate) struct Head {
    method: String,
    path: String,
    accept: Option<String>,
    close: bool,
}

async fn connection(b: &Broker, mut stream: TcpStream) {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let head = match read_head(&mut stream, &mut buf).await {
            Some(h) => h,
            None => return,
        };
        let response = respond(b, &head);
        if stream.write_all(&response).await.is_err() || head.close {
            return;
        }
    }
}

/// Reads up to the blank line ending a request head; `None` on EOF, timeout, or a bad or
/// oversized head. Bytes after the head stay in `buf` (a pipelined request).
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Head> {
    loop {
        if let Some(end) = find_head_end(buf) {
            let head = parse_head(&buf[..end]);
            buf.drain(..end + 4);
            return head;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let mut chunk = [0u8; 2048];
        let n = tokio::time::timeout(READ_TIMEOUT, stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

pub(crate) fn parse_head(raw: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?;
    let version = first.next().unwrap_or("HTTP/1.0");
    let path = target.split('?').next().unwrap_or("/").to_string();
    let mut accept = None;
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("accept") {
            accept = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    Some(Head {
        method,
        path,
        accept,
        close,
    })
}

fn respond(b: &Broker, head: &Head) -> Vec<u8> {
    let (status, content_type, body) = match (head.method.as_str(), head.path.as_str()) {
        ("GET" | "HEAD", "/" | "/metrics") => {
            let format = Format::negotiate(head.accept.as_deref());
            let body = super::scrape(b, format);
            ("200 OK", format.content_type(), body)
        }
        ("GET" | "HEAD", "/-/healthy") => (
            "200 OK",
            "text/plain; charset=utf-8",
            "Exporter is Healthy.".to_string(),
        ),
        ("GET" | "HEAD", _) => ("404 Not Found", "text/plain; charset=utf-8", String::new()),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            String::new(),
        ),
    };
    let connection = if head.close { "close" } else { "keep-alive" };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if head.method != "HEAD" {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse() {
        let h = parse_head(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: text/plain").unwrap();
        assert_eq!(h.method, "GET");
        assert_eq!(h.path, "/metrics");
        assert_eq!(h.accept.as_deref(), Some("text/plain"));
        assert!(!h.close);
        let h = parse_head(b"GET / HTTP/1.0").unwrap();
        assert!(h.close);
        let h = parse_head(b"GET / HTTP/1.1\r\nconnection: Close").unwrap();
        assert!(h.close);
        assert!(parse_head(b"GET").is_none());
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(14));
    }
}

//! The Prometheus listener: a small HTTP/1.1 responder, as Java's exporter (a JDK `HttpServer`)
//! answers: `GET /-/healthy` "Exporter is Healthy.", any other path the exposition (only the
//! metrics named by `name[]` query parameters when there are any), gzip-compressed when the
//! scraper accepts it. Connections stay open between scrapes (keep-alive) unless the client
//! says `Connection: close`; a request head is at most 8 KiB and must arrive within 30 s.

use std::sync::Arc;
use std::time::Duration;

use std::io::Write;

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
    /// The decoded values of `name[]` query parameters.
    names: Vec<String>,
    accept: Option<String>,
    gzip: bool,
    close: bool,
}

async fn connection(b: &Arc<Broker>, mut stream: TcpStream) {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let head = match read_head(&mut stream, &mut buf).await {
            Some(h) => h,
            None => return,
        };
        // A scrape reads the store (consume queues, record times): off the async workers.
        let b = b.clone();
        let Ok(response) = tokio::task::spawn_blocking(move || respond(&b, &head)).await else {
            return;
        };
        if stream.write_all(&response.0).await.is_err() || response.1 {
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
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let names = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| percent_decode(k) == "name[]")
        .map(|(_, v)| percent_decode(v))
        .collect();
    let mut accept = None;
    let mut gzip = false;
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("accept") {
            accept = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("accept-encoding") {
            gzip = value.contains("gzip");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    Some(Head {
        method,
        path: path.to_string(),
        names,
        accept,
        gzip,
        close,
    })
}

/// `%XX` escapes and `+` as space, as a query string is decoded; a bad escape stays as is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The response's bytes, and whether the connection closes after it.
fn respond(b: &Broker, head: &Head) -> (Vec<u8>, bool) {
    let text = "text/plain; charset=utf-8";
    let (status, content_type, body, scraped) = match (head.method.as_str(), head.path.as_str()) {
        ("GET" | "HEAD", "/-/healthy") => {
            ("200 OK", text, "Exporter is Healthy.".to_string(), false)
        }
        ("GET" | "HEAD", _) => {
            let format = Format::negotiate(head.accept.as_deref());
            let body = super::scrape(b, format, &head.names);
            ("200 OK", format.content_type(), body, true)
        }
        _ => ("405 Method Not Allowed", text, String::new(), false),
    };
    let (body, encoding) = match scraped && head.gzip {
        true => (gzip(body.as_bytes()), "Content-Encoding: gzip\r\n"),
        false => (body.into_bytes(), ""),
    };
    let connection = if head.close { "close" } else { "keep-alive" };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{encoding}Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if head.method != "HEAD" {
        out.extend_from_slice(&body);
    }
    (out, head.close)
}

fn hex(c: Option<&u8>) -> Option<u8> {
    char::from(*c?).to_digit(16).map(|d| d as u8)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse() {
        let h = parse_head(
            b"GET /metrics?x=1&name%5B%5D=rocketmq_topic_number&name[]=a+b HTTP/1.1\r\n\
              Host: a\r\nAccept: text/plain\r\nAccept-Encoding: gzip, deflate",
        )
        .unwrap();
        assert_eq!(h.method, "GET");
        assert_eq!(h.path, "/metrics");
        assert_eq!(h.names, ["rocketmq_topic_number", "a b"]);
        assert!(h.gzip);
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

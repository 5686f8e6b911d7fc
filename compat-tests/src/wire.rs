//! A tiny blocking remoting client for readiness checks, for reading NameServer state without
//! starting a JVM and for raw requests, each on a fresh connection or several on a kept-open
//! [`Session`]. JSON headers only: exactly what a Java client sends by default.
//!
//! ```text
//! | length: u32 BE = 4 + header + body | 0x00 (JSON) | header length: u24 BE | header JSON | body |
//! ```
//! It is independent of the `remoting` crate on purpose, so the harness can judge that crate.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use serde_json::{json, Map, Value};

/// Request codes used by the harness (RequestCode.java).
pub mod code {
    pub const PUT_KV_CONFIG: i32 = 100;
    pub const GET_KV_CONFIG: i32 = 101;
    pub const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
    pub const GET_BROKER_CLUSTER_INFO: i32 = 106;
    pub const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
}

/// Response codes used by the harness (ResponseCode.java).
pub mod response {
    pub const SUCCESS: i32 = 0;
    pub const TOPIC_NOT_EXIST: i32 = 17;
    pub const QUERY_NOT_FOUND: i32 = 22;
}

/// The 5.3.3 client version ordinal: NameServers answer it with standard (quoted-key) JSON.
pub const VERSION_5_3_3: i32 = 479;

static OPAQUE: AtomicI32 = AtomicI32::new(1);

/// A decoded response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: i32,
    pub remark: Option<String>,
    pub ext: Map<String, Value>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (fails on fastjson's unquoted keys: ask with version ≥ 401 to avoid them).
    pub fn json(&self) -> std::io::Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            bad(format!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            ))
        })
    }

    pub fn ext_str(&self, key: &str) -> Option<&str> {
        self.ext.get(key).and_then(Value::as_str)
    }
}

fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

/// Sends one request with a JSON header and waits for its response.
pub fn request(
    addr: &str,
    code: i32,
    ext: &[(&str, &str)],
    timeout: Duration,
) -> std::io::Result<Reply> {
    request_as(addr, code, VERSION_5_3_3, ext, timeout)
}

/// [`request`] with the sender's version ordinal in the header (the Go client sends 317, and a
/// NameServer picks the route JSON flavour from it).
pub fn request_as(
    addr: &str,
    code: i32,
    version: i32,
    ext: &[(&str, &str)],
    timeout: Duration,
) -> std::io::Result<Reply> {
    request_body(addr, code, version, ext, &[], timeout)
}

/// [`request_as`] with a body (a broker reads a send request's body before its topic checks).
pub fn request_body(
    addr: &str,
    code: i32,
    version: i32,
    ext: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Reply> {
    let sock: SocketAddr = addr
        .parse()
        .map_err(|e| bad(format!("address {addr}: {e}")))?;
    let mut stream = TcpStream::connect_timeout(&sock, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    exchange(&mut stream, code, version, ext, body)
}

/// Writes one request on `stream` and reads frames until its response.
fn exchange(
    stream: &mut TcpStream,
    code: i32,
    version: i32,
    ext: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    exchange_recording(stream, code, version, ext, body).map(|x| x.reply)
}

/// [`exchange`], also collecting the codes of the peer's requests read before the response.
fn exchange_recording(
    stream: &mut TcpStream,
    code: i32,
    version: i32,
    ext: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Exchange> {
    let opaque = OPAQUE.fetch_add(1, Ordering::Relaxed);
    let fields: Map<String, Value> = ext
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(*v)))
        .collect();
    let header = json!({"code": code, "extFields": fields, "flag": 0, "language": "JAVA",
        "opaque": opaque, "serializeTypeCurrentRPC": "JSON", "version": version});
    let header = serde_json::to_vec(&header).map_err(|e| bad(e.to_string()))?;
    let mut frame = Vec::with_capacity(8 + header.len() + body.len());
    frame.extend_from_slice(&((4 + header.len() + body.len()) as u32).to_be_bytes());
    frame.extend_from_slice(&(header.len() as u32).to_be_bytes()); // type byte 0 = JSON
    frame.extend_from_slice(&header);
    frame.extend_from_slice(body);
    stream.write_all(&frame)?;
    let mut before = Vec::new();
    loop {
        let frame = read_frame(stream)?;
        if !frame.response {
            before.push(frame.reply.code);
        } else if frame.opaque == opaque {
            return Ok(Exchange {
                reply: frame.reply,
                before,
            });
        }
    }
}

/// The answer to a request on a [`Session`] and the codes of the requests the server sent on
/// that connection before it (NOTIFY_CONSUMER_IDS_CHANGED, …), in arrival order.
#[derive(Debug)]
pub struct Exchange {
    pub reply: Reply,
    pub before: Vec<i32>,
}

/// One connection kept open across requests (the functions above open one per request), to
/// see what a server does with a connection over time.
pub struct Session {
    stream: TcpStream,
}

impl Session {
    pub fn connect(addr: &str, timeout: Duration) -> std::io::Result<Session> {
        let sock: SocketAddr = addr
            .parse()
            .map_err(|e| bad(format!("address {addr}: {e}")))?;
        let stream = TcpStream::connect_timeout(&sock, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(Session { stream })
    }

    /// One request and its response on this connection.
    pub fn request(&mut self, code: i32, ext: &[(&str, &str)]) -> std::io::Result<Reply> {
        exchange(&mut self.stream, code, VERSION_5_3_3, ext, &[])
    }

    /// One request with a body; the answer comes with the server's requests that preceded it
    /// (a client stays a member of the consumer groups its heartbeats on a connection join).
    pub fn call(
        &mut self,
        code: i32,
        ext: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Exchange> {
        exchange_recording(&mut self.stream, code, VERSION_5_3_3, ext, body)
    }

    /// Whether the server closes this connection within `within` (a read sees the end of the
    /// stream or a reset); a frame from the server in between counts as not closed.
    pub fn closed_by_peer(&mut self, within: Duration) -> bool {
        let deadline = std::time::Instant::now() + within;
        let mut byte = [0u8; 1];
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                return false;
            }
            match self.stream.read(&mut byte) {
                Ok(0) => return true,
                Ok(_) => return false,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return true,
            }
        }
    }
}

/// A decoded frame: a response to one of ours, or a request of the peer's.
struct Frame {
    reply: Reply,
    opaque: i32,
    response: bool,
}

fn read_frame(stream: &mut TcpStream) -> std::io::Result<Frame> {
    let mut word = [0u8; 4];
    stream.read_exact(&mut word)?;
    let len = u32::from_be_bytes(word) as usize;
    if !(4..=16 * 1024 * 1024).contains(&len) {
        return Err(bad(format!("frame length {len}")));
    }
    let mut frame = vec![0u8; len];
    stream.read_exact(&mut frame)?;
    let type_and_len = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    let header_len = (type_and_len & 0x00FF_FFFF) as usize;
    if type_and_len >> 24 != 0 {
        return Err(bad("response header is not JSON".into()));
    }
    let header_end = 4usize
        .checked_add(header_len)
        .filter(|e| *e <= len)
        .ok_or_else(|| bad("header length".into()))?;
    let header: Value = serde_json::from_slice(&frame[4..header_end])
        .map_err(|e| bad(format!("header JSON: {e}")))?;
    let num = |k: &str| header.get(k).and_then(Value::as_i64).unwrap_or(0) as i32;
    let reply = Reply {
        code: num("code"),
        remark: header
            .get("remark")
            .and_then(Value::as_str)
            .map(str::to_string),
        ext: header
            .get("extFields")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        body: frame[header_end..].to_vec(),
    };
    Ok(Frame {
        reply,
        opaque: num("opaque"),
        // RemotingCommand flag bit 0: a response.
        response: num("flag") & 1 == 1,
    })
}

/// The route of a topic from a NameServer: `Ok(None)` when it answers TOPIC_NOT_EXIST.
pub fn route(ns: &str, topic: &str) -> std::io::Result<Option<Value>> {
    let reply = request(
        ns,
        code::GET_ROUTEINFO_BY_TOPIC,
        &[("topic", topic)],
        Duration::from_secs(3),
    )?;
    match reply.code {
        response::SUCCESS => reply.json().map(Some),
        response::TOPIC_NOT_EXIST => Ok(None),
        other => Err(bad(format!(
            "route {topic}: code {other} {:?}",
            reply.remark
        ))),
    }
}

/// Broker addresses listed in a route's `brokerDatas`.
pub fn route_broker_addrs(route: &Value) -> Vec<String> {
    let mut addrs = Vec::new();
    for bd in route
        .get("brokerDatas")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for addr in bd
            .get("brokerAddrs")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
        {
            if let Some(a) = addr.as_str() {
                addrs.push(a.to_string());
            }
        }
    }
    addrs
}

/// The `perm` of `broker`'s queue data in a route.
pub fn route_perm(route: &Value, broker: &str) -> Option<i64> {
    route
        .get("queueDatas")?
        .as_array()?
        .iter()
        .find(|q| q.get("brokerName").and_then(Value::as_str) == Some(broker))?
        .get("perm")?
        .as_i64()
}

/// True once a TCP connection to `addr` succeeds.
pub fn port_open(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_millis(300)).is_ok())
}

/// Parses JSON as fastjson writes it: object keys may be bare numbers (`{0:"127.0.0.1:10911"}`),
/// as in Java's `ClusterInfo` body and in mqadmin's `topicRoute` output.
pub fn parse_fastjson(text: &str) -> std::io::Result<Value> {
    serde_json::from_str(&quote_numeric_keys(text))
        .map_err(|e| bad(format!("not JSON ({e}): {text}")))
}

fn quote_numeric_keys(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let (mut i, mut in_string, mut after_open) = (0, false, false);
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if c == '\\' && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 1;
            } else if c == '"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if after_open && (c.is_ascii_digit() || c == '-') {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '-') {
                i += 1;
            }
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let number: String = chars[start..i].iter().collect();
            if j < chars.len() && chars[j] == ':' {
                out.push('"');
                out.push_str(&number);
                out.push('"');
            } else {
                out.push_str(&number);
            }
            after_open = false;
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | ',' => after_open = true,
            c if c.is_whitespace() => {}
            _ => after_open = false,
        }
        if c != '{' && c != ',' && !c.is_whitespace() {
            after_open = false;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `GET_BROKER_CLUSTER_INFO` from a NameServer, as JSON.
pub fn cluster_info(ns: &str) -> std::io::Result<Value> {
    let reply = request(
        ns,
        code::GET_BROKER_CLUSTER_INFO,
        &[],
        Duration::from_secs(3),
    )?;
    if reply.code != response::SUCCESS {
        return Err(bad(format!(
            "cluster info: code {} {:?}",
            reply.code, reply.remark
        )));
    }
    parse_fastjson(&String::from_utf8_lossy(&reply.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastjson_numeric_keys_are_quoted() {
        let v =
            parse_fastjson("{\"brokerAddrs\":{0:\"127.0.0.1:1\",\n\t1:\"a,{2:b\"},\"n\":[1,-2]}")
                .unwrap();
        assert_eq!(v["brokerAddrs"]["0"], "127.0.0.1:1");
        assert_eq!(v["brokerAddrs"]["1"], "a,{2:b");
        assert_eq!(v["n"], serde_json::json!([1, -2]));
    }
}

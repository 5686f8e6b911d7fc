//! What every call carries (Java proxy `ProxyContext`): the client id and language from the
//! SDK's metadata, the peer, the deadline; and the pieces every handler shares: validation
//! with Java's codes and messages, and the in-process remoting call.

use std::net::SocketAddr;
use std::time::Duration;

use remoting::code::response as rc;
use remoting::Command;

use super::proto::{code, Resource, Status};
use super::Endpoint;

/// One call's context.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `x-mq-client-id`.
    pub client_id: String,
    /// `x-mq-language` (`JAVA`, `GOLANG`, ...).
    pub language: String,
    /// `x-mq-client-version`.
    pub client_version: String,
    pub peer: SocketAddr,
    /// From `grpc-timeout`: when the client gives up on the call.
    pub deadline: Option<tokio::time::Instant>,
}

impl Ctx {
    pub fn new(headers: &http::HeaderMap, peer: SocketAddr) -> Ctx {
        let get = |k: &str| {
            headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let deadline = headers
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_timeout)
            .map(|d| tokio::time::Instant::now() + d);
        Ctx {
            client_id: get("x-mq-client-id"),
            language: get("x-mq-language"),
            client_version: get("x-mq-client-version"),
            peer,
            deadline,
        }
    }

    /// Milliseconds left before the deadline (Java `ProxyContext.getRemainingMs`); a call
    /// without one has all the time of a default request timeout.
    pub fn remaining_ms(&self) -> i64 {
        match self.deadline {
            Some(d) => d
                .saturating_duration_since(tokio::time::Instant::now())
                .as_millis() as i64,
            None => 30_000,
        }
    }

    /// Java `GrpcMessagingApplication.validateContext`: a call must name its client.
    pub fn refused(&self) -> Option<Refused> {
        self.client_id.trim().is_empty().then(|| {
            refuse(
                super::proto::code::CLIENT_ID_REQUIRED,
                "client id cannot be empty",
            )
        })
    }

    /// The born host Java's proxy records (`ip:port` of the caller).
    pub fn remote_address(&self) -> String {
        self.peer.to_string()
    }
}

/// gRPC's `grpc-timeout`: up to 8 digits and a unit (H, M, S, m, u, n).
fn parse_timeout(v: &str) -> Option<Duration> {
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// A refused call: the status its response carries (Java `GrpcProxyException`).
pub type Refused = Status;

pub fn refuse(c: i32, message: impl Into<String>) -> Refused {
    Status::new(c, message)
}

/// Java `GrpcValidator.validateTopic`.
pub fn validate_topic(ep: &Endpoint, topic: Option<&Resource>) -> Result<String, Refused> {
    let name = topic.map(|t| t.name.clone()).unwrap_or_default();
    crate::topics::validate_topic_name(&name).map_err(|e| refuse(code::ILLEGAL_TOPIC, e))?;
    if crate::topics::is_system_topic(&name, &ep.broker.config()) {
        return Err(refuse(code::ILLEGAL_TOPIC, "cannot access system topic"));
    }
    Ok(name)
}

/// Java `GrpcValidator.validateConsumerGroup`.
pub fn validate_group(group: Option<&Resource>) -> Result<String, Refused> {
    let name = group.map(|g| g.name.clone()).unwrap_or_default();
    crate::groups::validate_group_name(&name)
        .map_err(|e| refuse(code::ILLEGAL_CONSUMER_GROUP, e))?;
    if name.starts_with("CID_RMQ_SYS_") {
        return Err(refuse(
            code::ILLEGAL_CONSUMER_GROUP,
            "cannot use system consumer group",
        ));
    }
    Ok(name)
}

/// Java `GrpcValidator.containControlCharacter` (`CharMatcher.javaIsoControl`: U+0000–U+001F
/// and U+007F–U+009F, Rust's `char::is_control`).
pub fn has_control_char(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Runs one remoting request through the broker's dispatch on `conn`, as Java's local-mode
/// proxy calls the broker's processors with its own channel.
pub async fn invoke(ep: &Endpoint, conn: &remoting::Connection, req: Command) -> Command {
    crate::dispatch::dispatch(&ep.broker, conn, req, false).await
}

/// A connection for one call of a client that needs none of its own (Java
/// `channelManager.createChannel`): the broker sends nothing back on it.
pub fn call_connection(ctx: &Ctx) -> remoting::Connection {
    remoting::Connection::detached(ctx.peer)
}

/// Java `ResponseBuilder.buildStatus(int, remark)`: the few remoting codes it maps, else
/// INTERNAL_SERVER_ERROR with the broker's remark.
pub fn from_remoting(resp: &Command) -> Status {
    let c = match resp.code {
        rc::SUCCESS => code::OK,
        rc::SYSTEM_BUSY => code::TOO_MANY_REQUESTS,
        rc::REQUEST_CODE_NOT_SUPPORTED => code::NOT_IMPLEMENTED,
        rc::SUBSCRIPTION_GROUP_NOT_EXIST => code::CONSUMER_GROUP_NOT_FOUND,
        rc::TOPIC_NOT_EXIST => code::TOPIC_NOT_FOUND,
        _ => code::INTERNAL_SERVER_ERROR,
    };
    let message = resp.remark.clone().unwrap_or_else(|| resp.code.to_string());
    Status::new(c, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts() {
        assert_eq!(parse_timeout("3000m"), Some(Duration::from_millis(3000)));
        assert_eq!(parse_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_timeout("x"), None);
        assert_eq!(parse_timeout(""), None);
    }

    #[test]
    fn a_call_must_name_its_client_as_java() {
        use super::super::proto::{code, QueryRouteResponse, ReceiveContent};
        use super::super::proto::{ReceiveMessageResponse, StatusOnly};
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let ctx = |id: Option<&str>| {
            let mut h = http::HeaderMap::new();
            if let Some(id) = id {
                h.insert("x-mq-client-id", http::HeaderValue::from_str(id).unwrap());
            }
            Ctx::new(&h, peer)
        };
        for id in [None, Some(""), Some("  ")] {
            let refused = ctx(id).refused().expect("refused");
            assert_eq!(refused.code, code::CLIENT_ID_REQUIRED);
            assert_eq!(refused.message, "client id cannot be empty");
            let unary = QueryRouteResponse::with_status(refused.clone());
            assert_eq!(unary.status, Some(refused.clone()));
            let streamed = ReceiveMessageResponse::with_status(refused.clone());
            assert_eq!(streamed.content, Some(ReceiveContent::Status(refused)));
        }
        assert!(ctx(Some("c1")).refused().is_none());
    }
}

//! The broker's questions to a gRPC consumer, asked over its Telemetry stream (Java proxy
//! `GrpcClientChannel.processGetConsumerRunningInfo` / `processConsumeMessageDirectly` and
//! `ClientActivity.reportThreadStackTrace` / `reportVerifyMessageResult`):
//!
//! ```text
//!  mqadmin consumerStatus -s ─▶ broker GET_CONSUMER_RUNNING_INFO ─▶ PrintThreadStackTraceCommand
//!  mqadmin queryMsgById -d   ─▶ broker CONSUME_MESSAGE_DIRECTLY  ─▶ VerifyMessageCommand
//!                      client's ThreadStackTrace / VerifyMessageResult (same nonce)
//!                      ─▶ the broker's request on the client's connection is answered
//! ```
//!
//! As in Java, running info is asked for only with `jstackEnable`, and all the client reports is
//! its thread stacks; without it the broker's request is left to time out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use remoting::code::response as rc;
use remoting::headers::GetConsumerRunningInfoRequestHeader;
use remoting::Command;
use serde::Serialize;

use super::clients::Client;
use super::convert::to_proto;
use super::proto::{self, code, Status, TelemetryCommand};

/// How long a question waits for its answer: longer than the broker waits for the client.
const KEEP: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Asked {
    ThreadStack,
    Verify,
}

/// A question in flight: where its answer goes.
struct Waiting {
    conn: remoting::Connection,
    opaque: i32,
    asked: Asked,
    since: Instant,
}

/// Questions by nonce (Java `GrpcChannelManager.resultNonceFutureMap`).
#[derive(Default)]
pub struct Relays {
    next: AtomicU64,
    waiting: Mutex<HashMap<String, Waiting>>,
}

impl Relays {
    fn add(&self, client: &Client, opaque: i32, asked: Asked) -> String {
        let nonce = self.next.fetch_add(1, Ordering::Relaxed).to_string();
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        w.retain(|_, q| q.since.elapsed() < KEEP);
        w.insert(
            nonce.clone(),
            Waiting {
                conn: client.conn.clone(),
                opaque,
                asked,
                since: Instant::now(),
            },
        );
        nonce
    }

    fn take(&self, nonce: &str, asked: Asked) -> Option<Waiting> {
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        match w.get(nonce) {
            Some(q) if q.asked == asked => w.remove(nonce),
            _ => None,
        }
    }

    /// GET_CONSUMER_RUNNING_INFO from the broker: the client's thread stacks, when asked for.
    pub fn running_info(&self, client: &Client, cmd: &Command) {
        let jstack = cmd
            .decode_header::<GetConsumerRunningInfoRequestHeader>()
            .is_ok_and(|h| h.jstack_enable);
        if !jstack {
            return;
        }
        let nonce = self.add(client, cmd.opaque, Asked::ThreadStack);
        let ask =
            proto::Command::PrintThreadStackTraceCommand(proto::PrintThreadStackTraceCommand {
                nonce,
            });
        send(client, ask);
    }

    /// CONSUME_MESSAGE_DIRECTLY from the broker: the client consumes the message once more.
    pub fn consume_directly(&self, client: &Client, cmd: &Command) {
        let Some(msg) = cmd.body.as_ref().and_then(store::StoredMessage::decode) else {
            tracing::debug!(client = %client.id, "consume directly: no message in the request");
            return;
        };
        let nonce = self.add(client, cmd.opaque, Asked::Verify);
        let ask = proto::Command::VerifyMessageCommand(proto::VerifyMessageCommand {
            nonce,
            message: Some(to_proto(&msg, &msg.topic, None)),
        });
        send(client, ask);
    }

    /// The client's ThreadStackTrace: running info holding only the stacks (Java
    /// `reportThreadStackTrace`).
    pub fn thread_stack(&self, status: Option<&Status>, t: &proto::ThreadStackTrace) {
        let Some(q) = self.take(&t.nonce, Asked::ThreadStack) else {
            return;
        };
        let resp = match status.map_or(code::OK, |s| s.code) {
            code::OK => {
                let info = RunningInfo {
                    jstack: t.thread_stack_trace.clone(),
                    ..RunningInfo::default()
                };
                let body = serde_json::to_vec(&info).unwrap_or_default();
                Command::response(rc::SUCCESS, Some(String::new())).with_body(body)
            }
            code::VERIFY_FIFO_MESSAGE_UNSUPPORTED => Command::response(
                rc::NO_PERMISSION,
                Some("forbidden to verify message".into()),
            ),
            _ => Command::response(rc::SYSTEM_ERROR, Some("verify message failed".into())),
        };
        answer(q, resp);
    }

    /// The client's VerifyMessageResult: how its listener consumed the message (Java
    /// `buildConsumeMessageDirectlyResult`).
    pub fn verified(&self, status: Option<&Status>, v: &proto::VerifyMessageResult) {
        let Some(q) = self.take(&v.nonce, Asked::Verify) else {
            return;
        };
        let consume_result = match status.map_or(code::OK, |s| s.code) {
            code::OK => Some("CR_SUCCESS"),
            code::FAILED_TO_CONSUME_MESSAGE => Some("CR_LATER"),
            code::MESSAGE_CORRUPTED => Some("CR_RETURN_NULL"),
            _ => None,
        };
        let result = DirectResult {
            auto_commit: true,
            consume_result,
            order: false,
            remark: "from gRPC client",
            spent_time_mills: 0,
        };
        let body = serde_json::to_vec(&result).unwrap_or_default();
        answer(
            q,
            Command::response(rc::SUCCESS, Some(String::new())).with_body(body),
        );
    }
}

fn send(client: &Client, command: proto::Command) {
    let cmd = TelemetryCommand {
        status: None,
        command: Some(command),
    };
    if !client.send_command(cmd) {
        tracing::debug!(client = %client.id, "no telemetry stream open for the broker's question");
    }
}

fn answer(q: Waiting, mut resp: Command) {
    resp.opaque = q.opaque;
    q.conn.deliver_response(resp);
}

/// Java `ConsumerRunningInfo` as fastjson writes one holding only `jstack`.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct RunningInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    jstack: Option<String>,
    mq_pop_table: serde_json::Map<String, serde_json::Value>,
    mq_table: serde_json::Map<String, serde_json::Value>,
    properties: serde_json::Map<String, serde_json::Value>,
    status_table: serde_json::Map<String, serde_json::Value>,
    subscription_set: Vec<serde_json::Value>,
    user_consumer_info: serde_json::Map<String, serde_json::Value>,
}

/// Java `ConsumeMessageDirectlyResult` as fastjson writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DirectResult {
    auto_commit: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    consume_result: Option<&'static str>,
    order: bool,
    remark: &'static str,
    spent_time_mills: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_as_fastjson_writes_them() {
        let info = RunningInfo {
            jstack: Some("main".into()),
            ..RunningInfo::default()
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"jstack":"main","mqPopTable":{},"mqTable":{},"properties":{},"statusTable":{},"subscriptionSet":[],"userConsumerInfo":{}}"#
        );
        let r = DirectResult {
            auto_commit: true,
            consume_result: Some("CR_SUCCESS"),
            order: false,
            remark: "from gRPC client",
            spent_time_mills: 0,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"remark":"from gRPC client","spentTimeMills":0}"#
        );
    }
}

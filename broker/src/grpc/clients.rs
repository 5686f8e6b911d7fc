//! The endpoint's clients (Java proxy `ClientActivity`, `GrpcChannelManager`,
//! `GrpcClientSettingsManager`): Heartbeat, Telemetry and NotifyClientTermination.
//!
//! Each client id is one detached connection in the broker's client tables, registered by a
//! HEART_BEAT built from the client's settings: a producer under each of its topics (Java's
//! proxy uses the topic as the producer group, which is what the transaction checker looks
//! up), a consumer in its group with `CONSUME_ACTIVELY` (simple) or `CONSUME_PASSIVELY` (push),
//! clustering, from the last offset. A task per client takes what the broker sends on that
//! connection: a transaction check, a running-info or consume-directly question ([`super::relay`])
//! go to the client's Telemetry stream, the rest (consumer id changes) has no gRPC form and is
//! dropped, as Java's `GrpcClientChannel` drops it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use remoting::code::request as rq;
use remoting::code::response as rc;
use remoting::{Command, Connection};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::context::{invoke, refuse, validate_group, validate_topic, Ctx, Refused};
use super::proto::{self, client_type, code, PubSub, Settings, Status, TelemetryCommand};
use super::server::{from_channel, Responses};
use super::Endpoint;
use crate::subscription::SubscriptionData;

type TelemetrySender = mpsc::Sender<Result<TelemetryCommand, tonic::Status>>;

/// One gRPC client.
pub struct Client {
    pub id: String,
    /// Its channel in the broker's tables.
    pub conn: Connection,
    /// The settings it last sent (Java `CLIENT_SETTINGS_MAP`), as sent.
    settings: Mutex<Option<Settings>>,
    /// Its open Telemetry stream, where the broker's commands go.
    telemetry: Mutex<Option<TelemetrySender>>,
}

impl Client {
    pub fn settings(&self) -> Option<Settings> {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_settings(&self, s: Settings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = Some(s);
    }

    /// Queues a command on the client's Telemetry stream; false when it has none open.
    pub fn send_command(&self, cmd: TelemetryCommand) -> bool {
        let tx = self
            .telemetry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match tx {
            Some(tx) => tx.try_send(Ok(cmd)).is_ok(),
            None => false,
        }
    }
}

/// The clients by id. A std mutex: held only to look up or insert, never across an await.
#[derive(Default)]
pub struct Clients {
    map: Mutex<HashMap<String, Arc<Client>>>,
}

impl Clients {
    pub fn get(&self, id: &str) -> Option<Arc<Client>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id).filter(|c| !c.conn.is_closed()).cloned()
    }

    fn remove(&self, id: &str) -> Option<Arc<Client>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
    }

    /// The client's entry, a new one (with its forwarding task) when it has none or the broker
    /// closed its channel (expired after `channelExpiredTimeout` without a heartbeat).
    fn get_or_create(&self, ep: &Arc<Endpoint>, ctx: &Ctx) -> Arc<Client> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(&ctx.client_id).filter(|c| !c.conn.is_closed()) {
            return c.clone();
        }
        let client = Arc::new(Client {
            id: ctx.client_id.clone(),
            conn: Connection::detached(ctx.peer),
            settings: Mutex::new(None),
            telemetry: Mutex::new(None),
        });
        if let Some(old) = map.insert(ctx.client_id.clone(), client.clone()) {
            // Keep what the client told before its channel expired.
            if let Some(s) = old.settings() {
                client.set_settings(s);
            }
            *client.telemetry.lock().unwrap_or_else(|e| e.into_inner()) = old
                .telemetry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
        }
        tokio::spawn(forward(Arc::downgrade(ep), client.clone()));
        client
    }
}

/// Takes what the broker sends to the client's channel until the channel closes.
async fn forward(ep: std::sync::Weak<Endpoint>, client: Arc<Client>) {
    while let Some(cmd) = client.conn.next_sent().await {
        let Some(ep) = ep.upgrade() else { return };
        match cmd.code {
            rq::CHECK_TRANSACTION_STATE => super::producer::check_transaction(&ep, &client, cmd),
            rq::GET_CONSUMER_RUNNING_INFO => ep.relays.running_info(&client, &cmd),
            rq::CONSUME_MESSAGE_DIRECTLY => ep.relays.consume_directly(&client, &cmd),
            other => tracing::trace!(client = %client.id, code = other, "no gRPC form; dropped"),
        }
    }
}

/// Java `ClientActivity.heartbeat`.
pub async fn heartbeat(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::HeartbeatRequest,
) -> proto::HeartbeatResponse {
    let status = match beat(&ep, &ctx, req.group.as_ref()).await {
        Ok(()) => Status::ok(),
        Err(s) => s,
    };
    proto::HeartbeatResponse {
        status: Some(status),
    }
}

async fn beat(
    ep: &Arc<Endpoint>,
    ctx: &Ctx,
    group: Option<&proto::Resource>,
) -> Result<(), Refused> {
    let no_settings = || {
        refuse(
            code::UNRECOGNIZED_CLIENT_TYPE,
            "cannot find client settings for this client",
        )
    };
    let client = ep.clients.get(&ctx.client_id);
    let settings = client
        .as_ref()
        .and_then(|c| c.settings())
        .ok_or_else(no_settings)?;
    let group = match settings.client_type.unwrap_or_default() {
        client_type::PRODUCER => None,
        client_type::PUSH_CONSUMER | client_type::SIMPLE_CONSUMER => Some(validate_group(group)?),
        other => {
            return Err(refuse(
                code::UNRECOGNIZED_CLIENT_TYPE,
                client_type_name(other),
            ))
        }
    };
    let client = ep.clients.get_or_create(ep, ctx);
    register(ep, &client, &settings, group.as_deref()).await
}

fn client_type_name(t: i32) -> String {
    match t {
        0 => "CLIENT_TYPE_UNSPECIFIED".into(),
        4 => "PULL_CONSUMER".into(),
        5 => "LITE_PUSH_CONSUMER".into(),
        6 => "LITE_SIMPLE_CONSUMER".into(),
        n => n.to_string(),
    }
}

/// HEART_BEAT on the client's channel: its producer groups (its topics) or its consumer group.
async fn register(
    ep: &Endpoint,
    client: &Client,
    settings: &Settings,
    group: Option<&str>,
) -> Result<(), Refused> {
    let body = heartbeat_body(&client.id, settings, group)?;
    let req = Command::request(rq::HEART_BEAT).with_body(body.to_string().into_bytes());
    let resp = invoke(ep, &client.conn, req).await;
    if resp.code != rc::SUCCESS {
        return Err(super::context::from_remoting(&resp));
    }
    Ok(())
}

fn heartbeat_body(client_id: &str, s: &Settings, group: Option<&str>) -> Result<Value, Refused> {
    let mut producers = Vec::new();
    let mut consumers = Vec::new();
    match (&s.pub_sub, group) {
        (Some(PubSub::Publishing(p)), _) => {
            for t in &p.topics {
                producers.push(json!({ "groupName": t.name }));
            }
        }
        (Some(PubSub::Subscription(sub)), Some(group)) => {
            let consume_type = if s.client_type == Some(client_type::PUSH_CONSUMER) {
                "CONSUME_PASSIVELY"
            } else {
                "CONSUME_ACTIVELY"
            };
            let mut subs = Vec::new();
            for e in &sub.subscriptions {
                let topic = e
                    .topic
                    .as_ref()
                    .map(|t| t.name.as_str())
                    .unwrap_or_default();
                subs.push(subscription(topic, e.expression.as_ref())?);
            }
            consumers.push(json!({
                "groupName": group,
                "consumeType": consume_type,
                "messageModel": "CLUSTERING",
                "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET",
                "subscriptionDataSet": subs,
            }));
        }
        _ => {}
    }
    Ok(json!({
        "clientID": client_id,
        "producerDataSet": producers,
        "consumerDataSet": consumers,
    }))
}

/// Java `ClientActivity.buildSubscriptionData` (`FilterAPI.build`).
pub fn subscription(topic: &str, expr: Option<&proto::FilterExpression>) -> Result<Value, Refused> {
    let data = filter(topic, expr)?;
    serde_json::to_value(data).map_err(|e| refuse(code::ILLEGAL_FILTER_EXPRESSION, e.to_string()))
}

/// The subscription of a filter expression; SQL92 is refused here as the broker refuses it.
pub fn filter(
    topic: &str,
    expr: Option<&proto::FilterExpression>,
) -> Result<SubscriptionData, Refused> {
    let (ty, text) = match expr {
        Some(e) => (e.r#type, e.expression.as_str()),
        None => (proto::filter_type::TAG, "*"),
    };
    if ty == proto::filter_type::SQL {
        return Err(refuse(
            code::ILLEGAL_FILTER_EXPRESSION,
            "SQL92 filtering is not supported by this broker",
        ));
    }
    Ok(SubscriptionData::build(topic, text, Some("TAG")))
}

/// Java `ClientActivity.notifyClientTermination`: the channel leaves the broker's tables.
pub async fn terminate(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    req: proto::NotifyClientTerminationRequest,
) -> proto::NotifyClientTerminationResponse {
    let status = match end(&ep, &ctx, req.group.as_ref()) {
        Ok(()) => Status::ok(),
        Err(s) => s,
    };
    proto::NotifyClientTerminationResponse {
        status: Some(status),
    }
}

fn end(ep: &Arc<Endpoint>, ctx: &Ctx, group: Option<&proto::Resource>) -> Result<(), Refused> {
    let Some(client) = ep.clients.remove(&ctx.client_id) else {
        return Err(refuse(
            code::UNRECOGNIZED_CLIENT_TYPE,
            "cannot find client settings for this client",
        ));
    };
    let settings = client.settings().unwrap_or_default();
    if matches!(
        settings.client_type,
        Some(client_type::PUSH_CONSUMER | client_type::SIMPLE_CONSUMER)
    ) {
        validate_group(group)?;
    }
    crate::clients::connection_closed(&ep.broker, &client.conn);
    client.conn.close();
    Ok(())
}

/// Java `ClientActivity.telemetry`: the client's settings in, the server's settings and the
/// broker's commands out.
pub async fn telemetry(
    ep: Arc<Endpoint>,
    ctx: Ctx,
    mut input: tonic::Streaming<TelemetryCommand>,
) -> Responses<TelemetryCommand> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let cmd = match input.message().await {
                Ok(Some(cmd)) => cmd,
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(client = %ctx.client_id, "telemetry: {e}");
                    break;
                }
            };
            match cmd.command {
                Some(proto::Command::Settings(s)) => {
                    if let Err((c, message)) = on_settings(&ep, &ctx, s, &tx).await {
                        let _ = tx.send(Err(tonic::Status::new(c, message))).await;
                        break;
                    }
                }
                Some(proto::Command::ThreadStackTrace(t)) => {
                    ep.relays.thread_stack(cmd.status.as_ref(), &t);
                }
                Some(proto::Command::VerifyMessageResult(v)) => {
                    ep.relays.verified(cmd.status.as_ref(), &v);
                }
                _ => {}
            }
        }
        // The client closed its side: the server's side ends with it (Java `onCompleted`).
        if let Some(c) = ep.clients.get(&ctx.client_id) {
            let mut t = c.telemetry.lock().unwrap_or_else(|e| e.into_inner());
            if t.as_ref().is_some_and(|mine| mine.same_channel(&tx)) {
                *t = None;
            }
        }
    });
    from_channel(rx)
}

/// Java `processAndWriteClientSettings`: register, keep the settings, answer with the server's.
/// A failure ends the stream with a gRPC status.
async fn on_settings(
    ep: &Arc<Endpoint>,
    ctx: &Ctx,
    settings: Settings,
    tx: &TelemetrySender,
) -> Result<(), (tonic::Code, String)> {
    let invalid = |s: Refused| (tonic::Code::InvalidArgument, s.message);
    let group = match &settings.pub_sub {
        Some(PubSub::Publishing(p)) => {
            for t in &p.topics {
                validate_topic(ep, Some(t)).map_err(invalid)?;
            }
            None
        }
        Some(PubSub::Subscription(s)) => Some(validate_group(s.group.as_ref()).map_err(invalid)?),
        None => {
            return Err((
                tonic::Code::InvalidArgument,
                "there is no publishing or subscription data in settings".into(),
            ))
        }
    };
    let client = ep.clients.get_or_create(ep, ctx);
    client.set_settings(settings.clone());
    *client.telemetry.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx.clone());
    register(ep, &client, &settings, group.as_deref())
        .await
        .map_err(|s| (tonic::Code::Internal, s.message))?;
    let answer = TelemetryCommand {
        status: Some(Status::ok()),
        command: Some(proto::Command::Settings(server_settings(ep, settings))),
    };
    let _ = tx.send(Ok(answer)).await;
    Ok(())
}

/// Java `GrpcClientSettingsManager.getClientSettings`: the client's settings with the server's
/// retry policy, limits and, for a consumer, its group's FIFO flag and retry policy.
pub fn server_settings(ep: &Endpoint, mut s: Settings) -> Settings {
    let cfg = &ep.config;
    match &mut s.pub_sub {
        Some(PubSub::Publishing(p)) => {
            p.validate_message_type = cfg.enable_topic_message_type_check;
            p.max_body_size = cfg.max_message_size;
            s.backoff_policy = Some(proto::RetryPolicy {
                max_attempts: cfg.grpc_client_producer_max_attempts,
                strategy: Some(proto::Strategy::ExponentialBackoff(
                    proto::ExponentialBackoff {
                        initial: Some(proto::Duration::from_millis(
                            cfg.grpc_client_producer_backoff_initial_millis,
                        )),
                        max: Some(proto::Duration::from_millis(
                            cfg.grpc_client_producer_backoff_max_millis,
                        )),
                        multiplier: cfg.grpc_client_producer_backoff_multiplier as f32,
                    },
                )),
            });
        }
        Some(PubSub::Subscription(sub)) => {
            let group = sub
                .group
                .as_ref()
                .map(|g| g.name.clone())
                .unwrap_or_default();
            let bcfg = ep.broker.config();
            let group_cfg = ep.broker.groups.find_or_create(&group, &bcfg);
            // Java merges a new consumer's settings over `new SubscriptionGroupConfig()`'s.
            let group_cfg =
                group_cfg.unwrap_or_else(|| crate::groups::SubscriptionGroupConfig::new(&group));
            sub.receive_batch_size = Some(cfg.grpc_client_consumer_long_polling_batch_size);
            sub.long_polling_timeout = Some(proto::Duration::from_millis(
                cfg.grpc_client_consumer_max_long_polling_timeout_millis,
            ));
            sub.fifo = Some(group_cfg.consume_message_orderly);
            s.backoff_policy = Some(proto::RetryPolicy {
                max_attempts: group_cfg.retry_max_times + 1,
                strategy: Some(retry_strategy(&group_cfg.group_retry_policy)),
            });
        }
        None => {}
    }
    s.metric = Some(proto::Metric {
        on: false,
        endpoints: None,
    });
    s
}

/// Java `GroupRetryPolicy` as the SDK's backoff: EXPONENTIAL or (default) CUSTOMIZED, each
/// with Java's defaults for what the group's JSON leaves out.
fn retry_strategy(policy: &Value) -> proto::Strategy {
    let ms = |v: &Value, default: i64| v.as_i64().unwrap_or(default);
    if policy["type"] == "EXPONENTIAL" {
        let p = &policy["exponentialRetryPolicy"];
        return proto::Strategy::ExponentialBackoff(proto::ExponentialBackoff {
            initial: Some(proto::Duration::from_millis(ms(&p["initial"], 5_000))),
            max: Some(proto::Duration::from_millis(ms(&p["max"], 7_200_000))),
            multiplier: ms(&p["multiplier"], 2) as f32,
        });
    }
    let next: Vec<i64> = match policy["customizedRetryPolicy"]["next"].as_array() {
        Some(list) => list.iter().filter_map(Value::as_i64).collect(),
        None => DEFAULT_NEXT.to_vec(),
    };
    proto::Strategy::CustomizedBackoff(proto::CustomizedBackoff {
        next: next.into_iter().map(proto::Duration::from_millis).collect(),
    })
}

/// Java `CustomizedRetryPolicy`'s default: 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m
/// 30m 1h 2h.
const DEFAULT_NEXT: [i64; 18] = [
    1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000,
    480_000, 540_000, 600_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000,
];

/// The settings a receive or ack runs with (Java `getClientSettings`), defaults when the
/// client has sent none.
pub fn settings_of(ep: &Endpoint, ctx: &Ctx) -> Option<Settings> {
    let client = ep.clients.get(&ctx.client_id)?;
    client.settings().map(|s| server_settings(ep, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_policies_as_java_reads_them() {
        let custom = retry_strategy(&json!({"type": "CUSTOMIZED"}));
        let proto::Strategy::CustomizedBackoff(c) = custom else {
            panic!("customized")
        };
        assert_eq!(c.next.len(), 18);
        assert_eq!(c.next[0].millis(), 1000);
        let exp = retry_strategy(&json!({"type": "EXPONENTIAL",
            "exponentialRetryPolicy": {"initial": 1000, "max": 60000, "multiplier": 3}}));
        let proto::Strategy::ExponentialBackoff(e) = exp else {
            panic!("exponential")
        };
        assert_eq!(e.initial.unwrap().millis(), 1000);
        assert_eq!(e.multiplier, 3.0);
    }

    #[test]
    fn consumer_heartbeat_body() {
        let s = Settings {
            client_type: Some(client_type::SIMPLE_CONSUMER),
            pub_sub: Some(PubSub::Subscription(proto::Subscription {
                group: Some(proto::Resource {
                    name: "G".into(),
                    ..Default::default()
                }),
                subscriptions: vec![proto::SubscriptionEntry {
                    topic: Some(proto::Resource {
                        name: "T".into(),
                        ..Default::default()
                    }),
                    expression: Some(proto::FilterExpression {
                        r#type: proto::filter_type::TAG,
                        expression: "A||B".into(),
                    }),
                }],
                ..Default::default()
            })),
            ..Default::default()
        };
        let body = heartbeat_body("c1", &s, Some("G")).unwrap();
        let data: crate::clients::HeartbeatData = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(data.client_id, "c1");
        assert_eq!(data.consumer_data_set[0].group_name, "G");
        let sub = &data.consumer_data_set[0].subscription_data_set[0];
        assert_eq!(sub.topic, "T");
        assert_eq!(sub.tags_set, ["A", "B"]);
    }
}

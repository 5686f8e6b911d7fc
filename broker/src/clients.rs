//! Client management requests (Java `ClientManageProcessor`, `ConsumerManageProcessor`,
//! `RebalanceLockManager` use): HEART_BEAT (34), UNREGISTER_CLIENT (35),
//! GET_CONSUMER_LIST_BY_GROUP (38), LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42), and the
//! NOTIFY_CONSUMER_IDS_CHANGED (40) pushes that membership changes cause.

use std::sync::Arc;
use std::time::{Duration, Instant};

use remoting::body::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel};
use remoting::code::{request, response as rc};
use remoting::headers::{
    GetConsumerListByGroupRequestHeader, NotifyConsumerIdsChangedRequestHeader,
    UnregisterClientRequestHeader,
};
use remoting::{body, Command, Connection};
use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::client_table::{ClientChannel, ConsumerRegistration};
use crate::error::{Reject, Reply};
use crate::locks::MessageQueue;
use crate::subscription::SubscriptionData;
use crate::topics::{self, PERM_READ, PERM_WRITE};

/// Java `HeartbeatData`. Java and Go clients write the consumers' enums by name, the C++ client
/// by ordinal.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeartbeatData {
    #[serde(rename = "clientID")]
    pub client_id: String,
    pub producer_data_set: Vec<ProducerData>,
    pub consumer_data_set: Vec<ConsumerData>,
    /// 5.x heartbeat V2: nonzero when the client uses V2 (`useHeartbeatV2`).
    pub heartbeat_fingerprint: i32,
    /// 5.x heartbeat V2: the consumers' subscriptions are left out (unchanged since the last
    /// full heartbeat the broker acknowledged).
    pub without_sub: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerData {
    pub group_name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerData {
    pub group_name: String,
    pub consume_type: Option<ConsumeType>,
    pub message_model: Option<MessageModel>,
    pub consume_from_where: Option<ConsumeFromWhere>,
    pub subscription_data_set: Vec<SubscriptionData>,
}

/// LOCK/UNLOCK request body (`LockBatchRequestBody` / `UnlockBatchRequestBody`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct LockBody {
    consumer_group: String,
    client_id: String,
    mq_set: Vec<MessageQueue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LockResponse {
    #[serde(rename = "lockOKMQSet")]
    lock_ok_mq_set: Vec<MessageQueue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConsumerIdList {
    consumer_id_list: Vec<String>,
}

/// Response ext fields of a heartbeat (Java `MixAll`).
const IS_SUPPORT_HEART_BEAT_V2: &str = "IS_SUPPORT_HEART_BEAT_V2";
const IS_SUB_CHANGE: &str = "IS_SUB_CHANGE";

/// HEART_BEAT: register producers and consumers of the connection
/// (Java `ClientManageProcessor#heartBeat` and `#heartBeatV2`).
///
/// A nonzero `heartbeatFingerprint` is a V2 heartbeat: `IS_SUB_CHANGE` then tells whether the
/// group's fingerprint differs from the last one seen (the client answers with a full heartbeat
/// next), and a `withoutSub` heartbeat refreshes the channel but keeps the subscriptions. A V1
/// heartbeat always answers `IS_SUB_CHANGE=true`. Both answer `IS_SUPPORT_HEART_BEAT_V2=true`.
pub async fn heartbeat(b: &Arc<Broker>, conn: &Connection, req: Command) -> Reply {
    let data: HeartbeatData = body::from_body(req.body.as_deref().unwrap_or(b"{}"))?;
    let cfg = b.config();
    let channel = ClientChannel {
        conn: conn.clone(),
        client_id: data.client_id.clone(),
        language: req.language,
        version: req.version,
        last_update: Instant::now(),
    };
    let fingerprint = data.heartbeat_fingerprint;
    let v2 = fingerprint != 0;
    let mut sub_change = false;
    for c in &data.consumer_data_set {
        let previous = b.clients.swap_fingerprint(&c.group_name, fingerprint);
        sub_change |= v2 && previous.is_some_and(|p| p != fingerprint);
        let Some(group_cfg) = b.groups.find_or_create(&c.group_name, &cfg) else {
            // Java 5.3.3 skips a group it neither knows nor may create.
            continue;
        };
        let retry = topics::retry_topic(&c.group_name);
        let (_, created) = b.topics.create_if_absent(
            &retry,
            group_cfg.retry_queue_nums.max(1),
            PERM_READ | PERM_WRITE,
        );
        if created {
            b.request_register();
        }
        let reg = ConsumerRegistration {
            consume_type: c.consume_type,
            message_model: c.message_model,
            consume_from_where: c.consume_from_where,
            subscriptions: c.subscription_data_set.clone(),
        };
        let changed = if v2 && data.without_sub {
            b.clients
                .register_consumer_without_sub(&c.group_name, reg, channel.clone())
        } else {
            b.clients
                .register_consumer(&c.group_name, reg, channel.clone())
        };
        if changed && group_cfg.notify_consumer_ids_changed_enable {
            // Queued before this heartbeat is answered, as Java notifies inside the heartbeat.
            notify_ids_changed(b, &c.group_name).await;
        }
    }
    for p in &data.producer_data_set {
        b.clients.register_producer(&p.group_name, channel.clone());
    }
    Ok(Command::response(rc::SUCCESS, None)
        .with_ext(IS_SUPPORT_HEART_BEAT_V2, "true")
        .with_ext(IS_SUB_CHANGE, (!v2 || sub_change).to_string()))
}

/// UNREGISTER_CLIENT: drop the connection from the named groups.
pub async fn unregister(b: &Arc<Broker>, conn: &Connection, req: Command) -> Reply {
    let h: UnregisterClientRequestHeader = req.decode_header()?;
    if let Some(g) = h.producer_group.filter(|g| !g.is_empty()) {
        b.clients.unregister_producer(&g, conn.id());
    }
    if let Some(g) = h.consumer_group.filter(|g| !g.is_empty()) {
        if b.clients.unregister_consumer(&g, conn.id()) {
            notify_ids_changed(b, &g).await;
        }
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// GET_CONSUMER_LIST_BY_GROUP.
pub async fn consumer_list(b: &Arc<Broker>, req: Command) -> Reply {
    let h: GetConsumerListByGroupRequestHeader = req.decode_header()?;
    let ids = b.clients.consumer_ids(&h.consumer_group);
    if ids.is_empty() {
        return Err(Reject::system(format!(
            "no consumer for this group, {}",
            h.consumer_group
        )));
    }
    let body = body::try_to_body(&ConsumerIdList {
        consumer_id_list: ids,
    })
    .map_err(Reject::from)?;
    Ok(Command::response(rc::SUCCESS, None).with_body(body))
}

/// LOCK_BATCH_MQ: grant what is free, expired or already the caller's.
pub async fn lock_batch(b: &Arc<Broker>, req: Command) -> Reply {
    let lb: LockBody = body::from_body(req.body.as_deref().unwrap_or(b"{}"))?;
    let owned = b.locks.lock(&lb.consumer_group, &lb.mq_set, &lb.client_id);
    let body = body::try_to_body(&LockResponse {
        lock_ok_mq_set: owned.into_iter().collect(),
    })
    .map_err(Reject::from)?;
    Ok(Command::response(rc::SUCCESS, None).with_body(body))
}

/// UNLOCK_BATCH_MQ.
pub async fn unlock_batch(b: &Arc<Broker>, req: Command) -> Reply {
    let lb: LockBody = body::from_body(req.body.as_deref().unwrap_or(b"{}"))?;
    b.locks
        .unlock(&lb.consumer_group, &lb.mq_set, &lb.client_id);
    Ok(Command::response(rc::SUCCESS, None))
}

/// A connection closed: forget it and tell the groups it left.
pub fn connection_closed(b: &Arc<Broker>, conn: &Connection) {
    let groups = b.clients.remove_connection(conn.id());
    if !groups.is_empty() {
        let b = b.clone();
        tokio::spawn(async move {
            for group in groups {
                notify_ids_changed(&b, &group).await;
            }
        });
    }
}

/// How long one member's write queue may keep a notification waiting (Java
/// `Broker2Client#notifyConsumerIdsChanged`: a oneway invoke with a 10 ms permit timeout).
const NOTIFY_WAIT: Duration = Duration::from_millis(10);

/// Queues NOTIFY_CONSUMER_IDS_CHANGED (oneway) on every member's connection of `group` (Java
/// `DefaultConsumerIdsChangeListener` with `realTimeNotifyConsumerChange`). A caller that awaits
/// it before answering its own request gets Java's order: the members' notifications leave
/// before that answer, so the members that must give queues away (and release their orderly
/// locks) start their rebalance no later than the client whose request caused it.
pub async fn notify_ids_changed(b: &Broker, group: &str) {
    if !b.config().notify_consumer_ids_changed_enable {
        return;
    }
    let header = NotifyConsumerIdsChangedRequestHeader {
        consumer_group: group.to_string(),
    };
    for conn in b.clients.members_to_notify(group) {
        let cmd = Command::request(request::NOTIFY_CONSUMER_IDS_CHANGED)
            .with_header(&header)
            .oneway();
        match tokio::time::timeout(NOTIFY_WAIT, conn.send_oneway(cmd)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(peer = %conn.peer(), "notify consumer ids changed: {e}"),
            Err(_) => {
                tracing::warn!(peer = %conn.peer(), "notify consumer ids changed: write queue full")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastjson_forms_read_alike() {
        body::assert_read_alike::<HeartbeatData>(include_str!(
            "../../testdata/fastjson/HeartbeatData.txt"
        ));
        body::assert_read_alike::<LockBody>(include_str!(
            "../../testdata/fastjson/LockBatchRequestBody.txt"
        ));
        body::assert_read_alike::<LockBody>(include_str!(
            "../../testdata/fastjson/UnlockBatchRequestBody.txt"
        ));
    }

    #[test]
    fn heartbeat_bodies_of_java_and_go() {
        let java = br#"{"clientID":"192.168.0.2@12345#1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"TopicTest"}],"unitMode":false}],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"PG"}],"withoutSub":false}"#;
        let go = br#"{"clientID":"1.2.3.4@9@0@x","producerDataSet":[{"groupName":"PG"}],"consumerDataSet":[{"groupName":"CG","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"T","subString":"TagA","tagsSet":["TagA"],"codeSet":["2598919"],"subVersion":1700000000000000000,"expressionType":"TAG"}],"unitMode":false}]}"#;
        let j: HeartbeatData = body::from_body(java).unwrap();
        let g: HeartbeatData = body::from_body(go).unwrap();
        assert_eq!(
            j.consumer_data_set[0].subscription_data_set[0]
                .code_set
                .len(),
            2
        );
        assert_eq!(
            g.consumer_data_set[0].subscription_data_set[0].code_set,
            vec![2598919]
        );
        assert_eq!(g.producer_data_set[0].group_name, "PG");
        let producer_only: HeartbeatData =
            body::from_body(br#"{"clientID":"x","consumerDataSet":[],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]}"#).unwrap();
        assert!(producer_only.consumer_data_set.is_empty());
    }

    #[test]
    fn lock_body_shapes() {
        let lb: LockBody = body::from_body(br#"{"clientId":"c","consumerGroup":"CG","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}],"onlyThisBroker":false}"#).unwrap();
        assert_eq!(lb.mq_set.len(), 1);
        let r = serde_json::to_string(&LockResponse {
            lock_ok_mq_set: lb.mq_set,
        })
        .unwrap();
        assert_eq!(
            r,
            r#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}]}"#
        );
    }
}

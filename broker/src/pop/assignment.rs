//! QUERY_ASSIGNMENT (400), Java `QueryAssignmentProcessor`: a client with
//! `clientRebalance=false` asks the broker which queues it should consume, and how (the mode
//! `mqadmin setConsumeMode` set, [`crate::request_mode`]).
//!
//! The queues are the topic's readable queues on every broker, from the NameServer's route
//! (Java `TopicRouteInfoManager`, which caches it for `loadBalancePollNameServerInterval`; here
//! it is asked at each request). A group in POP mode gets every broker's queue `-1` (pop from
//! all queues) unless `popShareQueueNum` is between 0 and the group size − 1, then its own
//! queues plus that many neighbours'. Other groups get the strategy's share (`AVG`,
//! `AVG_BY_CIRCLE`; other strategy names get no answer, as Java's unknown ones do).
//!
//! ```text
//! request  {"clientId":"…","consumerGroup":"G","messageModel":"CLUSTERING","strategyName":"AVG","topic":"T"}
//! response {"messageQueueAssignments":[{"messageQueue":{"brokerName":"b","queueId":-1,"topic":"T"},"mode":"POP"}]}
//! ```

use std::sync::Arc;
use std::time::Duration;

use remoting::body::admin::MessageRequestMode;
use remoting::code::{request as rq, response as rc};
use remoting::headers::GetRouteInfoRequestHeader;
use remoting::Command;
use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::config_values::MessageRequestMode as DefaultMode;
use crate::error::{Reject, Reply};
use crate::locks::MessageQueue;
use crate::topics::{PERM_READ, RETRY_PREFIX};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    topic: String,
    consumer_group: String,
    client_id: String,
    #[serde(default)]
    strategy_name: String,
    #[serde(default)]
    message_model: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Assignment {
    message_queue: MessageQueue,
    mode: MessageRequestMode,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(skip_serializing_if = "Option::is_none")]
    message_queue_assignments: Option<Vec<Assignment>>,
}

pub async fn query_assignment(b: &Arc<Broker>, req: Command) -> Reply {
    let body: Request = req
        .body
        .as_deref()
        .and_then(|raw| serde_json::from_slice(raw).ok())
        .ok_or_else(|| Reject::Body("QueryAssignmentRequestBody does not parse".into()))?;
    let cfg = b.config();
    let (mode, share) = match b.request_modes.get(&body.topic, &body.consumer_group) {
        Some(m) => (m.mode, m.pop_share_queue_num),
        None if body.topic.starts_with(RETRY_PREFIX) => (MessageRequestMode::Pull, 0),
        None => match cfg.default_message_request_mode {
            DefaultMode::Pop => (MessageRequestMode::Pop, cfg.default_pop_share_queue_num),
            DefaultMode::Pull => (MessageRequestMode::Pull, 0),
        },
    };
    let all = route_queues(b, &body.topic).await;
    let broadcasting = body.message_model.as_deref() == Some("BROADCASTING");
    let assigned = match all {
        None => None,
        Some(all) if broadcasting || !cfg.server_load_balancer_enable => Some(all),
        Some(all) => {
            let mut cids = b.clients.consumer_ids(&body.consumer_group);
            cids.sort();
            allocate(&body, mode, share, all, &cids)
        }
    };
    let resp = Response {
        message_queue_assignments: assigned.map(|mqs| {
            mqs.into_iter()
                .map(|message_queue| Assignment {
                    message_queue,
                    mode,
                })
                .collect()
        }),
    };
    let json = serde_json::to_vec(&resp).map_err(|e| Reject::system(e.to_string()))?;
    Ok(Command::response(rc::SUCCESS, None).with_body(json))
}

/// Java `doLoadBalance` for CLUSTERING once the queues and the group's client ids are known.
fn allocate(
    body: &Request,
    mode: MessageRequestMode,
    share: i32,
    mut all: Vec<MessageQueue>,
    cids: &[String],
) -> Option<Vec<MessageQueue>> {
    if cids.is_empty() {
        return None;
    }
    // Java `MessageQueue.compareTo`: topic, then broker name, then queue id.
    all.sort_by(|a, b| {
        (&a.topic, &a.broker_name, a.queue_id).cmp(&(&b.topic, &b.broker_name, b.queue_id))
    });
    let strategy: fn(&[MessageQueue], &[String], &str) -> Vec<MessageQueue> =
        match body.strategy_name.as_str() {
            "AVG" => averagely,
            "AVG_BY_CIRCLE" => by_circle,
            _ => return None,
        };
    if mode != MessageRequestMode::Pop {
        return Some(strategy(&all, cids, &body.client_id));
    }
    // Java `allocate4Pop`.
    if share <= 0 || share as usize >= cids.len() - 1 {
        let mut v: Vec<MessageQueue> = all
            .into_iter()
            .map(|mq| MessageQueue { queue_id: -1, ..mq })
            .collect();
        v.dedup();
        return Some(v);
    }
    if cids.len() <= all.len() {
        let mut v = strategy(&all, cids, &body.client_id);
        if let Some(mut i) = cids.iter().position(|c| *c == body.client_id) {
            for _ in 0..share {
                i = (i + 1) % cids.len();
                v.extend(strategy(&all, cids, &cids[i]));
            }
        }
        return Some(v);
    }
    let i = cids.iter().position(|c| *c == body.client_id)?;
    Some(vec![all[i % all.len()].clone()])
}

/// Java `AllocateMessageQueueAveragely`.
fn averagely(all: &[MessageQueue], cids: &[String], me: &str) -> Vec<MessageQueue> {
    let Some(index) = cids.iter().position(|c| c == me) else {
        return Vec::new();
    };
    let (n, c) = (all.len(), cids.len());
    let modulo = n % c;
    let avg = if n <= c {
        1
    } else if modulo > 0 && index < modulo {
        n / c + 1
    } else {
        n / c
    };
    let start = if modulo > 0 && index < modulo {
        index * avg
    } else {
        index * avg + modulo
    };
    let range = avg.min(n.saturating_sub(start));
    all.iter().skip(start).take(range).cloned().collect()
}

/// Java `AllocateMessageQueueAveragelyByCircle`.
fn by_circle(all: &[MessageQueue], cids: &[String], me: &str) -> Vec<MessageQueue> {
    let Some(index) = cids.iter().position(|c| c == me) else {
        return Vec::new();
    };
    all.iter()
        .enumerate()
        .filter(|(i, _)| i % cids.len() == index)
        .map(|(_, mq)| mq.clone())
        .collect()
}

/// The topic's readable queues from the first NameServer that knows it (Java
/// `topicRouteData2TopicSubscribeInfo`); `None` when none does.
async fn route_queues(b: &Broker, topic: &str) -> Option<Vec<MessageQueue>> {
    let header = GetRouteInfoRequestHeader {
        topic: topic.to_string(),
        accept_standard_json_only: Some(true),
    };
    for addr in b.config().namesrv_list() {
        let cmd = Command::request(rq::GET_ROUTEINFO_BY_TOPIC).with_header(&header);
        let Ok(resp) = b.ns_client.invoke(&addr, cmd, Duration::from_secs(3)).await else {
            continue;
        };
        if resp.code != rc::SUCCESS {
            continue;
        }
        let route: serde_json::Value = serde_json::from_slice(resp.body.as_deref()?).ok()?;
        let mut out = Vec::new();
        for qd in route.get("queueDatas")?.as_array()? {
            let perm = qd.get("perm").and_then(|p| p.as_i64()).unwrap_or(0) as i32;
            if perm & PERM_READ == 0 {
                continue;
            }
            let broker = qd
                .get("brokerName")
                .and_then(|n| n.as_str())
                .unwrap_or_default();
            let n = qd
                .get("readQueueNums")
                .and_then(|n| n.as_i64())
                .unwrap_or(0) as i32;
            out.extend((0..n).map(|queue_id| MessageQueue {
                broker_name: broker.to_string(),
                queue_id,
                topic: topic.to_string(),
            }));
        }
        return Some(out);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mqs(n: i32) -> Vec<MessageQueue> {
        (0..n)
            .map(|q| MessageQueue {
                broker_name: "b".into(),
                queue_id: q,
                topic: "T".into(),
            })
            .collect()
    }

    fn req(me: &str) -> Request {
        Request {
            topic: "T".into(),
            consumer_group: "G".into(),
            client_id: me.into(),
            strategy_name: "AVG".into(),
            message_model: Some("CLUSTERING".into()),
        }
    }

    #[test]
    fn pop_mode_takes_every_broker_once_as_queue_minus_one() {
        let cids = vec!["a".to_string(), "b".to_string()];
        let v = allocate(&req("a"), MessageRequestMode::Pop, -1, mqs(4), &cids).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].queue_id, -1);
    }

    #[test]
    fn pull_mode_is_the_average_share() {
        let cids = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let ids = |me| {
            allocate(&req(me), MessageRequestMode::Pull, 0, mqs(8), &cids)
                .unwrap()
                .iter()
                .map(|m| m.queue_id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            (ids("a"), ids("b"), ids("c")),
            (vec![0, 1, 2], vec![3, 4, 5], vec![6, 7])
        );
    }
}

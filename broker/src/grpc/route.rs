//! QueryRoute and QueryAssignment (Java proxy `RouteActivity`) over this broker's own queues:
//! in local mode the endpoint serves its broker, so the route it gives has this broker only,
//! addressed at this endpoint (the request's hosts with `grpcServerPort`, Java's
//! `convertToAddressList` without `useEndpointPortFromRequest`).

use std::sync::Arc;

use super::context::{refuse, validate_group, validate_topic, Ctx, Refused};
use super::proto::{self, code, message_type, permission, Status};
use super::Endpoint;
use crate::topics::{TopicConfig, PERM_READ, PERM_WRITE};

/// Java `RouteActivity.queryRoute`.
pub async fn query_route(
    ep: Arc<Endpoint>,
    _ctx: Ctx,
    req: proto::QueryRouteRequest,
) -> proto::QueryRouteResponse {
    match route(&ep, &req) {
        Ok(queues) => proto::QueryRouteResponse {
            status: Some(Status::ok()),
            message_queues: queues,
        },
        Err(s) => proto::QueryRouteResponse {
            status: Some(s),
            message_queues: Vec::new(),
        },
    }
}

fn route(
    ep: &Endpoint,
    req: &proto::QueryRouteRequest,
) -> Result<Vec<proto::MessageQueue>, Refused> {
    let topic = validate_topic(ep, req.topic.as_ref())?;
    let tc = topic_config(ep, &topic)?;
    let broker = broker(ep, req.endpoints.as_ref());
    let resource = req.topic.clone().unwrap_or_default();
    Ok(queues(&tc, &resource, &broker))
}

fn topic_config(ep: &Endpoint, topic: &str) -> Result<TopicConfig, Refused> {
    ep.broker
        .topics
        .get(topic)
        .ok_or_else(|| refuse(code::TOPIC_NOT_FOUND, format!("topic {topic} not found")))
}

/// This broker as the route names it: its name, id 0 (the master), this endpoint's address.
fn broker(ep: &Endpoint, asked: Option<&proto::Endpoints>) -> proto::Broker {
    let mut endpoints = asked.cloned().unwrap_or_default();
    for a in &mut endpoints.addresses {
        a.port = i32::from(ep.port);
    }
    if endpoints.scheme == 0 {
        endpoints.scheme = proto::address_scheme::IPV4;
    }
    proto::Broker {
        name: ep.broker.config().broker_name.clone(),
        id: 0,
        endpoints: Some(endpoints),
    }
}

/// Java `TopicConfig.getTopicMessageType`: the `message.type` attribute, NORMAL without it.
pub fn topic_message_type(tc: &TopicConfig) -> &str {
    tc.attributes
        .get("message.type")
        .map(String::as_str)
        .unwrap_or("NORMAL")
}

/// The message types a topic's queues accept (Java `parseTopicMessageType`).
fn accepted(tc: &TopicConfig) -> Vec<i32> {
    match topic_message_type(tc) {
        "NORMAL" => vec![message_type::NORMAL],
        "FIFO" => vec![message_type::FIFO],
        "TRANSACTION" => vec![message_type::TRANSACTION],
        "DELAY" => vec![message_type::DELAY],
        "MIXED" => vec![
            message_type::NORMAL,
            message_type::FIFO,
            message_type::DELAY,
            message_type::TRANSACTION,
        ],
        _ => vec![message_type::UNSPECIFIED],
    }
}

/// Java `genMessageQueueFromQueueData`: read-only queues first, then write-only, then both,
/// numbered from 0; a topic with neither permission gets NONE queues.
fn queues(
    tc: &TopicConfig,
    topic: &proto::Resource,
    broker: &proto::Broker,
) -> Vec<proto::MessageQueue> {
    let (readable, writable) = (tc.perm & PERM_READ != 0, tc.perm & PERM_WRITE != 0);
    let (mut r, mut w, mut rw, mut n) = (0, 0, 0, 0);
    if readable && writable {
        rw = tc.write_queue_nums.min(tc.read_queue_nums);
        r = tc.read_queue_nums - rw;
        w = tc.write_queue_nums - rw;
    } else if writable {
        w = tc.write_queue_nums;
    } else if readable {
        r = tc.read_queue_nums;
    } else {
        n = tc.write_queue_nums.max(tc.read_queue_nums).max(1);
    }
    let types = accepted(tc);
    let kinds = [
        (r, permission::READ),
        (w, permission::WRITE),
        (rw, permission::READ_WRITE),
        (n, permission::NONE),
    ];
    let mut out = Vec::new();
    for (count, perm) in kinds {
        for _ in 0..count {
            out.push(proto::MessageQueue {
                topic: Some(topic.clone()),
                id: out.len() as i32,
                permission: perm,
                broker: Some(broker.clone()),
                accept_message_types: types.clone(),
            });
        }
    }
    out
}

fn to_permission(perm: i32) -> i32 {
    match (perm & PERM_READ != 0, perm & PERM_WRITE != 0) {
        (true, true) => permission::READ_WRITE,
        (true, false) => permission::READ,
        (false, true) => permission::WRITE,
        (false, false) => permission::NONE,
    }
}

/// Java `RouteActivity.queryAssignment`: a FIFO group gets every read queue, any other group
/// one assignment with queue id −1 (the broker pops from all of them).
pub async fn query_assignment(
    ep: Arc<Endpoint>,
    _ctx: Ctx,
    req: proto::QueryAssignmentRequest,
) -> proto::QueryAssignmentResponse {
    match assignment(&ep, &req) {
        Ok(a) if a.is_empty() => proto::QueryAssignmentResponse {
            status: Some(Status::new(code::FORBIDDEN, "no readable queue")),
            assignments: a,
        },
        Ok(a) => proto::QueryAssignmentResponse {
            status: Some(Status::ok()),
            assignments: a,
        },
        Err(s) => proto::QueryAssignmentResponse {
            status: Some(s),
            assignments: Vec::new(),
        },
    }
}

fn assignment(
    ep: &Endpoint,
    req: &proto::QueryAssignmentRequest,
) -> Result<Vec<proto::Assignment>, Refused> {
    let topic = validate_topic(ep, req.topic.as_ref())?;
    let group = validate_group(req.group.as_ref())?;
    let tc = topic_config(ep, &topic)?;
    let fifo = ep
        .broker
        .groups
        .find_or_create(&group, &ep.broker.config())
        .is_some_and(|g| g.consume_message_orderly);
    if tc.perm & PERM_READ == 0 || tc.read_queue_nums <= 0 {
        return Ok(Vec::new());
    }
    let broker = broker(ep, req.endpoints.as_ref());
    let resource = req.topic.clone().unwrap_or_default();
    let queue = |id| proto::Assignment {
        message_queue: Some(proto::MessageQueue {
            topic: Some(resource.clone()),
            id,
            permission: to_permission(tc.perm),
            broker: Some(broker.clone()),
            accept_message_types: Vec::new(),
        }),
    };
    Ok(if fifo {
        (0..tc.read_queue_nums).map(queue).collect()
    } else {
        vec![queue(-1)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(perm: i32, r: i32, w: i32) -> TopicConfig {
        let mut t: TopicConfig = serde_json::from_str("{}").unwrap();
        t.perm = perm;
        t.read_queue_nums = r;
        t.write_queue_nums = w;
        t
    }

    #[test]
    fn queues_as_java_numbers_them() {
        let topic = proto::Resource::default();
        let b = proto::Broker::default();
        let q = queues(&tc(6, 4, 2), &topic, &b);
        let perms: Vec<i32> = q.iter().map(|q| q.permission).collect();
        assert_eq!(
            perms,
            [
                permission::READ,
                permission::READ,
                permission::READ_WRITE,
                permission::READ_WRITE
            ]
        );
        assert_eq!(q[3].id, 3);
        assert_eq!(q[0].accept_message_types, [message_type::NORMAL]);
        assert_eq!(queues(&tc(0, 2, 3), &topic, &b).len(), 3);
    }
}

//! What a remoting request asks for: the resources and actions Java's
//! `DefaultAuthorizationContextBuilder.build(ChannelHandlerContext, RemotingCommand)` derives,
//! in its order. The requests it names in its `switch` come first; the others are read from the
//! `@RocketMQAction` / `@RocketMQResource` annotations of their request headers (Java's
//! `RequestHeaderRegistry`), here the table `ANNOTATED`. A request without ext fields, and a
//! code in neither, needs nothing.

use remoting::code::request as rq;
use remoting::Command;

use super::model::{is_retry_topic, Action, Resource, ResourceType};
use crate::clients::HeartbeatData;

use Action::{Create, Delete, Get, Pub, Sub, Update};
use ResourceType::{Cluster, Group, Topic};

/// One thing a request needs: a resource and the actions on it (any one of them suffices).
pub type Need = (Resource, Vec<Action>);

/// A header field naming a resource: ext field, resource type, separator of a list.
type Field = (&'static str, ResourceType, Option<char>);

/// A request code, its header's class resource, actions and resource fields.
type Annotation = (
    i32,
    Option<ResourceType>,
    &'static [Action],
    &'static [Field],
);

/// A request body that does not parse (Java: "parse authorization context error.").
#[derive(Debug)]
pub struct Unparsable;

/// Code → (class resource: `Cluster` names the broker's cluster, actions, fields in Java's
/// declaration order). Codes without a resource and without fields (GET_ALL_TOPIC_CONFIG,
/// UPDATE_AND_CREATE_TOPIC_LIST, ...) need nothing and are left out.
#[rustfmt::skip]
const ANNOTATED: &[Annotation] = &[
    (rq::ACK_MESSAGE, None, &[Sub], &[("consumerGroup", Group, None), ("topic", Topic, None)]),
    (rq::ADD_BROKER, Some(Cluster), &[Update], &[]),
    (rq::CHANGE_MESSAGE_INVISIBLETIME, None, &[Sub], &[("consumerGroup", Group, None), ("topic", Topic, None)]),
    (rq::CHECK_ROCKSDB_CQ_WRITE_PROGRESS, None, &[Get], &[("topic", Topic, None)]),
    (rq::CHECK_TRANSACTION_STATE, None, &[Pub], &[("topic", Topic, None)]),
    (rq::CLONE_GROUP_OFFSET, None, &[Update], &[("destGroup", Group, None), ("topic", Topic, None)]),
    (rq::CONSUME_MESSAGE_DIRECTLY, None, &[Sub], &[("consumerGroup", Group, None), ("topic", Topic, None)]),
    (rq::AUTH_CREATE_ACL, Some(Cluster), &[Update], &[]),
    (rq::UPDATE_AND_CREATE_TOPIC, None, &[Create], &[("topic", Topic, None)]),
    (rq::AUTH_CREATE_USER, Some(Cluster), &[Update], &[]),
    (rq::AUTH_DELETE_ACL, Some(Cluster), &[Update], &[]),
    (rq::DELETE_SUBSCRIPTIONGROUP, None, &[Delete], &[("groupName", Group, None)]),
    (rq::DELETE_TOPIC_IN_BROKER, None, &[Delete], &[("topic", Topic, None)]),
    (rq::AUTH_DELETE_USER, Some(Cluster), &[Update], &[]),
    (rq::EXCHANGE_BROKER_HA_INFO, Some(Cluster), &[Update], &[]),
    (rq::EXPORT_ROCKSDB_CONFIG_TO_JSON, Some(Cluster), &[Get], &[]),
    (rq::AUTH_GET_ACL, Some(Cluster), &[Get], &[]),
    (rq::GET_ALL_PRODUCER_INFO, Some(Cluster), &[Get], &[]),
    (rq::GET_BROKER_MEMBER_GROUP, None, &[Get], &[("clusterName", Cluster, None)]),
    (rq::GET_BROKER_CONSUME_STATS, Some(Cluster), &[Get], &[]),
    (rq::GET_CONSUME_STATS, None, &[Get], &[("consumerGroup", Group, None), ("topic", Topic, None), ("topicList", Topic, Some(';'))]),
    (rq::GET_CONSUMER_CONNECTION_LIST, None, &[Get], &[("consumerGroup", Group, None)]),
    (rq::GET_CONSUMER_RUNNING_INFO, None, &[Get], &[("consumerGroup", Group, None)]),
    (rq::INVOKE_BROKER_TO_GET_CONSUMER_STATUS, None, &[Get], &[("topic", Topic, None), ("group", Group, None)]),
    (rq::GET_EARLIEST_MSG_STORETIME, None, &[Get], &[("topic", Topic, None)]),
    (rq::GET_MAX_OFFSET, None, &[Get], &[("topic", Topic, None)]),
    (rq::GET_MIN_OFFSET, None, &[Get], &[("topic", Topic, None)]),
    (rq::GET_PRODUCER_CONNECTION_LIST, Some(Cluster), &[Get], &[]),
    (rq::GET_SUBSCRIPTIONGROUP_CONFIG, None, &[Get], &[("group", Group, None)]),
    (rq::GET_TOPIC_CONFIG, None, &[Get], &[("topic", Topic, None)]),
    (rq::GET_TOPIC_STATS_INFO, None, &[Get], &[("topic", Topic, None)]),
    (rq::AUTH_GET_USER, Some(Cluster), &[Get], &[]),
    (rq::AUTH_LIST_ACL, Some(Cluster), &[Get], &[]),
    (rq::AUTH_LIST_USER, Some(Cluster), &[Get], &[]),
    (rq::NOTIFICATION, None, &[Sub], &[("consumerGroup", Group, None), ("topic", Topic, None)]),
    (rq::NOTIFY_BROKER_ROLE_CHANGED, Some(Cluster), &[Update], &[]),
    (rq::NOTIFY_MIN_BROKER_ID_CHANGE, Some(Cluster), &[Update], &[]),
    (rq::PEEK_MESSAGE, None, &[Sub], &[("topic", Topic, None), ("consumerGroup", Group, None)]),
    (rq::POLLING_INFO, None, &[Get], &[("consumerGroup", Group, None), ("topic", Topic, None)]),
    (rq::POP_MESSAGE, None, &[Sub], &[("consumerGroup", Group, None), ("topic", Topic, None)]),
    (rq::QUERY_CONSUME_QUEUE, None, &[Get], &[("topic", Topic, None), ("consumerGroup", Group, None)]),
    (rq::QUERY_CONSUME_TIME_SPAN, None, &[Get], &[("topic", Topic, None), ("group", Group, None)]),
    (rq::QUERY_CORRECTION_OFFSET, None, &[Get], &[("filterGroups", Group, Some(',')), ("compareGroup", Group, None), ("topic", Topic, None)]),
    (rq::QUERY_SUBSCRIPTION_BY_CONSUMER, None, &[Get], &[("group", Group, None), ("topic", Topic, None)]),
    (rq::QUERY_TOPIC_CONSUME_BY_WHO, None, &[Get], &[("topic", Topic, None)]),
    (rq::QUERY_TOPICS_BY_CONSUMER, None, &[Get], &[("group", Group, None)]),
    (rq::REMOVE_BROKER, Some(Cluster), &[Update], &[("brokerClusterName", Cluster, None)]),
    (rq::RESET_MASTER_FLUSH_OFFSET, Some(Cluster), &[Update], &[]),
    (rq::INVOKE_BROKER_TO_RESET_OFFSET, None, &[Update], &[("group", Group, None), ("topic", Topic, None)]),
    (rq::RESUME_CHECK_HALF_MESSAGE, None, &[Update], &[("topic", Topic, None)]),
    (rq::SEARCH_OFFSET_BY_TIMESTAMP, None, &[Get], &[("topic", Topic, None)]),
    (rq::AUTH_UPDATE_ACL, Some(Cluster), &[Update], &[]),
    (rq::UPDATE_AND_GET_GROUP_FORBIDDEN, None, &[Update], &[("group", Group, None), ("topic", Topic, None)]),
    (rq::AUTH_UPDATE_USER, Some(Cluster), &[Update], &[]),
    (rq::VIEW_BROKER_STATS_DATA, Some(Cluster), &[Get], &[]),
    (rq::VIEW_MESSAGE_BY_ID, None, &[Get], &[("topic", Topic, None)]),
];

/// Java `build(ChannelHandlerContext, RemotingCommand)` for `req`; `cluster` is the broker's
/// cluster (Java's `AuthConfig.clusterName`). `Err` is a body that does not parse (Java's
/// "parse authorization context error.").
pub fn needs(req: &Command, cluster: &str) -> Result<Vec<Need>, Unparsable> {
    if req.ext_fields.is_empty() {
        return Ok(Vec::new());
    }
    let f = |name: &str| req.ext(name);
    let one = |r: Resource, a: &[Action]| vec![(r, a.to_vec())];
    let topic_or_retry_group = |topic: Option<&str>, group: Option<&str>| {
        if topic.is_some_and(is_retry_topic) {
            let g = group.filter(|g| !g.trim().is_empty()).or(topic);
            one(Resource::group(g), &[Sub])
        } else {
            one(Resource::topic(topic), &[Pub])
        }
    };
    let topic_then_group = |acts: &[Action]| {
        let mut v = Vec::new();
        if !f("topic").is_some_and(is_retry_topic) {
            v.push((Resource::topic(f("topic")), acts.to_vec()));
        }
        v.push((Resource::group(f("consumerGroup")), acts.to_vec()));
        v
    };
    Ok(match req.code {
        rq::SEND_MESSAGE => topic_or_retry_group(f("topic"), f("group")),
        rq::SEND_MESSAGE_V2 | rq::SEND_BATCH_MESSAGE => topic_or_retry_group(f("b"), f("a")),
        rq::RECALL_MESSAGE => one(Resource::topic(f("topic")), &[Pub]),
        rq::END_TRANSACTION => match f("topic").filter(|t| !t.trim().is_empty()) {
            Some(t) => one(Resource::topic(Some(t)), &[Pub]),
            None => Vec::new(),
        },
        rq::CONSUMER_SEND_MSG_BACK => one(Resource::group(f("group")), &[Sub]),
        rq::PULL_MESSAGE => topic_then_group(&[Sub]),
        rq::QUERY_MESSAGE => one(Resource::topic(f("topic")), &[Sub, Get]),
        rq::HEART_BEAT => heartbeat(req)?,
        rq::UNREGISTER_CLIENT => match f("consumerGroup").filter(|g| !g.trim().is_empty()) {
            Some(g) => one(Resource::group(Some(g)), &[Sub]),
            None => Vec::new(),
        },
        rq::GET_CONSUMER_LIST_BY_GROUP => one(Resource::group(f("consumerGroup")), &[Sub, Get]),
        rq::QUERY_CONSUMER_OFFSET => topic_then_group(&[Sub, Get]),
        rq::UPDATE_CONSUMER_OFFSET => topic_then_group(&[Sub, Update]),
        rq::LOCK_BATCH_MQ | rq::UNLOCK_BATCH_MQ => lock_batch(req)?,
        code => annotated(code, req, cluster),
    })
}

fn heartbeat(req: &Command) -> Result<Vec<Need>, Unparsable> {
    let data: HeartbeatData = remoting::body::from_body(req.body.as_deref().unwrap_or_default())
        .map_err(|_| Unparsable)?;
    let mut v = Vec::new();
    for c in &data.consumer_data_set {
        v.push((Resource::group(Some(&c.group_name)), vec![Sub]));
        for s in c.subscription_data_set.iter() {
            if !is_retry_topic(&s.topic) {
                v.push((Resource::topic(Some(&s.topic)), vec![Sub]));
            }
        }
    }
    Ok(v)
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LockBody {
    consumer_group: Option<String>,
    mq_set: Vec<Queue>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Queue {
    topic: Option<String>,
}

fn lock_batch(req: &Command) -> Result<Vec<Need>, Unparsable> {
    let body: LockBody = remoting::body::from_body(req.body.as_deref().unwrap_or_default())
        .map_err(|_| Unparsable)?;
    let mut v = vec![(Resource::group(body.consumer_group.as_deref()), vec![Sub])];
    for q in &body.mq_set {
        if !q.topic.as_deref().is_some_and(is_retry_topic) {
            v.push((Resource::topic(q.topic.as_deref()), vec![Sub]));
        }
    }
    Ok(v)
}

/// Java `buildContextByAnnotation`.
fn annotated(code: i32, req: &Command, cluster: &str) -> Vec<Need> {
    let Some((_, class, actions, fields)) = ANNOTATED.iter().find(|(c, ..)| *c == code) else {
        return Vec::new();
    };
    let mut v = Vec::new();
    for (name, kind, sep) in fields.iter() {
        let Some(value) = req.ext(name) else {
            continue;
        };
        let values: Vec<&str> = match sep {
            // Commons `StringUtils.split`: empty pieces dropped.
            Some(c) => value.split(*c).filter(|s| !s.is_empty()).collect(),
            None => vec![value],
        };
        for value in values {
            let r = if *kind == Topic && is_retry_topic(value) {
                Resource::group(Some(value))
            } else {
                Resource::literal(*kind, Some(value))
            };
            v.push((r, actions.to_vec()));
        }
    }
    if v.is_empty() && *class == Some(Cluster) {
        v.push((Resource::literal(Cluster, Some(cluster)), actions.to_vec()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn keys(n: &[Need]) -> Vec<(String, Vec<&'static str>)> {
        n.iter()
            .map(|(r, a)| (r.key(), a.iter().map(|a| a.name()).collect()))
            .collect()
    }

    fn req(code: i32, ext: &[(&'static str, &str)]) -> Command {
        let mut c = Command::request(code);
        for (k, v) in ext {
            c.ext_fields.insert(*k, v);
        }
        c
    }

    #[test]
    fn sends_need_pub_on_the_topic_or_sub_on_the_retry_group() {
        let n = needs(
            &req(rq::SEND_MESSAGE_V2, &[("a", "pg"), ("b", "orders")]),
            "c",
        )
        .unwrap();
        assert_eq!(keys(&n), [("Topic:orders".into(), vec!["Pub"])]);
        let retry = req(rq::SEND_MESSAGE_V2, &[("a", "cg"), ("b", "%RETRY%cg")]);
        assert_eq!(
            keys(&needs(&retry, "c").unwrap()),
            [("Group:cg".into(), vec!["Sub"])]
        );
        let no_group = req(rq::SEND_MESSAGE, &[("topic", "%RETRY%cg2")]);
        assert_eq!(
            keys(&needs(&no_group, "c").unwrap()),
            [("Group:cg2".into(), vec!["Sub"])]
        );
    }

    #[test]
    fn consumer_requests_need_topic_and_group() {
        let pull = req(rq::PULL_MESSAGE, &[("topic", "t"), ("consumerGroup", "g")]);
        assert_eq!(
            keys(&needs(&pull, "c").unwrap()),
            [
                ("Topic:t".into(), vec!["Sub"]),
                ("Group:g".into(), vec!["Sub"])
            ]
        );
        let retry = req(
            rq::QUERY_CONSUMER_OFFSET,
            &[("topic", "%RETRY%g"), ("consumerGroup", "g")],
        );
        assert_eq!(
            keys(&needs(&retry, "c").unwrap()),
            [("Group:g".into(), vec!["Sub", "Get"])]
        );
        let mut hb = req(rq::HEART_BEAT, &[("x", "y")]);
        hb.body = Some(Bytes::from_static(
            br#"{"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{"topic":"t"},{"topic":"%RETRY%g"}]}],"producerDataSet":[]}"#,
        ));
        assert_eq!(
            keys(&needs(&hb, "c").unwrap()),
            [
                ("Group:g".into(), vec!["Sub"]),
                ("Topic:t".into(), vec!["Sub"])
            ]
        );
        hb.body = Some(Bytes::from_static(b"{not json"));
        assert!(needs(&hb, "c").is_err());
    }

    #[test]
    fn annotated_headers_name_their_fields_or_the_cluster() {
        let max = req(rq::GET_MAX_OFFSET, &[("topic", "t"), ("queueId", "0")]);
        assert_eq!(
            keys(&needs(&max, "c").unwrap()),
            [("Topic:t".into(), vec!["Get"])]
        );
        let user = req(rq::AUTH_CREATE_USER, &[("username", "u")]);
        assert_eq!(
            keys(&needs(&user, "c1").unwrap()),
            [("Cluster:c1".into(), vec!["Update"])]
        );
        let stats = req(
            rq::GET_CONSUME_STATS,
            &[("consumerGroup", "g"), ("topicList", "a;b;")],
        );
        assert_eq!(
            keys(&needs(&stats, "c").unwrap()),
            [
                ("Group:g".into(), vec!["Get"]),
                ("Topic:a".into(), vec!["Get"]),
                ("Topic:b".into(), vec!["Get"])
            ]
        );
        let all = req(rq::GET_ALL_TOPIC_CONFIG, &[("x", "y")]);
        assert!(
            needs(&all, "c").unwrap().is_empty(),
            "no resource, no check"
        );
        assert!(needs(&Command::request(rq::GET_MAX_OFFSET), "c")
            .unwrap()
            .is_empty());
    }
}

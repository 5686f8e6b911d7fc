//! PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361) with long polling (Java
//! `PullMessageProcessor`, `PullRequestHoldService`).
//!
//! Checks in Java 5.3.3's order: broker readable → group (auto-created or 26) → group consume
//! enabled → topic (17) → topic readable → queue id (29) → subscription (header with sysFlag
//! bit 2, else the heartbeat's: 24/25) → a subscription not of TAG type is refused (1) as Java
//! refuses it with `enablePropertyFilter=false`. Then the store read; nothing new and the suspend bit set
//! parks the request (its own task) until the queue's max offset moves or
//! `suspendTimeoutMillis` passes, then reads once more. A piggy-backed commit (bit 0) is stored.
//! The body is the stored records back to back, exactly as the CommitLog holds them: each is a
//! view of its segment, written to the socket from there (no copy in the broker).

use std::sync::Arc;
use std::time::Duration;

use remoting::body::heartbeat::MessageModel;
use remoting::code::{request as rq, response as rc};
use remoting::headers::{PullMessageRequestHeader, PullMessageResponseHeader};
use remoting::Command;
use store::{GetRequest, GetResult, GetStatus};

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::{Reject, Reply};
use crate::groups::SubscriptionGroupConfig;
use crate::subscription::SubscriptionData;
use crate::topics::PERM_READ;

const FLAG_COMMIT_OFFSET: i32 = 0x1;
const FLAG_SUSPEND: i32 = 0x2;
const FLAG_SUBSCRIPTION: i32 = 0x4;
/// Java `MAX_PULL_MSG_SIZE`.
const MAX_PULL_BYTES: usize = 128 * 1024 * 1024;
const FAQ: &str = "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

pub async fn handle(b: &Arc<Broker>, conn: &remoting::Connection, req: Command) -> Reply {
    let h: PullMessageRequestHeader = req.decode_header()?;
    let cfg = b.config();
    if cfg.broker_permission & PERM_READ == 0 {
        return Err(Reject::no_permission(format!(
            "the broker[{}] pulling message is forbidden",
            cfg.broker_ip1
        )));
    }
    if req.code == rq::LITE_PULL_MESSAGE && !cfg.lite_pull_message_enable {
        return Err(Reject::no_permission(format!(
            "the broker[{}] for lite pull consumer is forbidden",
            cfg.broker_ip1
        )));
    }
    let group = check_group(b, &h)?;
    let sub = check_topic_and_subscription(b, &h, conn.peer())?;
    if let Some(refused) = sub.unsupported_filter() {
        return Err(refused);
    }
    // A pending server-side reset answers this pull (Java 5.x OFFSET_RESET status).
    if cfg.use_server_side_reset_offset {
        if let Some(offset) = b
            .offsets
            .take_reset(&h.consumer_group, &h.topic, h.queue_id)
        {
            return Ok(reset_reply(b, &h, &group, offset));
        }
    }
    // Java 5.3.3 commits on the first processing of the request, before any suspension, on a
    // slave too (4.9.8 did not on a slave); a slave's offsets are replaced by the master's at
    // the next metadata sync.
    if h.sys_flag & FLAG_COMMIT_OFFSET != 0 {
        b.offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }
    let mut rx = b
        .store
        .subscribe(&h.topic, h.queue_id)
        .map_err(|e| Reject::system(e.to_string()))?;
    let mut result = read(b, &h, &sub);
    let suspend = h.sys_flag & FLAG_SUSPEND != 0;
    if suspend && decide(&cfg, &h, &group, &result).0 == rc::PULL_NOT_FOUND {
        let hold = if cfg.long_polling_enable {
            h.suspend_timeout_millis
        } else {
            cfg.short_polling_time_mills
        };
        let deadline = tokio::time::Instant::now() + Duration::from_millis(hold.max(0) as u64);
        crate::metrics::note_long_polling();
        loop {
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {
                    result = read(b, &h, &sub);
                    if result.status == GetStatus::Found {
                        break;
                    }
                }
                // Deadline or store gone: answer with a last read, as Java re-executes the pull.
                _ => {
                    result = read(b, &h, &sub);
                    break;
                }
            }
        }
    }
    count(b, &h, &result);
    let (code, suggest) = decide(&cfg, &h, &group, &result);
    Ok(respond(code, suggest, &group, result))
}

/// The response code and the broker to pull from next ([`crate::ha::reads`]).
fn decide(
    cfg: &BrokerConfig,
    h: &PullMessageRequestHeader,
    group: &SubscriptionGroupConfig,
    r: &GetResult,
) -> (i32, i64) {
    crate::ha::reads::decide(cfg, group, r, code_of(h, r))
}

/// The pull's share of the broker's statistics (the store counts every get itself) and metrics.
fn count(b: &Broker, h: &PullMessageRequestHeader, r: &GetResult) {
    let found = r.status == GetStatus::Found;
    let bytes: usize = if found {
        r.messages.iter().map(|m| m.len()).sum()
    } else {
        0
    };
    b.metrics.on_pull(
        &h.consumer_group,
        &h.topic,
        h.queue_id,
        r.next_begin_offset,
        (r.messages.len() as u64, bytes as u64),
    );
    if found {
        let cfg = b.config();
        b.stats_items.get_found(
            &cfg.broker_cluster_name,
            &h.consumer_group,
            (&h.topic, crate::topics::is_system_topic(&h.topic, &cfg)),
            r.messages.len() as u64,
            bytes as u64,
        );
    }
}

fn check_group(
    b: &Broker,
    h: &PullMessageRequestHeader,
) -> Result<SubscriptionGroupConfig, Reject> {
    let cfg = b.config();
    let Some(group) = b.groups.find_or_create(&h.consumer_group, &cfg) else {
        return Err(Reject::code(
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!(
                "subscription group [{}] does not exist, {FAQ}",
                h.consumer_group
            ),
        ));
    };
    if !group.consume_enable {
        return Err(Reject::no_permission(format!(
            "subscription group no permission, {}",
            h.consumer_group
        )));
    }
    Ok(group)
}

fn check_topic_and_subscription(
    b: &Broker,
    h: &PullMessageRequestHeader,
    peer: std::net::SocketAddr,
) -> Result<SubscriptionData, Reject> {
    let Some(tc) = b.topics.get(&h.topic) else {
        return Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist, apply first please! {FAQ}", h.topic),
        ));
    };
    if !tc.readable() {
        return Err(Reject::no_permission(format!(
            "the topic[{}] pulling message is forbidden",
            h.topic
        )));
    }
    if h.queue_id < 0 || h.queue_id >= tc.read_queue_nums {
        return Err(Reject::code(
            rc::INVALID_PARAMETER,
            format!(
                "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[/{}]",
                h.queue_id, h.topic, tc.read_queue_nums, peer
            ),
        ));
    }
    if h.sys_flag & FLAG_SUBSCRIPTION != 0 {
        let expr = h.subscription.as_deref().unwrap_or("*");
        return Ok(SubscriptionData::build(
            &h.topic,
            expr,
            h.expression_type.as_deref(),
        ));
    }
    let not_exist = |what: &str| {
        Reject::code(
            rc::SUBSCRIPTION_NOT_EXIST,
            format!("the consumer's {what} not exist{FAQ}"),
        )
    };
    let Some((model, sub)) = b
        .clients
        .model_and_subscription(&h.consumer_group, &h.topic)
    else {
        return Err(not_exist("group info"));
    };
    let group_cfg = b.groups.get(&h.consumer_group);
    if model == Some(MessageModel::Broadcasting)
        && group_cfg.is_some_and(|g| !g.consume_broadcast_enable)
    {
        return Err(Reject::no_permission(format!(
            "the consumer group[{}] can not consume by broadcast way",
            h.consumer_group
        )));
    }
    let Some(sub) = sub else {
        return Err(not_exist("subscription"));
    };
    if sub.sub_version < h.sub_version {
        return Err(Reject::code(
            rc::SUBSCRIPTION_NOT_LATEST,
            "the consumer's subscription not latest",
        ));
    }
    Ok(sub)
}

fn read(b: &Broker, h: &PullMessageRequestHeader, sub: &SubscriptionData) -> GetResult {
    let req = GetRequest {
        topic: &h.topic,
        queue_id: h.queue_id,
        offset: h.queue_offset,
        max_count: h.max_msg_nums.max(1) as usize,
        max_bytes: h
            .max_msg_bytes
            .filter(|m| *m > 0)
            .map_or(MAX_PULL_BYTES, |m| m as usize),
    };
    let mut r = if sub.matches_all() {
        b.store.get(&req, None)
    } else {
        let filter = |code: i64| sub.matches_tags_code(code);
        b.store.get(&req, Some(&filter))
    };
    crate::ha::reads::correct_next_offset(&b.config(), h, &mut r);
    r
}

/// Java `composeResponseHeader`'s status → code table.
fn code_of(h: &PullMessageRequestHeader, r: &GetResult) -> i32 {
    match r.status {
        GetStatus::Found => rc::SUCCESS,
        GetStatus::MessageWasRemoving | GetStatus::NoMatchedMessage => rc::PULL_RETRY_IMMEDIATELY,
        GetStatus::NoMatchedLogicQueue | GetStatus::NoMessageInQueue if h.queue_offset != 0 => {
            rc::PULL_OFFSET_MOVED
        }
        GetStatus::NoMatchedLogicQueue | GetStatus::NoMessageInQueue => rc::PULL_NOT_FOUND,
        GetStatus::OffsetFoundNull | GetStatus::OffsetOverflowOne => rc::PULL_NOT_FOUND,
        GetStatus::OffsetOverflowBadly | GetStatus::OffsetTooSmall => rc::PULL_OFFSET_MOVED,
    }
}

/// Java `GetMessageStatus.name()`, used as the remark.
fn status_name(s: GetStatus) -> &'static str {
    match s {
        GetStatus::Found => "FOUND",
        GetStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
        GetStatus::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
        GetStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
        GetStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
        GetStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
        GetStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
        GetStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
        GetStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
    }
}

fn respond(code: i32, suggest: i64, group: &SubscriptionGroupConfig, r: GetResult) -> Command {
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: suggest,
        next_begin_offset: r.next_begin_offset,
        min_offset: r.min_offset,
        max_offset: r.max_offset,
        offset_delta: None,
        topic_sys_flag: Some(0),
        group_sys_flag: Some(group.group_sys_flag),
        forbidden_type: None,
    };
    let cmd = Command::response(code, Some(status_name(r.status).to_string())).with_header(&header);
    if code == rc::SUCCESS {
        cmd.with_body_parts(r.messages)
    } else {
        cmd
    }
}

fn reset_reply(
    b: &Broker,
    h: &PullMessageRequestHeader,
    group: &SubscriptionGroupConfig,
    offset: i64,
) -> Command {
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: 0,
        next_begin_offset: offset,
        min_offset: b.store.min_offset(&h.topic, h.queue_id),
        max_offset: b.store.max_offset(&h.topic, h.queue_id),
        offset_delta: None,
        topic_sys_flag: Some(0),
        group_sys_flag: Some(group.group_sys_flag),
        forbidden_type: None,
    };
    Command::response(rc::PULL_OFFSET_MOVED, Some("OFFSET_RESET".to_string())).with_header(&header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: GetStatus) -> GetResult {
        GetResult {
            status,
            next_begin_offset: 0,
            min_offset: 0,
            max_offset: 0,
            messages: Vec::new(),
            queue_offsets: Vec::new(),
            suggest_pulling_from_slave: false,
        }
    }

    #[test]
    fn status_to_code_table() {
        let mut h = PullMessageRequestHeader::default();
        assert_eq!(
            code_of(&h, &result(GetStatus::NoMessageInQueue)),
            rc::PULL_NOT_FOUND
        );
        h.queue_offset = 5;
        assert_eq!(
            code_of(&h, &result(GetStatus::NoMessageInQueue)),
            rc::PULL_OFFSET_MOVED
        );
        assert_eq!(
            code_of(&h, &result(GetStatus::OffsetOverflowOne)),
            rc::PULL_NOT_FOUND
        );
        assert_eq!(
            code_of(&h, &result(GetStatus::OffsetTooSmall)),
            rc::PULL_OFFSET_MOVED
        );
        assert_eq!(
            code_of(&h, &result(GetStatus::NoMatchedMessage)),
            rc::PULL_RETRY_IMMEDIATELY
        );
        assert_eq!(code_of(&h, &result(GetStatus::Found)), rc::SUCCESS);
    }
}

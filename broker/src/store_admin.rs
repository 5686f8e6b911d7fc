//! Store maintenance on request (Java `AdminBrokerProcessor`):
//!
//! * CLEAN_EXPIRED_CONSUMEQUEUE (306, `mqadmin cleanExpiredCQ`): queues whose messages the
//!   CommitLog no longer holds are deleted (system topics excepted).
//! * DELETE_EXPIRED_COMMITLOG (329, `mqadmin deleteExpiredCommitLog`): the next 20 clean-up
//!   rounds delete expired CommitLog files whatever the hour and disk usage.
//! * CLEAN_UNUSED_TOPIC (316, `mqadmin cleanUnusedTopic`): queues of topics the broker has no
//!   config for are deleted, with their stats.
//! * SET_COMMITLOG_READ_MODE (2004, `mqadmin setCommitLogReadAheadMode`): read-ahead of every
//!   CommitLog file on (mode 0, `MADV_NORMAL`) or off (mode 1, `MADV_RANDOM`), and
//!   `dataReadAheadEnable` set to match for the files to come.

use std::sync::Arc;

use remoting::code::response as rc;
use remoting::Command;

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::topics;

/// Java `MixAll.MAX_MANUAL_DELETE_FILE_TIMES` via `executeDeleteFilesManually`.
const MANUAL_DELETE_ROUNDS: u32 = 20;
/// Java `LibC.MADV_NORMAL` / `MADV_RANDOM`.
const MADV_NORMAL: i32 = 0;
const MADV_RANDOM: i32 = 1;

/// CLEAN_EXPIRED_CONSUMEQUEUE (306).
pub fn clean_expired_queues(b: &Arc<Broker>) -> Reply {
    let cfg = b.config();
    let gone = b
        .store
        .clean_expired_queues(|t| topics::is_system_topic(t, &cfg))
        .map_err(|e| Reject::system(e.to_string()))?;
    tracing::info!(queues = gone.len(), "cleanExpiredConsumeQueue done");
    Ok(Command::response(rc::SUCCESS, None))
}

/// DELETE_EXPIRED_COMMITLOG (329).
pub fn delete_expired_commitlog(b: &Arc<Broker>) -> Reply {
    tracing::warn!("deleteExpiredCommitLog: manual clean-up requested");
    b.store.request_clean(MANUAL_DELETE_ROUNDS);
    Ok(Command::response(rc::SUCCESS, None))
}

/// CLEAN_UNUSED_TOPIC (316). Java answers SUCCESS whatever the store's deletion did.
pub fn clean_unused_topic(b: &Arc<Broker>) -> Reply {
    let cfg = b.config();
    match b.store.clean_unused_topics(
        |t| b.topics.get(t).is_some(),
        |t| topics::is_system_topic(t, &cfg),
    ) {
        Ok(gone) => {
            // Java drops the topic's stats with autoDeleteUnusedStats (default true).
            for topic in &gone {
                b.stats_items.on_topic_deleted(topic);
            }
            tracing::warn!(topics = ?gone, "cleanUnusedTopic done");
        }
        Err(e) => tracing::error!("cleanUnusedTopic: {e}"),
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// SET_COMMITLOG_READ_MODE (2004): the mode is the `READ_AHEAD_MODE` ext field.
pub fn set_read_ahead_mode(b: &Arc<Broker>, req: Command) -> Reply {
    if req.ext_fields.is_empty() {
        return Err(Reject::system("set commitlog readahead mode param error"));
    }
    let Some(mode) = req
        .ext("READ_AHEAD_MODE")
        .and_then(|m| m.parse::<i32>().ok())
    else {
        // Java's Integer.parseInt throws into the handler's catch-all.
        return Err(Reject::system("set commitlog readahead mode failed"));
    };
    if mode != MADV_RANDOM && mode != MADV_NORMAL {
        return Err(Reject::code(
            rc::INVALID_PARAMETER,
            "set commitlog readahead mode param value error",
        ));
    }
    let enabled = mode == MADV_NORMAL;
    let mut cfg = (*b.config()).clone();
    cfg.data_read_ahead_enable = enabled;
    b.set_config(cfg);
    b.store.set_commitlog_read_ahead(enabled);
    Ok(Command::response(
        rc::SUCCESS,
        Some(format!(
            "set commitlog readahead mode success, mode: {mode}"
        )),
    ))
}

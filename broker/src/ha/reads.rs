//! Reads in a master/slave group (Java 5.3.3 `PullMessageProcessor.rejectRequest` and
//! `composeResponseHeader`, `DefaultPullMessageResultHandler`, `DefaultMessageStore
//! .nextOffsetCorrection`): which broker a consumer should pull from next, and what a slave
//! answers differently from a master.
//!
//! * `slaveReadEnable=false`: every pull suggests the master (0); a slave refuses pulls outright
//!   (SYSTEM_BUSY, Java's processor-level `rejectRequest`).
//! * `slaveReadEnable=true`: a pull whose last message is further behind the CommitLog end than
//!   `accessMessageInMemoryMaxRatio` % of RAM ("cold") suggests the group's
//!   `whichBrokerWhenConsumeSlowly` (default 1), any other the group's `brokerId` (default 0).
//! * On a slave (brokerId ≠ 0) a pull that is not cold suggests the master, and one that found
//!   nothing answers PULL_RETRY_IMMEDIATELY so the client goes back (Java assumes the master is
//!   online: its `minBrokerIdInGroup` changes only with `enableSlaveActingMaster`).
//! * A slave keeps the requested offset where a master corrects it, and answers
//!   PULL_OFFSET_MOVED as PULL_RETRY_IMMEDIATELY, unless `offsetCheckInSlave`.

use remoting::code::{request as rq, response as rc};
use remoting::headers::PullMessageRequestHeader;
use store::{GetResult, GetStatus};

use crate::config::BrokerConfig;
use crate::error::Reject;
use crate::groups::SubscriptionGroupConfig;

/// Java `NettyRemotingAbstract`'s answer to a request its processor rejects.
pub fn system_busy() -> Reject {
    Reject::code(
        rc::SYSTEM_BUSY,
        "[REJECTREQUEST]system busy, start flow control for a while",
    )
}

/// Requests a slave's processors reject before reading them: sends (Java
/// `SendMessageProcessor.rejectRequest`, which also serves CONSUMER_SEND_MSG_BACK) and, without
/// `slaveReadEnable`, pulls.
pub fn rejected_on_slave(cfg: &BrokerConfig, code: i32) -> bool {
    if cfg.is_master() {
        return false;
    }
    match code {
        rq::SEND_MESSAGE | rq::SEND_MESSAGE_V2 | rq::SEND_BATCH_MESSAGE => true,
        rq::CONSUMER_SEND_MSG_BACK => true,
        rq::PULL_MESSAGE | rq::LITE_PULL_MESSAGE => !cfg.slave_read_enable,
        _ => false,
    }
}

/// Java `nextOffsetCorrection`: a slave leaves the next offset at the requested one.
pub fn correct_next_offset(cfg: &BrokerConfig, h: &PullMessageRequestHeader, r: &mut GetResult) {
    if cfg.is_master() || cfg.offset_check_in_slave {
        return;
    }
    if matches!(
        r.status,
        GetStatus::NoMessageInQueue
            | GetStatus::NoMatchedLogicQueue
            | GetStatus::OffsetTooSmall
            | GetStatus::OffsetOverflowOne
            | GetStatus::OffsetOverflowBadly
            | GetStatus::OffsetFoundNull
    ) {
        r.next_begin_offset = h.queue_offset;
    }
}

/// The response code and `suggestWhichBrokerId` for a pull whose store status maps to `code`.
pub fn decide(
    cfg: &BrokerConfig,
    group: &SubscriptionGroupConfig,
    r: &GetResult,
    mut code: i32,
) -> (i32, i64) {
    let cold = r.suggest_pulling_from_slave;
    let mut suggest = match (cfg.slave_read_enable, cold) {
        (true, true) => group.which_broker_when_consume_slowly,
        (true, false) => group.broker_id,
        (false, _) => 0,
    };
    if cfg.broker_id != 0 && !cold {
        suggest = 0;
        if r.status != GetStatus::Found {
            code = rc::PULL_RETRY_IMMEDIATELY;
        }
    }
    if code == rc::PULL_OFFSET_MOVED && !cfg.is_master() && !cfg.offset_check_in_slave {
        suggest = group.broker_id;
        code = rc::PULL_RETRY_IMMEDIATELY;
    }
    (code, suggest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BrokerRole;

    fn result(status: GetStatus, cold: bool) -> GetResult {
        GetResult {
            status,
            next_begin_offset: 9,
            min_offset: 5,
            max_offset: 20,
            messages: Vec::new(),
            queue_offsets: Vec::new(),
            suggest_pulling_from_slave: cold,
        }
    }

    fn slave(read: bool) -> BrokerConfig {
        BrokerConfig {
            broker_role: BrokerRole::Slave,
            broker_id: 1,
            slave_read_enable: read,
            ..BrokerConfig::default()
        }
    }

    #[test]
    fn master_suggestions() {
        let g = SubscriptionGroupConfig::new("g");
        let mut cfg = BrokerConfig::default();
        let found = rc::SUCCESS;
        assert_eq!(
            decide(&cfg, &g, &result(GetStatus::Found, true), found),
            (found, 0)
        );
        cfg.slave_read_enable = true;
        assert_eq!(
            decide(&cfg, &g, &result(GetStatus::Found, true), found),
            (found, 1)
        );
        assert_eq!(
            decide(&cfg, &g, &result(GetStatus::Found, false), found),
            (found, 0)
        );
        assert!(!rejected_on_slave(&cfg, rq::SEND_MESSAGE));
    }

    #[test]
    fn slave_answers() {
        let g = SubscriptionGroupConfig::new("g");
        let cfg = slave(true);
        let nf = rc::PULL_NOT_FOUND;
        // Not cold: back to the master, and an empty answer makes the client retry there.
        let r = result(GetStatus::OffsetOverflowOne, false);
        assert_eq!(decide(&cfg, &g, &r, nf), (rc::PULL_RETRY_IMMEDIATELY, 0));
        let r = result(GetStatus::Found, false);
        assert_eq!(decide(&cfg, &g, &r, rc::SUCCESS), (rc::SUCCESS, 0));
        // Cold: stay on the slave.
        let r = result(GetStatus::Found, true);
        assert_eq!(decide(&cfg, &g, &r, rc::SUCCESS), (rc::SUCCESS, 1));
        let r = result(GetStatus::OffsetTooSmall, true);
        let moved = rc::PULL_OFFSET_MOVED;
        assert_eq!(decide(&cfg, &g, &r, moved), (rc::PULL_RETRY_IMMEDIATELY, 0));
        assert!(rejected_on_slave(&cfg, rq::SEND_MESSAGE_V2));
        assert!(!rejected_on_slave(&cfg, rq::PULL_MESSAGE));
        assert!(rejected_on_slave(&slave(false), rq::PULL_MESSAGE));
        let h = PullMessageRequestHeader {
            queue_offset: 3,
            ..PullMessageRequestHeader::default()
        };
        let mut r = result(GetStatus::OffsetTooSmall, false);
        correct_next_offset(&cfg, &h, &mut r);
        assert_eq!(r.next_begin_offset, 3, "a slave keeps the requested offset");
    }
}

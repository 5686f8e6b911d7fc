//! Queue locks for orderly consumers (Java `RebalanceLockManager`): one owner client per
//! (group, MessageQueue), expiring 60 s after the last (re)lock
//! (`rocketmq.broker.rebalance.lockMaxLiveTime`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub const LOCK_MAX_LIVE: Duration = Duration::from_secs(60);

/// Java `MessageQueue` as JSON (fields sorted: brokerName, queueId, topic).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageQueue {
    #[serde(default)]
    pub broker_name: String,
    #[serde(default)]
    pub queue_id: i32,
    #[serde(default)]
    pub topic: String,
}

struct Lock {
    client_id: String,
    last: Instant,
}

#[derive(Default)]
pub struct LockManager {
    /// group → queue → owner. One mutex: lock traffic is a few requests per client every 20 s.
    table: Mutex<HashMap<String, HashMap<MessageQueue, Lock>>>,
}

impl LockManager {
    /// Grants every queue that is free, expired or already the caller's; returns the set the
    /// caller now owns.
    pub fn lock(
        &self,
        group: &str,
        mqs: &[MessageQueue],
        client_id: &str,
    ) -> BTreeSet<MessageQueue> {
        self.lock_at(group, mqs, client_id, Instant::now())
    }

    fn lock_at(
        &self,
        group: &str,
        mqs: &[MessageQueue],
        client_id: &str,
        now: Instant,
    ) -> BTreeSet<MessageQueue> {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let locks = table.entry(group.to_string()).or_default();
        let mut owned = BTreeSet::new();
        for mq in mqs {
            let grant = match locks.get(mq) {
                None => true,
                Some(l) => l.client_id == client_id || now.duration_since(l.last) > LOCK_MAX_LIVE,
            };
            if grant {
                locks.insert(
                    mq.clone(),
                    Lock {
                        client_id: client_id.to_string(),
                        last: now,
                    },
                );
                owned.insert(mq.clone());
            }
        }
        owned
    }

    /// Releases the caller's locks among `mqs`.
    pub fn unlock(&self, group: &str, mqs: &[MessageQueue], client_id: &str) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(locks) = table.get_mut(group) {
            for mq in mqs {
                if locks.get(mq).map(|l| l.client_id == client_id) == Some(true) {
                    locks.remove(mq);
                }
            }
        }
    }

    /// Whether `client_id` holds a live lock on `mq` (admin views).
    pub fn is_locked_by(&self, group: &str, mq: &MessageQueue, client_id: &str) -> bool {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table
            .get(group)
            .and_then(|l| l.get(mq))
            .map(|l| l.client_id == client_id && l.last.elapsed() <= LOCK_MAX_LIVE)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(q: i32) -> MessageQueue {
        MessageQueue {
            broker_name: "b".into(),
            queue_id: q,
            topic: "T".into(),
        }
    }

    #[test]
    fn owner_relock_other_refused_until_expiry() {
        let m = LockManager::default();
        let t0 = Instant::now();
        assert_eq!(m.lock_at("g", &[mq(0), mq(1)], "c1", t0).len(), 2);
        assert!(m.lock_at("g", &[mq(0)], "c2", t0).is_empty());
        assert_eq!(m.lock_at("g", &[mq(0)], "c1", t0).len(), 1);
        let later = t0 + LOCK_MAX_LIVE + Duration::from_secs(1);
        assert_eq!(m.lock_at("g", &[mq(1)], "c2", later).len(), 1);
        m.unlock("g", &[mq(0)], "c2");
        assert!(m.is_locked_by("g", &mq(0), "c1"));
        m.unlock("g", &[mq(0)], "c1");
        assert_eq!(m.lock_at("g", &[mq(0)], "c2", t0).len(), 1);
    }

    #[test]
    fn json_shape() {
        assert_eq!(
            serde_json::to_string(&mq(3)).unwrap(),
            r#"{"brokerName":"b","queueId":3,"topic":"T"}"#
        );
    }
}

//! Java `DefaultElectPolicy`: who becomes master of a broker set.
//!
//! Candidates are the live brokers of the sync-state set, then (only with
//! `enableElectUncleanMaster`) the live brokers of the whole set. A live old master stays unless
//! another broker is designated; a designated broker is taken if it is a candidate, else nobody;
//! otherwise the candidate with the highest epoch, then the highest max offset, then the lowest
//! `electionPriority` (then the lowest id: Java's `TreeSet` keeps the first of equals, and its
//! `HashSet` of ids iterates small ids in ascending order).

use std::collections::BTreeSet;

use super::Liveness;

/// What a broker last reported in its heartbeat (Java `BrokerLiveInfo`, the fields the policy
/// reads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveInfo {
    pub epoch: i32,
    pub max_offset: i64,
    pub election_priority: i32,
}

/// Java `DefaultElectPolicy#elect`.
pub fn elect(
    live: &dyn Liveness,
    cluster: &str,
    broker_name: &str,
    sync_state_set: &BTreeSet<i64>,
    all_replicas: Option<&BTreeSet<i64>>,
    old_master: Option<i64>,
    prefer: Option<i64>,
) -> Option<i64> {
    let pick = |brokers: &BTreeSet<i64>| {
        try_elect(live, cluster, broker_name, brokers, old_master, prefer)
    };
    pick(sync_state_set).or_else(|| all_replicas.and_then(pick))
}

fn try_elect(
    live: &dyn Liveness,
    cluster: &str,
    broker_name: &str,
    brokers: &BTreeSet<i64>,
    old_master: Option<i64>,
    prefer: Option<i64>,
) -> Option<i64> {
    let alive: Vec<i64> = brokers
        .iter()
        .copied()
        .filter(|id| live.is_active(cluster, broker_name, *id))
        .collect();
    if alive.is_empty() {
        return None;
    }
    if let Some(old) = old_master {
        if alive.contains(&old) && prefer.map_or(true, |p| p == old) {
            return Some(old);
        }
    }
    if let Some(p) = prefer {
        return alive.contains(&p).then_some(p);
    }
    alive.into_iter().min_by_key(|id| {
        let info = live.live_info(cluster, broker_name, *id);
        let (epoch, offset, priority) = info.map_or((-1, -1, i32::MAX), |i| {
            (i.epoch, i.max_offset, i.election_priority)
        });
        (
            std::cmp::Reverse(epoch),
            std::cmp::Reverse(offset),
            priority,
            *id,
        )
    })
}

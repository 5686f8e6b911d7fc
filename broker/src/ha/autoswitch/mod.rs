//! Replication in controller mode (Java 5.3.3 `AutoSwitchHAService`, `AutoSwitchHAConnection`,
//! `AutoSwitchHAClient`, the controller-mode parts of `CommitLog` and `GroupTransferService`),
//! byte-compatible with Java brokers in the same group.
//!
//! ```text
//!   controller ── role, epoch, SyncStateSet ──▶ crate::controller (ReplicasManager)
//!                                                  │ change_to_master / change_to_slave
//!   producer ─send─▶ master ──(haListenPort: handshake by epoch, transfers)──▶ slave
//!                      │ waits for every SyncStateSet member (allAckInSyncStateSet)
//!                      │ or inSyncReplicas acks; refuses below minInSyncReplicas
//!                      └─ SyncStateSet: a slave that caught up joins (expansion), one behind
//!                         for haMaxTimeSlaveNotCatchup leaves (shrink); the controller
//!                         confirms each change (CONTROLLER_ALTER_SYNC_STATE_SET)
//! ```
//! * [`proto`]: the frames. [`master`]: one task pair per connected slave. [`client`]: a
//!   slave's connection, which truncates a diverged tail at the handshake.
//! * The epoch file ([`store::epoch`]) records which master epoch wrote which CommitLog range.
//! * The confirm offset is the CommitLog offset every SyncStateSet member holds.
//!
//! * Consumers see the records up to the confirm offset ([`update_dispatch`]; Java's default
//!   `readUnCommitted=false`), or up to the CommitLog's end with `readUnCommitted=true`. A slave
//!   takes its confirm offset from its master's transfer headers.
//!
//! Where Thrust differs: a slave reports its offset right after the handshake instead of one
//! `haSendHeartbeatInterval` later.

pub mod client;
pub mod master;
pub mod proto;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use store::epoch::EpochCache;
use tokio::sync::{mpsc, watch, Notify};

use crate::broker::Broker;
use crate::config::BrokerRole;
use crate::persist::now_millis;
use master::Link;
use tracing::warn;

/// The SyncStateSet as this master knows it (Java's `syncStateSet`, `remoteSyncStateSet`,
/// `isSynchronizingSyncStateSet`).
#[derive(Debug, Default)]
struct SyncState {
    local: BTreeSet<i64>,
    /// A change reported to the controller and not yet confirmed.
    remote: Option<BTreeSet<i64>>,
}

/// The controller-mode replication state of one broker.
pub struct AutoSwitch {
    pub epochs: EpochCache,
    /// This broker's id from the controller, -1 before it has one.
    pub local_id: AtomicI64,
    sync: Mutex<SyncState>,
    /// Slave id → when it last caught up (ms).
    caught_up: Mutex<HashMap<i64, i64>>,
    /// Java `CommitLog.confirmOffset`, -1 until computed.
    confirm: AtomicI64,
    links: Mutex<Vec<Arc<Link>>>,
    /// Bumped at every report and SyncStateSet change, so waiting sends re-check.
    acks: watch::Sender<u64>,
    pub(crate) data: Notify,
    /// SyncStateSets to report to the controller (Java's `syncStateSetChangedListeners`).
    changes: mpsc::UnboundedSender<BTreeSet<i64>>,
    pub(crate) changes_rx: Mutex<Option<mpsc::UnboundedReceiver<BTreeSet<i64>>>>,
    /// Bumped at every role change: connections and the client of the old role end.
    pub(crate) generation: watch::Sender<u64>,
}

impl AutoSwitch {
    /// `confirm`: the confirm offset the checkpoint kept (Java `loadCheckPoint`).
    pub fn new(epochs: EpochCache, confirm: i64) -> AutoSwitch {
        let (changes, rx) = mpsc::unbounded_channel();
        AutoSwitch {
            epochs,
            local_id: AtomicI64::new(-1),
            sync: Mutex::new(SyncState::default()),
            caught_up: Mutex::new(HashMap::new()),
            confirm: AtomicI64::new(confirm),
            links: Mutex::new(Vec::new()),
            acks: watch::channel(0).0,
            data: Notify::new(),
            changes,
            changes_rx: Mutex::new(Some(rx)),
            generation: watch::channel(0).0,
        }
    }

    fn sync(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.sync.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn links(&self) -> Vec<Arc<Link>> {
        self.links.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn add_link(&self, l: Arc<Link>) {
        self.links.lock().unwrap_or_else(|e| e.into_inner()).push(l);
    }

    /// Java `removeConnection`: a slave in the SyncStateSet that disconnects leaves it.
    pub(crate) fn remove_link(&self, l: &Arc<Link>, store_max: i64) {
        self.links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|x| !Arc::ptr_eq(x, l));
        let id = l.slave_id.load(Ordering::Acquire);
        let mut set = self.local_sync_state_set();
        if set.remove(&id) {
            self.mark_synchronizing(&set);
            let _ = self.changes.send(set);
        }
        self.bump(store_max);
    }

    /// Ends the connections and the client of the current role (Java `destroyConnections`,
    /// `haClient.shutdown`).
    pub fn new_generation(&self) {
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    pub fn local_sync_state_set(&self) -> BTreeSet<i64> {
        self.sync().local.clone()
    }

    /// Java `getSyncStateSet`: the confirmed set, with a pending change's members added.
    pub fn sync_state_set(&self) -> BTreeSet<i64> {
        let s = self.sync();
        let mut set = s.local.clone();
        if let Some(r) = &s.remote {
            set.extend(r.iter().copied());
        }
        set
    }

    /// Java `inSyncReplicasNums`.
    pub fn in_sync_replicas_nums(&self) -> usize {
        let s = self.sync();
        s.remote
            .as_ref()
            .map_or(s.local.len(), |r| r.len().max(s.local.len()))
    }

    fn mark_synchronizing(&self, set: &BTreeSet<i64>) {
        self.sync().remote = Some(set.clone());
    }

    /// Java `setSyncStateSet`: the set the controller confirmed.
    pub fn set_sync_state_set(&self, set: BTreeSet<i64>, store_max: i64) {
        {
            let mut s = self.sync();
            s.remote = None;
            s.local = set;
        }
        self.confirm
            .store(self.compute_confirm(store_max), Ordering::Release);
        self.bump(store_max);
    }

    fn bump(&self, _store_max: i64) {
        self.acks.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Java `updateConnectionLastCaughtUpTime`.
    pub(crate) fn caught_up_at(&self, slave: i64, ms: i64) {
        let mut t = self.caught_up.lock().unwrap_or_else(|e| e.into_inner());
        let e = t.entry(slave).or_insert(0);
        *e = (*e).max(ms);
    }

    /// Java `maybeShrinkSyncStateSet`: the set without slaves behind for longer than
    /// `max_behind_ms` or not connected; a change is marked as pending.
    pub fn maybe_shrink(&self, max_behind_ms: i64) -> BTreeSet<i64> {
        let mut set = self.local_sync_state_set();
        let local = self.local_id.load(Ordering::Acquire);
        let now = now_millis();
        let before = set.len();
        {
            let t = self.caught_up.lock().unwrap_or_else(|e| e.into_inner());
            set.retain(|id| match t.get(id) {
                Some(at) => now - at <= max_behind_ms,
                None => *id == local,
            });
        }
        if set.len() != before {
            self.mark_synchronizing(&set);
        }
        set
    }

    /// Java `maybeExpandInSyncStateSet`: a slave that reached the confirm offset and the
    /// current epoch joins; the controller is told.
    pub(crate) fn maybe_expand(&self, slave: i64, slave_max: i64, confirm: i64) {
        let mut set = self.local_sync_state_set();
        if set.contains(&slave) || slave_max < confirm {
            return;
        }
        let Some(last) = self.epochs.last() else {
            return;
        };
        if slave_max >= last.start {
            set.insert(slave);
            self.mark_synchronizing(&set);
            let _ = self.changes.send(set);
        }
    }

    /// Java `computeConfirmOffset`: the smallest ack among the SyncStateSet's connected
    /// slaves, capped by `store_max`; unchanged while a member is not connected.
    pub fn compute_confirm(&self, store_max: i64) -> i64 {
        let set = self.sync_state_set();
        let links = self.links();
        let local = self.local_id.load(Ordering::Acquire);
        let connected: Vec<i64> = links
            .iter()
            .map(|l| l.slave_id.load(Ordering::Acquire))
            .collect();
        if set
            .iter()
            .any(|id| *id != local && local >= 0 && !connected.contains(id))
        {
            return self.confirm.load(Ordering::Acquire);
        }
        links
            .iter()
            .filter(|l| set.contains(&l.slave_id.load(Ordering::Acquire)))
            .map(|l| l.ack.load(Ordering::Acquire))
            .filter(|a| *a > 0)
            .fold(store_max, i64::min)
    }

    /// Java `updateConfirmOffsetWhenSlaveAck`. The caller then has the store dispatch up to
    /// the new confirm offset ([`update_dispatch`]) and wakes the waiting sends
    /// ([`AutoSwitch::acked`]), so a send answered is visible to consumers.
    pub(crate) fn on_ack(&self, slave: i64, store_max: i64) {
        if self.sync().local.contains(&slave) {
            self.confirm
                .store(self.compute_confirm(store_max), Ordering::Release);
        }
    }

    /// Wakes the sends waiting for acknowledgements.
    pub(crate) fn acked(&self) {
        self.bump(0);
    }

    /// A slave's confirm offset from its master's transfer headers.
    pub fn set_confirm(&self, offset: i64) {
        self.confirm.store(offset, Ordering::Release);
    }

    /// Java `CommitLog.getConfirmOffset` in controller mode: a master alone in its SyncStateSet,
    /// or one not waiting for all of it, confirms everything it has.
    pub fn confirm_offset(&self, is_master: bool, all_ack: bool, store_max: i64) -> i64 {
        self.confirmed(is_master, all_ack, store_max)
            .unwrap_or(store_max)
    }

    /// [`AutoSwitch::confirm_offset`], `None` when it is the CommitLog's end, whatever that
    /// becomes.
    pub fn confirmed(&self, is_master: bool, all_ack: bool, store_max: i64) -> Option<i64> {
        if is_master && (self.sync().local.len() <= 1 || !all_ack) {
            return None;
        }
        let c = self.confirm.load(Ordering::Acquire);
        if is_master && c < 0 {
            let c = self.compute_confirm(store_max);
            self.confirm.store(c, Ordering::Release);
            return Some(c);
        }
        Some(c)
    }

    /// Java `GroupTransferService.doWaitTransfer` for `allAckInSyncStateSet`: every member of
    /// the SyncStateSet holds the CommitLog up to `end`.
    fn all_acked(&self, end: i64) -> bool {
        let set = self.sync_state_set();
        if set.len() <= 1 {
            return true;
        }
        let acked = self
            .links()
            .iter()
            .filter(|l| set.contains(&l.slave_id.load(Ordering::Acquire)))
            .filter(|l| l.ack.load(Ordering::Acquire) >= end)
            .count();
        acked + 1 >= set.len()
    }

    fn count_acked(&self, end: i64) -> usize {
        self.links()
            .iter()
            .filter(|l| l.ack.load(Ordering::Acquire) >= end)
            .count()
            + 1
    }

    /// Waits until `need` replicas (`None`: the whole SyncStateSet) hold the CommitLog up to
    /// `end`; false after `timeout`.
    pub async fn wait_acks(&self, end: i64, need: Option<usize>, timeout: Duration) -> bool {
        let mut rx = self.acks.subscribe();
        self.data.notify_waiters();
        let ok = |_: &u64| match need {
            None => self.all_acked(end),
            Some(n) => self.count_acked(end) >= n,
        };
        let waited = tokio::time::timeout(timeout, rx.wait_for(ok)).await;
        matches!(waited, Ok(Ok(_)))
    }
}

/// Java `ReputMessageService` reading `CommitLog.getConfirmOffset`: the store dispatches up to
/// the confirm offset of this broker's role (with `readUnCommitted=false`; the store ignores it
/// otherwise). Called wherever the confirm offset, the SyncStateSet or the role changes.
pub fn update_dispatch(b: &Broker) {
    let cfg = b.config();
    let max = b.store.commitlog_offsets().1;
    let is_master = cfg.broker_role != BrokerRole::Slave && !b.replicas.is_fenced();
    let confirmed =
        b.ha.auto
            .confirmed(is_master, cfg.all_ack_in_sync_state_set, max);
    if let Err(e) = b.store.set_confirm_offset(confirmed) {
        warn!(?confirmed, "dispatch up to the confirm offset: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_state_set_changes_wait_for_the_controller() {
        let a = AutoSwitch::new(EpochCache::default(), -1);
        a.local_id.store(1, Ordering::Release);
        a.set_sync_state_set([1].into_iter().collect(), 0);
        assert!(a.epochs.append(store::epoch::EpochEntry::new(1, 0)));
        a.maybe_expand(2, 100, 100);
        assert_eq!(a.local_sync_state_set().len(), 1, "not confirmed yet");
        assert_eq!(a.sync_state_set().len(), 2, "but counted as a member");
        assert_eq!(a.in_sync_replicas_nums(), 2);
        a.set_sync_state_set([1, 2].into_iter().collect(), 100);
        assert_eq!(a.in_sync_replicas_nums(), 2);
        // Slave 2 never caught up (no entry): the shrink drops it, not the master.
        assert_eq!(a.maybe_shrink(15_000), [1].into_iter().collect());
        a.caught_up_at(2, now_millis());
        a.set_sync_state_set([1, 2].into_iter().collect(), 100);
        assert_eq!(a.maybe_shrink(15_000).len(), 2);
        // With a member not connected the confirm offset stays where it was (0, computed when
        // the master was alone); without allAckInSyncStateSet a master confirms all it has.
        assert_eq!(a.confirm_offset(true, true, 500), 0);
        assert_eq!(a.confirm_offset(true, false, 500), 500);
    }
}

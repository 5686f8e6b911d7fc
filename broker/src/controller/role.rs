//! Role changes (Java 5.3.3 `ReplicasManager.changeBrokerRole`, `changeToMaster`,
//! `changeToSlave`, `AutoSwitchHAService.changeToMaster` / `changeToSlave`). Only a master epoch
//! above the one known changes anything.
//!
//! To master: the connections and the client of the old role end, a partly received record is
//! dropped, the new epoch starts at the CommitLog's end, the broker becomes `brokerId=0`,
//! `SYNC_MASTER`, writable, and registers. To slave: `brokerId` becomes the controller's id,
//! `SLAVE`, read-only; the master's HA address comes with the next registration's answer.

use std::collections::BTreeSet;
use std::sync::Arc;

use store::epoch::EpochEntry;
use tracing::{info, warn};

use crate::broker::Broker;
use crate::config::BrokerRole;
use crate::ha::autoswitch::update_dispatch;

/// Java `changeBrokerRole`.
pub fn change(
    b: &Arc<Broker>,
    master: Option<i64>,
    master_addr: &str,
    epoch: i32,
    set_epoch: i32,
    set: BTreeSet<i64>,
) {
    let Some(master) = master else { return };
    let st = b.replicas.state();
    if epoch <= st.master_epoch {
        return;
    }
    if Some(master) == st.controller_id {
        to_master(b, epoch, set_epoch, set);
    } else {
        to_slave(b, master_addr, epoch, master);
    }
}

/// Java `changeSyncStateSet`: a newer SyncStateSet epoch replaces the set.
pub fn change_sync_state_set(b: &Broker, set: BTreeSet<i64>, set_epoch: i32) {
    let mut st = b.replicas.lock();
    if set_epoch > st.sync_state_set_epoch {
        info!(?set, set_epoch, "SyncStateSet changed");
        st.sync_state_set_epoch = set_epoch;
        st.sync_state_set = set.clone();
        drop(st);
        b.ha.auto
            .set_sync_state_set(set, b.store.commitlog_offsets().1);
        update_dispatch(b);
    }
}

fn set_role(b: &Broker, role: BrokerRole, id: i64) {
    let mut cfg = (*b.config()).clone();
    cfg.broker_role = role;
    cfg.broker_id = id;
    b.set_config(cfg);
    b.store.set_replica(role == BrokerRole::Slave);
    update_dispatch(b);
}

/// Java `AutoSwitchHAService.changeToMaster`'s epoch step: the new epoch starts at our end.
fn start_epoch(b: &Broker, epoch: i32) {
    let epochs = &b.ha.auto.epochs;
    if epoch < epochs.last_epoch() {
        warn!(
            epoch,
            last = epochs.last_epoch(),
            "new master epoch below the last epoch"
        );
    }
    if epochs.last_epoch() >= epoch {
        epochs.truncate_suffix_by_epoch(epoch);
    }
    epochs.append(EpochEntry::new(epoch, b.store.commitlog_offsets().1));
}

fn to_master(b: &Arc<Broker>, epoch: i32, set_epoch: i32, set: BTreeSet<i64>) {
    let auto = &b.ha.auto;
    let was_master = {
        let mut st = b.replicas.lock();
        if epoch <= st.master_epoch {
            return;
        }
        st.master_epoch = epoch;
        st.master_id.is_some() && st.master_id == st.controller_id && b.config().broker_id == 0
    };
    change_sync_state_set(b, set, set_epoch);
    if was_master {
        start_epoch(b, epoch);
    } else {
        auto.new_generation();
        b.ha.client.follow_controller(None);
        match b.store.truncate_partial_record() {
            Ok(Some(end)) => auto.epochs.truncate_suffix_by_offset(end),
            Ok(None) => {}
            Err(e) => warn!("truncate the partly received record: {e}"),
        }
        start_epoch(b, epoch);
        let max = b.store.commitlog_offsets().1;
        auto.set_confirm(auto.compute_confirm(max));
        set_role(b, BrokerRole::SyncMaster, 0);
        let mut st = b.replicas.lock();
        st.master_addr = b.config().broker_addr();
        st.master_id = st.controller_id;
    }
    info!(epoch, "change to master");
    b.topics.next_version();
    let b2 = b.clone();
    tokio::spawn(async move { super::tasks::check_and_report(&b2).await });
    b.request_register();
}

fn to_slave(b: &Arc<Broker>, master_addr: &str, epoch: i32, master: i64) {
    let same_master = {
        let mut st = b.replicas.lock();
        if epoch <= st.master_epoch {
            return;
        }
        st.master_epoch = epoch;
        let same = st.master_id == Some(master);
        if !same {
            st.master_addr = master_addr.to_string();
            st.master_id = Some(master);
        }
        same
    };
    info!(epoch, master, master_addr, same_master, "change to slave");
    if !same_master {
        let id = b.replicas.state().controller_id.unwrap_or(-1);
        set_role(b, BrokerRole::Slave, id);
        b.ha.client.follow_controller(Some(master_addr));
        b.ha.auto.new_generation();
    }
    b.topics.next_version();
    b.request_register();
}

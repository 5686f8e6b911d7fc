//! The periodic work of controller mode (Java `BrokerController.scheduleSendHeartbeat`,
//! `ReplicasManager.schedulingSyncBrokerMetadata`, `schedulingSyncControllerMetadata`,
//! `schedulingCheckSyncStateSet`) and the reports of SyncStateSet changes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use remoting::code::response as rc;
use remoting::headers::BrokerHeartbeatRequestHeader;
use tracing::{error, warn};

use super::{controller_addresses, elect, outer, register, role, sleep_or_shutdown, update_leader};
use crate::broker::Broker;
use crate::config::BrokerRole;

/// Java `sendHeartbeatToController`, to every controller.
pub(super) async fn send_heartbeats(b: &Broker) {
    let cfg = b.config();
    let max = b.store.commitlog_offsets().1;
    let auto = &b.ha.auto;
    let confirm = auto.confirm_offset(
        cfg.broker_role != BrokerRole::Slave && !b.replicas.is_fenced(),
        cfg.all_ack_in_sync_state_set,
        max,
    );
    // Java keeps it in the checkpoint at every change; once a heartbeat is as often.
    b.store.set_confirm_phy_offset(confirm);
    crate::ha::autoswitch::update_dispatch(b);
    let h = BrokerHeartbeatRequestHeader {
        cluster_name: cfg.broker_cluster_name.clone(),
        broker_addr: cfg.broker_addr(),
        broker_name: cfg.broker_name.clone(),
        broker_id: b.replicas.state().controller_id,
        epoch: Some(auto.epochs.last_epoch()),
        max_offset: Some(max),
        confirm_offset: Some(confirm),
        heartbeat_timeout_mills: Some(cfg.controller_heart_beat_timeout_mills),
        election_priority: Some(cfg.broker_election_priority),
    };
    for addr in controller_addresses(&cfg).await {
        outer::heartbeat(b, &addr, &h).await;
    }
}

fn period(ms: i64) -> Duration {
    Duration::from_millis(ms.max(100) as u64)
}

/// Java `scheduleSendHeartbeat`: every `brokerHeartbeatInterval` while not fenced.
pub(super) async fn heartbeats(b: Arc<Broker>) {
    loop {
        if sleep_or_shutdown(&b, period(i64::from(b.config().broker_heartbeat_interval))).await {
            return;
        }
        if !b.replicas.is_fenced() {
            send_heartbeats(&b).await;
        }
    }
}

/// Java `schedulingSyncBrokerMetadata`: GET_REPLICA_INFO; a newer master epoch changes the
/// role, the same epoch refreshes a master's SyncStateSet.
pub(super) async fn sync_broker_metadata(b: Arc<Broker>) {
    let mut wait = Duration::from_secs(3);
    loop {
        if sleep_or_shutdown(&b, wait).await {
            return;
        }
        wait = period(b.config().sync_broker_metadata_period);
        let leader = b.replicas.leader();
        match outer::replica_info(&b, &leader).await {
            Ok((h, set)) => {
                let epoch = h.master_epoch.unwrap_or(0);
                let st = b.replicas.state();
                let addr = h.master_address.unwrap_or_default();
                if epoch > st.master_epoch {
                    match h.master_broker_id.filter(|_| !addr.is_empty()) {
                        Some(m) => role::change(
                            &b,
                            Some(m),
                            &addr,
                            epoch,
                            set.sync_state_set_epoch,
                            set.sync_state_set.unwrap_or_default(),
                        ),
                        None => {
                            elect(&b).await;
                        }
                    }
                } else if epoch == st.master_epoch
                    && b.config().broker_role == BrokerRole::SyncMaster
                {
                    role::change_sync_state_set(
                        &b,
                        set.sync_state_set.unwrap_or_default(),
                        set.sync_state_set_epoch,
                    );
                }
            }
            Err(e) => {
                warn!("Error happen when get broker's metadata: {e}");
                if e.code() == Some(rc::CONTROLLER_BROKER_METADATA_NOT_EXIST) {
                    register(&b).await;
                }
            }
        }
    }
}

pub(super) async fn sync_controller_metadata(b: Arc<Broker>) {
    loop {
        let p = period(b.config().sync_controller_metadata_period);
        if sleep_or_shutdown(&b, p).await {
            return;
        }
        update_leader(&b).await;
    }
}

/// Java `schedulingCheckSyncStateSet` (a master only): shrink and report.
pub(super) async fn check_sync_state_set(b: Arc<Broker>) {
    loop {
        if sleep_or_shutdown(&b, period(b.config().check_sync_state_set_period)).await {
            return;
        }
        if b.config().broker_role == BrokerRole::SyncMaster {
            check_and_report(&b).await;
        }
    }
}

/// Java `checkSyncStateSetAndDoReport`.
pub(crate) async fn check_and_report(b: &Broker) {
    let Some(id) = b.replicas.state().controller_id else {
        return;
    };
    let mut set =
        b.ha.auto
            .maybe_shrink(b.config().ha_max_time_slave_not_catchup);
    set.insert(id);
    if b.replicas.state().sync_state_set == set {
        return;
    }
    report(b, set).await;
}

/// Java `doReportSyncStateSetChanged`.
async fn report(b: &Broker, set: BTreeSet<i64>) {
    let st = b.replicas.state();
    let Some(id) = st.controller_id else { return };
    let leader = b.replicas.leader();
    match outer::alter_sync_state_set(
        b,
        &leader,
        id,
        st.master_epoch,
        &set,
        st.sync_state_set_epoch,
    )
    .await
    {
        Ok(r) => role::change_sync_state_set(
            b,
            r.sync_state_set.unwrap_or_default(),
            r.sync_state_set_epoch,
        ),
        Err(e) => error!(?set, "Error happen when change SyncStateSet: {e}"),
    }
}

/// The listener of SyncStateSet changes the replication side makes (expansion, a lost slave).
pub(super) async fn report_sync_state_set_changes(b: Arc<Broker>) {
    let rx =
        b.ha.auto
            .changes_rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    let Some(mut rx) = rx else { return };
    loop {
        tokio::select! {
            set = rx.recv() => match set {
                Some(set) => report(&b, set).await,
                None => return,
            },
            _ = b.shutdown.notified() => return,
        }
    }
}

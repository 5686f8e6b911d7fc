//! Controller mode, the broker's side (Java 5.3.3 `ReplicasManager` and the controller-mode
//! parts of `BrokerController`): the controller decides the role, this follows it.
//!
//! ```text
//! start (fenced: no puts, no NameServer registration, no heartbeats)
//!   1. CONTROLLER_GET_METADATA_INFO to each controllerAddr until one names the leader
//!   2. the broker id: brokerIdentity if present; else GET_NEXT_BROKER_ID → brokerIdentity-temp
//!      → APPLY_BROKER_ID → brokerIdentity (temp deleted)        (5 tries, then all again in 5 s)
//!   3. REGISTER_BROKER_TO_CONTROLLER: the master and SyncStateSet, if the set has one
//!   4. a heartbeat; without a master, ELECT_MASTER for ourselves
//!   5. running (unfenced); every brokerHeartbeatInterval BROKER_HEARTBEAT to each controller,
//!      every syncBrokerMetadataPeriod GET_REPLICA_INFO (a newer master epoch changes the
//!      role), every syncControllerMetadataPeriod the leader again; a master checks its
//!      SyncStateSet every checkSyncStateSetPeriod and reports changes (ALTER_SYNC_STATE_SET)
//! NOTIFY_BROKER_ROLE_CHANGED (1008) from the controller changes the role at once.
//! ```
//! * [`identity`]: the broker-id files. [`outer`]: the requests. [`role`]: the role changes.
//!   `tasks`: the periodic work.

pub mod identity;
pub mod outer;
pub mod role;
mod tasks;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use remoting::body::controller::{EpochEntry as EpochEntryBody, EpochEntryCache, SyncStateSet};
use remoting::body::{from_body, try_to_body};
use remoting::code::response as rc;
use remoting::headers::NotifyBrokerRoleChangedRequestHeader;
use remoting::Command;
use tracing::{error, info, warn};

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::{Reject, Reply};
use identity::{BrokerMetadata, MetadataFile};

/// What this broker knows of its broker set (Java `ReplicasManager`'s fields).
#[derive(Debug, Default, Clone)]
pub struct State {
    /// Java `brokerControllerId`: the id the controller assigned.
    pub controller_id: Option<i64>,
    pub master_id: Option<i64>,
    pub master_addr: String,
    pub master_epoch: i32,
    pub sync_state_set: BTreeSet<i64>,
    pub sync_state_set_epoch: i32,
}

/// The controller-mode state of one broker; inert unless `enableControllerMode=true`.
#[derive(Default)]
pub struct Replicas {
    /// Java `synchronized (ReplicasManager.this)`: held only for the in-memory and local-file
    /// work of a role change, never across a request.
    state: Mutex<State>,
    leader: Mutex<String>,
    /// Java `setFenced`: until the role is known, puts, registrations and heartbeats wait.
    fenced: AtomicBool,
}

impl Replicas {
    pub fn state(&self) -> State {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_fenced(&self) -> bool {
        self.fenced.load(Ordering::Acquire)
    }

    fn leader(&self) -> String {
        self.leader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// `storePathBrokerIdentity`, default `<storePathRootDir>/brokerIdentity`.
pub fn identity_path(cfg: &BrokerConfig) -> PathBuf {
    match cfg
        .store_path_broker_identity
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(&cfg.store_path_root_dir).join("brokerIdentity"),
    }
}

/// `storePathEpochFile`, default `<storePathRootDir>/epochFileCheckpoint`.
pub fn epoch_path(cfg: &BrokerConfig) -> PathBuf {
    match cfg
        .store_path_epoch_file
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(&cfg.store_path_root_dir).join("epochFileCheckpoint"),
    }
}

/// Starts controller mode: fenced until the controller has given the role.
pub fn start(b: &Arc<Broker>) {
    b.replicas.fenced.store(true, Ordering::Release);
    b.store.set_replica(true);
    tokio::spawn(run(b.clone()));
}

async fn run(b: Arc<Broker>) {
    while !start_basic(&b).await {
        error!("Failed to start replicasManager, try it again in 5 s");
        if sleep_or_shutdown(&b, Duration::from_secs(5)).await {
            return;
        }
    }
    tokio::spawn(tasks::heartbeats(b.clone()));
    tokio::spawn(tasks::sync_broker_metadata(b.clone()));
    tokio::spawn(tasks::sync_controller_metadata(b.clone()));
    tokio::spawn(tasks::check_sync_state_set(b.clone()));
    tasks::report_sync_state_set_changes(b).await;
}

/// True when shutting down.
async fn sleep_or_shutdown(b: &Broker, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => b.is_shutting_down(),
        _ = b.shutdown.notified() => true,
    }
}

/// Java `controllerAddresses`: `controllerAddr` split at `;`, or with
/// `fetchControllerAddrByDnsLookup` every address its host resolves to.
async fn controller_addresses(cfg: &BrokerConfig) -> Vec<String> {
    if cfg.fetch_controller_addr_by_dns_lookup {
        if let Some((host, port)) = cfg.controller_addr.rsplit_once(':') {
            if let Ok(addrs) = tokio::net::lookup_host(cfg.controller_addr.as_str()).await {
                let found: Vec<String> = addrs.map(|a| format!("{}:{port}", a.ip())).collect();
                if !found.is_empty() {
                    return found;
                }
            }
            warn!(domain = host, "dns lookup address by domain found nothing");
        }
    }
    cfg.controller_addr
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

/// Java `updateControllerMetadata`: the first controller that names a leader.
async fn update_leader(b: &Broker) -> bool {
    for addr in controller_addresses(&b.config()).await {
        match outer::metadata(b, &addr).await {
            Ok(h) => {
                if let Some(l) = h.controller_leader_address.filter(|l| !l.is_empty()) {
                    *b.replicas.leader.lock().unwrap_or_else(|e| e.into_inner()) = l;
                    return true;
                }
            }
            Err(e) => warn!(controller = %addr, "Failed to update controller metadata: {e}"),
        }
    }
    false
}

/// Java `startBasicService` up to running.
async fn start_basic(b: &Arc<Broker>) -> bool {
    let mut found = false;
    for _ in 0..3 {
        if update_leader(b).await {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    if !found {
        error!("Failed to init controller metadata, maybe the controllers are not available");
        return false;
    }
    let mut registered = false;
    for _ in 0..5 {
        if register(b).await {
            registered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(u64::from(rand_below(1000)))).await;
    }
    if !registered {
        error!("Register to controller failed 5 times");
        return false;
    }
    tasks::send_heartbeats(b).await;
    if b.replicas.state().master_id.is_none() && !elect(b).await {
        return false;
    }
    b.replicas.fenced.store(false, Ordering::Release);
    crate::ha::autoswitch::update_dispatch(b);
    b.request_register();
    true
}

fn rand_below(n: u32) -> u32 {
    (crate::persist::now_millis().unsigned_abs() % u64::from(n.max(1))) as u32
}

/// Java `register`: the broker id (from the file, or applied for), then the registration.
async fn register(b: &Arc<Broker>) -> bool {
    let cfg = b.config();
    let path = identity_path(&cfg);
    let (file, temp) = (MetadataFile::identity(&path), MetadataFile::temp(&path));
    let id = match file.read() {
        Some(m) => {
            if m.cluster_name != cfg.broker_cluster_name || m.broker_name != cfg.broker_name {
                error!(?m, "the broker metadata file names another cluster or broker name than the broker config");
                return false;
            }
            m.broker_id
        }
        None => match apply_for_id(b, &cfg, &file, &temp).await {
            Some(id) => id,
            None => return false,
        },
    };
    b.replicas.lock().controller_id = Some(id);
    b.ha.auto.local_id.store(id, Ordering::Release);
    let leader = b.replicas.leader();
    match outer::register(b, &leader, id, &cfg.broker_addr()).await {
        Ok((h, set)) => {
            if let Some(master) = h.master_broker_id {
                let (epoch, set_epoch) = (
                    h.master_epoch.unwrap_or(0),
                    h.sync_state_set_epoch.unwrap_or(0),
                );
                let addr = h.master_address.unwrap_or_default();
                role::change(b, Some(master), &addr, epoch, set_epoch, set);
            }
            true
        }
        Err(e) => {
            error!("fail to send registerBrokerToController request to controller: {e}");
            false
        }
    }
}

/// Java's temp-file dance: GET_NEXT_BROKER_ID, the temp file, APPLY_BROKER_ID, the file.
async fn apply_for_id(
    b: &Broker,
    cfg: &BrokerConfig,
    file: &MetadataFile,
    temp: &MetadataFile,
) -> Option<i64> {
    let leader = b.replicas.leader();
    let pending = match temp.read() {
        Some(t)
            if t.cluster_name == cfg.broker_cluster_name && t.broker_name == cfg.broker_name =>
        {
            t
        }
        Some(t) => {
            error!(?t, "the broker temp metadata names another cluster or broker name than the broker config");
            return None;
        }
        None => {
            let next = match outer::next_broker_id(b, &leader).await {
                Ok(Some(id)) => id,
                Ok(None) => return None,
                Err(e) => {
                    error!("fail to get next broker id from controller: {e}");
                    return None;
                }
            };
            let t = BrokerMetadata {
                cluster_name: cfg.broker_cluster_name.clone(),
                broker_name: cfg.broker_name.clone(),
                broker_id: next,
                register_check_code: Some(format!(
                    "{};{}",
                    cfg.broker_addr(),
                    crate::persist::now_millis()
                )),
            };
            if let Err(e) = temp.write(&t) {
                error!("update and persist temp broker metadata file failed: {e}");
                return None;
            }
            t
        }
    };
    let code = pending.register_check_code.clone().unwrap_or_default();
    if let Err(e) = outer::apply_broker_id(b, &leader, pending.broker_id, &code).await {
        error!(id = pending.broker_id, "fail to apply broker id: {e}");
        temp.clear();
        return None;
    }
    let done = BrokerMetadata {
        register_check_code: None,
        ..pending
    };
    if let Err(e) = file.write(&done) {
        error!("fail to create metadata file: {e}");
        file.clear();
        return None;
    }
    temp.clear();
    info!(id = done.broker_id, "broker id applied");
    Some(done.broker_id)
}

/// Java `brokerElect`: asks the controller to elect; true once a master is known.
async fn elect(b: &Arc<Broker>) -> bool {
    let Some(id) = b.replicas.state().controller_id else {
        return false;
    };
    match outer::elect(b, &b.replicas.leader(), id).await {
        Ok((h, set)) => {
            let addr = h.master_address.unwrap_or_default();
            let Some(master) = h.master_broker_id.filter(|_| !addr.is_empty()) else {
                warn!("Now no master in broker set");
                return false;
            };
            let (epoch, set_epoch) = (
                h.master_epoch.unwrap_or(0),
                h.sync_state_set_epoch.unwrap_or(0),
            );
            role::change(b, Some(master), &addr, epoch, set_epoch, set);
            true
        }
        Err(e) => {
            error!("Failed to try elect: {e}");
            false
        }
    }
}

/// NOTIFY_BROKER_ROLE_CHANGED (1008), from the controller.
pub fn notify_role_changed(b: &Arc<Broker>, req: &Command) -> Reply {
    let h: NotifyBrokerRoleChangedRequestHeader = req.decode_header()?;
    // Java reads the ElectMasterResponseBody as a SyncStateSet: only the set's members count.
    let set = req
        .body
        .as_deref()
        .and_then(|body| from_body::<SyncStateSet>(body).ok())
        .and_then(|s| s.sync_state_set)
        .unwrap_or_default();
    info!(
        ?h,
        "Receive notifyBrokerRoleChanged request, try to change brokerRole"
    );
    if b.config().enable_controller_mode {
        if let (Some(master), Some(epoch)) = (h.master_broker_id, h.master_epoch) {
            let addr = h.master_address.clone().unwrap_or_default();
            role::change(
                b,
                Some(master),
                &addr,
                epoch,
                h.sync_state_set_epoch.unwrap_or(0),
                set,
            );
        }
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// GET_BROKER_EPOCH_CACHE (1007, `mqadmin getBrokerEpoch`).
pub fn epoch_cache(b: &Arc<Broker>) -> Reply {
    let cfg = b.config();
    if !cfg.enable_controller_mode {
        return Err(Reject::system("this request only for controllerMode "));
    }
    let entries = b.ha.auto.epochs.entries();
    let cache = EpochEntryCache {
        broker_id: cfg.broker_id,
        broker_name: Some(cfg.broker_name.clone()),
        cluster_name: Some(cfg.broker_cluster_name.clone()),
        epoch_list: Some(
            entries
                .iter()
                .map(|e| EpochEntryBody {
                    end_offset: e.end,
                    epoch: e.epoch,
                    start_offset: e.start,
                })
                .collect(),
        ),
        max_offset: b.store.commitlog_offsets().1,
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(try_to_body(&cache)?))
}

//! The running controller: shared state, the listening socket, the scans that find dead
//! masters, and the role-change notifications.
//!
//! ```text
//!  brokers, mqadmin ──TCP──▶ remoting::Server ──▶ Controller ──spawn_blocking──▶ dispatch
//!                                                   │ on_close(conn) ─▶ broker inactive ─▶ elect
//!  heartbeat scan (scanNotActiveBrokerInterval) ──▶ broker inactive ─▶ elect
//!  master scan (scanInactiveMasterInterval) ──────▶ elect ─▶ NOTIFY_BROKER_ROLE_CHANGED (oneway)
//! ```
//! Requests that change the state run one at a time (Java's `EventScheduler` is a single
//! thread): compute, make the events durable, apply, answer. A single controller appends them
//! to its event log (fsync); a member of a group of controllers answers only as the leader and
//! replicates them through Raft ([`crate::raft`]) first. They run on tokio's blocking pool
//! because they wait for that.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use remoting::body::controller::ElectMasterResponseBody;
use remoting::body::controller::SyncStateSet;
use remoting::body::{from_body, to_body};
use remoting::code::{request as rq, response};
use remoting::headers::{
    ElectMasterRequestHeader, ElectMasterResponseHeader, NotifyBrokerRoleChangedRequestHeader,
};
use remoting::server::{ConnectionOptions, ShutdownHandle};
use remoting::{Client, Command, Connection, Handler, Server};
use tokio::task::JoinHandle;

use crate::config::{parse_peers, ControllerConfig, Peer};
use crate::error::{Error, Result};
use crate::heartbeat::{BrokerIdentity, Heartbeats};
use crate::log::EventLog;
use crate::raft::network::is_raft_rpc;
use crate::raft::{RaftGroup, WriteError};
use crate::replicas::requests::{ElectOptions, Outcome};
use crate::replicas::{Liveness, Replicas};

/// Config as the running controller sees it: typed keys plus the file's other keys.
#[derive(Clone, Debug, Default)]
pub struct ConfigState {
    pub config: ControllerConfig,
    pub extra: BTreeMap<String, String>,
}

/// The replicated state and the log that makes it durable, under one lock.
struct Core {
    replicas: Replicas,
    log: EventLog,
}

/// Where the state lives: one controller's own event log, or a Raft group's log.
enum Backend {
    Single(Mutex<Core>),
    /// `serial` is held from computing a request's events until they are applied.
    Group {
        group: RaftGroup,
        serial: Mutex<()>,
    },
}

/// Java `DLedgerController.EventScheduler#appendEvent` on a controller that does not lead.
fn not_leader() -> Command {
    Command::response(
        response::CONTROLLER_NOT_LEADER,
        "The controller is not in leader state".to_string(),
    )
}

/// State shared by the connections and the scans.
pub struct Shared {
    backend: Backend,
    pub heartbeats: Heartbeats,
    /// Lock order: `config_update` before `config`; neither is held with `core`.
    config: RwLock<ConfigState>,
    config_update: Mutex<()>,
    peer: Peer,
    notifier: Arc<Client>,
    runtime: tokio::runtime::Handle,
    /// Set when shutting down: connections closing then are not brokers dying (Java shuts its
    /// heartbeat manager down first for the same reason).
    stopping: AtomicBool,
}

impl Shared {
    /// Runs one request against the state: its events are logged and applied before the
    /// response is returned; a log failure answers SYSTEM_ERROR and changes nothing.
    pub fn run(
        &self,
        request: impl FnOnce(&Replicas, &dyn Liveness, ElectOptions) -> Outcome,
    ) -> Command {
        let opts = ElectOptions {
            enable_elect_unclean_master: self.with_config(|c| c.enable_elect_unclean_master),
        };
        match &self.backend {
            Backend::Single(core) => {
                let mut core = core.lock().unwrap_or_else(|e| e.into_inner());
                let out = request(&core.replicas, &self.heartbeats, opts);
                if !out.events.is_empty() {
                    if let Err(e) = core.log.append(&out.events) {
                        tracing::error!(error = %e, "cannot log the controller's events");
                        return Command::response(response::SYSTEM_ERROR, e.to_string());
                    }
                    for event in &out.events {
                        core.replicas.apply(event);
                    }
                }
                out.response
            }
            Backend::Group { group, serial } => {
                let _serial = serial.lock().unwrap_or_else(|e| e.into_inner());
                self.run_in_group(group, |r| request(r, &self.heartbeats, opts))
            }
        }
    }

    /// Java `DLedgerController.EventScheduler`: only the leader computes; its events are
    /// answered for once the group committed and applied them.
    fn run_in_group(
        &self,
        group: &RaftGroup,
        request: impl FnOnce(&Replicas) -> Outcome,
    ) -> Command {
        if !group.is_leader() {
            return not_leader();
        }
        let out = group.with_replicas(request);
        if out.events.is_empty() {
            return out.response;
        }
        match self.runtime.block_on(group.write(out.events)) {
            Ok(()) => out.response,
            Err(WriteError::NotLeader) => not_leader(),
            Err(WriteError::Failed(why)) => {
                tracing::error!(error = %why, "cannot replicate the controller's events");
                Command::response(response::SYSTEM_ERROR, why)
            }
        }
    }

    /// A copy of the replicated state (tests, diagnostics).
    pub fn replicas(&self) -> Replicas {
        match &self.backend {
            Backend::Single(core) => core
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .replicas
                .clone(),
            Backend::Group { group, .. } => group.with_replicas(Replicas::clone),
        }
    }

    /// Java `Controller#isLeaderState`: a single controller always leads.
    pub fn is_leader(&self) -> bool {
        match &self.backend {
            Backend::Single(_) => true,
            Backend::Group { group, .. } => group.is_leader(),
        }
    }

    /// The Raft group this controller is a member of, when it is one.
    pub fn group(&self) -> Option<&RaftGroup> {
        match &self.backend {
            Backend::Single(_) => None,
            Backend::Group { group, .. } => Some(group),
        }
    }

    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    pub fn with_config<R>(&self, f: impl FnOnce(&ControllerConfig) -> R) -> R {
        f(&self.config.read().unwrap_or_else(|e| e.into_inner()).config)
    }

    pub fn config_state(&self) -> ConfigState {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies an UPDATE_CONTROLLER_CONFIG change and persists it to `configStorePath` (Java
    /// `Configuration#update` + `persist`); `change` may refuse, leaving everything as it was.
    pub fn update_config(&self, change: impl FnOnce(&mut ConfigState) -> Result<()>) -> Result<()> {
        let _serial = self.config_update.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = self.config_state();
        change(&mut next)?;
        let path = PathBuf::from(&next.config.config_store_path);
        let props = next.config.properties(&next.extra);
        let text = remoting::props::render(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = next;
        write_file(&path, text.as_bytes())
    }

    /// Java `ControllerManager#notifyBrokerRoleChanged`: tells every live member of the set
    /// about its new master (oneway NOTIFY_BROKER_ROLE_CHANGED), when `notifyBrokerRoleChanged`.
    pub fn notify_role_changed(&self, elect_reply: &Command) {
        if !self.with_config(|c| c.notify_broker_role_changed) {
            return;
        }
        let Ok(h) = elect_reply.decode_header::<ElectMasterResponseHeader>() else {
            return;
        };
        let body: ElectMasterResponseBody = elect_reply
            .body
            .as_deref()
            .and_then(|b| from_body(b).ok())
            .unwrap_or_default();
        let Some(group) = body.broker_member_group else {
            return;
        };
        if h.master_broker_id.is_none() {
            tracing::warn!(
                ?h,
                "a new master without an id: no role-change notification"
            );
            return;
        }
        let notify = NotifyBrokerRoleChangedRequestHeader {
            master_address: h.master_address.clone(),
            master_epoch: h.master_epoch,
            sync_state_set_epoch: h.sync_state_set_epoch,
            master_broker_id: h.master_broker_id,
        };
        let set = SyncStateSet {
            sync_state_set: body.sync_state_set,
            sync_state_set_epoch: h.sync_state_set_epoch.unwrap_or(0),
        };
        let cluster = group.cluster.clone().unwrap_or_default();
        let broker_name = group.broker_name.clone().unwrap_or_default();
        for (id, addr) in &group.broker_addrs {
            if !self.heartbeats.is_active(&cluster, &broker_name, *id) {
                continue;
            }
            let cmd = Command::request(rq::NOTIFY_BROKER_ROLE_CHANGED)
                .with_header(&notify)
                .with_body(to_body(&set))
                .oneway();
            let client = self.notifier.clone();
            let addr = addr.clone();
            self.runtime.spawn(async move {
                tracing::info!(%addr, "notifying the broker that its role changed");
                if let Err(e) = client.invoke_oneway(&addr, cmd).await {
                    tracing::warn!(%addr, error = %e, "role-change notification failed");
                }
            });
        }
    }

    /// Java `ControllerManager#onBrokerInactive`: a dead master gets a successor.
    fn on_broker_inactive(&self, id: &BrokerIdentity) {
        if self.stopping.load(Ordering::Acquire) {
            return;
        }
        if !self.is_leader() {
            tracing::warn!(?id, "the broker has been inactive");
            return;
        }
        let master = self
            .replicas()
            .get(&id.broker_name)
            .and_then(|(_, s)| s.master_broker_id);
        if master == Some(id.broker_id) {
            self.trigger_elect_master(&id.broker_name);
        } else {
            tracing::warn!(?id, "the broker has been inactive");
        }
    }

    /// Java `triggerElectMaster`: up to `electMasterMaxRetryCount` controller-made elections.
    fn trigger_elect_master(&self, broker_name: &str) {
        let tries = self.with_config(|c| c.elect_master_max_retry_count).max(1);
        let req = ElectMasterRequestHeader {
            broker_name: broker_name.to_string(),
            ..Default::default()
        };
        let req = ElectMasterRequestHeader {
            broker_id: -1,
            ..req
        };
        for _ in 0..tries {
            if self.stopping.load(Ordering::Acquire) {
                return;
            }
            let reply = self.run(|r, live, opts| r.elect_master(&req, live, opts));
            if reply.code == response::SUCCESS {
                tracing::info!(broker_name, "elected a new master after the old one died");
                self.notify_role_changed(&reply);
                return;
            }
            tracing::warn!(broker_name, code = reply.code, remark = ?reply.remark, "elect-master failed");
        }
    }
}

/// The remoting handler: each request on the blocking pool (the event log fsyncs).
#[derive(Clone)]
pub struct Controller(Arc<Shared>);

impl Controller {
    pub fn shared(&self) -> &Arc<Shared> {
        &self.0
    }
}

impl Handler for Controller {
    async fn handle(&self, conn: &Connection, req: Command) -> Option<Command> {
        if let Some(group) = self.0.group().filter(|_| is_raft_rpc(req.code)) {
            return Some(crate::raft::network::serve(&group.raft, &req).await);
        }
        let oneway = req.is_oneway();
        let shared = self.0.clone();
        let conn = conn.clone();
        let code = req.code;
        let reply =
            tokio::task::spawn_blocking(move || crate::dispatch::dispatch(&shared, &conn, &req))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(request = code, error = %e, "controller request panicked");
                    Command::response(response::SYSTEM_ERROR, e.to_string())
                });
        (!oneway).then_some(reply)
    }

    /// Java `BrokerHousekeepingService#onChannelClose`.
    fn on_close(&self, conn: &Connection) {
        let Some(id) = self.0.heartbeats.on_connection_closed(conn.id()) else {
            return;
        };
        let shared = self.0.clone();
        self.0
            .runtime
            .spawn_blocking(move || shared.on_broker_inactive(&id));
    }
}

/// A started controller.
pub struct Running {
    pub local_addr: SocketAddr,
    pub controller: Controller,
    shutdown: ShutdownHandle,
    server: JoinHandle<()>,
    scans: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, closes every connection, stops the scans.
    #[inline(never)]
    pub fn shutdown(self) -> remoting::BoxFuture<()> {
        Box::pin(self.stop())
    }

    async fn stop(self) {
        self.controller.0.stopping.store(true, Ordering::Release);
        self.shutdown.shutdown();
        for scan in &self.scans {
            scan.abort();
        }
        let _ = self.server.await;
        if let Some(group) = self.controller.0.group() {
            let _ = group.raft.shutdown().await;
        }
    }
}

/// Checks the config, replays the event log and serves on `bindAddress` and the port of this
/// controller's `controllerDLegerPeers` entry (Java `ControllerManager#initialize` + `start`).
#[inline(never)]
pub fn start(state: ConfigState) -> remoting::BoxFuture<Result<Running>> {
    Box::pin(boot(state))
}

async fn boot(mut state: ConfigState) -> Result<Running> {
    state.config.check_supported()?;
    let peer = state.config.self_peer()?;
    let store = state.config.store_path();
    let backend = open_backend(&state.config, &store).await?;
    let port = peer
        .addr
        .rsplit_once(':')
        .map_or("", |(_, p)| p)
        .to_string();
    let addr = format!("{}:{port}", state.config.bind_address);
    let idle = u64::try_from(state.config.server_channel_max_idle_time_seconds)
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs);
    let use_tls = state.config.use_tls;
    let heartbeat_scan = millis(state.config.scan_not_active_broker_interval);
    let master_scan = millis(state.config.scan_inactive_master_interval);
    if let Ok(p) = port.parse() {
        state.config.listen_port = p;
    }
    let shared = Arc::new(Shared {
        backend,
        heartbeats: Heartbeats::default(),
        config: RwLock::new(state),
        config_update: Mutex::new(()),
        peer,
        // Java `ControllerManager`'s client (NettyClientConfig.useTLS) tells brokers of role changes.
        notifier: Arc::new(Client::new().with_tls(remoting::tls::client(use_tls)?)),
        runtime: tokio::runtime::Handle::current(),
        stopping: AtomicBool::new(false),
    });
    let controller = Controller(shared.clone());
    let server = Server::bind(addr.as_str(), Arc::new(controller.clone()))
        .await
        .map_err(|source| Error::Bind {
            addr: addr.clone(),
            source,
        })?
        .with_options(ConnectionOptions {
            idle_timeout: idle,
            ..ConnectionOptions::default()
        })
        .with_tls(remoting::tls::server()?);
    let local_addr = server.local_addr()?;
    let (shutdown, server) = server.spawn();
    let scans = vec![
        tokio::spawn(heartbeat_scan_loop(shared.clone(), heartbeat_scan)),
        tokio::spawn(master_scan_loop(shared, master_scan)),
    ];
    Ok(Running {
        local_addr,
        controller,
        shutdown,
        server,
        scans,
    })
}

/// A single controller replays its event log; a member of a group starts its Raft node.
async fn open_backend(config: &ControllerConfig, store: &std::path::Path) -> Result<Backend> {
    let peers = parse_peers(
        config
            .controller_d_leger_peers
            .as_deref()
            .unwrap_or_default(),
    )?;
    if peers.len() > 1 {
        let group = config.controller_d_leger_group.clone().unwrap_or_default();
        let self_id = config
            .controller_d_leger_self_id
            .clone()
            .unwrap_or_default();
        // The members' Raft calls go over the controller's client, in TLS when it uses TLS.
        let client = Arc::new(Client::new().with_tls(remoting::tls::client(config.use_tls)?));
        let group = RaftGroup::start(store, &group, peers, self_id.trim(), client).await?;
        tracing::info!(store = %store.display(), "controller group member started");
        return Ok(Backend::Group {
            group,
            serial: Mutex::new(()),
        });
    }
    let (log, events) = EventLog::open(store)?;
    let mut replicas = Replicas::default();
    for event in &events {
        replicas.apply(event);
    }
    tracing::info!(events = events.len(), store = %store.display(), "controller state recovered");
    Ok(Backend::Single(Mutex::new(Core { replicas, log })))
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms.max(1)).unwrap_or(5000))
}

/// Java schedules `scanNotActiveBroker` at a fixed rate after 2 s.
async fn heartbeat_scan_loop(shared: Arc<Shared>, every: Duration) {
    let start = tokio::time::Instant::now() + Duration::from_secs(2);
    let mut tick = tokio::time::interval_at(start, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let expired = shared.heartbeats.scan(Instant::now());
        if expired.is_empty() {
            continue;
        }
        let s = shared.clone();
        let _ = tokio::task::spawn_blocking(move || {
            for id in &expired {
                s.on_broker_inactive(id);
            }
        })
        .await;
    }
}

/// Java `DLedgerController#scanInactiveMasterAndTriggerReelect`, scheduled when it leads.
async fn master_scan_loop(shared: Arc<Shared>, every: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let s = shared.clone();
        if !shared.is_leader() {
            continue;
        }
        let _ = tokio::task::spawn_blocking(move || {
            let sets = s.replicas().need_reelect(&s.heartbeats);
            for broker_name in sets {
                s.trigger_elect_master(&broker_name);
            }
        })
        .await;
    }
}

/// Java `MixAll.string2File`: a `.tmp` beside the file, the old file kept as `.bak`.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let io = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("properties.tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        if path.exists() {
            std::fs::copy(path, path.with_extension("properties.bak"))?;
        }
        std::fs::rename(&tmp, path)
    };
    io().map_err(|e| Error::file(path, e))
}

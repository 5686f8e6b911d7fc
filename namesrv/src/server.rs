//! The running NameServer: shared state, the listening socket and the broker-expiry scan.
//!
//! ```text
//!  clients, brokers, mqadmin ──TCP──▶ remoting::Server ──▶ NameServer (Handler) ──▶ dispatch::dispatch
//!                                                              │ on_close(conn) ─▶ RouteInfoManager
//!  scan task (every scanNotActiveBrokerInterval ms) ──────────▶ NameServer::scan_not_active_brokers
//! ```

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use remoting::server::ConnectionOptions;
use remoting::server::ShutdownHandle;
use remoting::{Command, Connection, Connections, Handler, Server};
use tokio::task::JoinHandle;

use crate::config::NamesrvConfig;
use crate::error::{Error, Result};
use crate::kv::KvConfigManager;
use crate::route::RouteInfoManager;

/// Config as the running server sees it: typed keys plus the file's other keys (Java's
/// `Configuration` keeps those too and shows them in GET_NAMESRV_CONFIG).
#[derive(Clone, Debug, Default)]
pub struct ConfigState {
    pub config: NamesrvConfig,
    pub extra: BTreeMap<String, String>,
}

/// Shared NameServer state; the [`Handler`] of its remoting server.
pub struct NameServer {
    pub routes: RouteInfoManager,
    pub kv: KvConfigManager,
    /// Read per request (flags such as `orderMessageEnable` can change at run time through
    /// UPDATE_NAMESRV_CONFIG); written by that request and once at start (bound port).
    /// Lock order: `config_update` before `config`; neither is held with the route lock.
    config: RwLock<ConfigState>,
    /// Connections brokers registered over, so an expired broker's connection can be closed
    /// (Java `RemotingHelper.closeChannel` in `scanNotActiveBroker`). Entries leave on close.
    broker_conns: Mutex<HashMap<u64, Connection>>,
    /// Serializes UPDATE_NAMESRV_CONFIG (read-modify-write of `config` plus the file).
    config_update: Mutex<()>,
    started: Instant,
}

impl NameServer {
    /// Builds the state; loads the KV config from `kvConfigPath` (a corrupt file is an error).
    pub fn new(state: ConfigState) -> Result<Self> {
        let kv = KvConfigManager::load(&state.config.kv_config_path)?;
        Ok(NameServer {
            routes: RouteInfoManager::new(),
            kv,
            config: RwLock::new(state),
            broker_conns: Mutex::new(HashMap::new()),
            config_update: Mutex::new(()),
            started: Instant::now(),
        })
    }

    /// A snapshot of the current config.
    pub fn config(&self) -> NamesrvConfig {
        self.with_config(NamesrvConfig::clone)
    }

    /// Reads the current config without copying it (request hot paths read a flag or two).
    pub fn with_config<R>(&self, f: impl FnOnce(&NamesrvConfig) -> R) -> R {
        f(&self.config.read().unwrap_or_else(|e| e.into_inner()).config)
    }

    pub(crate) fn config_state(&self) -> ConfigState {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies an UPDATE_NAMESRV_CONFIG change and persists the result to `configStorePath`
    /// (Java `Configuration#update` + `persist`). Updates are serialized so two of them cannot
    /// lose each other's keys or persist out of order; `change` sees the current config and
    /// may refuse it, leaving everything as it was.
    pub(crate) fn update_config(
        &self,
        change: impl FnOnce(&mut ConfigState) -> Result<()>,
    ) -> Result<()> {
        let _serial = self.config_update.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = self.config_state();
        change(&mut next)?;
        let path = PathBuf::from(&next.config.config_store_path);
        let props = next.config.properties(&next.extra);
        let text = remoting::props::render(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = next;
        crate::kv::write_with_backup(&path, text.as_bytes()).map_err(|e| Error::file(&path, e))
    }

    /// Remembers the connection a broker registered over.
    pub(crate) fn track_broker_connection(&self, conn: &Connection) {
        let mut conns = self.broker_conns.lock().unwrap_or_else(|e| e.into_inner());
        // A connection that closed while its registration ran already had its on_close.
        if !conn.is_closed() {
            conns.entry(conn.id()).or_insert_with(|| conn.clone());
        }
    }

    /// One expiry scan: unregisters silent brokers and closes their connections.
    pub fn scan_not_active_brokers(&self) {
        let expired = self.routes.scan_not_active_brokers(Instant::now());
        let to_close: Vec<Connection> = {
            let conns = self.broker_conns.lock().unwrap_or_else(|e| e.into_inner());
            expired
                .iter()
                .filter_map(|e| e.conn_id.and_then(|id| conns.get(&id).cloned()))
                .collect()
        };
        for conn in to_close {
            tracing::warn!(peer = %conn.peer(), "closing the expired broker's connection");
            conn.close();
        }
    }

    /// Time since start, for `needWaitForService`.
    pub(crate) fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Handler for NameServer {
    async fn handle(&self, conn: &Connection, req: Command) -> Option<Command> {
        let oneway = req.is_oneway();
        let reply = crate::dispatch::dispatch(self, conn, &req);
        (!oneway).then_some(reply)
    }

    /// Every NameServer request is answered synchronously (`dispatch` never waits), so all of
    /// them run on the connection's reader: no task per request, and the replies to a pipelined
    /// burst leave in one write.
    fn answer_inline(&self, _req: &Command) -> bool {
        true
    }

    /// Java `BrokerHousekeepingService#onChannelClose`: a broker's connection is gone.
    fn on_close(&self, conn: &Connection) {
        self.broker_conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&conn.id());
        for gone in self.routes.on_connection_closed(conn.id()) {
            tracing::info!(broker = %gone.broker_addr, name = %gone.broker_name, "the broker's channel destroyed, unregistered");
        }
    }
}

/// A started NameServer: its address, state and the handles to stop it.
pub struct Running {
    pub local_addr: SocketAddr,
    pub state: Arc<NameServer>,
    /// Open connections and their limit.
    pub connections: Arc<Connections>,
    shutdown: ShutdownHandle,
    server: JoinHandle<()>,
    scan: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, closes every connection, stops the scan, and waits for the server task.
    #[inline(never)]
    pub fn shutdown(self) -> remoting::BoxFuture<()> {
        Box::pin(self.stop())
    }

    async fn stop(self) {
        self.shutdown.shutdown();
        self.scan.abort();
        let _ = self.server.await;
    }
}

/// Binds `bindAddress:listenPort` and starts serving (Java `NamesrvController#start`).
#[inline(never)]
pub fn start(state: ConfigState) -> remoting::BoxFuture<Result<Running>> {
    Box::pin(boot(state))
}

async fn boot(state: ConfigState) -> Result<Running> {
    let addr = format!("{}:{}", state.config.bind_address, state.config.listen_port);
    let interval = Duration::from_millis(
        u64::try_from(state.config.scan_not_active_broker_interval.max(1)).unwrap_or(5000),
    );
    // Java's IdleStateHandler closes a connection silent for serverChannelMaxIdleTimeSeconds
    // (0 disables it); a broker's connection closing unregisters the broker.
    let idle = u64::try_from(state.config.server_channel_max_idle_time_seconds)
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs);
    // Thrust's `serverMaxConnections` (0 or less: no limit).
    let max = usize::try_from(state.config.server_max_connections)
        .ok()
        .filter(|n| *n > 0);
    let connections = Arc::new(Connections::with_max(max));
    let ns = Arc::new(NameServer::new(state)?);
    let server = Server::bind(addr.as_str(), ns.clone())
        .await
        .map_err(|source| Error::Bind {
            addr: addr.clone(),
            source,
        })?
        .with_options(ConnectionOptions {
            idle_timeout: idle,
            ..ConnectionOptions::default()
        })
        .with_connections(connections.clone())
        .with_tls(remoting::tls::server()?);
    let local_addr = server.local_addr()?;
    // Java 5.x `NettyRemotingServer#start`: port 0 becomes the bound port in the config.
    {
        let mut state = ns.config.write().unwrap_or_else(|e| e.into_inner());
        if state.config.listen_port == 0 {
            state.config.listen_port = i32::from(local_addr.port());
        }
    }
    let (shutdown, server) = server.spawn();
    let scan = tokio::spawn(scan_loop(ns.clone(), interval));
    Ok(Running {
        local_addr,
        state: ns,
        connections,
        shutdown,
        server,
        scan,
    })
}

/// Java schedules `scanNotActiveBroker` at a fixed rate with a 5 ms initial delay.
async fn scan_loop(ns: Arc<NameServer>, interval: Duration) {
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_millis(5),
        interval,
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        ns.scan_not_active_brokers();
    }
}

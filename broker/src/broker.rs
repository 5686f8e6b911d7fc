//! The running broker (Java `BrokerController`): its tables, the message store, the two listen
//! ports (listenPort and the VIP port listenPort−2), the periodic tasks and shutdown.
//!
//! Periodic tasks: NameServer registration (see [`crate::register`]), consumer-offset persist
//! every `flushConsumerOffsetInterval`, client channel expiry every 10 s
//! (`channelExpiredTimeout`).
//!
//! Both ports close a connection idle for `serverChannelMaxIdleTimeSeconds`, as Java's
//! `IdleStateHandler`, and share one `serverMaxConnections` limit (a Thrust key,
//! `docs/config.md`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use remoting::server::ShutdownHandle;
use remoting::{Client, Command, Connection, ConnectionOptions, Connections, Handler, Server};
use tokio::sync::Notify;

use crate::client_table::ClientTable;
use crate::config::BrokerConfig;
use crate::groups::GroupTable;
use crate::locks::LockManager;
use crate::offset_table::OffsetTable;
use crate::persist::{now_millis, DataVersion};
use crate::schedule::DelayOffsets;
use crate::stats_items::{self, StatsItems};
use crate::storage;
use crate::timer::TimerIndex;
use crate::topics::TopicTable;
use crate::{clients, dispatch, register, schedule, timer, transaction};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("message store: {0}")]
    Store(String),
    #[error("config file: {0}")]
    Config(String),
    /// The TLS settings (`-Dtls.*` in `JAVA_OPT`, the `tls.config.file` file) cannot be used.
    #[error("{0}")]
    Tls(#[from] remoting::tls::TlsError),
}

/// Shared state of one broker; handlers get `&Arc<Broker>`.
pub struct Broker {
    /// The configuration, and the store host it gives ([`Broker::store_host`]).
    config: RwLock<(Arc<BrokerConfig>, SocketAddr)>,
    pub topics: TopicTable,
    pub groups: GroupTable,
    pub offsets: OffsetTable,
    pub clients: ClientTable,
    pub locks: LockManager,
    pub store: store::Store,
    /// Per-topic and per-group counters for VIEW_BROKER_STATS_DATA.
    pub stats_items: StatsItems,
    pub delay_offsets: DelayOffsets,
    pub timers: TimerIndex,
    /// POP consumption: queue try-locks, parked pops, the check-point counter.
    pub pop: crate::pop::PopState,
    /// Orderly POP's table, `config/consumerOrderInfo.json`.
    pub order_info: crate::pop::order_info::OrderInfoTable,
    /// PULL/POP modes set per topic and group (`messageRequestMode.json`).
    pub request_modes: crate::request_mode::RequestModes,
    /// Cold-data flow control's per-group thresholds (in memory, as in Java).
    pub cold_data: crate::cold_data::ColdDataConfig,
    /// Replication: the slaves of a master, the master of a slave.
    pub ha: crate::ha::Ha,
    /// Controller mode: the role the controller gave.
    pub replicas: crate::controller::Replicas,
    /// ACL 1.0 (`aclEnable`): the accounts of the ACL files.
    pub acl: Option<Arc<crate::auth::Acl>>,
    /// 5.x authentication and authorization (`authenticationEnabled`, `authorizationEnabled`,
    /// the metadata providers): the switches, users and ACLs.
    pub auth: Option<Arc<crate::auth::v2::Auth>>,
    /// Version of the broker configuration (GET_BROKER_CONFIG header).
    pub config_version: DataVersion,
    /// The metrics exporter's counters (`metricsExporterType`).
    pub metrics: crate::metrics::Metrics,
    /// The connections of both ports, and their limit (`serverMaxConnections`).
    pub connections: Arc<Connections>,
    pub(crate) ns_client: Arc<Client>,
    pub(crate) register_now: Notify,
    pub(crate) shutdown: Notify,
    shutting_down: AtomicBool,
    pub boot_timestamp: i64,
}

impl Broker {
    /// Opens the tables and the store under `storePathRootDir`.
    pub fn open(config: BrokerConfig) -> Result<Arc<Broker>, StartError> {
        // Tables first: a corrupt config file must stop the start before the store is touched.
        let root = config.store_path_root_dir.clone();
        let topics = TopicTable::open(&config).map_err(StartError::Config)?;
        let groups = GroupTable::open(&config).map_err(StartError::Config)?;
        let offsets = OffsetTable::open(&root, config.consumer_offset_update_version_step)
            .map_err(StartError::Config)?;
        let delay_offsets = DelayOffsets::open(&root).map_err(StartError::Config)?;
        let order_info =
            crate::pop::order_info::OrderInfoTable::open(&root).map_err(StartError::Config)?;
        let request_modes =
            crate::request_mode::RequestModes::open(&root).map_err(StartError::Config)?;
        let acl = open_acl(&config)?;
        let auth = crate::auth::v2::Auth::open(&config).map_err(StartError::Config)?;
        if acl.is_some() && auth.is_some() {
            return Err(StartError::Config(
                "aclEnable (ACL 1.0 of 4.x) and the 5.x auth keys (authenticationEnabled, \
                 authorizationEnabled, the metadata providers) exclude each other"
                    .into(),
            ));
        }
        let store = storage::open(&config).map_err(StartError::Store)?;
        let confirm = store.confirm_phy_offset();
        let epochs = if config.enable_controller_mode {
            store::epoch::EpochCache::open(crate::controller::epoch_path(&config))
                .map_err(|e| StartError::Store(e.to_string()))?
        } else {
            store::epoch::EpochCache::default()
        };
        Ok(Arc::new(Broker {
            topics,
            groups,
            offsets,
            clients: ClientTable::default(),
            locks: LockManager::default(),
            store,
            stats_items: StatsItems::default(),
            delay_offsets,
            timers: TimerIndex::default(),
            pop: Default::default(),
            order_info,
            request_modes,
            cold_data: Default::default(),
            ha: crate::ha::Ha::new(crate::ha::autoswitch::AutoSwitch::new(epochs, confirm)),
            replicas: Default::default(),
            acl,
            auth,
            config_version: DataVersion::default(),
            metrics: crate::metrics::Metrics::new(&config),
            connections: Arc::new(Connections::with_max(max_connections(&config))),
            // Java `BrokerOuterAPI`'s client: NameServers, controllers, a slave's master.
            ns_client: Arc::new(
                Client::new()
                    .with_tls(remoting::tls::client(config.use_tls)?)
                    .with_signer(crate::auth::v2::inner_signer(&config)),
            ),
            register_now: Notify::new(),
            shutdown: Notify::new(),
            shutting_down: AtomicBool::new(false),
            boot_timestamp: now_millis(),
            config: {
                let host = crate::send::store_host(&config);
                RwLock::new((Arc::new(config), host))
            },
        }))
    }

    /// The current configuration (cheap clone).
    pub fn config(&self) -> Arc<BrokerConfig> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// `brokerIP1:listenPort`, the store host every stored message carries: parsed when the
    /// configuration is set rather than at each send.
    pub fn store_host(&self) -> SocketAddr {
        self.config.read().unwrap_or_else(|e| e.into_inner()).1
    }

    /// Replaces the configuration (UPDATE_BROKER_CONFIG).
    pub fn set_config(&self, cfg: BrokerConfig) {
        let host = crate::send::store_host(&cfg);
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = (Arc::new(cfg), host);
    }

    /// Asks the registration task to register with the NameServers now (topic created).
    pub fn request_register(&self) {
        self.register_now.notify_one();
    }

    /// Java `changeSpecialServiceStatus(true)`: a master with its role settled (controller mode
    /// fences a broker until the controller has given it).
    pub fn acts_as_master(&self) -> bool {
        self.config().is_master() && !self.replicas.is_fenced()
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Writes every config table (Java `BrokerController.shutdown` persists them all).
    pub fn persist_all(&self) {
        self.offsets.persist();
        self.topics.persist();
        self.groups.persist();
        self.delay_offsets.persist();
        self.order_info.persist(self);
    }
}

/// The request handler bound to one port.
pub struct BrokerHandler {
    pub broker: Arc<Broker>,
    /// The VIP port serves the same table minus pulls.
    pub vip: bool,
}

impl Handler for BrokerHandler {
    async fn handle(&self, conn: &Connection, req: Command) -> Option<Command> {
        let b = &self.broker;
        let handle = |req| dispatch::dispatch(b, conn, req, self.vip);
        Some(b.metrics.observe(req, handle).await)
    }

    /// Plain sends under ASYNC_FLUSH never wait (the put is done when `put_batch` returns), so
    /// they are answered on the connection's reader: no task per send, and the replies to a
    /// burst of requests from one client leave in one write instead of one write each. Sends
    /// that may wait (SYNC_FLUSH group commit, slave acks of a SYNC_MASTER, request/reply
    /// forwarding) keep a task of their own.
    fn answer_inline(&self, req: &Command) -> bool {
        use remoting::code::request as rq;
        matches!(
            req.code,
            rq::SEND_MESSAGE | rq::SEND_MESSAGE_V2 | rq::SEND_BATCH_MESSAGE
        ) && self.broker.store.config().flush_disk_type != store::FlushDiskType::Sync
            && crate::ha::send_never_waits(&self.broker.config())
    }

    fn on_close(&self, conn: &Connection) {
        clients::connection_closed(&self.broker, conn);
    }
}

/// A started broker.
pub struct RunningBroker {
    pub broker: Arc<Broker>,
    /// The address clients use (`brokerIP1:listenPort`, the actual port if 0 was asked).
    pub addr: String,
    servers: Vec<ShutdownHandle>,
}

/// Binds the ports, starts the periodic tasks and registers with the NameServers.
/// `listenPort=0` binds an ephemeral port (tests) and opens no VIP port.
#[inline(never)]
pub fn start(config: BrokerConfig) -> remoting::BoxFuture<Result<RunningBroker, StartError>> {
    Box::pin(boot(config))
}

async fn boot(config: BrokerConfig) -> Result<RunningBroker, StartError> {
    let host = config.bind_address.clone();
    let asked_port = config.listen_port;
    let broker = Broker::open(config)?;
    if broker.config().enable_controller_mode {
        crate::controller::start(&broker);
    }
    let mut servers = Vec::new();
    let main = bind(&broker, &host, asked_port, false).await?;
    let ha_port = if asked_port == 0 {
        0
    } else {
        broker.config().ha_listen_port
    };
    let ha_bound = crate::ha::start(&broker, &host, ha_port).await?;
    if asked_port == 0 {
        let port = main.local_addr().map(|a| i32::from(a.port())).unwrap_or(0);
        let mut cfg = (*broker.config()).clone();
        cfg.listen_port = port;
        cfg.ha_listen_port = i32::from(ha_bound);
        broker.set_config(cfg);
    }
    servers.push(main.spawn().0);
    if asked_port > 2 {
        // Java always opens the VIP ("fast") port; clients up to 4.4 send there by default.
        match bind(&broker, &host, asked_port - 2, true).await {
            Ok(vip) => servers.push(vip.spawn().0),
            Err(e) => tracing::warn!("VIP port not opened: {e}"),
        }
    }
    crate::metrics::start(&broker).await?;
    spawn_periodic(&broker);
    crate::auth::spawn_watcher(&broker);
    stats_items::spawn_samplers(&broker);
    tokio::spawn(register::run(broker.clone()));
    // Java `changeSpecialServiceStatus`: only a master delivers delayed and timer messages and
    // checks transactions; in controller mode the role changes, and the tasks follow it.
    if broker.config().is_master() || broker.config().enable_controller_mode {
        tokio::spawn(schedule::run(broker.clone()));
        tokio::spawn(transaction::run(broker.clone()));
        tokio::spawn(timer::run(broker.clone()));
        tokio::spawn(crate::pop::revive::run(broker.clone()));
    }
    let addr = broker.config().broker_addr();
    Ok(RunningBroker {
        broker,
        addr,
        servers,
    })
}

async fn bind(
    broker: &Arc<Broker>,
    host: &str,
    port: i32,
    vip: bool,
) -> Result<Server<BrokerHandler>, StartError> {
    let addr = format!("{host}:{port}");
    let handler = Arc::new(BrokerHandler {
        broker: broker.clone(),
        vip,
    });
    // Java `NettyRemotingServer`: a connection idle for serverChannelMaxIdleTimeSeconds is
    // closed (0 or less: never).
    let idle = u64::try_from(broker.config().server_channel_max_idle_time_seconds)
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs);
    let server = Server::bind(addr.as_str(), handler)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    // Java's client and VIP ports are both `NettyRemotingServer`s with the same TLS mode; the HA
    // port is plain NIO in Java and here.
    let tls = remoting::tls::server()?;
    Ok(server
        .with_options(ConnectionOptions {
            idle_timeout: idle,
            ..ConnectionOptions::default()
        })
        .with_connections(broker.connections.clone())
        .with_tls(tls))
}

/// `serverMaxConnections` (a Thrust key), 0 for no limit.
fn max_connections(config: &BrokerConfig) -> Option<usize> {
    usize::try_from(config.server_max_connections)
        .ok()
        .filter(|n| *n > 0)
}

/// The ACL files under `rocketmqHome` when `aclEnable` is on.
fn open_acl(config: &BrokerConfig) -> Result<Option<Arc<crate::auth::Acl>>, StartError> {
    if !config.acl_enable {
        return Ok(None);
    }
    let home = config.rocketmq_home.as_deref().ok_or_else(|| {
        StartError::Config(
            "aclEnable=true needs rocketmqHome (ROCKETMQ_HOME): the ACL files are under it".into(),
        )
    })?;
    let acl = crate::auth::Acl::open(std::path::Path::new(home))
        .map_err(|e| StartError::Config(format!("ACL files: {e}")))?;
    Ok(Some(Arc::new(acl)))
}

fn spawn_periodic(b: &Arc<Broker>) {
    let bc = b.clone();
    tokio::spawn(async move {
        let every =
            Duration::from_millis(bc.config().flush_consumer_offset_interval.max(100) as u64);
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        while !bc.is_shutting_down() {
            tick.tick().await;
            bc.offsets.persist();
        }
    });
    // Java persists consumerOrderInfo.json every 10 s.
    let bc = b.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        tick.tick().await;
        while !bc.is_shutting_down() {
            tick.tick().await;
            bc.order_info.persist(&bc);
        }
    });
    let bc = b.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        tick.tick().await;
        while !bc.is_shutting_down() {
            tick.tick().await;
            let timeout = Duration::from_millis(bc.config().channel_expired_timeout.max(1) as u64);
            for (conn, groups) in bc.clients.expire(timeout) {
                tracing::info!(peer = %conn.peer(), "client channel expired");
                conn.close();
                for g in groups {
                    clients::notify_ids_changed(&bc, &g).await;
                }
            }
        }
    });
}

impl RunningBroker {
    /// Java `BrokerController.shutdown`: unregister from the NameServers, stop accepting,
    /// persist the tables, flush and close the store (which removes the `abort` file).
    #[inline(never)]
    pub fn shutdown(self) -> remoting::BoxFuture<()> {
        Box::pin(self.stop())
    }

    async fn stop(self) {
        let b = &self.broker;
        b.shutting_down.store(true, Ordering::SeqCst);
        b.shutdown.notify_waiters();
        register::unregister_all(b).await;
        for s in &self.servers {
            s.shutdown();
        }
        b.persist_all();
        if let Err(e) = b.store.shutdown() {
            tracing::error!("store shutdown: {e}");
        }
    }
}

//! The shared fixture of a NameServer test binary, started once on first use:
//!
//! ```text
//!   ours  ─┐  ours-spare ─┐   java ─┐  java-spare ─┐      (ours only when our mqnamesrv is built)
//!          └──────────────┴────────┴──────────────┴── Java broker "broker-a", cluster DefaultCluster
//! ```
//! One Java broker registers with every NameServer, so each scenario runs the same way against
//! ours and against Java's. The spares exist to be killed by the failover scenario. All processes
//! die with the test process (see `scripts/supervise.sh`).

use std::sync::{Mutex, OnceLock, RwLock};
use std::time::Duration;

use crate::process::{LogDump, Server};
use crate::servers::{
    ours_namesrv_built, BrokerSpec, JavaBroker, Namesrv, NsKind, JAVA_TIMER_FLUSH, TIMER_WHEEL,
};

pub const CLUSTER: &str = "DefaultCluster";
pub const BROKER: &str = "broker-a";

pub struct World {
    pub java: Namesrv,
    pub java_spare: Namesrv,
    pub ours: Option<Namesrv>,
    pub ours_spare: Option<Namesrv>,
    pub broker: JavaBroker,
    /// Taken for writing by scenarios that change the shared routes in a NameServer: write
    /// permissions (any topic registration would undo them), an extra broker (it joins
    /// TBW102's route); for reading by the scenarios that read routes.
    pub perm_lock: RwLock<()>,
    /// Serialises scenarios that start extra brokers, so at most one extra JVM server runs.
    pub extra_broker_lock: Mutex<()>,
}

static WORLD: OnceLock<Result<World, String>> = OnceLock::new();

/// The shared fixture, started on first call. A failed start is reported to every caller.
pub fn world() -> &'static World {
    let started = WORLD.get_or_init(|| {
        crate::env::require_setup();
        std::panic::catch_unwind(World::start).map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
    });
    match started {
        Ok(w) => w,
        Err(why) => panic!("the shared NameServer/broker fixture failed to start: {why}"),
    }
}

impl World {
    fn start() -> World {
        let (ours, ours_spare) = if ours_namesrv_built() {
            (
                Some(Namesrv::start(NsKind::Ours)),
                Some(Namesrv::start(NsKind::Ours)),
            )
        } else {
            (None, None)
        };
        let java = Namesrv::start(NsKind::Java);
        let java_spare = Namesrv::start(NsKind::Java);
        let mut all: Vec<&str> = vec![&java.addr, &java_spare.addr];
        all.extend(
            ours.iter()
                .chain(ours_spare.iter())
                .map(|n| n.addr.as_str()),
        );
        // The scenarios delete topics: see [`TIMER_WHEEL`].
        let mut spec = BrokerSpec::new(CLUSTER, BROKER, &all);
        spec.extra
            .extend([TIMER_WHEEL, JAVA_TIMER_FLUSH].map(|(k, v)| (k.to_string(), v.to_string())));
        let broker = JavaBroker::start(spec);
        for ns in &all {
            broker.wait_registered(ns, Duration::from_secs(90));
        }
        World {
            java,
            java_spare,
            ours,
            ours_spare,
            broker,
            perm_lock: RwLock::new(()),
            extra_broker_lock: Mutex::new(()),
        }
    }

    /// The NameServer of `kind` (ours panics if our binary was not built).
    pub fn ns(&self, kind: NsKind) -> &Namesrv {
        match kind {
            NsKind::Java => &self.java,
            NsKind::Ours => self.ours.as_ref().expect("our mqnamesrv is not built"),
        }
    }

    /// The killable second NameServer of `kind`.
    pub fn spare(&self, kind: NsKind) -> &Namesrv {
        match kind {
            NsKind::Java => &self.java_spare,
            NsKind::Ours => self
                .ours_spare
                .as_ref()
                .expect("our mqnamesrv is not built"),
        }
    }

    /// Prints the shared servers' logs if the calling test fails.
    pub fn dump_on_failure(&self) -> LogDump<'_> {
        let mut servers: Vec<&Server> = vec![&self.broker.server, &self.java.server];
        servers.extend(self.ours.iter().map(|n| &n.server));
        LogDump(servers)
    }

    pub fn read_perm(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.perm_lock.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_perm(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.perm_lock.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn extra_broker(&self) -> std::sync::MutexGuard<'_, ()> {
        self.extra_broker_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

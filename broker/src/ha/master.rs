//! Master side of replication (Java `DefaultHAService.AcceptSocketService`,
//! `DefaultHAConnection`, `GroupTransferService`).
//!
//! Every broker listens on `haListenPort` (a slave too, as Java's does). Per connection a
//! reader takes the slave's offset reports and a writer streams CommitLog data:
//!
//! ```text
//!  slave ──report(maxOffset)──▶ reader: first report = request offset, each = ack offset ─▶ waiters
//!  slave ◀──header+bytes─────── writer: from the request offset (0 ⇒ start of the last segment),
//!                               ≤ haTransferBatchSize per transfer, never across a segment,
//!                               an empty header after haSendHeartbeatInterval without a write
//! ```
//! Nothing is sent before the first report. Either side closes the connection after
//! `haHousekeepingInterval` without reading. A SYNC_MASTER send waits for its end offset to be
//! acknowledged by `inSyncReplicas - 1` slaves within `slaveTimeout` on a `watch` bumped at
//! every report, so no runtime thread blocks.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tracing::{info, warn};

use super::flow::Flow;
use super::proto::{header, take_last_report, HEADER_SIZE, MAX_FRAME};
use crate::broker::Broker;

/// How long a writer with nothing to send sleeps before looking again when no put wakes it
/// (Java `allWaitForRunning(100)`).
const IDLE_POLL: Duration = Duration::from_millis(100);

/// One connected slave.
#[derive(Debug)]
pub struct SlaveLink {
    pub addr: SocketAddr,
    /// Java `slaveRequestOffset`: the first report, -1 before it.
    request: AtomicI64,
    /// Java `slaveAckOffset`: the last report, -1 before the first.
    pub ack: AtomicI64,
    /// Java `nextTransferFromWhere`: the next CommitLog offset to send, -1 before the first report.
    pub transfer_from: AtomicI64,
    pub flow: Flow,
    first_report: Notify,
}

impl SlaveLink {
    fn new(addr: SocketAddr) -> SlaveLink {
        SlaveLink {
            addr,
            request: AtomicI64::new(-1),
            ack: AtomicI64::new(-1),
            transfer_from: AtomicI64::new(-1),
            flow: Flow::default(),
            first_report: Notify::new(),
        }
    }
}

/// The connected slaves and the signals between them and the send path.
pub struct Master {
    /// Connected slaves; the lock is held only to add, remove or copy entries.
    links: Mutex<Vec<Arc<SlaveLink>>>,
    /// Bumped at every report, so SYNC_MASTER waiters re-check their acks.
    acks: watch::Sender<u64>,
    /// Wakes writers waiting for data.
    data: Notify,
    /// Writers waiting on `data`: a put notifies only when one is (no lock otherwise).
    idle_writers: AtomicUsize,
}

impl Default for Master {
    fn default() -> Self {
        Master {
            links: Mutex::new(Vec::new()),
            acks: watch::channel(0).0,
            data: Notify::new(),
            idle_writers: AtomicUsize::new(0),
        }
    }
}

impl Master {
    /// The connected slaves (a copy).
    pub fn links(&self) -> Vec<Arc<SlaveLink>> {
        self.links.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Wakes idle writers after a put, so the slaves get it without waiting a poll interval;
    /// costs one atomic load when none is idle.
    pub fn after_put(&self) {
        if self.idle_writers.load(Ordering::SeqCst) > 0 {
            self.data.notify_waiters();
        }
    }

    /// Slaves whose ack reached `end`.
    fn acked(&self, end: i64) -> usize {
        let links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        links
            .iter()
            .filter(|l| l.ack.load(Ordering::Acquire) >= end)
            .count()
    }

    /// Java `GroupTransferService.doWaitTransfer`: true once `need` replicas (this master
    /// included) hold the CommitLog up to `end`, false after `timeout`.
    pub async fn wait_acks(&self, end: i64, need: usize, timeout: Duration) -> bool {
        let mut rx = self.acks.subscribe();
        self.data.notify_waiters();
        let enough = |_: &u64| self.acked(end) + 1 >= need;
        let waited = tokio::time::timeout(timeout, rx.wait_for(enough)).await;
        matches!(waited, Ok(Ok(_)))
    }

    fn add(&self, link: Arc<SlaveLink>) {
        self.links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(link);
    }

    fn remove(&self, link: &Arc<SlaveLink>) {
        self.links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|l| !Arc::ptr_eq(l, link));
        self.acks.send_modify(|g| *g = g.wrapping_add(1));
    }

    fn on_report(&self, link: &SlaveLink, offset: i64) {
        link.ack.store(offset, Ordering::Release);
        if link.request.load(Ordering::Acquire) < 0 {
            info!(slave = %link.addr, offset, "slave request offset");
            link.request.store(offset, Ordering::Release);
            link.first_report.notify_one();
        }
        self.acks.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Waits until the CommitLog grows past `next`, a put wakes the writers, or a poll interval.
    async fn wait_for_data(&self, store: &store::Store, next: i64) {
        let notified = self.data.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        self.idle_writers.fetch_add(1, Ordering::SeqCst);
        if store.commitlog_offsets().1 <= next {
            let _ = tokio::time::timeout(IDLE_POLL, notified).await;
        }
        self.idle_writers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts slaves until shutdown.
pub async fn accept(b: Arc<Broker>, listener: TcpListener) {
    while !b.is_shutting_down() {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    info!(%peer, "HAService receive new connection");
                    tokio::spawn(connection(b.clone(), stream, peer));
                }
                Err(e) => {
                    warn!("HA accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = b.shutdown.notified() => return,
        }
    }
}

async fn connection(b: Arc<Broker>, stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let link = Arc::new(SlaveLink::new(peer));
    let master = &b.ha.master;
    master.add(link.clone());
    let (rd, wr) = stream.into_split();
    let end = tokio::select! {
        r = read_reports(&b, rd, &link) => r,
        r = write_transfers(&b, wr, &link) => r,
        _ = b.shutdown.notified() => Ok(()),
    };
    if let Err(reason) = end {
        warn!(slave = %peer, "HA connection closed: {reason}");
    }
    master.remove(&link);
}

async fn read_reports(b: &Broker, mut rd: OwnedReadHalf, link: &SlaveLink) -> Result<(), String> {
    let mut buf = BytesMut::with_capacity(64);
    loop {
        buf.reserve(64);
        super::read_from_slave(b, &mut rd, &mut buf, link.addr).await?;
        if let Some(offset) = take_last_report(&mut buf) {
            b.ha.master.on_report(link, offset);
        }
    }
}

/// Where transfers start: the reported offset, or for an empty slave (report 0) the start of
/// the master's last CommitLog segment.
fn start_offset(b: &Broker, request: i64) -> i64 {
    if request != 0 {
        return request;
    }
    let seg = b.store.config().mapped_file_size_commit_log.max(1) as i64;
    let (_, max) = b.store.commitlog_offsets();
    (max - max % seg).max(0)
}

async fn write_transfers(
    b: &Broker,
    mut wr: OwnedWriteHalf,
    link: &SlaveLink,
) -> Result<(), String> {
    let request = loop {
        let r = link.request.load(Ordering::Acquire);
        if r >= 0 {
            break r;
        }
        link.first_report.notified().await;
    };
    let mut next = start_offset(b, request);
    link.transfer_from.store(next, Ordering::Release);
    info!(slave = %link.addr, from = next, request, "master transfers data to the slave");
    let mut last_write = Instant::now();
    let write_err = |e: std::io::Error| format!("write: {e}");
    loop {
        let cfg = b.config();
        if last_write.elapsed() > super::millis(i64::from(cfg.ha_send_heartbeat_interval)) {
            wr.write_all(&header(next, 0)).await.map_err(write_err)?;
            link.flow.add(HEADER_SIZE);
            last_write = Instant::now();
        }
        let batch = usize::try_from(cfg.ha_transfer_batch_size)
            .unwrap_or(1)
            .clamp(1, MAX_FRAME - HEADER_SIZE);
        let budget = link.flow.budget(
            cfg.ha_flow_control_enable,
            cfg.max_ha_transfer_byte_in_second,
        );
        if budget <= HEADER_SIZE {
            // Java's FlowMonitor: the second's budget is spent; the next second brings more.
            tokio::time::sleep(IDLE_POLL).await;
            continue;
        }
        match b
            .store
            .commitlog_data(next, batch.min(budget - HEADER_SIZE))
        {
            Some(data) => {
                let n = data.len();
                let mut frame = Bytes::copy_from_slice(&header(next, n)).chain(data);
                wr.write_all_buf(&mut frame).await.map_err(write_err)?;
                next += n as i64;
                link.transfer_from.store(next, Ordering::Release);
                link.flow.add(HEADER_SIZE + n);
                last_write = Instant::now();
            }
            None => b.ha.master.wait_for_data(&b.store, next).await,
        }
    }
}

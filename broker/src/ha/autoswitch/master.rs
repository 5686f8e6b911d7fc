//! Master side of controller-mode replication (Java `AutoSwitchHAConnection`).
//!
//! ```text
//!  slave ──handshake(id)──▶ reader ──▶ writer: handshake(maxOffset, lastEpoch, epoch entries)
//!  slave ──report(max)────▶ reader: first = request offset; each = ack, SyncStateSet expansion,
//!                                   confirm offset
//!  slave ◀──transfers───── writer: from the request offset (0 ⇒ the CommitLog's first offset,
//!                          or its last segment with syncFromLastFile), never across an epoch
//!                          boundary, headers carrying epoch, epoch start and confirm offset
//! ```
//! A role change ends every connection (Java `destroyConnections`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tracing::{info, warn};

use super::proto::{self, SlaveFrame, Transfer, TRANSFER_HEADER_SIZE};
use crate::broker::Broker;
use crate::ha::flow::Flow;
use crate::persist::now_millis;
use store::epoch::EpochEntry;

const IDLE_POLL: Duration = Duration::from_millis(100);

/// One connected slave.
#[derive(Debug)]
pub struct Link {
    pub addr: SocketAddr,
    pub slave_id: AtomicI64,
    pub async_learner: AtomicBool,
    sync_from_last_file: AtomicBool,
    /// Java `slaveRequestOffset`, -1 before the first report.
    request: AtomicI64,
    /// Java `slaveAckOffset`.
    pub ack: AtomicI64,
    pub transfer_from: AtomicI64,
    /// Java `lastMasterMaxOffset` / `lastTransferTimeMs`.
    last_transfer: Mutex<(i64, i64)>,
    pub flow: Flow,
    handshake: Notify,
    report: Notify,
}

impl Link {
    fn new(addr: SocketAddr) -> Link {
        Link {
            addr,
            slave_id: AtomicI64::new(-1),
            async_learner: AtomicBool::new(false),
            sync_from_last_file: AtomicBool::new(false),
            request: AtomicI64::new(-1),
            ack: AtomicI64::new(-1),
            transfer_from: AtomicI64::new(-1),
            last_transfer: Mutex::new((-1, 0)),
            flow: Flow::default(),
            handshake: Notify::new(),
            report: Notify::new(),
        }
    }
}

/// Accepts slaves until shutdown.
pub async fn accept(b: Arc<Broker>, listener: TcpListener) {
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    info!(%peer, "AutoSwitchHAService receive new connection");
                    tokio::spawn(connection(b.clone(), stream, peer));
                }
                Err(e) => {
                    warn!("HA accept failed: {e}");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            },
            _ = b.shutdown.notified() => return,
        }
    }
}

async fn connection(b: Arc<Broker>, stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let auto = &b.ha.auto;
    let mut generation = auto.generation.subscribe();
    let link = Arc::new(Link::new(peer));
    auto.add_link(link.clone());
    let (rd, wr) = stream.into_split();
    let end = tokio::select! {
        r = read_frames(&b, rd, &link) => r,
        r = write_frames(&b, wr, &link) => r,
        _ = generation.changed() => Err("the broker's role changed".to_string()),
        _ = b.shutdown.notified() => Ok(()),
    };
    if let Err(reason) = end {
        warn!(slave = %peer, "HA connection closed: {reason}");
    }
    auto.remove_link(&link, b.store.commitlog_offsets().1);
    super::update_dispatch(&b);
}

async fn read_frames(b: &Broker, mut rd: OwnedReadHalf, link: &Link) -> Result<(), String> {
    let mut buf = BytesMut::with_capacity(256);
    loop {
        buf.reserve(256);
        crate::ha::read_from_slave(b, &mut rd, &mut buf, link.addr).await?;
        while let Some(f) = proto::take_slave_frame(&mut buf).map_err(|e| e.to_string())? {
            on_frame(b, link, f);
        }
    }
}

fn on_frame(b: &Broker, link: &Link, f: SlaveFrame) {
    let auto = &b.ha.auto;
    match f {
        SlaveFrame::Handshake {
            sync_from_last_file,
            async_learner,
            broker_id,
        } => {
            info!(slave = %link.addr, broker_id, sync_from_last_file, async_learner, "slave handshake");
            link.slave_id.store(broker_id, Ordering::Release);
            link.sync_from_last_file
                .store(sync_from_last_file, Ordering::Release);
            link.async_learner.store(async_learner, Ordering::Release);
            link.handshake.notify_one();
        }
        SlaveFrame::Report(offset) => {
            link.ack.store(offset, Ordering::Release);
            if link.request.load(Ordering::Acquire) < 0 {
                link.request.store(offset, Ordering::Release);
                link.report.notify_one();
            }
            let max = b.store.commitlog_offsets().1;
            let id = link.slave_id.load(Ordering::Acquire);
            let (last_max, last_time) =
                *link.last_transfer.lock().unwrap_or_else(|e| e.into_inner());
            if !link.async_learner.load(Ordering::Acquire) && offset >= last_max {
                auto.caught_up_at(
                    id,
                    if max == offset {
                        now_millis()
                    } else {
                        last_time
                    },
                );
                let cfg = b.config();
                let confirm = auto.confirm_offset(true, cfg.all_ack_in_sync_state_set, max);
                auto.maybe_expand(id, offset, confirm);
            }
            auto.on_ack(id, max);
            super::update_dispatch(b);
            auto.acked();
        }
    }
}

/// Where transfers to a slave start.
fn start_offset(b: &Broker, link: &Link, request: i64) -> i64 {
    if request != 0 {
        return request;
    }
    let (min, max) = b.store.commitlog_offsets();
    if link.sync_from_last_file.load(Ordering::Acquire) {
        let seg = b.store.config().mapped_file_size_commit_log.max(1) as i64;
        return (max - max % seg).max(0);
    }
    min
}

/// The epoch the bytes from `offset` belong to, and where it ends (`None`: the last epoch).
fn epoch_at(b: &Broker, offset: i64) -> Option<(EpochEntry, Option<i64>)> {
    let epochs = &b.ha.auto.epochs;
    let e = epochs.find_by_offset(offset)?;
    let end = (e.epoch != epochs.last_epoch()).then_some(e.end);
    Some((e, end))
}

/// Answers the slave's handshake with our epochs and waits for its first report; returns the
/// offset to transfer from.
async fn handshake(b: &Broker, wr: &mut OwnedWriteHalf, link: &Link) -> Result<i64, String> {
    while link.slave_id.load(Ordering::Acquire) < 0 {
        link.handshake.notified().await;
    }
    let epochs = &b.ha.auto.epochs;
    let hs = proto::master_handshake(
        b.store.commitlog_offsets().1,
        epochs.last_epoch(),
        &epochs.entries(),
    );
    wr.write_all(&hs).await.map_err(|e| format!("write: {e}"))?;
    link.flow.add(hs.len());
    loop {
        let r = link.request.load(Ordering::Acquire);
        if r >= 0 {
            return Ok(start_offset(b, link, r));
        }
        link.report.notified().await;
    }
}

async fn write_frames(b: &Broker, mut wr: OwnedWriteHalf, link: &Link) -> Result<(), String> {
    let mut next = handshake(b, &mut wr, link).await?;
    let epochs = &b.ha.auto.epochs;
    let mut last_write = Instant::now();
    let (mut epoch, mut epoch_end) = loop {
        if let Some(e) = epoch_at(b, next) {
            break e;
        }
        // An empty CommitLog, or an offset no epoch covers yet: heartbeats until one does.
        heartbeat_if_due(b, &mut wr, link, next, None, &mut last_write).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    info!(slave = %link.addr, from = next, epoch = epoch.epoch, "master transfers data to the slave");
    loop {
        link.transfer_from.store(next, Ordering::Release);
        heartbeat_if_due(b, &mut wr, link, next, Some(epoch), &mut last_write).await?;
        let cfg = b.config();
        let batch = usize::try_from(cfg.ha_transfer_batch_size)
            .unwrap_or(1)
            .clamp(1, proto::MAX_FRAME - TRANSFER_HEADER_SIZE);
        let budget = link.flow.budget(
            cfg.ha_flow_control_enable,
            cfg.max_ha_transfer_byte_in_second,
        );
        if budget <= TRANSFER_HEADER_SIZE {
            tokio::time::sleep(IDLE_POLL).await;
            continue;
        }
        let mut want = batch.min(budget - TRANSFER_HEADER_SIZE);
        if let Some(end) = epoch_end {
            if next >= end {
                match epochs.next_after(epoch.epoch) {
                    Some(n) => {
                        (epoch, epoch_end) = (n, (n.epoch != epochs.last_epoch()).then_some(n.end));
                        continue;
                    }
                    None => {
                        tokio::time::sleep(IDLE_POLL).await;
                        continue;
                    }
                }
            }
            want = want.min((end - next) as usize);
        }
        let Some(data) = b.store.commitlog_data(next, want) else {
            b.ha.auto
                .caught_up_at(link.slave_id.load(Ordering::Acquire), now_millis());
            wait_for_data(b, next).await;
            continue;
        };
        *link.last_transfer.lock().unwrap_or_else(|e| e.into_inner()) =
            (b.store.commitlog_offsets().1, now_millis());
        let t = header(b, next, data.len(), epoch);
        write_transfer(&mut wr, link, &t, data).await?;
        next += t.size as i64;
        last_write = Instant::now();
    }
}

fn header(b: &Broker, offset: i64, size: usize, epoch: EpochEntry) -> Transfer {
    let cfg = b.config();
    let max = b.store.commitlog_offsets().1;
    Transfer {
        size,
        offset,
        epoch: epoch.epoch,
        epoch_start: epoch.start,
        confirm: b
            .ha
            .auto
            .confirm_offset(true, cfg.all_ack_in_sync_state_set, max),
    }
}

async fn write_transfer(
    wr: &mut OwnedWriteHalf,
    link: &Link,
    t: &Transfer,
    data: Bytes,
) -> Result<(), String> {
    let mut frame = Bytes::copy_from_slice(&proto::transfer_header(t)).chain(data);
    wr.write_all_buf(&mut frame)
        .await
        .map_err(|e| format!("write: {e}"))?;
    link.flow.add(TRANSFER_HEADER_SIZE + t.size);
    Ok(())
}

/// An empty transfer after `haSendHeartbeatInterval` without a write; before any epoch the
/// first one labels it (Java `buildTransferHeaderBuffer`).
async fn heartbeat_if_due(
    b: &Broker,
    wr: &mut OwnedWriteHalf,
    link: &Link,
    next: i64,
    epoch: Option<EpochEntry>,
    last_write: &mut Instant,
) -> Result<(), String> {
    if last_write.elapsed() <= crate::ha::millis(i64::from(b.config().ha_send_heartbeat_interval)) {
        return Ok(());
    }
    let Some(e) = epoch.or_else(|| b.ha.auto.epochs.first()) else {
        return Ok(());
    };
    write_transfer(wr, link, &header(b, next, 0, e), Bytes::new()).await?;
    *last_write = Instant::now();
    Ok(())
}

async fn wait_for_data(b: &Broker, next: i64) {
    let notified = b.ha.auto.data.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    if b.store.commitlog_offsets().1 <= next {
        let _ = tokio::time::timeout(IDLE_POLL, notified).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::{BrokerConfig, BrokerRole};

    fn master_config(dir: &std::path::Path, all_ack: bool) -> BrokerConfig {
        BrokerConfig {
            store_path_root_dir: dir.display().to_string(),
            enable_controller_mode: true,
            broker_role: BrokerRole::SyncMaster,
            all_ack_in_sync_state_set: all_ack,
            ..BrokerConfig::default()
        }
    }

    /// Java `AutoSwitchHAConnection`: a slave whose handshake says `isAsyncLearner` is never
    /// counted as caught up, so it never joins the SyncStateSet; another slave does.
    #[test]
    fn an_async_learner_never_joins_the_sync_state_set() {
        let dir = crate::persist::temp_dir("learner-master");
        let b = crate::broker::Broker::open(master_config(&dir, false)).unwrap();
        let auto = &b.ha.auto;
        auto.local_id.store(1, Ordering::Release);
        auto.set_sync_state_set([1].into_iter().collect(), 0);
        assert!(auto.epochs.append(EpochEntry::new(1, 0)));
        for (async_learner, broker_id) in [(true, 2), (false, 3)] {
            let link = Link::new("127.0.0.1:1".parse().unwrap());
            let hs = SlaveFrame::Handshake {
                sync_from_last_file: false,
                async_learner,
                broker_id,
            };
            on_frame(&b, &link, hs);
            on_frame(&b, &link, SlaveFrame::Report(0));
        }
        assert_eq!(auto.sync_state_set(), [1, 3].into_iter().collect());
        b.store.shutdown().unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Java's default `readUnCommitted=false` with `allAckInSyncStateSet`: a master's consume
    /// queue holds a message once every SyncStateSet member acknowledged it; alone in the set,
    /// it holds it at once.
    #[test]
    fn consumers_see_what_the_sync_state_set_acknowledged() {
        let dir = crate::persist::temp_dir("confirm-master");
        let b = crate::broker::Broker::open(master_config(&dir, true)).unwrap();
        let auto = &b.ha.auto;
        auto.local_id.store(1, Ordering::Release);
        assert!(auto.epochs.append(EpochEntry::new(1, 0)));
        auto.set_sync_state_set([1, 2].into_iter().collect(), 0);
        let link = Arc::new(Link::new("127.0.0.1:1".parse().unwrap()));
        auto.add_link(link.clone());
        let hs = SlaveFrame::Handshake {
            sync_from_last_file: false,
            async_learner: false,
            broker_id: 2,
        };
        on_frame(&b, &link, hs);
        on_frame(&b, &link, SlaveFrame::Report(0));
        let p = b
            .store
            .put(store::testutil::message("T", b"m"))
            .unwrap()
            .first();
        super::super::update_dispatch(&b);
        assert_eq!(b.store.max_offset("T", 0), 0, "not acknowledged yet");
        on_frame(&b, &link, SlaveFrame::Report(p.physical_offset + 1));
        assert_eq!(b.store.max_offset("T", 0), 0, "part of it acknowledged");
        on_frame(
            &b,
            &link,
            SlaveFrame::Report(p.physical_offset + i64::from(p.size)),
        );
        assert_eq!(b.store.max_offset("T", 0), 1, "acknowledged by slave 2");
        auto.set_sync_state_set([1].into_iter().collect(), 0);
        super::super::update_dispatch(&b);
        b.store.put(store::testutil::message("T", b"m")).unwrap();
        assert_eq!(b.store.max_offset("T", 0), 2, "alone: at once");
        b.store.shutdown().unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}

//! The controller-mode HA wire protocol (Java 5.3.3 `AutoSwitchHAConnection`,
//! `AutoSwitchHAClient`): plain TCP on `haListenPort`, big-endian, no remoting framing. Every
//! frame starts with the sender's `HAConnectionState` ordinal (READY 0, HANDSHAKE 1, TRANSFER 2).
//!
//! ```text
//! slave → master
//!   handshake  | 1 i32 | isSyncFromLastFile i16 | isAsyncLearner i16 | slaveBrokerId i64 |   16 bytes
//!   report     | 2 i32 | slaveMaxOffset i64 |                                                12 bytes
//! master → slave
//!   handshake  | 1 i32 | bodySize i32 | maxPhyOffset i64 | lastEpoch i32 |                   20 bytes
//!              + bodySize / 12 × | epoch i32 | startOffset i64 |
//!   transfer   | 2 i32 | bodySize i32 | offset i64 | epoch i32 | epochStartOffset i64 |
//!              | confirmOffset i64 |                                                        36 bytes
//!              + bodySize bytes of CommitLog from `offset` (0: a heartbeat)
//! ```
//! Pure functions over bytes; the connection tasks live in [`super::master`] and
//! [`super::client`].

use bytes::{Buf, BufMut, Bytes, BytesMut};
use store::epoch::EpochEntry;

/// Java `HAConnectionState.HANDSHAKE.ordinal()`.
pub const HANDSHAKE: i32 = 1;
/// Java `HAConnectionState.TRANSFER.ordinal()`.
pub const TRANSFER: i32 = 2;
/// Java `AutoSwitchHAClient.HANDSHAKE_HEADER_SIZE`.
pub const SLAVE_HANDSHAKE_SIZE: usize = 16;
/// Java `AutoSwitchHAClient.TRANSFER_HEADER_SIZE`.
pub const REPORT_SIZE: usize = 12;
/// Java `AutoSwitchHAConnection.HANDSHAKE_HEADER_SIZE`.
pub const MASTER_HANDSHAKE_SIZE: usize = 20;
/// Java `AutoSwitchHAConnection.TRANSFER_HEADER_SIZE`.
pub const TRANSFER_HEADER_SIZE: usize = 36;
/// Java `AutoSwitchHAConnection.EPOCH_ENTRY_SIZE`.
pub const EPOCH_ENTRY_SIZE: usize = 12;
/// Java `AutoSwitchHAClient.READ_MAX_BUFFER_SIZE`: the largest frame a Java slave can take.
pub const MAX_FRAME: usize = 4 * 1024 * 1024;

/// What a slave sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaveFrame {
    Handshake {
        sync_from_last_file: bool,
        async_learner: bool,
        broker_id: i64,
    },
    Report(i64),
}

/// Why a peer's stream cannot be read on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("illegal HA state {0}")]
    State(i32),
    #[error("HA body size {0} is negative or above {MAX_FRAME}")]
    BadSize(i32),
}

pub fn slave_handshake(sync_from_last_file: bool, async_learner: bool, id: i64) -> [u8; 16] {
    let mut b = [0u8; SLAVE_HANDSHAKE_SIZE];
    b[..4].copy_from_slice(&HANDSHAKE.to_be_bytes());
    b[4..6].copy_from_slice(&i16::from(sync_from_last_file).to_be_bytes());
    b[6..8].copy_from_slice(&i16::from(async_learner).to_be_bytes());
    b[8..].copy_from_slice(&id.to_be_bytes());
    b
}

pub fn report(offset: i64) -> [u8; REPORT_SIZE] {
    let mut b = [0u8; REPORT_SIZE];
    b[..4].copy_from_slice(&TRANSFER.to_be_bytes());
    b[4..].copy_from_slice(&offset.to_be_bytes());
    b
}

/// Master side: the next whole frame of `buf`, `Ok(None)` until it has arrived.
pub fn take_slave_frame(buf: &mut BytesMut) -> Result<Option<SlaveFrame>, FrameError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let state = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let need = match state {
        HANDSHAKE => SLAVE_HANDSHAKE_SIZE,
        TRANSFER => REPORT_SIZE,
        other => return Err(FrameError::State(other)),
    };
    if buf.len() < need {
        return Ok(None);
    }
    let mut f = buf.split_to(need);
    f.advance(4);
    Ok(Some(if state == HANDSHAKE {
        let sync_from_last_file = f.get_i16() == 1;
        let async_learner = f.get_i16() == 1;
        SlaveFrame::Handshake {
            sync_from_last_file,
            async_learner,
            broker_id: f.get_i64(),
        }
    } else {
        SlaveFrame::Report(f.get_i64())
    }))
}

/// The master's handshake: its CommitLog end, its last epoch and every epoch entry.
pub fn master_handshake(max_offset: i64, last_epoch: i32, entries: &[EpochEntry]) -> Bytes {
    let mut b = BytesMut::with_capacity(MASTER_HANDSHAKE_SIZE + entries.len() * EPOCH_ENTRY_SIZE);
    b.put_i32(HANDSHAKE);
    b.put_i32((entries.len() * EPOCH_ENTRY_SIZE) as i32);
    b.put_i64(max_offset);
    b.put_i32(last_epoch);
    for e in entries {
        b.put_i32(e.epoch);
        b.put_i64(e.start);
    }
    b.freeze()
}

/// A transfer header: `size` bytes from `offset`, written under `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    pub size: usize,
    pub offset: i64,
    pub epoch: i32,
    pub epoch_start: i64,
    pub confirm: i64,
}

pub fn transfer_header(t: &Transfer) -> [u8; TRANSFER_HEADER_SIZE] {
    let mut b = [0u8; TRANSFER_HEADER_SIZE];
    let mut w = &mut b[..];
    w.put_i32(TRANSFER);
    w.put_i32(t.size as i32);
    w.put_i64(t.offset);
    w.put_i32(t.epoch);
    w.put_i64(t.epoch_start);
    w.put_i64(t.confirm);
    b
}

/// What a master sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterFrame {
    Handshake {
        max_offset: i64,
        last_epoch: i32,
        entries: Vec<EpochEntry>,
    },
    Transfer(Transfer, Bytes),
}

/// Slave side: the next whole frame of `buf`, `Ok(None)` until it has arrived.
pub fn take_master_frame(buf: &mut BytesMut) -> Result<Option<MasterFrame>, FrameError> {
    if buf.len() < MASTER_HANDSHAKE_SIZE {
        return Ok(None);
    }
    let state = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let size = i32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
    let header = match state {
        HANDSHAKE => MASTER_HANDSHAKE_SIZE,
        TRANSFER => TRANSFER_HEADER_SIZE,
        other => return Err(FrameError::State(other)),
    };
    let body = match usize::try_from(size) {
        Ok(s) if s <= MAX_FRAME - header => s,
        _ => return Err(FrameError::BadSize(size)),
    };
    if buf.len() < header + body {
        return Ok(None);
    }
    let mut h = buf.split_to(header);
    let body = buf.split_to(body).freeze();
    h.advance(8);
    let offset = h.get_i64();
    let epoch = h.get_i32();
    if state == HANDSHAKE {
        let entries = body
            .chunks_exact(EPOCH_ENTRY_SIZE)
            .map(|mut c| {
                let epoch = c.get_i32();
                EpochEntry::new(epoch, c.get_i64())
            })
            .collect();
        return Ok(Some(MasterFrame::Handshake {
            max_offset: offset,
            last_epoch: epoch,
            entries,
        }));
    }
    let t = Transfer {
        size: body.len(),
        offset,
        epoch,
        epoch_start: h.get_i64(),
        confirm: h.get_i64(),
    };
    Ok(Some(MasterFrame::Transfer(t, body)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn slave_frames_as_java_writes_them() {
        let hs = slave_handshake(true, false, 2);
        assert_eq!(hs, [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let mut buf = BytesMut::from(&hs[..]);
        buf.extend_from_slice(&report(4096)[..7]);
        assert_eq!(
            take_slave_frame(&mut buf).unwrap(),
            Some(SlaveFrame::Handshake {
                sync_from_last_file: true,
                async_learner: false,
                broker_id: 2
            })
        );
        assert_eq!(take_slave_frame(&mut buf).unwrap(), None, "partial report");
        buf.extend_from_slice(&report(4096)[7..]);
        assert_eq!(
            take_slave_frame(&mut buf).unwrap(),
            Some(SlaveFrame::Report(4096))
        );
        let mut bad = BytesMut::from(&[0u8, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0][..]);
        assert_eq!(take_slave_frame(&mut bad), Err(FrameError::State(4)));
    }

    #[test]
    fn master_frames_round_trip() {
        let entries = vec![EpochEntry::new(1, 0), EpochEntry::new(2, 700)];
        let mut buf = BytesMut::from(&master_handshake(900, 2, &entries)[..]);
        assert_eq!(buf.len(), 20 + 24);
        let t = Transfer {
            size: 3,
            offset: 900,
            epoch: 2,
            epoch_start: 700,
            confirm: 850,
        };
        let header = transfer_header(&t);
        assert_eq!(&header[..8], &[0, 0, 0, 2, 0, 0, 0, 3]);
        buf.extend_from_slice(&header);
        buf.extend_from_slice(b"ab");
        match take_master_frame(&mut buf).unwrap() {
            Some(MasterFrame::Handshake {
                max_offset,
                last_epoch,
                entries: got,
            }) => {
                assert_eq!((max_offset, last_epoch), (900, 2));
                assert_eq!(
                    got.iter().map(|e| (e.epoch, e.start)).collect::<Vec<_>>(),
                    [(1, 0), (2, 700)]
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(take_master_frame(&mut buf).unwrap(), None, "body partial");
        buf.extend_from_slice(b"c");
        assert_eq!(
            take_master_frame(&mut buf).unwrap(),
            Some(MasterFrame::Transfer(t, Bytes::from_static(b"abc")))
        );
        assert!(buf.is_empty());
    }
}

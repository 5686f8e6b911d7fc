//! The classic HA wire protocol (Java `DefaultHAConnection`, `DefaultHAClient`): plain TCP on
//! `haListenPort`, no remoting framing, no handshake. Pure functions over bytes.
//!
//! ```text
//! slave → master, report:    | slaveMaxOffset i64 |                       8 bytes
//! master → slave, transfer:  | startPhyOffset i64 | bodySize i32 | body |  12 + bodySize bytes
//! ```
//! Big-endian. A report is the slave's CommitLog max offset (the bytes it already has). A transfer
//! body is raw CommitLog bytes starting at `startPhyOffset`; `bodySize 0` is a heartbeat.

use bytes::{Buf, Bytes, BytesMut};

/// Java `DefaultHAClient.REPORT_HEADER_SIZE`.
pub const REPORT_SIZE: usize = 8;
/// Java `DefaultHAConnection.TRANSFER_HEADER_SIZE`.
pub const HEADER_SIZE: usize = 12;
/// Java `DefaultHAClient.READ_MAX_BUFFER_SIZE`: a Java slave cannot take a transfer larger than
/// its 4 MiB read buffer, so neither side sends or accepts one.
pub const MAX_FRAME: usize = 4 * 1024 * 1024;

/// An offset report.
pub fn report(offset: i64) -> [u8; REPORT_SIZE] {
    offset.to_be_bytes()
}

/// A transfer header for `size` bytes of CommitLog data from `offset`.
pub fn header(offset: i64, size: usize) -> [u8; HEADER_SIZE] {
    let mut h = [0u8; HEADER_SIZE];
    h[..8].copy_from_slice(&offset.to_be_bytes());
    h[8..].copy_from_slice(&(size as i32).to_be_bytes());
    h
}

/// Master side: consumes every complete report in `buf` and returns the last one, as Java's
/// `ReadSocketService` reads the stream in multiples of 8 bytes and keeps the last value. A
/// partial report stays in `buf`.
pub fn take_last_report(buf: &mut BytesMut) -> Option<i64> {
    let whole = buf.len() - buf.len() % REPORT_SIZE;
    if whole == 0 {
        return None;
    }
    let mut reports = buf.split_to(whole);
    reports.advance(whole - REPORT_SIZE);
    Some(reports.get_i64())
}

/// A transfer frame's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub offset: i64,
    pub size: usize,
}

/// Why a master's stream cannot be read on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("transfer body size {0} is negative or above {MAX_FRAME}")]
    BadSize(i32),
}

/// Slave side: the header of the next transfer in `buf`, `Ok(None)` until 12 bytes are there.
pub fn peek_header(buf: &[u8]) -> Result<Option<Header>, FrameError> {
    if buf.len() < HEADER_SIZE {
        return Ok(None);
    }
    let offset = i64::from_be_bytes(buf[..8].try_into().unwrap_or_default());
    let size = i32::from_be_bytes(buf[8..12].try_into().unwrap_or_default());
    match usize::try_from(size) {
        Ok(s) if s <= MAX_FRAME - HEADER_SIZE => Ok(Some(Header { offset, size: s })),
        _ => Err(FrameError::BadSize(size)),
    }
}

/// Slave side: splits the whole transfer `h` off `buf` once its body has arrived.
pub fn take_body(buf: &mut BytesMut, h: Header) -> Option<Bytes> {
    if buf.len() < HEADER_SIZE + h.size {
        return None;
    }
    buf.advance(HEADER_SIZE);
    Some(buf.split_to(h.size).freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_keep_the_last_complete_value() {
        let mut buf = BytesMut::new();
        assert_eq!(take_last_report(&mut buf), None);
        buf.extend_from_slice(&report(7));
        buf.extend_from_slice(&report(1 << 40));
        buf.extend_from_slice(&report(99)[..3]);
        assert_eq!(take_last_report(&mut buf), Some(1 << 40));
        assert_eq!(buf.len(), 3, "the partial report waits");
        buf.extend_from_slice(&report(99)[3..]);
        assert_eq!(take_last_report(&mut buf), Some(99));
        assert!(buf.is_empty());
    }

    #[test]
    fn transfers_split_on_their_headers() {
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&header(4096, 5));
        buf.extend_from_slice(b"abc");
        let h = peek_header(&buf).unwrap().unwrap();
        assert_eq!(
            h,
            Header {
                offset: 4096,
                size: 5
            }
        );
        assert_eq!(take_body(&mut buf, h), None, "body incomplete");
        buf.extend_from_slice(b"de");
        buf.extend_from_slice(&header(4101, 0));
        assert_eq!(&take_body(&mut buf, h).unwrap()[..], b"abcde");
        let hb = peek_header(&buf).unwrap().unwrap();
        assert_eq!((hb.offset, hb.size), (4101, 0), "a heartbeat");
        assert_eq!(take_body(&mut buf, hb).unwrap().len(), 0);
        assert!(buf.is_empty());
        let mut bad = BytesMut::from(&header(0, 0)[..]);
        bad[8..12].copy_from_slice(&(-1i32).to_be_bytes());
        assert_eq!(peek_header(&bad), Err(FrameError::BadSize(-1)));
        // The bytes Java writes: putLong(offset) then putInt(size), big-endian.
        assert_eq!(
            header(0x0102_0304_0506_0708, 0x0A0B),
            [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x0A, 0x0B]
        );
    }
}

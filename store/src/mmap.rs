//! The only `unsafe` in Thrust: memory-mapped segment files and the few OS calls std lacks
//! (fcntl record lock, posix_fallocate, lseek SEEK_DATA/SEEK_HOLE, statvfs, localtime_r).
//!
//! A [`MappedFile`] is one segment (commitlog, consume queue or index file) mapped read-write and
//! shared. Soundness rests on one discipline, kept by the callers in this crate:
//!
//! * **one writer per region**: bytes are written only by the holder of the owning structure's
//!   write lock (the commitlog append lock, or the index/CQ lock under it), and only at positions
//!   above what has been published to readers;
//! * **readers read only published bytes**: `read`/`bytes` are called for ranges below a
//!   published write position, which never moves down while readers exist, except in recovery
//!   and truncation, which run before the store serves or under the append lock with nothing
//!   published beyond the new end.
//!
//! The mapping is kept alive by `Arc` as long as any [`bytes::Bytes`] view of it exists, so a
//! segment deleted by clean-up stays readable for a pull that is still sending it.
//!
//! **A full disk.** A store into a page of a mapped file that has no disk block behind it makes
//! the filesystem find one at fault time; when there is none the kernel sends SIGBUS, which kills
//! the process (tmpfs faults the same way on a *read* of such a page). So the writer never touches
//! a page outside [`MappedFile::reserve`]d space: blocks are reserved with `posix_fallocate`,
//! whose ENOSPC is an ordinary error, before the first store into them. Reads that may reach past
//! the written data (recovery, files made sparse by a Java broker) go through
//! [`MappedFile::read_safe`] and [`MappedFile::data_end`], which never fault a hole in.

#![allow(unsafe_code)]

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use memmap2::{MmapOptions, MmapRaw};

/// One mapped segment file.
pub struct MappedFile {
    path: PathBuf,
    file: File,
    map: MmapRaw,
    len: usize,
    /// `[0, reserved)` has its disk blocks reserved (`posix_fallocate`). Only the writer moves it.
    reserved: AtomicUsize,
}

impl std::fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFile")
            .field("path", &self.path)
            .field("len", &self.len)
            .finish()
    }
}

impl MappedFile {
    /// Create a new zero-filled file of `len` bytes, reserve the blocks of its first `reserve`
    /// bytes (all of it for CommitLog and index files) and map it. A full disk fails here with
    /// ENOSPC, and the half-made file is removed.
    pub fn create(path: &Path, len: u64, reserve: u64) -> io::Result<MappedFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        let res = (|| {
            file.set_len(len)?;
            let reserve = reserve.min(len);
            if reserve > 0 {
                fallocate(&file, 0, reserve)?;
            }
            let f = Self::map(path, file, len)?;
            f.reserved.store(reserve as usize, Ordering::Release);
            Ok(f)
        })();
        if res.is_err() {
            let _ = std::fs::remove_file(path);
        }
        res
    }

    /// Map an existing file at its current length. Nothing of it counts as reserved: the first
    /// [`MappedFile::reserve`] asks the filesystem (a no-op for blocks it already has).
    pub fn open(path: &Path) -> io::Result<MappedFile> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        Self::map(path, file, len)
    }

    fn map(path: &Path, file: File, len: u64) -> io::Result<MappedFile> {
        let len_usize = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file too large to map"))?;
        if len_usize == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "cannot map an empty file",
            ));
        }
        let map = MmapOptions::new().len(len_usize).map_raw(&file)?;
        Ok(MappedFile {
            path: path.to_path_buf(),
            file,
            map,
            len: len_usize,
            reserved: AtomicUsize::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Make sure the blocks of `[0, end)` are reserved before the writer stores below `end`
    /// (writer only). When the filesystem has to be asked, blocks up to `ahead_to` are reserved
    /// at once, so the call costs one atomic load per write and a syscall once per `ahead_to`
    /// step. Fails with ENOSPC (nothing is written, the file is unchanged) when the disk is full.
    pub fn reserve(&self, end: usize, ahead_to: usize) -> io::Result<()> {
        let done = self.reserved.load(Ordering::Acquire);
        if end <= done {
            return Ok(());
        }
        let to = ahead_to.clamp(end.min(self.len), self.len);
        fallocate(&self.file, done as u64, (to - done) as u64)?;
        self.reserved.store(to, Ordering::Release);
        Ok(())
    }

    /// The first hole at or after `pos` (`lseek(SEEK_HOLE)`), capped at the file length: bytes in
    /// `[pos, data_end)` are data and can be read through the mapping without the filesystem
    /// allocating anything. The length when the filesystem cannot tell.
    pub fn data_end(&self, pos: usize) -> usize {
        if pos >= self.len {
            return self.len;
        }
        match seek(&self.file, pos, libc::SEEK_HOLE) {
            Ok(h) => h.clamp(pos, self.len),
            Err(_) => self.len,
        }
    }

    /// The first data byte at or after `pos` (`lseek(SEEK_DATA)`); `None` when only holes
    /// follow. `pos` itself when the filesystem cannot tell.
    pub fn next_data(&self, pos: usize) -> Option<usize> {
        if pos >= self.len {
            return None;
        }
        match seek(&self.file, pos, libc::SEEK_DATA) {
            Ok(d) if d < self.len => Some(d.max(pos)),
            Ok(_) => None,
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => None,
            Err(_) => Some(pos),
        }
    }

    /// `[pos, pos+len)` through the mapping when it is all data, else copied with `pread`, which
    /// reads holes as zeros without allocating them (a mapped read of a hole on a full tmpfs is a
    /// SIGBUS). For reads that may reach past the written data.
    pub fn read_safe(&self, pos: usize, len: usize) -> io::Result<Cow<'_, [u8]>> {
        self.check(pos, len);
        if len == 0 || self.data_end(pos) >= pos + len {
            return Ok(Cow::Borrowed(self.read(pos, len)));
        }
        let mut buf = vec![0u8; len];
        self.file.read_exact_at(&mut buf, pos as u64)?;
        Ok(Cow::Owned(buf))
    }

    /// Whether any byte of `[pos, pos+len)` is nonzero, reading only its data regions (holes are
    /// zeros).
    pub fn any_nonzero(&self, pos: usize, len: usize) -> bool {
        self.check(pos, len);
        let end = pos + len;
        let mut at = pos;
        while let Some(start) = self.next_data(at).filter(|d| *d < end) {
            let stop = self.data_end(start).min(end);
            if stop <= start {
                // The filesystem reports data but no hole after it: read to the end.
                return self.read(start, end - start).iter().any(|b| *b != 0);
            }
            if self.read(start, stop - start).iter().any(|b| *b != 0) {
                return true;
            }
            at = stop;
        }
        false
    }

    fn check(&self, pos: usize, len: usize) {
        assert!(
            pos.checked_add(len).is_some_and(|end| end <= self.len),
            "range out of mapping"
        );
    }

    /// Give the writer a mutable view of `[pos, pos+len)`. Only the single writer of this file
    /// calls this, and only for bytes not yet published to readers (module doc).
    pub fn write_with<R>(&self, pos: usize, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        self.check(pos, len);
        // SAFETY: in bounds (checked); the writer discipline guarantees no other reference to
        // these bytes exists while the closure runs.
        let slice = unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr().add(pos), len) };
        f(slice)
    }

    /// Copy `data` to `pos` (writer only).
    pub fn write(&self, pos: usize, data: &[u8]) {
        self.write_with(pos, data.len(), |dst| dst.copy_from_slice(data));
    }

    /// Read published bytes.
    pub fn read(&self, pos: usize, len: usize) -> &[u8] {
        self.check(pos, len);
        // SAFETY: in bounds; readers only ask for published bytes, which no writer touches.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(pos), len) }
    }

    /// A zero-copy `Bytes` view of published bytes that keeps the mapping alive.
    pub fn bytes(self: &Arc<Self>, pos: usize, len: usize) -> Bytes {
        self.check(pos, len);
        Bytes::from_owner(MapView {
            file: Arc::clone(self),
            pos,
            len,
        })
    }

    /// Whether every page of `[pos, pos+len)` is resident in the page cache (`mincore`), as Java
    /// 5.3.3 `DefaultMappedFile.isLoaded`; true when the kernel cannot tell (Java: true on error).
    pub fn is_resident(&self, pos: usize, len: usize) -> bool {
        self.check(pos, len);
        let page = page_size();
        let addr = self.map.as_ptr() as usize + pos;
        let start = addr / page * page;
        let span = addr + len.max(1) - start;
        let mut vec = vec![0u8; span.div_ceil(page)];
        // SAFETY: [start, start+span) lies within this mapping (the mapping starts on a page
        // boundary, so rounding down stays inside it); `vec` has one byte per page of the span.
        let rc = unsafe { libc::mincore(start as *mut libc::c_void, span, vec.as_mut_ptr()) };
        rc != 0 || vec.iter().all(|v| v & 1 != 0)
    }

    /// Take the whole pages inside `[pos, pos+len)` out of this process's resident set
    /// (`madvise(MADV_DONTNEED)`), keeping the data: used to bound the broker's RSS to a window
    /// of hot pages while cold segment bytes stay mapped. The start is rounded up and the end
    /// down to page boundaries (the mapping's own end counts as one), so a partly covered page
    /// is kept.
    ///
    /// Why this loses nothing: madvise(2) says that after MADV_DONTNEED, accesses to the range
    /// "will succeed, but will result in ... repopulating the memory contents from the
    /// up-to-date contents of the underlying mapped file (for shared file mappings ...)". This
    /// mapping is MAP_SHARED over a regular file, so its pages *are* the file's page cache:
    /// dropping our page-table entries frees no page-cache page (the kernel moves a PTE's dirty
    /// bit onto the page as it unmaps it, so dirty data is still written back, and a later
    /// msync/fsync still persists it), and the next read or write of the range takes a minor
    /// fault back onto the same page. Any `&[u8]`/`Bytes` view of the range stays valid and
    /// sees identical bytes; a concurrent writer or reader only pays that fault. (Only for
    /// private or anonymous mappings would MADV_DONTNEED discard data; we never make those.)
    pub fn release_resident(&self, pos: usize, len: usize) -> io::Result<()> {
        self.check(pos, len);
        let page = page_size();
        let start = pos.div_ceil(page) * page;
        let end = if pos + len == self.len {
            self.len
        } else {
            (pos + len) / page * page
        };
        if end <= start {
            return Ok(());
        }
        // SAFETY: [start, end) lies inside this live mapping and `start` is page-aligned (the
        // mapping starts on a page boundary). MADV_DONTNEED on a shared file mapping keeps the
        // contents (doc above), so every reference into the mapping stays valid.
        let rc = unsafe {
            libc::madvise(
                self.map.as_mut_ptr().add(start).cast::<libc::c_void>(),
                end - start,
                libc::MADV_DONTNEED,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Read-ahead for the whole mapping (Java `CommitLog.setFileReadMode`): `madvise`
    /// MADV_NORMAL when enabled, MADV_RANDOM when not.
    pub fn set_read_ahead(&self, enabled: bool) -> io::Result<()> {
        let advice = if enabled {
            memmap2::Advice::Normal
        } else {
            memmap2::Advice::Random
        };
        self.map.advise(advice)
    }

    /// msync `[pos, pos+len)` to disk.
    pub fn flush_range(&self, pos: usize, len: usize) -> io::Result<()> {
        self.check(pos, len);
        if len == 0 {
            return Ok(());
        }
        self.map.flush_range(pos, len)
    }

    /// msync the whole mapping.
    pub fn flush(&self) -> io::Result<()> {
        self.map.flush()
    }

    /// File modification time (used by time-based clean-up like Java's `lastModified`).
    pub fn modified_ms(&self) -> io::Result<i64> {
        let m = self.file.metadata()?.modified()?;
        Ok(m.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64))
    }
}

#[cfg(test)]
impl MappedFile {
    /// Bytes from the start whose blocks are known to be reserved.
    pub(crate) fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Acquire)
    }

    /// Whether the kernel reads ahead on faults in this mapping: its `/proc/self/smaps` entry
    /// lacks the `rr` (`MADV_RANDOM`) flag.
    #[allow(clippy::unwrap_used)]
    pub(crate) fn reads_ahead(&self) -> bool {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let start = format!("{:x}-", self.map.as_ptr() as usize);
        let entry = smaps
            .split_inclusive('\n')
            .skip_while(|l| !l.starts_with(&start))
            .find(|l| l.starts_with("VmFlags:"))
            .unwrap();
        !entry.split_whitespace().any(|f| f == "rr")
    }

    /// How many pages of `[pos, pos+len)` are in this process's page tables (the present bit of
    /// `/proc/self/pagemap`, readable without privilege).
    #[allow(clippy::unwrap_used)]
    pub(crate) fn present_pages(&self, pos: usize, len: usize) -> usize {
        use std::io::{Read, Seek, SeekFrom};
        let page = page_size();
        let mut pm = File::open("/proc/self/pagemap").unwrap();
        let first = (self.map.as_ptr() as usize + pos) / page;
        let n = (self.map.as_ptr() as usize + pos + len).div_ceil(page) - first;
        pm.seek(SeekFrom::Start((first * 8) as u64)).unwrap();
        let mut buf = vec![0u8; n * 8];
        pm.read_exact(&mut buf).unwrap();
        buf.chunks(8)
            .filter(|e| u64::from_le_bytes((*e).try_into().unwrap()) >> 63 == 1)
            .count()
    }
}

/// The owner behind a `Bytes` view of a mapping.
struct MapView {
    file: Arc<MappedFile>,
    pos: usize,
    len: usize,
}

impl AsRef<[u8]> for MapView {
    fn as_ref(&self) -> &[u8] {
        self.file.read(self.pos, self.len)
    }
}

/// Reserve the blocks of `[0, len)` of a file that is written with `pwrite` rather than mapped
/// (the checkpoint), so its writes need no new space on a full disk.
pub fn reserve_file(file: &File, len: u64) -> io::Result<()> {
    fallocate(file, 0, len)
}

fn fallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let too_large = || io::Error::new(io::ErrorKind::InvalidInput, "range too large");
    let offset = libc::off_t::try_from(offset).map_err(|_| too_large())?;
    let len = libc::off_t::try_from(len).map_err(|_| too_large())?;
    // SAFETY: plain syscall on an fd we own.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), offset, len) };
    match rc {
        0 => Ok(()),
        // glibc emulates fallocate where the filesystem lacks it; these remain for files it
        // cannot emulate on, which stay sparse (nothing better can be done there).
        libc::EOPNOTSUPP | libc::EINVAL => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

/// `lseek(fd, pos, whence)` for SEEK_DATA/SEEK_HOLE. The file position it moves is never used:
/// every other access is positioned (`pread`) or mapped.
fn seek(file: &File, pos: usize, whence: libc::c_int) -> io::Result<usize> {
    let pos = libc::off_t::try_from(pos)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
    // SAFETY: plain syscall on an fd we own.
    let rc = unsafe { libc::lseek(file.as_raw_fd(), pos, whence) };
    usize::try_from(rc).map_err(|_| io::Error::last_os_error())
}

/// Take an exclusive fcntl record lock on byte 0 of `file`, as Java's
/// `FileChannel.tryLock(0, 1, false)` does. We use an open-file-description lock
/// (`F_OFD_SETLK`), which conflicts with Java's classic POSIX lock held by another process and,
/// unlike a classic lock, also with a second open of the same store inside this process.
/// Returns `Ok(false)` if someone else holds it. The lock lives as long as `file` stays open.
pub fn try_lock_byte0(file: &File) -> io::Result<bool> {
    // SAFETY: zeroed flock is a valid value; fields set below.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = 0;
    fl.l_len = 1;
    fl.l_pid = 0;
    // SAFETY: fcntl with a valid fd and a pointer to a live flock struct.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &fl) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EAGAIN) => Ok(false),
        _ => Err(err),
    }
}

/// Space of the filesystem holding a path, in bytes, as Java's `File` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// `getTotalSpace`.
    pub total: u64,
    /// `getFreeSpace`: free blocks, including those kept for root.
    pub free: u64,
    /// `getUsableSpace`: blocks an unprivileged writer may use.
    pub usable: u64,
}

/// [`DiskSpace`] of the filesystem holding `path`; `None` when it cannot be measured.
pub fn disk_space(path: &Path) -> Option<DiskSpace> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: zeroed statvfs is valid; statvfs writes into it.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid C string and out-pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let bytes =
        |blocks| u64::try_from(u128::from(blocks) * u128::from(st.f_frsize)).unwrap_or(u64::MAX);
    Some(DiskSpace {
        total: bytes(st.f_blocks),
        free: bytes(st.f_bfree),
        usable: bytes(st.f_bavail),
    })
}

/// Used share of the filesystem holding `path`, as Java's `UtilAll.getDiskPartitionSpaceUsedPercent`
/// computes it: `used = total − free` over `used + usable` (usable leaves out the blocks kept for
/// root), rounded up to a whole percent, as a fraction (0.96); -1 when the path does not exist or
/// cannot be measured.
pub fn disk_used_ratio(path: &Path) -> f64 {
    let Some(d) = disk_space(path) else {
        return -1.0;
    };
    let used = u128::from(d.total.saturating_sub(d.free));
    let entire = used + u128::from(d.usable);
    if d.total == 0 || entire == 0 {
        return -1.0;
    }
    let percent = (used * 100).div_ceil(entire);
    percent as f64 / 100.0
}

/// Broken-down local time.
#[derive(Debug, Clone, Copy)]
pub struct LocalTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// Local time of an epoch-millisecond instant (`localtime_r`), for index file names and
/// `deleteWhen` hours, which Java computes in the JVM's default (local) zone.
pub fn local_time(epoch_ms: i64) -> LocalTime {
    let secs = epoch_ms.div_euclid(1000) as libc::time_t;
    // SAFETY: zeroed tm is valid; localtime_r fills it and is thread-safe.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: pointers to live locals.
    let res = unsafe { libc::localtime_r(&secs, &mut tm) };
    if res.is_null() {
        return LocalTime {
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
        };
    }
    LocalTime {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
    }
}

/// The OS page size (4 KiB if unknown).
fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|s| *s > 0)
        .unwrap_or(4096)
}

/// Total physical memory in bytes (for Java's "message in memory" estimate), from sysconf.
pub fn total_physical_memory() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || size <= 0 {
        return 8 << 30;
    }
    pages as u64 * size as u64
}

#[cfg(test)]
#[path = "mmap_tests.rs"]
mod tests;

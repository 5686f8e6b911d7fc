//! Test helpers: unique temporary directories removed on drop, a small filesystem to fill, and
//! a plain message to put.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::NewMessage;

/// A temporary directory, deleted when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Create `$TMPDIR/thrust-store-<tag>-<pid>-<n>`.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("thrust-store-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        if let Err(e) = std::fs::create_dir_all(&p) {
            panic!("create {}: {e}", p.display());
        }
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small tmpfs mounted on a temporary directory, for the disk-full tests: filled from outside
/// the store by a filler file, freed by removing it, unmounted on drop. Mounting needs root (or
/// CAP_SYS_ADMIN); [`SmallFs::mount`] panics saying so when it cannot.
///
/// Holders run one at a time in a process: `mount`/`umount` are child processes, and a child
/// forked while another thread's store reopens would inherit (and so keep) that store's lock.
pub struct SmallFs {
    mount: PathBuf,
    _dir: TempDir,
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl SmallFs {
    /// Mount a tmpfs of `bytes` bytes.
    pub fn mount(tag: &str, bytes: u64) -> SmallFs {
        static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        unmount_stale();
        let dir = TempDir::new(tag);
        let mount = dir.path().join("fs");
        if let Err(e) = std::fs::create_dir_all(&mount) {
            panic!("create {}: {e}", mount.display());
        }
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes}"))
            .arg("tmpfs")
            .arg(&mount)
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "this test needs a small filesystem it can fill: `mount -t tmpfs` on {} failed \
                 (run the tests as root or with CAP_SYS_ADMIN): {}",
                mount.display(),
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!("this test needs mount(8) to make a small filesystem: {e}"),
        }
        SmallFs {
            mount,
            _dir: dir,
            _serial: serial,
        }
    }

    pub fn path(&self) -> &Path {
        &self.mount
    }

    fn filler(&self) -> PathBuf {
        self.mount.join("filler")
    }

    /// Take every free byte with the filler file, as another process filling the disk would.
    /// Returns the filler's size.
    pub fn fill(&self) -> u64 {
        use std::io::Write;
        let path = self.filler();
        let mut f = match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) => panic!("open {}: {e}", path.display()),
        };
        for chunk in [1 << 20, 4096, 1] {
            let zeros = vec![0u8; chunk];
            while f.write_all(&zeros).is_ok() {}
        }
        let _ = f.sync_all();
        std::fs::metadata(&path).map_or(0, |m| m.len())
    }

    /// Take all but about `left` bytes (whole pages) with the filler file.
    pub fn fill_leaving(&self, left: u64) {
        let len = self.fill();
        let f = std::fs::OpenOptions::new().write(true).open(self.filler());
        if let Err(e) = f.and_then(|f| f.set_len(len.saturating_sub(left))) {
            panic!("shrink {}: {e}", self.filler().display());
        }
    }

    /// Give the space back.
    pub fn free(&self) {
        if let Err(e) = std::fs::remove_file(self.filler()) {
            panic!("remove {}: {e}", self.filler().display());
        }
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let done = std::process::Command::new("umount")
            .arg(&self.mount)
            .status()
            .is_ok_and(|s| s.success());
        if !done {
            // Still busy (a store dropped late): detach it now, the kernel frees it when idle.
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.mount)
                .status();
        }
    }
}

/// Unmount the filesystems of test processes that died without unmounting theirs (a test killed
/// by a signal runs no destructor): `$TMPDIR/thrust-store-<tag>-<pid>-<n>/fs` whose pid is gone.
fn unmount_stale() {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return;
    };
    let tmp = std::env::temp_dir();
    for point in mounts.lines().filter_map(|l| l.split(' ').nth(1)) {
        let point = Path::new(point);
        let Some(dir) = point.parent().filter(|d| d.parent() == Some(tmp.as_path())) else {
            continue;
        };
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let pid = name
            .as_deref()
            .filter(|n| n.starts_with("thrust-store-"))
            .and_then(|n| n.rsplit('-').nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(point)
                .status();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A message of `body` to `topic`, queue 0, with no properties or flags.
pub fn message(topic: &str, body: &'static [u8]) -> NewMessage {
    NewMessage {
        topic: topic.into(),
        queue_id: 0,
        flag: 0,
        body: bytes::Bytes::from_static(body),
        properties: String::new(),
        sys_flag: 0,
        born_timestamp: 0,
        born_host: std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
        store_host: std::net::SocketAddr::from(([127, 0, 0, 1], 2)),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

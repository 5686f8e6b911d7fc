//! ACL 1.0 as the 4.9.x broker enforces it with `aclEnable=true` (Java `rocketmq-acl`:
//! `PlainAccessValidator`, `PlainPermissionManager`, `AclFileWatchService`):
//!
//! ```text
//!   request ─▶ dispatch ─▶ auth::check ──refused──▶ SYSTEM_ERROR, "…AclException: <why>, <frame>"
//!                              │ (one place, before the table; the connection stays open)
//!                              └─admitted──▶ the handler
//! ```
//! * [`plain`]: the files and accounts. [`address`]: white-address patterns. [`sign`]: the
//!   HMAC-SHA1 signature. [`permission`]: permission bits and admin-only codes.
//!   [`validator`]: one request's needs and the decision. [`admin`]: request codes 50–53.
//! * The files are `<rocketmqHome>/conf/acl/**/*.yml` and `<rocketmqHome>/conf/plain_acl.yml`;
//!   they are read again within a second of a change, as Java's watcher does every 5 s.
//!
//! Where Thrust differs: a file that does not parse stops the start (Java then runs without ACL
//! at all) and, on reload, leaves the previous tables in force; a reload re-reads every file
//! (Java re-reads only the changed one); the JVM property `rocketmq.acl.plain.file` has no
//! counterpart, the default file is always `conf/plain_acl.yml`.

pub mod address;
pub mod admin;
pub mod permission;
pub mod plain;
pub mod sign;
pub mod v2;
pub mod validator;
mod yaml;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use remoting::{Command, Connection};

use crate::broker::Broker;
use crate::error::Reject;
use crate::persist::now_millis;
use plain::{Tables, Version};

/// What a file looked like when last read: path, modification time, length.
type Stamp = Vec<(PathBuf, Option<SystemTime>, u64)>;

/// The ACL state of a broker with `aclEnable=true`.
pub struct Acl {
    acl_dir: PathBuf,
    default_file: PathBuf,
    tables: RwLock<Arc<Tables>>,
    /// Java's deprecated single `dataVersion` (GET_BROKER_CLUSTER_ACL_INFO `version`): the
    /// default file's, or the start time's when that file has none.
    legacy_version: Mutex<Version>,
    /// The files as last read; also serializes reloads.
    files: Mutex<Stamp>,
    /// Serializes the admin rewrites (Java's `synchronized` handlers).
    admin_lock: Mutex<()>,
}

impl Acl {
    /// Reads the ACL files under `home` (Java `PlainPermissionManager` constructor), creating an
    /// empty default file when there is none.
    pub fn open(home: &Path) -> Result<Acl, String> {
        let acl_dir = home.join("conf").join("acl");
        let default_file = home.join("conf").join("plain_acl.yml");
        if !default_file.exists() {
            std::fs::write(&default_file, b"")
                .map_err(|e| format!("creating {}: {e}", default_file.display()))?;
        }
        let acl = Acl {
            acl_dir,
            default_file,
            tables: RwLock::new(Arc::default()),
            legacy_version: Mutex::new(Version {
                timestamp: now_millis(),
                counter: 0,
            }),
            files: Mutex::new(Vec::new()),
            admin_lock: Mutex::new(()),
        };
        acl.reload()?;
        Ok(acl)
    }

    fn tables(&self) -> Arc<Tables> {
        self.tables
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reads every file again and swaps the tables in.
    fn reload(&self) -> Result<(), String> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let list = plain::acl_files(&self.acl_dir, &self.default_file);
        let stamp = stamp(&list);
        let t = plain::load(list, now_millis())?;
        if let Some((_, v)) = t.versions.iter().find(|(p, _)| *p == self.default_file) {
            *self
                .legacy_version
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = *v;
        }
        *self.tables.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(t);
        *files = stamp;
        Ok(())
    }

    /// Reloads when a file changed, appeared or went away (Java `AclFileWatchService`).
    pub fn reload_if_changed(&self) {
        let now = stamp(&plain::acl_files(&self.acl_dir, &self.default_file));
        if *self.files.lock().unwrap_or_else(|e| e.into_inner()) == now {
            return;
        }
        match self.reload() {
            Ok(()) => tracing::info!("ACL files reloaded"),
            Err(e) => tracing::warn!(error = %e, "ACL files not reloaded, the previous ones stay"),
        }
    }

    /// Java's broker RPC hook: `validate(parse(request, remoteAddr))`.
    pub fn admit(&self, req: &Command, peer: std::net::IpAddr) -> Result<(), validator::Denied> {
        let needed = validator::parse(req)?;
        validator::validate(&self.tables(), req, &needed, &address::java_host(peer))
    }
}

fn stamp(files: &[PathBuf]) -> Stamp {
    files
        .iter()
        .map(|p| {
            let meta = std::fs::metadata(p).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            (p.clone(), modified, meta.map_or(0, |m| m.len()))
        })
        .collect()
}

/// The one ACL or auth check of a request, made before the dispatch table; `Some` is the
/// refusal.
pub fn check(b: &Broker, conn: &Connection, req: &Command) -> Option<Reject> {
    if let Some(auth) = &b.auth {
        return match auth.check(req, conn.peer().ip()) {
            Ok(()) => None,
            Err(why) => {
                tracing::debug!(code = req.code, peer = %conn.peer(), reason = %why, "auth refused");
                Some(Reject::no_permission(why))
            }
        };
    }
    let acl = b.acl.as_ref()?;
    match acl.admit(req, conn.peer().ip()) {
        Ok(()) => None,
        Err(d) => {
            // The message names the access key at most; secrets and signatures never.
            tracing::debug!(code = req.code, peer = %conn.peer(), reason = %d.message, "ACL refused");
            Some(Reject::system(d.remark()))
        }
    }
}

/// Polls the ACL files once a second while the broker runs.
pub fn spawn_watcher(b: &Arc<Broker>) {
    if b.acl.is_none() {
        return;
    }
    let bc = b.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        while !bc.is_shutting_down() {
            tick.tick().await;
            if let Some(acl) = bc.acl.clone() {
                let _ = tokio::task::spawn_blocking(move || acl.reload_if_changed()).await;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use remoting::code::request as rq;

    fn home(tag: &str, file: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("thrust-acl-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("conf/acl/team")).unwrap();
        std::fs::write(dir.join("conf/plain_acl.yml"), file).unwrap();
        dir
    }

    fn signed(ak: &str, sk: &str) -> Command {
        let mut req = Command::request(rq::GET_ALL_TOPIC_CONFIG).with_ext(sign::ACCESS_KEY, ak);
        let s = sign::sign(&req, sk);
        req.ext_fields.insert(sign::SIGNATURE, s);
        req
    }

    const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn files_under_conf_acl_count_and_the_first_definition_wins() {
        let dir = home(
            "multi",
            "accounts:\n- accessKey: sharedKey\n  secretKey: fromDefault\n",
        );
        std::fs::write(
            dir.join("conf/acl/team/a.yml"),
            "accounts:\n- accessKey: sharedKey\n  secretKey: fromAclDir\n- accessKey: teamUser1\n  secretKey: teamSecret\n",
        )
        .unwrap();
        let acl = Acl::open(&dir).unwrap();
        assert!(acl.admit(&signed("teamUser1", "teamSecret"), LOCAL).is_ok());
        assert!(acl.admit(&signed("sharedKey", "fromAclDir"), LOCAL).is_ok());
        assert!(acl
            .admit(&signed("sharedKey", "fromDefault"), LOCAL)
            .is_err());
    }

    #[test]
    fn a_broken_file_on_reload_keeps_the_previous_accounts() {
        let dir = home(
            "broken",
            "accounts:\n- accessKey: keptUser1\n  secretKey: keptSecret\n",
        );
        let acl = Acl::open(&dir).unwrap();
        std::fs::write(dir.join("conf/plain_acl.yml"), "accounts: [unclosed\n").unwrap();
        acl.reload_if_changed();
        assert!(acl.admit(&signed("keptUser1", "keptSecret"), LOCAL).is_ok());
        assert!(Acl::open(&dir).is_err(), "a broken file stops a start");
    }

    #[test]
    fn a_missing_default_file_is_created_empty() {
        let dir = home("create", "");
        std::fs::remove_file(dir.join("conf/plain_acl.yml")).unwrap();
        let acl = Acl::open(&dir).unwrap();
        assert!(dir.join("conf/plain_acl.yml").exists());
        let d = acl
            .admit(&Command::request(rq::GET_ALL_TOPIC_CONFIG), LOCAL)
            .unwrap_err();
        assert_eq!(d.message, "No accessKey is configured");
    }
}

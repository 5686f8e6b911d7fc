//! The ACL admin requests of 4.9.x (Java `AdminBrokerProcessor` over `PlainPermissionManager`):
//! UPDATE_AND_CREATE_ACL_CONFIG (50), DELETE_ACL_CONFIG (51), GET_BROKER_CLUSTER_ACL_INFO (52)
//! and UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53). Each change rewrites the file that holds the
//! account (a new one goes to `conf/plain_acl.yml`), bumps that file's `dataVersion` and reloads.
//! Only the ACL files the broker already reads are written: a path in a request is compared
//! with them and never opened itself.
//!
//! With `aclEnable=false` the codes are unknown, as on the 5.3.3 broker.

use std::path::Path;

use remoting::code::request as rq;
use remoting::code::response as rc;
use remoting::headers::admin::{
    CreateAccessConfigRequestHeader, DeleteAccessConfigRequestHeader,
    GetBrokerAclConfigResponseHeader, UpdateGlobalWhiteAddrsConfigRequestHeader,
};
use remoting::Command;
use yaml_rust2::yaml::Hash;
use yaml_rust2::Yaml;

use super::permission::check_resource_perms;
use super::plain::{build_account, file_version, AccessConfig, Version};
use super::{yaml, Acl};
use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::persist::now_millis;

/// Codes 50–53, whose refusals may carry a secret key (never logged).
pub fn is_acl_admin(code: i32) -> bool {
    matches!(
        code,
        rq::UPDATE_AND_CREATE_ACL_CONFIG
            | rq::DELETE_ACL_CONFIG
            | rq::GET_BROKER_CLUSTER_ACL_INFO
            | rq::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG
    )
}

fn acl(b: &Broker, code: i32) -> Result<&Acl, Reject> {
    b.acl.as_deref().ok_or(Reject::NotSupported(code))
}

/// UPDATE_AND_CREATE_ACL_CONFIG (50).
pub fn update_access_config(b: &Broker, req: Command) -> Reply {
    let acl = acl(b, req.code)?;
    let h: CreateAccessConfigRequestHeader = req.decode_header()?;
    let cfg = AccessConfig {
        access_key: h.access_key,
        secret_key: h.secret_key,
        white_remote_address: h.white_remote_address,
        admin: h.admin,
        default_topic_perm: h.default_topic_perm,
        default_group_perm: h.default_group_perm,
        topic_perms: h.topic_perms.as_deref().map(java_split),
        group_perms: h.group_perms.as_deref().map(java_split),
    };
    match acl.update_account(&cfg) {
        Ok(()) => Ok(Command::response(rc::SUCCESS, None)),
        Err(e) => Err(Reject::code(rc::UPDATE_AND_CREATE_ACL_CONFIG_FAILED, e)),
    }
}

/// DELETE_ACL_CONFIG (51).
pub fn delete_access_config(b: &Broker, req: Command) -> Reply {
    let acl = acl(b, req.code)?;
    let h: DeleteAccessConfigRequestHeader = req.decode_header()?;
    let ak = h.access_key.as_deref();
    match acl.delete_account(ak.unwrap_or_default()) {
        Ok(true) => Ok(Command::response(rc::SUCCESS, None)),
        Ok(false) => Err(Reject::code(
            rc::DELETE_ACL_CONFIG_FAILED,
            format!(
                "The accesskey[{}] corresponding to accessConfig has been deleted failed.",
                ak.unwrap_or("null")
            ),
        )),
        Err(e) => Err(Reject::code(rc::DELETE_ACL_CONFIG_FAILED, e)),
    }
}

/// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53).
pub fn update_global_white_addrs(b: &Broker, req: Command) -> Reply {
    let acl = acl(b, req.code)?;
    let h: UpdateGlobalWhiteAddrsConfigRequestHeader = req.decode_header()?;
    let path = h.acl_file_full_path.unwrap_or_default();
    let updated = match &h.global_white_addrs {
        Some(addrs) => acl.update_global_white(&java_split(addrs), &path),
        None => Ok(false),
    };
    match updated {
        Ok(true) => Ok(Command::response(rc::SUCCESS, None)),
        Ok(false) => Err(Reject::code(
            rc::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED,
            format!(
                "The globalWhiteAddresses[{}] has been updated failed.",
                h.global_white_addrs.as_deref().unwrap_or("null")
            ),
        )),
        Err(e) => Err(Reject::code(rc::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, e)),
    }
}

/// GET_BROKER_CLUSTER_ACL_INFO (52): the version of every ACL file.
pub fn cluster_acl_info(b: &Broker, code: i32) -> Reply {
    let acl = acl(b, code)?;
    let cfg = b.config();
    let t = acl.tables();
    let json = |v: &Version| {
        format!(
            "{{\"counter\":{},\"timestamp\":{}}}",
            v.counter, v.timestamp
        )
    };
    let all: Vec<String> = t
        .versions
        .iter()
        .map(|(p, v)| {
            format!(
                "{}:{}",
                serde_json::Value::from(p.to_string_lossy()),
                json(v)
            )
        })
        .collect();
    let legacy = *acl.legacy_version.lock().unwrap_or_else(|e| e.into_inner());
    let h = GetBrokerAclConfigResponseHeader {
        version: json(&legacy),
        all_acl_file_version: Some(format!("{{{}}}", all.join(","))),
        broker_name: cfg.broker_name.clone(),
        broker_addr: cfg.broker_addr(),
        cluster_name: cfg.broker_cluster_name.clone(),
    };
    Ok(Command::response(rc::SUCCESS, None).with_header(&h))
}

/// Java `UtilAll.split` (`String.split(",")`: trailing empty pieces dropped).
fn java_split(s: &str) -> Vec<String> {
    let mut parts: Vec<String> = s.split(',').map(str::to_string).collect();
    while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
        parts.clear();
    }
    parts
}

impl Acl {
    /// Java `PlainPermissionManager.updateAccessConfig`.
    fn update_account(&self, cfg: &AccessConfig) -> Result<(), String> {
        build_account(cfg)?;
        check_resource_perms(cfg.topic_perms.as_deref().unwrap_or_default())?;
        check_resource_perms(cfg.group_perms.as_deref().unwrap_or_default())?;
        let ak = cfg.access_key.clone().unwrap_or_default();
        let _g = self.admin_lock.lock().unwrap_or_else(|e| e.into_inner());
        let owner = self.tables().accounts.get(&ak).map(|(f, _)| f.clone());
        let file = owner.clone().unwrap_or_else(|| self.default_file.clone());
        let mut doc = as_map(yaml::read_file(&file)?);
        let accounts = list_entry(&mut doc, "accounts").ok_or("accounts is not a list")?;
        let found = accounts
            .iter()
            .position(|a| yaml::scalar(&a["accessKey"]).as_deref() == Some(&ak));
        match (owner.is_some(), found) {
            (true, Some(i)) => {
                let existing = accounts.remove(i);
                accounts.push(account_map(Some(existing), cfg)?);
            }
            (true, None) => {}
            (false, _) => accounts.push(account_map(None, cfg)?),
        }
        self.write(&file, doc)
    }

    /// Java `PlainPermissionManager.deleteAccessConfig`.
    fn delete_account(&self, ak: &str) -> Result<bool, String> {
        if ak.is_empty() {
            return Ok(false);
        }
        let _g = self.admin_lock.lock().unwrap_or_else(|e| e.into_inner());
        let Some((file, _)) = self.tables().accounts.get(ak).cloned() else {
            return Ok(false);
        };
        let mut doc = yaml::read_file(&file)?;
        if !matches!(&doc, Yaml::Hash(h) if !h.is_empty()) {
            return Ok(true);
        }
        let Some(accounts) = list_entry(&mut doc, "accounts") else {
            return Ok(false);
        };
        let Some(i) = accounts
            .iter()
            .position(|a| yaml::scalar(&a["accessKey"]).as_deref() == Some(ak))
        else {
            return Ok(false);
        };
        accounts.remove(i);
        self.write(&file, doc).map(|()| true)
    }

    /// Java `PlainPermissionManager.updateGlobalWhiteAddrsConfig(list, fileName)`.
    fn update_global_white(&self, addrs: &[String], requested: &str) -> Result<bool, String> {
        let _g = self.admin_lock.lock().unwrap_or_else(|e| e.into_inner());
        let file = if requested.is_empty() {
            self.default_file.clone()
        } else {
            let known = self.tables().files.clone();
            match known
                .into_iter()
                .chain([self.default_file.clone()])
                .find(|f| f == Path::new(requested))
            {
                Some(f) => f,
                None => {
                    tracing::warn!(
                        path = requested,
                        "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG names no ACL file of this broker"
                    );
                    return Ok(false);
                }
            }
        };
        let mut doc = as_map(yaml::read_file(&file)?);
        let list = Yaml::Array(addrs.iter().cloned().map(Yaml::String).collect());
        put(&mut doc, "globalWhiteRemoteAddresses", list);
        self.write(&file, doc).map(|()| true)
    }

    /// Bumps the file's `dataVersion` (Java `updateAclConfigFileVersion`), writes it and reloads.
    fn write(&self, file: &Path, mut doc: Yaml) -> Result<(), String> {
        let old = file_version(&doc).unwrap_or(Version {
            timestamp: 0,
            counter: 0,
        });
        let mut v = Hash::new();
        v.insert(
            Yaml::String("counter".into()),
            Yaml::Integer(old.counter + 1),
        );
        v.insert(
            Yaml::String("timestamp".into()),
            Yaml::Integer(now_millis()),
        );
        put(&mut doc, "dataVersion", Yaml::Array(vec![Yaml::Hash(v)]));
        yaml::write_file(file, &doc).map_err(|e| format!("{}: {e}", file.display()))?;
        self.reload()
    }
}

/// Java `PlainPermissionManager.createAclAccessConfigMap`: the given fields over the old ones.
fn account_map(existing: Option<Yaml>, c: &AccessConfig) -> Result<Yaml, String> {
    let mut m = as_map(existing.unwrap_or(Yaml::Null));
    let ak = c.access_key.clone().unwrap_or_default();
    if ak.chars().count() <= 6 {
        return Err(format!(
            "The accessKey={ak} cannot be null and length should longer than 6"
        ));
    }
    put(&mut m, "accessKey", Yaml::String(ak));
    if let Some(sk) = c.secret_key.as_ref().filter(|s| !s.is_empty()) {
        if sk.chars().count() <= 6 {
            return Err(format!(
                "The secretKey={sk} value length should longer than 6"
            ));
        }
        put(&mut m, "secretKey", Yaml::String(sk.clone()));
    }
    if let Some(w) = &c.white_remote_address {
        put(&mut m, "whiteRemoteAddress", Yaml::String(w.clone()));
    }
    put(&mut m, "admin", Yaml::Boolean(c.admin));
    let text = |key: &str, v: &Option<String>, m: &mut Yaml| {
        if let Some(s) = v.as_ref().filter(|s| !s.is_empty()) {
            put(m, key, Yaml::String(s.clone()));
        }
    };
    text("defaultTopicPerm", &c.default_topic_perm, &mut m);
    text("defaultGroupPerm", &c.default_group_perm, &mut m);
    let list = |l: &Vec<String>| Yaml::Array(l.iter().cloned().map(Yaml::String).collect());
    if let Some(l) = &c.topic_perms {
        put(&mut m, "topicPerms", list(l));
    }
    if let Some(l) = &c.group_perms {
        put(&mut m, "groupPerms", list(l));
    }
    Ok(m)
}

fn as_map(y: Yaml) -> Yaml {
    match y {
        Yaml::Hash(_) => y,
        _ => Yaml::Hash(Hash::new()),
    }
}

/// Sets `key`, keeping its place when present.
fn put(doc: &mut Yaml, key: &str, value: Yaml) {
    if let Yaml::Hash(h) = doc {
        let k = Yaml::String(key.into());
        match h.get_mut(&k) {
            Some(v) => *v = value,
            None => {
                h.insert(k, value);
            }
        }
    }
}

/// The list under `key` of a map, made one when absent or not a list.
fn list_entry<'a>(doc: &'a mut Yaml, key: &str) -> Option<&'a mut Vec<Yaml>> {
    if !matches!(&doc[key], Yaml::Array(_)) {
        put(doc, key, Yaml::Array(Vec::new()));
    }
    match doc {
        Yaml::Hash(h) => match h.get_mut(&Yaml::String(key.into())) {
            Some(Yaml::Array(a)) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

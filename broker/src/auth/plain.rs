//! The accounts of `plain_acl.yml` as the broker holds them (Java `PlainAccessConfig` read into
//! `PlainAccessResource`), and the file set of Java's `PlainPermissionManager` (4.9.x):
//!
//! ```text
//!   <rocketmqHome>/conf/acl/**/*.yml|yaml   every ACL file under the directory, then
//!   <rocketmqHome>/conf/plain_acl.yml       the default file (created empty if missing)
//!   globalWhiteRemoteAddresses: [pattern…]          accounts: [{accessKey, secretKey,
//!   whiteRemoteAddress, admin, defaultTopicPerm, defaultGroupPerm, topicPerms: [t=PERM…],
//!   groupPerms: [g=PERM…]}…]                        dataVersion: [{counter, timestamp}]
//! ```
//! An access key defined in two files counts only in the first one read, as in Java.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

use super::address::AddressPattern;
use super::permission::{parse_perm, split_tokens};
use super::yaml;

/// Java `MixAll.RETRY_GROUP_TOPIC_PREFIX`: group permissions live under the retry topic name.
pub const RETRY_PREFIX: &str = "%RETRY%";

/// One account as written in a file (Java `PlainAccessConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessConfig {
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub white_remote_address: Option<String>,
    pub admin: bool,
    pub default_topic_perm: Option<String>,
    pub default_group_perm: Option<String>,
    pub topic_perms: Option<Vec<String>>,
    pub group_perms: Option<Vec<String>>,
}

/// One account ready for checks (Java `PlainAccessResource` of the owner).
#[derive(Debug, Clone)]
pub struct Account {
    pub access_key: String,
    pub secret_key: String,
    pub white: AddressPattern,
    pub admin: bool,
    pub default_topic_perm: u8,
    pub default_group_perm: u8,
    /// Topics, and groups under their retry topic; empty is Java's null map.
    pub perms: HashMap<String, u8>,
}

/// Java `DataVersion` of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub timestamp: i64,
    pub counter: i64,
}

/// Everything the ACL files say, with where each access key came from.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub files: Vec<PathBuf>,
    pub accounts: HashMap<String, (PathBuf, Account)>,
    pub global_white: Vec<AddressPattern>,
    pub versions: Vec<(PathBuf, Version)>,
}

/// Java `PlainPermissionManager.checkPlainAccessConfig` and `buildPlainAccessResource`.
pub fn build_account(c: &AccessConfig) -> Result<Account, String> {
    let (ak, sk) = match (&c.access_key, &c.secret_key) {
        (Some(ak), Some(sk)) if ak.chars().count() > 6 && sk.chars().count() > 6 => (ak, sk),
        _ => {
            return Err(format!(
                "The accessKey={} and secretKey={} cannot be null and length should longer than 6",
                c.access_key.as_deref().unwrap_or("null"),
                c.secret_key.as_deref().unwrap_or("null")
            ))
        }
    };
    let mut perms = HashMap::new();
    add_perms(&mut perms, c.group_perms.as_deref(), false)?;
    add_perms(&mut perms, c.topic_perms.as_deref(), true)?;
    Ok(Account {
        access_key: ak.clone(),
        secret_key: sk.clone(),
        white: AddressPattern::parse(c.white_remote_address.as_deref().unwrap_or(""))?,
        admin: c.admin,
        default_topic_perm: parse_perm(c.default_topic_perm.as_deref()),
        default_group_perm: parse_perm(c.default_group_perm.as_deref()),
        perms,
    })
}

/// Java `Permission.parseResourcePerms`.
fn add_perms(
    perms: &mut HashMap<String, u8>,
    list: Option<&[String]>,
    topic: bool,
) -> Result<(), String> {
    for r in list.unwrap_or_default() {
        let items = split_tokens(r, '=');
        if items.len() != 2 {
            let kind = if topic { "topic" } else { "group" };
            return Err(format!("Parse resource permission failed for {kind}:{r}"));
        }
        let name = items[0].trim();
        let key = if topic {
            name.to_string()
        } else {
            format!("{RETRY_PREFIX}{name}")
        };
        perms.insert(key, parse_perm(Some(items[1].trim())));
    }
    Ok(())
}

/// The files Java reads: every `.yml`/`.yaml` under `acl_dir` (recursively, in directory
/// order), then `default_file` when it exists and is not among them.
pub fn acl_files(acl_dir: &Path, default_file: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(acl_dir, &mut out);
    if default_file.exists() && !out.iter().any(|p| p == default_file) {
        out.push(default_file.to_path_buf());
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.to_string_lossy();
        if name.ends_with(".yml") || name.ends_with(".yaml") {
            out.push(p);
        } else if p.is_dir() {
            collect(&p, out);
        }
    }
}

/// Reads every file into fresh tables (Java `PlainPermissionManager.load()`); `now` stamps the
/// version of a file that has none.
pub fn load(files: Vec<PathBuf>, now: i64) -> Result<Tables, String> {
    let mut t = Tables {
        files: files.clone(),
        ..Tables::default()
    };
    for f in files {
        let doc = yaml::read_file(&f)?;
        let version = file_version(&doc).unwrap_or(Version {
            timestamp: now,
            counter: 0,
        });
        t.versions.push((f.clone(), version));
        if is_empty(&doc) {
            continue;
        }
        for w in yaml::str_list(&doc["globalWhiteRemoteAddresses"]).unwrap_or_default() {
            t.global_white.push(AddressPattern::parse(&w)?);
        }
        for a in doc["accounts"]
            .as_vec()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let account = build_account(&access_config(a))?;
            if !t.accounts.contains_key(&account.access_key) {
                t.accounts
                    .insert(account.access_key.clone(), (f.clone(), account));
            } else {
                tracing::warn!(access_key = %account.access_key, "access key repeated in ACL files");
            }
        }
    }
    Ok(t)
}

fn is_empty(doc: &Yaml) -> bool {
    match doc {
        Yaml::Hash(h) => h.is_empty(),
        _ => true,
    }
}

/// The `dataVersion` a file records (first element), if any.
pub fn file_version(doc: &Yaml) -> Option<Version> {
    let v = doc["dataVersion"].as_vec()?.first()?;
    let num = |y: &Yaml| yaml::scalar(y).and_then(|s| s.parse::<i64>().ok());
    Some(Version {
        timestamp: num(&v["timestamp"]).unwrap_or(0),
        counter: num(&v["counter"]).unwrap_or(0),
    })
}

/// One `accounts` element as fastjson binds it to `PlainAccessConfig` (scalars become strings).
pub fn access_config(a: &Yaml) -> AccessConfig {
    AccessConfig {
        access_key: yaml::scalar(&a["accessKey"]),
        secret_key: yaml::scalar(&a["secretKey"]),
        white_remote_address: yaml::scalar(&a["whiteRemoteAddress"]),
        admin: yaml::scalar(&a["admin"]).is_some_and(|s| s == "true" || s == "1"),
        default_topic_perm: yaml::scalar(&a["defaultTopicPerm"]),
        default_group_perm: yaml::scalar(&a["defaultGroupPerm"]),
        topic_perms: yaml::str_list(&a["topicPerms"]),
        group_perms: yaml::str_list(&a["groupPerms"]),
    }
}

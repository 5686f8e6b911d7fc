//! Where users and ACLs live: `<storePathRootDir>/config/auth.json`, one file for both, written
//! through the broker's config-file discipline (`.tmp`, fsync, `.bak`, rename). Java 5.3.3
//! keeps them in two RocksDB directories beside it (`config/users`, `config/acls`), which
//! Thrust cannot read: a broker that finds them refuses to start rather than run without them.
//!
//! ```text
//!   {"users":[{"username":"u","password":"p","userType":"Normal","userStatus":"enable"}],
//!    "acls":[{"subject":"User:u","policies":[{"policyType":"Custom","entries":[
//!      {"resource":"Topic:t","actions":["Pub"],"sourceIps":["10.0.0.0/8"],"decision":"Allow"}]}]}]}
//! ```
//! Names are only keys inside the file; nothing from a request becomes a path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use super::model::{Acl, Action, Decision, Policy, PolicyEntry, PolicyType, Resource, User};
use crate::persist;

/// Java's `AclInfo.PolicyEntryInfo` (also the stored form).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EntryInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ips: Option<Vec<String>>,
}

/// Java's `AclInfo.PolicyInfo`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<EntryInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<String>,
}

/// Java's `AclInfo` body (fields in fastjson's order).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AclInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<PolicyInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// An entry as Java's `AclConverter` reads it: the parts it could not read stay `None`.
pub struct LooseEntry {
    pub resource: Option<Resource>,
    pub actions: Vec<Action>,
    pub source_ips: Vec<String>,
    pub decision: Option<Decision>,
}

impl AclInfo {
    /// Java `AclConverter.convertAcl(AclInfo)`: policies with their type (if named) and
    /// entries; a policy without entries is dropped, unknown actions are skipped.
    pub fn loose_policies(&self) -> Vec<(Option<PolicyType>, Vec<LooseEntry>)> {
        let mut out = Vec::new();
        for p in self.policies.iter().flatten() {
            let entries = p.entries.as_deref().unwrap_or_default();
            if entries.is_empty() {
                continue;
            }
            let kind = p.policy_type.as_deref().and_then(PolicyType::by_name);
            let entries = entries
                .iter()
                .map(|e| LooseEntry {
                    resource: e.resource.as_deref().and_then(Resource::parse),
                    actions: e
                        .actions
                        .iter()
                        .flatten()
                        .filter_map(|a| Action::by_name(a))
                        .collect(),
                    source_ips: e.source_ips.clone().unwrap_or_default(),
                    decision: e.decision.as_deref().and_then(Decision::by_name),
                })
                .collect();
            out.push((kind, entries));
        }
        out
    }

    /// Java `AclConverter.convertAcl(Acl)`.
    pub fn of(acl: &Acl) -> AclInfo {
        let policies = acl
            .policies
            .iter()
            .map(|p| PolicyInfo {
                policy_type: Some(p.policy_type.name().to_string()),
                entries: Some(p.entries.iter().map(entry_info).collect()),
            })
            .collect();
        AclInfo {
            subject: Some(acl.subject.clone()),
            policies: Some(policies),
        }
    }

    /// The stored form back into an ACL (entries that do not read are dropped).
    fn to_acl(&self) -> Option<Acl> {
        let policies = self
            .loose_policies()
            .into_iter()
            .map(|(kind, entries)| Policy {
                policy_type: kind.unwrap_or(PolicyType::Custom),
                entries: entries
                    .into_iter()
                    .filter_map(|e| {
                        Some(PolicyEntry {
                            resource: e.resource?,
                            actions: e.actions,
                            source_ips: e.source_ips,
                            decision: e.decision?,
                        })
                    })
                    .collect(),
            })
            .collect();
        Some(Acl {
            subject: self.subject.clone()?,
            policies,
        })
    }
}

fn entry_info(e: &PolicyEntry) -> EntryInfo {
    EntryInfo {
        resource: Some(e.resource.key()),
        actions: (!e.actions.is_empty())
            .then(|| e.actions.iter().map(|a| a.name().to_string()).collect()),
        source_ips: (!e.source_ips.is_empty()).then(|| e.source_ips.clone()),
        decision: Some(e.decision.name().to_string()),
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct FileForm {
    users: Vec<User>,
    acls: Vec<AclInfo>,
}

/// Users by name and ACLs by subject key, ordered as RocksDB iterates Java's (byte order).
#[derive(Default, Clone)]
pub struct Tables {
    pub users: BTreeMap<String, User>,
    pub acls: BTreeMap<String, Acl>,
}

/// The tables and their file. Changes are serialized by `writer` and applied to a copy that is
/// swapped in after the file is written, so request checks never wait on disk I/O.
pub struct Store {
    path: PathBuf,
    tables: RwLock<Arc<Tables>>,
    writer: Mutex<()>,
}

impl Store {
    /// Reads `<dir>/auth.json` (an absent file is empty tables).
    pub fn open(dir: &Path) -> Result<Store, String> {
        for java in ["users", "acls"] {
            if dir.join(java).is_dir() {
                return Err(format!(
                    "{} holds Java's RocksDB store of auth {java}, which Thrust cannot read; \
                     move it away and create the users and ACLs again with mqadmin",
                    dir.join(java).display()
                ));
            }
        }
        let path = dir.join("auth.json");
        let form = persist::load(&path, |t| serde_json::from_str::<FileForm>(t).ok())
            .map_err(|e| format!("{}: {e}", path.display()))?
            .unwrap_or_default();
        let mut t = Tables::default();
        for u in form.users {
            t.users.insert(u.username.clone(), u);
        }
        for a in form.acls.iter().filter_map(AclInfo::to_acl) {
            t.acls.insert(a.subject.clone(), a);
        }
        Ok(Store {
            path,
            tables: RwLock::new(Arc::new(t)),
            writer: Mutex::new(()),
        })
    }

    /// The tables as they are now.
    pub fn tables(&self) -> Arc<Tables> {
        self.tables
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies `f` to a copy of the tables; when it succeeds, writes the file and then lets
    /// the copy in. A failed write leaves the tables as they were.
    pub fn change<R, E: From<String>>(
        &self,
        f: impl FnOnce(&mut Tables) -> Result<R, E>,
    ) -> Result<R, E> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = Tables::clone(&self.tables());
        let r = f(&mut next)?;
        let form = FileForm {
            users: next.users.values().cloned().collect(),
            acls: next.acls.values().map(AclInfo::of).collect(),
        };
        let text = serde_json::to_string_pretty(&form).map_err(|e| e.to_string())?;
        persist::store(&self.path, &text).map_err(|e| format!("{}: {e}", self.path.display()))?;
        *self.tables.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        Ok(r)
    }
}

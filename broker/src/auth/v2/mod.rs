//! Authentication and authorization as the 5.3.x broker does them (Java `auth` module with its
//! default plug-ins: `DefaultAuthenticationProvider`, `DefaultAuthorizationProvider`, the
//! stateless strategies and the local metadata providers), for remoting clients:
//!
//! ```text
//!   request ─▶ authenticate ─▶ authorize ─▶ the dispatch table
//!              │ AccessKey = username, Signature = HMAC-SHA1 of the sorted ext fields ‖ body,
//!              │ keyed by the user's password (the 4.x AclClientRPCHook signature)
//!              └ refused: NO_PERMISSION (16), remark = Java's exception message
//!                           │ each resource+action the request needs ([`context`]):
//!                           │ Super users pass; else the user's ACL: matching CUSTOM entries,
//!                           │ else DEFAULT ones, the most specific first, DENY before ALLOW
//! ```
//! * [`model`]: users, ACLs and their matching. [`context`]: what each request code needs.
//!   [`store`]: the JSON file. [`admin`]: request codes 3001–3010.
//! * The admin codes work whenever the metadata providers are configured, as in Java, even with
//!   both checks off.

pub mod admin;
pub mod context;
pub mod model;
pub mod store;

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use remoting::Command;

use super::sign;
use crate::config::BrokerConfig;
use model::{compare_entries, java_sort, Action, Decision, PolicyType, Resource, User};
use model::{UserStatus, UserType};
use store::{Store, Tables};

/// Java `AuthenticationException` / `AuthorizationException` messages a check can end with.
pub const NO_AUTHN_PROVIDER: &str = "The authenticationMetadataProvider is not configured";
const NO_USERNAME: &str = "username cannot be null.";
const BAD_SIGNATURE: &str = "check signature failed.";
const AUTHZ_FAILED: &str = "Authorization failed. Please verify your access rights and try again.";
const PARSE_FAILED: &str = "parse authorization context error.";

/// The auth state of a broker: the switches, the whitelists and, when the metadata providers
/// are configured, the users and ACLs.
pub struct Auth {
    authentication: bool,
    authorization: bool,
    authentication_whitelist: Vec<String>,
    authorization_whitelist: Vec<String>,
    /// The cluster resource of cluster-wide requests (Java `AuthConfig.clusterName`).
    cluster: String,
    pub store: Option<Store>,
}

/// Java `StringUtils.split(list, ",")` with each item trimmed.
fn whitelist(list: &Option<String>) -> Vec<String> {
    list.as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().to_string())
        .collect()
}

fn set(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.trim().is_empty())
}

impl Auth {
    /// The auth state `config` asks for (`None` when it asks for nothing), with the initial
    /// users created (Java `AuthenticationMetadataManagerImpl.initUser`).
    pub fn open(config: &BrokerConfig) -> Result<Option<Arc<Auth>>, String> {
        let c = config;
        let metadata = (
            set(&c.authentication_metadata_provider),
            set(&c.authorization_metadata_provider),
        );
        let wanted = c.authentication_enabled
            || c.authorization_enabled
            || metadata.0
            || metadata.1
            || set(&c.init_authentication_user)
            || set(&c.inner_client_authentication_credentials);
        if !wanted {
            return Ok(None);
        }
        if metadata.0 != metadata.1 {
            return Err(
                "authenticationMetadataProvider and authorizationMetadataProvider are \
                set together or not at all: Thrust keeps users and ACLs in one store"
                    .into(),
            );
        }
        let store = match metadata.0 {
            true => Some(Store::open(
                &Path::new(&c.store_path_root_dir).join("config"),
            )?),
            false => None,
        };
        let auth = Auth {
            authentication: c.authentication_enabled,
            authorization: c.authorization_enabled,
            authentication_whitelist: whitelist(&c.authentication_whitelist),
            authorization_whitelist: whitelist(&c.authorization_whitelist),
            cluster: c.broker_cluster_name.clone(),
            store,
        };
        auth.init_users(c)?;
        Ok(Some(Arc::new(auth)))
    }

    fn init_users(&self, c: &BrokerConfig) -> Result<(), String> {
        let mut users = Vec::new();
        if let Some(text) = c
            .init_authentication_user
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            let u: User = serde_json::from_str(text)
                .map_err(|e| format!("initAuthenticationUser does not parse: {e}"))?;
            users.push(("initAuthenticationUser", u));
        }
        if let Some(text) = c
            .inner_client_authentication_credentials
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            let creds: InnerCredentials = serde_json::from_str(text)
                .map_err(|e| format!("innerClientAuthenticationCredentials does not parse: {e}"))?;
            let u = User {
                username: creds.access_key.unwrap_or_default(),
                password: creds.secret_key,
                user_type: None,
                user_status: None,
            };
            users.push(("innerClientAuthenticationCredentials", u));
        }
        for (key, mut user) in users {
            let Some(store) = &self.store else {
                return Err(format!(
                    "{key} needs authenticationMetadataProvider (Java fails the start with \
                     \"Init authentication user error.\")"
                ));
            };
            user.user_type = Some(UserType::Super);
            if store.tables().users.contains_key(&user.username) {
                continue;
            }
            admin::create_user(store, user).map_err(|e| format!("{key}: {}", e.1))?;
        }
        Ok(())
    }

    /// Java `AuthenticationPipeline` then `AuthorizationPipeline`: the refusal's remark.
    pub fn check(&self, req: &Command, peer: IpAddr) -> Result<(), String> {
        let code = req.code.to_string();
        let tables = self.store.as_ref().map(Store::tables);
        if self.authentication && !self.authentication_whitelist.contains(&code) {
            authenticate(tables.as_deref(), req)?;
        }
        if self.authorization && !self.authorization_whitelist.contains(&code) {
            let needs = context::needs(req, &self.cluster).map_err(|_| PARSE_FAILED)?;
            let ip = super::address::java_host(peer);
            let user = req.ext(sign::ACCESS_KEY);
            for (resource, actions) in &needs {
                authorize(tables.as_deref(), user, resource, actions, &ip)?;
            }
        }
        Ok(())
    }
}

/// The signature the broker puts on its own requests (NameServers, controllers, a slave's
/// master) under `innerClientAuthenticationCredentials` (Java `BrokerOuterAPI.newAclRPCHook`);
/// `None` without credentials.
pub fn inner_signer(c: &BrokerConfig) -> Option<remoting::client::Signer> {
    let text = c.inner_client_authentication_credentials.as_deref()?;
    let creds: InnerCredentials = serde_json::from_str(text).ok()?;
    let (ak, sk) = (creds.access_key?, creds.secret_key?);
    if ak.trim().is_empty() || sk.trim().is_empty() {
        return None;
    }
    Some(Arc::new(move |cmd: &mut Command| {
        sign::sign_request(cmd, &ak, &sk)
    }))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct InnerCredentials {
    access_key: Option<String>,
    secret_key: Option<String>,
}

/// Java `DefaultAuthenticationHandler`.
fn authenticate(tables: Option<&Tables>, req: &Command) -> Result<(), String> {
    let tables = tables.ok_or(NO_AUTHN_PROVIDER)?;
    let name = req
        .ext(sign::ACCESS_KEY)
        .filter(|n| !n.is_empty())
        .ok_or(NO_USERNAME)?;
    let user = tables
        .users
        .get(name)
        .ok_or_else(|| format!("User:{name} is not found."))?;
    if user.user_status == Some(UserStatus::Disable) {
        return Err(format!("User:{name} is disabled."));
    }
    match &user.password {
        Some(pw) if sign::verify_v2(req, pw) => Ok(()),
        _ => Err(BAD_SIGNATURE.into()),
    }
}

/// Java `UserAuthorizationHandler` then `AclAuthorizationHandler` for one resource.
fn authorize(
    tables: Option<&Tables>,
    user: Option<&str>,
    resource: &Resource,
    actions: &[Action],
    ip: &str,
) -> Result<(), String> {
    // Java dereferences the missing subject and reports the NullPointerException so.
    let name = user.ok_or(AUTHZ_FAILED)?;
    let tables = tables.ok_or(NO_AUTHN_PROVIDER)?;
    let found = tables
        .users
        .get(name)
        .ok_or_else(|| format!("User:{name} not found."))?;
    if found.user_type == Some(UserType::Super) {
        return Ok(());
    }
    let subject = format!("User:{name}");
    let refuse = |why: &str| {
        format!(
            "{subject} has no permission to access {} from {ip}, {why}",
            resource.key()
        )
    };
    let acl = tables
        .acls
        .get(&subject)
        .ok_or_else(|| refuse("no matched policies."))?;
    let matching = |kind: PolicyType| -> Vec<&model::PolicyEntry> {
        acl.policies
            .iter()
            .filter(|p| p.policy_type == kind)
            .take(1)
            .flat_map(|p| p.entries.iter())
            .filter(|e| {
                e.resource.covers(resource) && e.matches_actions(actions) && e.matches_source(ip)
            })
            .collect()
    };
    let mut entries = matching(PolicyType::Custom);
    if entries.is_empty() {
        entries = matching(PolicyType::Default);
    }
    java_sort(&mut entries, |a, b| compare_entries(a, b));
    match entries.first() {
        None => Err(refuse("no matched policies.")),
        Some(e) if e.decision == Decision::Deny => Err(refuse("the decision is deny.")),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests;

//! The user and ACL requests 3001–3010 (Java `AdminBrokerProcessor` over
//! `AuthenticationMetadataManagerImpl` and `AuthorizationMetadataManagerImpl`): headers
//! `username` / `filter` / `subject` / `policyType` / `resource` / `subjectFilter` /
//! `resourceFilter`, bodies `UserInfo` and `AclInfo` as JSON. A refusal of the auth managers is
//! NO_PERMISSION with their message; any other failure Java's generic SYSTEM_ERROR.
//! Without metadata providers the requests fail as Java's do ([`crate::feature_off`]).

use remoting::code::request as rq;
use remoting::code::response as rc;
use remoting::Command;
use serde::Deserialize;

use super::model::valid_ip_or_cidr;
use super::model::{Acl, Policy, PolicyEntry, PolicyType, Resource, User, UserStatus, UserType};
use super::store::{AclInfo, Store};
use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::feature_off;

/// Java `AdminBrokerProcessor#handleAuthException` for a failure that is not an auth refusal.
const SYSTEM_ERROR: &str = "An system error occurred, please try again later.";

/// A refusal: response code and remark.
#[derive(Debug)]
pub struct Fail(pub i32, pub String);

impl Fail {
    fn denied(why: impl Into<String>) -> Fail {
        Fail(rc::NO_PERMISSION, why.into())
    }
}

/// A store that could not be written.
impl From<String> for Fail {
    fn from(e: String) -> Fail {
        tracing::error!(error = %e, "auth metadata not written");
        Fail(rc::SYSTEM_ERROR, SYSTEM_ERROR.into())
    }
}

fn reply(r: Result<Option<Vec<u8>>, Fail>) -> Reply {
    match r {
        Ok(None) => Ok(Command::response(rc::SUCCESS, None)),
        Ok(Some(body)) => Ok(Command::response(rc::SUCCESS, None).with_body(body)),
        Err(Fail(code, remark)) => Err(Reject::code(code, remark)),
    }
}

remoting::header! {
    /// The headers of 3001–3010 (each request reads its own fields).
    pub struct AuthRequestHeader {
        username: Option<String> = "username",
        filter: Option<String> = "filter",
        subject: Option<String> = "subject",
        policy_type: Option<String> = "policyType",
        resource: Option<String> = "resource",
        subject_filter: Option<String> = "subjectFilter",
        resource_filter: Option<String> = "resourceFilter",
    }
}

fn blank(s: Option<&str>) -> bool {
    s.map_or(true, |s| s.trim().is_empty())
}

/// Java's `UserInfo` body.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct UserInfo {
    password: Option<String>,
    user_type: Option<String>,
    user_status: Option<String>,
}

/// 3001–3005 by request code.
pub fn user(b: &Broker, code: i32, req: Command) -> Reply {
    let Some(store) = b.auth.as_ref().and_then(|a| a.store.as_ref()) else {
        return feature_off::user(code, req);
    };
    let h: AuthRequestHeader = req.decode_header()?;
    let name = h.username.as_deref();
    let needs_name = matches!(code, rq::AUTH_CREATE_USER | rq::AUTH_UPDATE_USER);
    if (needs_name && name.map_or(true, str::is_empty))
        || (code == rq::AUTH_GET_USER && blank(name))
    {
        return Err(Reject::code(rc::INVALID_PARAMETER, "The username is blank"));
    }
    let caller_super = || caller_is_super(store, &req);
    match code {
        rq::AUTH_CREATE_USER | rq::AUTH_UPDATE_USER => {
            let info: UserInfo = remoting::body::from_body(req.body.as_deref().unwrap_or(b"{}"))?;
            let user = User {
                username: name.unwrap_or_default().to_string(),
                password: info.password,
                user_type: info.user_type.as_deref().and_then(UserType::by_name),
                user_status: info.user_status.as_deref().and_then(UserStatus::by_name),
            };
            let verb = if code == rq::AUTH_CREATE_USER {
                "create"
            } else {
                "update"
            };
            if user.user_type == Some(UserType::Super) && !caller_super()? {
                return Err(Reject::system(format!(
                    "The super user can only be {verb} by super user"
                )));
            }
            reply(match code {
                rq::AUTH_CREATE_USER => create_user(store, user).map(|()| None),
                _ => update_user(store, user, caller_super).map(|()| None),
            })
        }
        rq::AUTH_DELETE_USER => reply(delete_user(store, name, caller_super).map(|()| None)),
        rq::AUTH_GET_USER => {
            let found = store.tables().users.get(name.unwrap_or_default()).cloned();
            reply(Ok(found.map(|u| json(&u))))
        }
        _ => {
            let filter = h.filter.as_deref().filter(|f| !f.trim().is_empty());
            let users: Vec<User> = store
                .tables()
                .users
                .values()
                .filter(|u| filter.map_or(true, |f| u.username.contains(f)))
                .cloned()
                .collect();
            reply(Ok((!users.is_empty()).then(|| json(&users))))
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// Java `isNotSuperUserLogin`, negated: no AccessKey (checks off) counts as a super user.
fn caller_is_super(store: &Store, req: &Command) -> Result<bool, Reject> {
    let Some(ak) = req.ext(super::sign::ACCESS_KEY).filter(|a| !a.is_empty()) else {
        return Ok(true);
    };
    match store.tables().users.get(ak) {
        Some(u) => Ok(u.user_type == Some(UserType::Super)),
        // Java's `isSuperUser` throws here, outside the handler's future.
        None => Err(Reject::system(format!("User:{ak} is not found"))),
    }
}

/// Java `AuthenticationMetadataManagerImpl.createUser`.
pub fn create_user(store: &Store, mut user: User) -> Result<(), Fail> {
    if user.username.trim().is_empty() {
        return Err(Fail::denied("username can not be blank"));
    }
    if blank(user.password.as_deref()) {
        return Err(Fail::denied("password can not be blank"));
    }
    user.user_type.get_or_insert(UserType::Normal);
    user.user_status.get_or_insert(UserStatus::Enable);
    store.change(|t| {
        if t.users.contains_key(&user.username) {
            return Err(Fail::denied("The user is existed"));
        }
        t.users.insert(user.username.clone(), user);
        Ok(())
    })
}

/// The UPDATE_USER handler and `AuthenticationMetadataManagerImpl.updateUser`.
fn update_user(
    store: &Store,
    user: User,
    caller_super: impl Fn() -> Result<bool, Reject>,
) -> Result<(), Fail> {
    if user.username.trim().is_empty() {
        return Err(Fail::denied("username can not be blank"));
    }
    let old = store.tables().users.get(&user.username).cloned();
    let Some(mut old) = old else {
        return Err(Fail::denied("The user is not exist"));
    };
    if old.user_type == Some(UserType::Super) && !caller_super().map_err(reject_fail)? {
        return Err(Fail::denied(
            "The super user can only be update by super user",
        ));
    }
    if !blank(user.password.as_deref()) {
        old.password = user.password;
    }
    if user.user_type.is_some() {
        old.user_type = user.user_type;
    }
    if user.user_status.is_some() {
        old.user_status = user.user_status;
    }
    store.change(|t| {
        if !t.users.contains_key(&old.username) {
            return Err(Fail::denied("The user is not exist"));
        }
        t.users.insert(old.username.clone(), old);
        Ok(())
    })
}

fn reject_fail(r: Reject) -> Fail {
    Fail(r.response_code(), r.to_string())
}

/// The DELETE_USER handler: an unknown user is no error; the user's ACL goes with it.
fn delete_user(
    store: &Store,
    name: Option<&str>,
    caller_super: impl Fn() -> Result<bool, Reject>,
) -> Result<(), Fail> {
    let name = name.filter(|n| !n.trim().is_empty());
    let name = name.ok_or_else(|| Fail::denied("username can not be blank"))?;
    let Some(user) = store.tables().users.get(name).cloned() else {
        return Ok(());
    };
    if user.user_type == Some(UserType::Super) && !caller_super().map_err(reject_fail)? {
        return Err(Fail::denied(
            "The super user can only be update by super user",
        ));
    }
    store.change(|t| {
        t.users.remove(name);
        t.acls.remove(&format!("User:{name}"));
        Ok(())
    })
}

/// Java `Subject.of`: `User:<name>` (type case-insensitive), else nothing.
fn subject_of(key: Option<&str>) -> Option<String> {
    let key = key?;
    let (kind, name) = key.split_once(':').unwrap_or((key, ""));
    kind.eq_ignore_ascii_case("User")
        .then(|| format!("User:{name}"))
}

fn user_of(subject: &str) -> &str {
    subject.split_once(':').map_or("", |(_, n)| n)
}

/// 3006–3010 by request code.
pub fn acl(b: &Broker, code: i32, req: Command) -> Reply {
    let Some(store) = b.auth.as_ref().and_then(|a| a.store.as_ref()) else {
        return feature_off::acl(code, req);
    };
    let h: AuthRequestHeader = req.decode_header()?;
    match code {
        rq::AUTH_CREATE_ACL | rq::AUTH_UPDATE_ACL => {
            let info: Option<AclInfo> = match req.body.as_deref() {
                Some(b) => Some(remoting::body::from_body(b)?),
                None => None,
            };
            let Some(info) = info.filter(|i| i.policies.as_ref().is_some_and(|p| !p.is_empty()))
            else {
                return feature_off::acl(code, req);
            };
            let subject =
                subject_of(info.subject.as_deref()).or_else(|| subject_of(h.subject.as_deref()));
            let Some(subject) = subject else {
                return Err(Reject::system(SYSTEM_ERROR));
            };
            reply(upsert_acl(store, subject, &info).map(|()| None))
        }
        rq::AUTH_DELETE_ACL => {
            let kind = h.policy_type.as_deref().and_then(PolicyType::by_name);
            let resource = h.resource.as_deref().and_then(Resource::parse);
            let subject = subject_of(h.subject.as_deref());
            reply(delete_acl(store, subject, kind, resource).map(|()| None))
        }
        rq::AUTH_GET_ACL => {
            let Some(subject) = subject_of(h.subject.as_deref()) else {
                return Err(Reject::system(SYSTEM_ERROR));
            };
            let t = store.tables();
            if !t.users.contains_key(user_of(&subject)) {
                return Err(Reject::no_permission("The subject is not exist."));
            }
            reply(Ok(t.acls.get(&subject).map(|a| json(&AclInfo::of(a)))))
        }
        _ => {
            let acls = list_acls(
                store,
                h.subject_filter.as_deref(),
                h.resource_filter.as_deref(),
            );
            let infos: Vec<AclInfo> = acls.iter().map(AclInfo::of).collect();
            reply(Ok((!infos.is_empty()).then(|| json(&infos))))
        }
    }
}

/// Java `AuthorizationMetadataManagerImpl.createAcl` (and `updateAcl`, the same in 5.3.3):
/// validate, then merge into the subject's ACL.
pub(super) fn upsert_acl(store: &Store, subject: String, info: &AclInfo) -> Result<(), Fail> {
    let mut policies = Vec::new();
    for (kind, loose) in info.loose_policies() {
        let mut entries = Vec::new();
        for e in loose {
            let resource = e
                .resource
                .ok_or_else(|| Fail::denied("The resource is null."))?;
            if e.actions.is_empty() {
                return Err(Fail::denied("The actions is empty."));
            }
            if e.actions.contains(&super::model::Action::Any) {
                return Err(Fail::denied("The actions can not be Any."));
            }
            for ip in &e.source_ips {
                if ip.trim().is_empty() {
                    return Err(Fail::denied("The source ip is empty."));
                }
                if !valid_ip_or_cidr(ip) {
                    return Err(Fail::denied("The source ip is invalid."));
                }
            }
            let decision = e
                .decision
                .ok_or_else(|| Fail::denied("The decision is null or illegal."))?;
            entries.push(PolicyEntry {
                resource,
                actions: e.actions,
                source_ips: e.source_ips,
                decision,
            });
        }
        policies.push(Policy {
            policy_type: kind.unwrap_or(PolicyType::Custom),
            entries,
        });
    }
    if policies.is_empty() {
        return Err(Fail::denied("The policies is empty."));
    }
    store.change(|t| {
        if !t.users.contains_key(user_of(&subject)) {
            return Err(Fail::denied(format!(
                "The subject of {subject} is not exist."
            )));
        }
        match t.acls.get_mut(&subject) {
            Some(old) => old.update_policies(policies),
            None => {
                let acl = Acl {
                    subject: subject.clone(),
                    policies,
                };
                t.acls.insert(subject, acl);
            }
        }
        Ok(())
    })
}

/// Java `AuthorizationMetadataManagerImpl.deleteAcl(subject, policyType, resource)`: one entry,
/// or the whole ACL without a resource or once no policy is left.
pub(super) fn delete_acl(
    store: &Store,
    subject: Option<String>,
    kind: Option<PolicyType>,
    resource: Option<Resource>,
) -> Result<(), Fail> {
    let subject = subject.ok_or_else(|| Fail::denied("The subject is null."))?;
    store.change(|t| {
        if !t.users.contains_key(user_of(&subject)) {
            return Err(Fail::denied("The subject is not exist."));
        }
        let Some(acl) = t.acls.get_mut(&subject) else {
            return Err(Fail::denied("The acl is not exist."));
        };
        if let Some(r) = &resource {
            acl.delete_entry(kind.unwrap_or(PolicyType::Custom), r);
        }
        if resource.is_none() || acl.policies.is_empty() {
            t.acls.remove(&subject);
        }
        Ok(())
    })
}

/// Java `LocalAuthorizationMetadataProvider.listAcl`: subjects containing the subject filter;
/// unless the subject key itself contains the resource filter, only the entries whose resource
/// key contains it, and policies left empty dropped.
pub(super) fn list_acls(
    store: &Store,
    subject_filter: Option<&str>,
    resource_filter: Option<&str>,
) -> Vec<Acl> {
    let sf = subject_filter.filter(|f| !f.trim().is_empty());
    let rf = resource_filter.filter(|f| !f.trim().is_empty());
    let mut out = Vec::new();
    for (key, acl) in &store.tables().acls {
        if sf.is_some_and(|f| !key.contains(f)) {
            continue;
        }
        let mut acl = acl.clone();
        if let Some(f) = rf.filter(|f| !key.contains(f)) {
            for p in &mut acl.policies {
                p.entries.retain(|e| e.resource.key().contains(f));
            }
            acl.policies.retain(|p| !p.entries.is_empty());
        }
        if !acl.policies.is_empty() {
            out.push(acl);
        }
    }
    out
}

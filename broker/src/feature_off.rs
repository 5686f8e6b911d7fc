//! Requests for features Thrust does not have, answered as a default Java 5.3.3 broker answers
//! them with the feature off (Java `AdminBrokerProcessor`):
//!
//! * EXPORT_ROCKSDB_CONFIG_TO_JSON (355, `mqadmin rocksDBConfigToJson`): no table is kept in
//!   RocksDB, so nothing is exported ("export done.").
//! * CHECK_ROCKSDB_CQ_WRITE_PROGRESS (354, `mqadmin checkRocksdbCqWriteProgress`): answered
//!   "in progress" at once; the check itself, logged, finds the RocksDB consume queue off.
//! * POP_ROLLBACK (200056, `mqadmin exportPopRecord`): moves the POP consumer's records from its
//!   KV store back to files; without that store (`popConsumerKVServiceInit` off) there is
//!   nothing to move.
//! * The ACL 2.0 user and ACL commands (3001–3010) when no metadata provider is configured
//!   ([`crate::auth::v2::admin`] serves them otherwise): after the same argument checks they
//!   fail as Java's do: SYSTEM_ERROR with Java's generic remark,
//!   or, for getAcl and listAcl, where Java's exception escapes the handler, with the
//!   exception's text and its first stack frame as Java's remoting layer writes it.

use remoting::code::response as rc;
use remoting::Command;

use crate::error::{Reject, Reply};

/// Java `AdminBrokerProcessor#handleAuthException` for an error that is not an auth exception.
const AUTH_SYSTEM_ERROR: &str = "An system error occurred, please try again later.";
/// What Java's remoting layer answers when `AuthorizationMetadataManagerImpl` finds no provider
/// outside a future (`UtilAll.exceptionSimpleDesc`: the exception, then its first frame).
const NO_AUTHENTICATION_PROVIDER: &str = "java.lang.IllegalStateException: The \
    authenticationMetadataProvider is not configured., org.apache.rocketmq.auth.authorization.\
    manager.AuthorizationMetadataManagerImpl.getAuthenticationMetadataProvider(\
    AuthorizationMetadataManagerImpl.java:273)";
const NO_AUTHORIZATION_PROVIDER: &str = "java.lang.IllegalStateException: The \
    authenticationMetadataProvider is not configured., org.apache.rocketmq.auth.authorization.\
    manager.AuthorizationMetadataManagerImpl.getAuthorizationMetadataProvider(\
    AuthorizationMetadataManagerImpl.java:280)";

remoting::header! {
    /// EXPORT_ROCKSDB_CONFIG_TO_JSON (355).
    pub struct ExportRocksDbConfigToJsonRequestHeader {
        config_type: String = "configType",
    }
}

remoting::header! {
    /// The user commands (3001–3004).
    pub struct UserRequestHeader {
        username: Option<String> = "username",
    }
}

remoting::header! {
    /// The ACL commands that name a subject (3006–3009).
    pub struct AclRequestHeader {
        subject: Option<String> = "subject",
    }
}

/// EXPORT_ROCKSDB_CONFIG_TO_JSON (355): every named table (`topics`, `subscriptionGroups`,
/// `consumerOffsets`, `;`-separated) is a file table here, which Java skips.
pub fn rocksdb_config_to_json(req: Command) -> Reply {
    let h: ExportRocksDbConfigToJsonRequestHeader = req.decode_header()?;
    for name in h.config_type.split(';').filter(|n| !n.is_empty()) {
        let known = ["topics", "subscriptionGroups", "consumerOffsets"];
        if !known.iter().any(|k| k.eq_ignore_ascii_case(name.trim())) {
            // Java throws from the header's `fetchConfigType`, outside any handler.
            return Err(Reject::system(format!(
                "java.lang.IllegalArgumentException: Unknown config type: {name}"
            )));
        }
    }
    Ok(Command::response(rc::SUCCESS, Some("export done.".into())))
}

/// CHECK_ROCKSDB_CQ_WRITE_PROGRESS (354): Java answers `CHECK_IN_PROGRESS` and checks later.
pub fn check_rocksdb_cq_write_progress() -> Reply {
    tracing::info!(
        "checkRocksdbCqWriteProgress result: {{\"checkResult\":\"rocksdbCQWriteEnable is false, \
         checkRocksdbCqWriteProgressCommand is invalid\",\"checkStatus\":1}}"
    );
    Ok(Command::response(rc::SUCCESS, None).with_body(br#"{"checkStatus":2}"#.to_vec()))
}

/// POP_ROLLBACK (200056).
pub fn pop_rollback() -> Reply {
    Ok(Command::response(rc::SUCCESS, None))
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().map_or(true, |s| s.trim().is_empty())
}

/// AUTH_CREATE_USER, AUTH_UPDATE_USER, AUTH_DELETE_USER, AUTH_GET_USER, AUTH_LIST_USER
/// (3001–3005), by request code.
pub fn user(code: i32, req: Command) -> Reply {
    use remoting::code::request as rq;
    let h: UserRequestHeader = req.decode_header()?;
    let blank_name = || Reject::code(rc::INVALID_PARAMETER, "The username is blank");
    match code {
        rq::AUTH_CREATE_USER | rq::AUTH_UPDATE_USER | rq::AUTH_GET_USER if blank(&h.username) => {
            Err(blank_name())
        }
        rq::AUTH_CREATE_USER => {
            let body: serde_json::Value =
                remoting::body::from_body(req.body.as_deref().unwrap_or(b"{}"))?;
            let password = body.get("password").and_then(|p| p.as_str()).unwrap_or("");
            if password.trim().is_empty() {
                return Err(Reject::no_permission("password can not be blank"));
            }
            Err(Reject::system(AUTH_SYSTEM_ERROR))
        }
        rq::AUTH_DELETE_USER if blank(&h.username) => {
            Err(Reject::no_permission("username can not be blank"))
        }
        _ => Err(Reject::system(AUTH_SYSTEM_ERROR)),
    }
}

/// AUTH_CREATE_ACL … AUTH_LIST_ACL (3006–3010), by request code.
pub fn acl(code: i32, req: Command) -> Reply {
    use remoting::code::request as rq;
    let h: AclRequestHeader = req.decode_header()?;
    // Java `Subject.of`: only `User:<name>` names a subject.
    let user = h
        .subject
        .as_deref()
        .and_then(|s| s.split_once(':'))
        .is_some_and(|(kind, _)| kind.eq_ignore_ascii_case("User"));
    match code {
        rq::AUTH_CREATE_ACL | rq::AUTH_UPDATE_ACL => {
            let body: serde_json::Value =
                remoting::body::from_body(req.body.as_deref().unwrap_or(b"{}"))?;
            let policies = body.get("policies").and_then(|p| p.as_array());
            if policies.map_or(true, |p| p.is_empty()) {
                let (method, line) = if code == rq::AUTH_CREATE_ACL {
                    ("createAcl", 3158)
                } else {
                    ("updateAcl", 3185)
                };
                return Err(Reject::system(format!(
                    "org.apache.rocketmq.auth.authorization.exception.AuthorizationException: \
                     The body of acl is null, org.apache.rocketmq.broker.processor.\
                     AdminBrokerProcessor.{method}(AdminBrokerProcessor.java:{line})"
                )));
            }
            Err(Reject::system(AUTH_SYSTEM_ERROR))
        }
        rq::AUTH_DELETE_ACL if !user => Err(Reject::no_permission("The subject is null.")),
        rq::AUTH_GET_ACL if user => Err(Reject::system(NO_AUTHENTICATION_PROVIDER)),
        rq::AUTH_LIST_ACL => Err(Reject::system(NO_AUTHORIZATION_PROVIDER)),
        _ => Err(Reject::system(AUTH_SYSTEM_ERROR)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use remoting::code::request as rq;

    fn req(code: i32, ext: &[(&str, &str)], body: &str) -> Command {
        let mut c = Command::request(code);
        for (k, v) in ext {
            c.ext_fields.insert(*k, v);
        }
        if !body.is_empty() {
            c.body = Some(body.as_bytes().to_vec().into());
        }
        c
    }

    fn answer(r: Reply) -> (i32, String) {
        let c = r.unwrap_or_else(Reject::into_response);
        (c.code, c.remark.clone().unwrap_or_default())
    }

    #[test]
    fn users_fail_after_java_checks() {
        let create = |ext: &[(&str, &str)], body| user(rq::AUTH_CREATE_USER, req(3001, ext, body));
        assert_eq!(
            answer(create(&[], "")),
            (rc::INVALID_PARAMETER, "The username is blank".into())
        );
        let no_pw = create(&[("username", "u")], r#"{"username":"u"}"#);
        assert_eq!(
            answer(no_pw),
            (rc::NO_PERMISSION, "password can not be blank".into())
        );
        let ok = create(&[("username", "u")], r#"{"password":"p"}"#);
        assert_eq!(answer(ok), (rc::SYSTEM_ERROR, AUTH_SYSTEM_ERROR.into()));
        let del = user(rq::AUTH_DELETE_USER, req(3003, &[], ""));
        assert_eq!(answer(del).0, rc::NO_PERMISSION);
        let list = user(rq::AUTH_LIST_USER, req(3005, &[], ""));
        assert_eq!(answer(list), (rc::SYSTEM_ERROR, AUTH_SYSTEM_ERROR.into()));
    }

    #[test]
    fn acls_fail_as_java_does() {
        let get = acl(rq::AUTH_GET_ACL, req(3009, &[("subject", "User:u")], ""));
        assert_eq!(
            answer(get),
            (rc::SYSTEM_ERROR, NO_AUTHENTICATION_PROVIDER.into())
        );
        let list = acl(rq::AUTH_LIST_ACL, req(3010, &[], ""));
        assert_eq!(
            answer(list),
            (rc::SYSTEM_ERROR, NO_AUTHORIZATION_PROVIDER.into())
        );
        let empty = acl(
            rq::AUTH_CREATE_ACL,
            req(3006, &[("subject", "User:u")], "{}"),
        );
        assert!(answer(empty).1.contains("The body of acl is null"));
        let del = acl(rq::AUTH_DELETE_ACL, req(3008, &[], ""));
        assert_eq!(
            answer(del),
            (rc::NO_PERMISSION, "The subject is null.".into())
        );
    }

    #[test]
    fn feature_off_answers() {
        let export =
            rocksdb_config_to_json(req(355, &[("configType", "topics;consumerOffsets")], ""));
        assert_eq!(answer(export), (rc::SUCCESS, "export done.".into()));
        let bad = rocksdb_config_to_json(req(355, &[("configType", "nope")], ""));
        assert_eq!(answer(bad).0, rc::SYSTEM_ERROR);
        let check = check_rocksdb_cq_write_progress().unwrap();
        assert_eq!(check.body.as_deref(), Some(&br#"{"checkStatus":2}"#[..]));
    }
}

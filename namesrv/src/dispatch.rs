//! The NameServer's dispatch table: one `match` on the request code, one arm per code (Java
//! 5.3.3 `DefaultRequestProcessor#processRequest` + `ClientRequestProcessor`).
//!
//! Handlers return `Result<Command, Reject>`; [`reject`] is the one place that turns an error
//! into a response code and remark. A bad header or body answers an error and leaves the
//! connection up. Unknown codes answer `REQUEST_CODE_NOT_SUPPORTED` with Java 5.x's remark
//! (the 4.9.8 NameServer stayed silent, which leaves clients waiting for their timeout).

use remoting::code::{request as rq, response};
use remoting::{Command, Connection, HeaderError};

use crate::error::Error;
use crate::handlers::{admin, broker, route};
use crate::route::query::UnitFilter;
use crate::server::NameServer;

/// Why a request is refused.
#[derive(Debug)]
pub enum Reject {
    /// A required header field is missing or malformed.
    Header(HeaderError),
    /// The body or another input is malformed, or an operation failed.
    Failed(Error),
    /// A Java-defined answer: code and remark.
    Code(i32, String),
}

impl From<HeaderError> for Reject {
    fn from(e: HeaderError) -> Self {
        Reject::Header(e)
    }
}

impl From<Error> for Reject {
    fn from(e: Error) -> Self {
        Reject::Failed(e)
    }
}

pub type Reply = Result<Command, Reject>;

/// Answers one request.
pub fn dispatch(ns: &NameServer, conn: &Connection, req: &Command) -> Command {
    let reply = match req.code {
        rq::PUT_KV_CONFIG => admin::put_kv_config(ns, req),
        rq::GET_KV_CONFIG => admin::get_kv_config(ns, req),
        rq::DELETE_KV_CONFIG => admin::delete_kv_config(ns, req),
        rq::GET_KVLIST_BY_NAMESPACE => admin::get_kv_list_by_namespace(ns, req),
        rq::QUERY_DATA_VERSION => broker::query_data_version(ns, req),
        rq::REGISTER_BROKER => broker::register_broker(ns, conn, req),
        rq::UNREGISTER_BROKER => broker::unregister_broker(ns, req),
        rq::BROKER_HEARTBEAT => broker::broker_heartbeat(ns, req),
        rq::GET_BROKER_MEMBER_GROUP => broker::get_broker_member_group(ns, req),
        rq::REGISTER_TOPIC_IN_NAMESRV => broker::register_topic(ns, req),
        rq::GET_ROUTEINFO_BY_TOPIC => route::get_route_info(ns, req),
        rq::GET_BROKER_CLUSTER_INFO => route::get_broker_cluster_info(ns),
        rq::WIPE_WRITE_PERM_OF_BROKER => route::wipe_write_perm(ns, conn, req),
        rq::ADD_WRITE_PERM_OF_BROKER => route::add_write_perm(ns, conn, req),
        rq::GET_ALL_TOPIC_LIST_FROM_NAMESERVER => route::get_all_topic_list(ns, conn),
        rq::DELETE_TOPIC_IN_NAMESRV => route::delete_topic(ns, req),
        rq::GET_TOPICS_BY_CLUSTER => route::get_topics_by_cluster(ns, req),
        rq::GET_SYSTEM_TOPIC_LIST_FROM_NS => route::get_system_topic_list(ns),
        rq::GET_UNIT_TOPIC_LIST => route::get_unit_topic_list(ns, UnitFilter::Unit),
        rq::GET_HAS_UNIT_SUB_TOPIC_LIST => route::get_unit_topic_list(ns, UnitFilter::HasUnitSub),
        rq::GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST => {
            route::get_unit_topic_list(ns, UnitFilter::HasUnitSubNotUnit)
        }
        rq::UPDATE_NAMESRV_CONFIG => admin::update_config(ns, conn, req),
        rq::GET_NAMESRV_CONFIG => admin::get_config(ns),
        code => Err(Reject::Code(
            response::REQUEST_CODE_NOT_SUPPORTED,
            format!(" request type {code} not supported"),
        )),
    };
    reply.unwrap_or_else(|r| reject(req, r))
}

/// Maps a refusal to Java's response. Header and body failures are `SYSTEM_ERROR` with the
/// exception text, as Java's `NettyRemotingAbstract` answers a `RemotingCommandException`
/// (`UtilAll.exceptionSimpleDesc`), minus the Java stack frame.
fn reject(req: &Command, r: Reject) -> Command {
    let (code, remark) = match r {
        Reject::Header(e) => {
            tracing::warn!(request = req.code, error = %e, "bad request header");
            (
                response::SYSTEM_ERROR,
                format!("org.apache.rocketmq.remoting.exception.RemotingCommandException: {e}"),
            )
        }
        Reject::Failed(e) => {
            tracing::warn!(request = req.code, error = %e, "request failed");
            (response::SYSTEM_ERROR, e.to_string())
        }
        // Java-defined answers such as TOPIC_NOT_EXIST are routine (clients probe retry topics).
        Reject::Code(code, remark) => {
            tracing::debug!(request = req.code, code, %remark, "request answered with an error code");
            (code, remark)
        }
    };
    Command::response(code, remark)
}

/// `Command::response(SUCCESS, None)`.
pub(crate) fn success() -> Command {
    Command::response(response::SUCCESS, None)
}

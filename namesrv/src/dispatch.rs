//! The NameServer's dispatch table: one `match` on the request code, one arm per code (Java
//! 5.3.3 `DefaultRequestProcessor#processRequest` + `ClientRequestProcessor`).
//!
//! Handlers return `Result<Command, Reject>`; [`remoting::Reject::into_response`] is the one
//! place that turns an error into a response code and remark. A bad header or body answers an
//! error and leaves the connection up. Unknown codes answer `REQUEST_CODE_NOT_SUPPORTED` with Java 5.x's remark
//! (the 4.9.8 NameServer stayed silent, which leaves clients waiting for their timeout).

use remoting::code::{request as rq, response};
use remoting::{Command, Connection};

use crate::error::Error;
use crate::handlers::{admin, broker, route};
use crate::route::query::UnitFilter;
use crate::server::NameServer;

/// Why a request is refused ([`remoting::Reject`] over this crate's [`Error`]).
pub type Reject = remoting::Reject<Error>;

pub type Reply = remoting::reject::Reply<Error>;

impl From<Error> for Reject {
    fn from(e: Error) -> Self {
        Reject::Failed(e)
    }
}

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
        code => Err(Reject::not_supported(code)),
    };
    reply.unwrap_or_else(|r| r.into_response(req.code))
}

/// `Command::response(SUCCESS, None)`.
pub(crate) fn success() -> Command {
    Command::response(response::SUCCESS, None)
}

//! The controller's dispatch table: one arm per request code (Java
//! `ControllerRequestProcessor#handleRequest` and `ControllerManager#registerProcessor`).
//!
//! Handlers return `Result<Command, Reject>`; [`remoting::Reject::into_response`] is the one
//! place that turns an error into a response. Unknown codes answer `REQUEST_CODE_NOT_SUPPORTED` with Java's remark.

use remoting::code::request as rq;
use remoting::{Command, Connection};

use crate::error::Error;
use crate::handlers as h;
use crate::server::Shared;

/// Why a request is refused ([`remoting::Reject`] over this crate's [`Error`]).
pub type Reject = remoting::Reject<Error>;

pub type Reply = remoting::reject::Reply<Error>;

impl From<Error> for Reject {
    fn from(e: Error) -> Self {
        Reject::Failed(e)
    }
}

/// Answers one request. May block on the event log's fsync: run it off the async workers.
pub fn dispatch(ctl: &Shared, conn: &Connection, req: &Command) -> Command {
    let reply = match req.code {
        rq::CONTROLLER_ALTER_SYNC_STATE_SET => h::alter_sync_state_set(ctl, req),
        rq::CONTROLLER_ELECT_MASTER => h::elect_master(ctl, req),
        rq::CONTROLLER_REGISTER_BROKER => h::register_broker(ctl, req),
        rq::CONTROLLER_GET_REPLICA_INFO => h::get_replica_info(ctl, req),
        rq::CONTROLLER_GET_METADATA_INFO => h::get_metadata(ctl),
        rq::CONTROLLER_GET_SYNC_STATE_DATA => h::get_sync_state_data(ctl, req),
        rq::BROKER_HEARTBEAT => h::broker_heartbeat(ctl, conn, req),
        rq::UPDATE_CONTROLLER_CONFIG => h::update_config(ctl, conn, req),
        rq::GET_CONTROLLER_CONFIG => h::get_config(ctl),
        rq::CLEAN_BROKER_DATA => h::clean_broker_data(ctl, req),
        rq::CONTROLLER_GET_NEXT_BROKER_ID => h::get_next_broker_id(ctl, req),
        rq::CONTROLLER_APPLY_BROKER_ID => h::apply_broker_id(ctl, req),
        code => Err(Reject::not_supported(code)),
    };
    reply.unwrap_or_else(|r| r.into_response(req.code))
}

//! The broker's one dispatch table: a single `match` on the request code, one arm per line.
//! Unknown codes answer REQUEST_CODE_NOT_SUPPORTED (3) with Java's remark
//! (`" request type <code> not supported"`). The VIP port (listenPort−2) serves the same table
//! minus pulls and pops, like Java's fast remoting server.

use std::sync::Arc;

use remoting::code::request as rq;
use remoting::{Command, Connection};

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::{
    admin, admin_views, auth, clients, cold_data, consumer_admin, controller, feature_off, ha,
    offsets, pop, pull, queries, recall, reply, request_mode, runtime_info, send, store_admin,
    topics_admin, transaction,
};

/// Routes one request; always returns the reply (the server drops it for oneway requests).
/// ACL 1.0 (`aclEnable`) and 5.x auth are checked here, before the table, as Java's broker RPC
/// hook and request pipeline are.
pub async fn dispatch(b: &Arc<Broker>, conn: &Connection, req: Command, vip: bool) -> Command {
    let code = req.code;
    let reply = match auth::check(b, conn, &req) {
        Some(refused) => Err(refused),
        None => route(b, conn, req, vip).await,
    };
    let resp = reply.unwrap_or_else(|r| {
        // Java's remarks for the ACL admin codes can echo the request's secretKey.
        if auth::admin::is_acl_admin(code) {
            tracing::debug!(code, "request refused");
        } else {
            tracing::debug!(code, reject = %r, "request refused");
        }
        r.into_response()
    });
    if send::is_send_code(code) {
        send::add_region_ext(b, resp)
    } else {
        resp
    }
}

async fn route(b: &Arc<Broker>, conn: &Connection, req: Command, vip: bool) -> Reply {
    let code = req.code;
    // Java registers these on the main port only (its fast server answers them as unknown).
    let is_pull = matches!(
        code,
        rq::PULL_MESSAGE
            | rq::LITE_PULL_MESSAGE
            | rq::POP_MESSAGE
            | rq::PEEK_MESSAGE
            | rq::NOTIFICATION
            | rq::POLLING_INFO
    );
    match code {
        _ if vip && is_pull => Err(Reject::NotSupported(code)),
        _ if ha::reads::rejected_on_slave(&b.config(), code) => Err(ha::reads::system_busy()),
        rq::SEND_MESSAGE => send::handle(b, conn, req).await,
        rq::SEND_MESSAGE_V2 => send::handle(b, conn, req).await,
        rq::SEND_BATCH_MESSAGE => send::handle(b, conn, req).await,
        rq::RECALL_MESSAGE => recall::handle(b, conn, req).await,
        rq::SEND_REPLY_MESSAGE => reply::handle(b, conn, req).await,
        rq::SEND_REPLY_MESSAGE_V2 => reply::handle(b, conn, req).await,
        rq::PULL_MESSAGE => pull::handle(b, conn, req).await,
        rq::LITE_PULL_MESSAGE => pull::handle(b, conn, req).await,
        rq::HEART_BEAT => clients::heartbeat(b, conn, req).await,
        rq::UNREGISTER_CLIENT => clients::unregister(b, conn, req).await,
        rq::GET_CONSUMER_LIST_BY_GROUP => clients::consumer_list(b, req).await,
        rq::LOCK_BATCH_MQ => clients::lock_batch(b, req).await,
        rq::UNLOCK_BATCH_MQ => clients::unlock_batch(b, req).await,
        rq::END_TRANSACTION => transaction::end_transaction(b, req),
        rq::CONSUMER_SEND_MSG_BACK => consumer_admin::send_msg_back(b, req),
        rq::CHECK_CLIENT_CONFIG => consumer_admin::check_client_config(req),
        rq::GET_CONSUMER_RUNNING_INFO => consumer_admin::consumer_running_info(b, req).await,
        rq::GET_TOPIC_CONFIG => consumer_admin::topic_config(b, req),
        rq::QUERY_CONSUMER_OFFSET => offsets::query_consumer_offset(b, req),
        rq::UPDATE_CONSUMER_OFFSET => offsets::update_consumer_offset(b, req),
        rq::GET_MAX_OFFSET => offsets::max_offset(b, req),
        rq::GET_MIN_OFFSET => offsets::min_offset(b, req),
        rq::SEARCH_OFFSET_BY_TIMESTAMP => offsets::search_by_timestamp(b, req),
        rq::GET_EARLIEST_MSG_STORETIME => offsets::earliest_store_time(b, req),
        rq::INVOKE_BROKER_TO_RESET_OFFSET => offsets::reset_offset(b, req),
        rq::UPDATE_AND_CREATE_TOPIC => topics_admin::create_topic(b, req),
        rq::UPDATE_AND_CREATE_TOPIC_LIST => topics_admin::create_topic_list(b, req),
        rq::DELETE_TOPIC_IN_BROKER => topics_admin::delete_topic(b, req),
        rq::GET_ALL_TOPIC_CONFIG => topics_admin::all_topic_config(b),
        rq::GET_TOPIC_STATS_INFO => topics_admin::topic_stats(b, req),
        rq::QUERY_TOPIC_CONSUME_BY_WHO => topics_admin::consumed_by_who(b, req),
        rq::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => topics_admin::create_group(b, req),
        rq::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST => topics_admin::create_group_list(b, req),
        rq::DELETE_SUBSCRIPTIONGROUP => topics_admin::delete_group(b, req),
        rq::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => topics_admin::all_group_config(b),
        rq::GET_CONSUME_STATS => admin::consume_stats(b, req),
        rq::GET_BROKER_CONSUME_STATS => admin::broker_consume_stats(b, req),
        rq::GET_CONSUMER_CONNECTION_LIST => admin::consumer_connections(b, req),
        rq::GET_PRODUCER_CONNECTION_LIST => admin::producer_connections(b, req),
        rq::GET_ALL_PRODUCER_INFO => admin::all_producer_info(b),
        rq::GET_BROKER_RUNTIME_INFO => runtime_info::runtime_info(b),
        rq::GET_BROKER_CONFIG => admin::get_broker_config(b),
        rq::UPDATE_BROKER_CONFIG => admin::update_broker_config(b, req),
        rq::QUERY_MESSAGE => admin::query_message(b, req),
        rq::VIEW_MESSAGE_BY_ID => admin::view_message(b, req),
        rq::GET_SUBSCRIPTIONGROUP_CONFIG => queries::group_config(b, req),
        rq::QUERY_TOPICS_BY_CONSUMER => queries::topics_by_consumer(b, req),
        rq::QUERY_SUBSCRIPTION_BY_CONSUMER => queries::subscription_by_consumer(b, req),
        rq::GET_ALL_CONSUMER_OFFSET => queries::all_consumer_offsets(b),
        rq::GET_ALL_DELAY_OFFSET => queries::all_delay_offsets(b),
        rq::GET_SYSTEM_TOPIC_LIST_FROM_BROKER => queries::system_topics(b),
        rq::QUERY_CONSUME_TIME_SPAN => queries::consume_time_span(b, req),
        rq::CONSUME_MESSAGE_DIRECTLY => queries::consume_message_directly(b, req).await,
        rq::INVOKE_BROKER_TO_GET_CONSUMER_STATUS => admin_views::consumer_status(b, req).await,
        rq::CLONE_GROUP_OFFSET => admin_views::clone_group_offset(b, req),
        rq::VIEW_BROKER_STATS_DATA => admin_views::view_stats(b, req),
        rq::QUERY_CONSUME_QUEUE => admin_views::query_consume_queue(b, req),
        rq::CLEAN_EXPIRED_CONSUMEQUEUE => store_admin::clean_expired_queues(b),
        rq::DELETE_EXPIRED_COMMITLOG => store_admin::delete_expired_commitlog(b),
        rq::CLEAN_UNUSED_TOPIC => store_admin::clean_unused_topic(b),
        rq::SET_COMMITLOG_READ_MODE => store_admin::set_read_ahead_mode(b, req),
        rq::POP_MESSAGE => pop::pop_message::handle(b, conn, req).await,
        rq::ACK_MESSAGE => pop::ack::ack(b, conn, req).await,
        rq::BATCH_ACK_MESSAGE => pop::ack::batch_ack(b, conn, req).await,
        rq::CHANGE_MESSAGE_INVISIBLETIME => pop::ack::change_invisible_time(b, conn, req).await,
        rq::PEEK_MESSAGE => pop::peek::peek(b, conn, req).await,
        rq::NOTIFICATION => pop::peek::notification(b, conn, req).await,
        rq::POLLING_INFO => pop::peek::polling_info(b, conn, req),
        rq::QUERY_ASSIGNMENT => pop::assignment::query_assignment(b, req).await,
        rq::SET_MESSAGE_REQUEST_MODE => request_mode::set_mode(b, req),
        rq::GET_ALL_MESSAGE_REQUEST_MODE => request_mode::all_modes(b),
        rq::UPDATE_COLD_DATA_FLOW_CTR_CONFIG => cold_data::update(b, req),
        rq::REMOVE_COLD_DATA_FLOW_CTR_CONFIG => cold_data::remove(b, req),
        rq::GET_COLD_DATA_FLOW_CTR_INFO => cold_data::info(b),
        rq::GET_BROKER_EPOCH_CACHE => controller::epoch_cache(b),
        rq::NOTIFY_BROKER_ROLE_CHANGED => controller::notify_role_changed(b, &req),
        rq::EXPORT_ROCKSDB_CONFIG_TO_JSON => feature_off::rocksdb_config_to_json(req),
        rq::CHECK_ROCKSDB_CQ_WRITE_PROGRESS => feature_off::check_rocksdb_cq_write_progress(),
        rq::POP_ROLLBACK => feature_off::pop_rollback(),
        rq::AUTH_CREATE_USER => auth::v2::admin::user(b, code, req),
        rq::AUTH_UPDATE_USER => auth::v2::admin::user(b, code, req),
        rq::AUTH_DELETE_USER => auth::v2::admin::user(b, code, req),
        rq::AUTH_GET_USER => auth::v2::admin::user(b, code, req),
        rq::AUTH_LIST_USER => auth::v2::admin::user(b, code, req),
        rq::AUTH_CREATE_ACL => auth::v2::admin::acl(b, code, req),
        rq::AUTH_UPDATE_ACL => auth::v2::admin::acl(b, code, req),
        rq::AUTH_DELETE_ACL => auth::v2::admin::acl(b, code, req),
        rq::AUTH_GET_ACL => auth::v2::admin::acl(b, code, req),
        rq::AUTH_LIST_ACL => auth::v2::admin::acl(b, code, req),
        rq::UPDATE_AND_CREATE_ACL_CONFIG => auth::admin::update_access_config(b, req),
        rq::DELETE_ACL_CONFIG => auth::admin::delete_access_config(b, req),
        rq::GET_BROKER_CLUSTER_ACL_INFO => auth::admin::cluster_acl_info(b, code),
        rq::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG => auth::admin::update_global_white_addrs(b, req),
        rq::GET_BROKER_HA_STATUS => ha::status::ha_status(b),
        rq::GET_TIMER_CHECK_POINT => ha::sync::timer_checkpoint(b),
        rq::GET_TIMER_METRICS => ha::sync::timer_metrics(b),
        _ => Err(Reject::NotSupported(code)),
    }
}

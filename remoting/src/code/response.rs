//! Response codes: `RemotingSysResponseCode.java` (0–4) and `ResponseCode.java` of 4.9.8 and 5.3.3,
//! merged. Java's `ResponseCode extends RemotingSysResponseCode`, so 0–4 are shared.

/// 5.x only (absent in 4.9.8).
pub const RPC_TIME_OUT: i32 = -1006;
/// 5.x only (absent in 4.9.8).
pub const RPC_SEND_TO_CHANNEL_FAILED: i32 = -1004;
/// 5.x only (absent in 4.9.8).
pub const RPC_ADDR_IS_NULL: i32 = -1002;
/// 5.x only (absent in 4.9.8).
pub const RPC_UNKNOWN: i32 = -1000;
/// In 4.9.8 and 5.3.3.
pub const SUCCESS: i32 = 0;
/// In 4.9.8 and 5.3.3.
pub const SYSTEM_ERROR: i32 = 1;
/// In 4.9.8 and 5.3.3.
pub const SYSTEM_BUSY: i32 = 2;
/// In 4.9.8 and 5.3.3.
pub const REQUEST_CODE_NOT_SUPPORTED: i32 = 3;
/// In 4.9.8 and 5.3.3.
pub const TRANSACTION_FAILED: i32 = 4;
/// In 4.9.8 and 5.3.3.
pub const FLUSH_DISK_TIMEOUT: i32 = 10;
/// In 4.9.8 and 5.3.3.
pub const SLAVE_NOT_AVAILABLE: i32 = 11;
/// In 4.9.8 and 5.3.3.
pub const FLUSH_SLAVE_TIMEOUT: i32 = 12;
/// In 4.9.8 and 5.3.3.
pub const MESSAGE_ILLEGAL: i32 = 13;
/// In 4.9.8 and 5.3.3.
pub const SERVICE_NOT_AVAILABLE: i32 = 14;
/// In 4.9.8 and 5.3.3.
pub const VERSION_NOT_SUPPORTED: i32 = 15;
/// In 4.9.8 and 5.3.3.
pub const NO_PERMISSION: i32 = 16;
/// In 4.9.8 and 5.3.3.
pub const TOPIC_NOT_EXIST: i32 = 17;
/// In 4.9.8 and 5.3.3.
pub const TOPIC_EXIST_ALREADY: i32 = 18;
/// In 4.9.8 and 5.3.3.
pub const PULL_NOT_FOUND: i32 = 19;
/// In 4.9.8 and 5.3.3.
pub const PULL_RETRY_IMMEDIATELY: i32 = 20;
/// In 4.9.8 and 5.3.3.
pub const PULL_OFFSET_MOVED: i32 = 21;
/// In 4.9.8 and 5.3.3.
pub const QUERY_NOT_FOUND: i32 = 22;
/// In 4.9.8 and 5.3.3.
pub const SUBSCRIPTION_PARSE_FAILED: i32 = 23;
/// In 4.9.8 and 5.3.3.
pub const SUBSCRIPTION_NOT_EXIST: i32 = 24;
/// In 4.9.8 and 5.3.3.
pub const SUBSCRIPTION_NOT_LATEST: i32 = 25;
/// In 4.9.8 and 5.3.3.
pub const SUBSCRIPTION_GROUP_NOT_EXIST: i32 = 26;
/// In 4.9.8 and 5.3.3.
pub const FILTER_DATA_NOT_EXIST: i32 = 27;
/// In 4.9.8 and 5.3.3.
pub const FILTER_DATA_NOT_LATEST: i32 = 28;
/// 5.x only (absent in 4.9.8).
pub const INVALID_PARAMETER: i32 = 29;
/// In 4.9.8 and 5.3.3.
pub const TRANSACTION_SHOULD_COMMIT: i32 = 200;
/// In 4.9.8 and 5.3.3.
pub const TRANSACTION_SHOULD_ROLLBACK: i32 = 201;
/// In 4.9.8 and 5.3.3.
pub const TRANSACTION_STATE_UNKNOW: i32 = 202;
/// In 4.9.8 and 5.3.3.
pub const TRANSACTION_STATE_GROUP_WRONG: i32 = 203;
/// In 4.9.8 and 5.3.3.
pub const NO_BUYER_ID: i32 = 204;
/// In 4.9.8 and 5.3.3.
pub const NOT_IN_CURRENT_UNIT: i32 = 205;
/// In 4.9.8 and 5.3.3.
pub const CONSUMER_NOT_ONLINE: i32 = 206;
/// In 4.9.8 and 5.3.3.
pub const CONSUME_MSG_TIMEOUT: i32 = 207;
/// In 4.9.8 and 5.3.3.
pub const NO_MESSAGE: i32 = 208;
/// 4.9.8 only (removed by 5.3.3).
pub const UPDATE_AND_CREATE_ACL_CONFIG_FAILED: i32 = 209;
/// 5.x only (absent in 4.9.8).
pub const POLLING_FULL: i32 = 209;
/// 4.9.8 only (removed by 5.3.3).
pub const DELETE_ACL_CONFIG_FAILED: i32 = 210;
/// 5.x only (absent in 4.9.8).
pub const POLLING_TIMEOUT: i32 = 210;
/// 4.9.8 only (removed by 5.3.3).
pub const UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED: i32 = 211;
/// 5.x only (absent in 4.9.8).
pub const BROKER_NOT_EXIST: i32 = 211;
/// 5.x only (absent in 4.9.8).
pub const BROKER_DISPATCH_NOT_COMPLETE: i32 = 212;
/// 5.x only (absent in 4.9.8).
pub const BROADCAST_CONSUMPTION: i32 = 213;
/// In 4.9.8 and 5.3.3.
pub const FLOW_CONTROL: i32 = 215;
/// 5.x only (absent in 4.9.8).
pub const NOT_LEADER_FOR_QUEUE: i32 = 501;
/// 5.x only (absent in 4.9.8).
pub const ILLEGAL_OPERATION: i32 = 604;
/// 5.x only (absent in 4.9.8).
pub const GO_AWAY: i32 = 1500;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_FENCED_MASTER_EPOCH: i32 = 2000;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH: i32 = 2001;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_INVALID_MASTER: i32 = 2002;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_INVALID_REPLICAS: i32 = 2003;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_MASTER_NOT_AVAILABLE: i32 = 2004;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_INVALID_REQUEST: i32 = 2005;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_BROKER_NOT_ALIVE: i32 = 2006;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_NOT_LEADER: i32 = 2007;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_BROKER_METADATA_NOT_EXIST: i32 = 2008;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_INVALID_CLEAN_BROKER_METADATA: i32 = 2009;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_BROKER_NEED_TO_BE_REGISTERED: i32 = 2010;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_MASTER_STILL_EXIST: i32 = 2011;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_ELECT_MASTER_FAILED: i32 = 2012;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_ALTER_SYNC_STATE_SET_FAILED: i32 = 2013;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_BROKER_ID_INVALID: i32 = 2014;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_JRAFT_INTERNAL_ERROR: i32 = 2015;
/// 5.x only (absent in 4.9.8).
pub const CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS: i32 = 2016;
/// 5.x only (absent in 4.9.8).
pub const USER_NOT_EXIST: i32 = 3001;
/// 5.x only (absent in 4.9.8).
pub const POLICY_NOT_EXIST: i32 = 3002;

/// Java's constant name for `code`, `None` if neither 4.9.8 nor 5.3.3 defines it.
///
/// 209, 210 and 211 have two names (4.9.8 ACL failures, 5.x polling/broker codes); the 5.x
/// name is returned.
pub fn name(code: i32) -> Option<&'static str> {
    // A number listed twice is a compile error, so the table cannot drift into ambiguity.
    #[deny(unreachable_patterns)]
    let name = match code {
        RPC_TIME_OUT => "RPC_TIME_OUT",
        RPC_SEND_TO_CHANNEL_FAILED => "RPC_SEND_TO_CHANNEL_FAILED",
        RPC_ADDR_IS_NULL => "RPC_ADDR_IS_NULL",
        RPC_UNKNOWN => "RPC_UNKNOWN",
        SUCCESS => "SUCCESS",
        SYSTEM_ERROR => "SYSTEM_ERROR",
        SYSTEM_BUSY => "SYSTEM_BUSY",
        REQUEST_CODE_NOT_SUPPORTED => "REQUEST_CODE_NOT_SUPPORTED",
        TRANSACTION_FAILED => "TRANSACTION_FAILED",
        FLUSH_DISK_TIMEOUT => "FLUSH_DISK_TIMEOUT",
        SLAVE_NOT_AVAILABLE => "SLAVE_NOT_AVAILABLE",
        FLUSH_SLAVE_TIMEOUT => "FLUSH_SLAVE_TIMEOUT",
        MESSAGE_ILLEGAL => "MESSAGE_ILLEGAL",
        SERVICE_NOT_AVAILABLE => "SERVICE_NOT_AVAILABLE",
        VERSION_NOT_SUPPORTED => "VERSION_NOT_SUPPORTED",
        NO_PERMISSION => "NO_PERMISSION",
        TOPIC_NOT_EXIST => "TOPIC_NOT_EXIST",
        TOPIC_EXIST_ALREADY => "TOPIC_EXIST_ALREADY",
        PULL_NOT_FOUND => "PULL_NOT_FOUND",
        PULL_RETRY_IMMEDIATELY => "PULL_RETRY_IMMEDIATELY",
        PULL_OFFSET_MOVED => "PULL_OFFSET_MOVED",
        QUERY_NOT_FOUND => "QUERY_NOT_FOUND",
        SUBSCRIPTION_PARSE_FAILED => "SUBSCRIPTION_PARSE_FAILED",
        SUBSCRIPTION_NOT_EXIST => "SUBSCRIPTION_NOT_EXIST",
        SUBSCRIPTION_NOT_LATEST => "SUBSCRIPTION_NOT_LATEST",
        SUBSCRIPTION_GROUP_NOT_EXIST => "SUBSCRIPTION_GROUP_NOT_EXIST",
        FILTER_DATA_NOT_EXIST => "FILTER_DATA_NOT_EXIST",
        FILTER_DATA_NOT_LATEST => "FILTER_DATA_NOT_LATEST",
        INVALID_PARAMETER => "INVALID_PARAMETER",
        TRANSACTION_SHOULD_COMMIT => "TRANSACTION_SHOULD_COMMIT",
        TRANSACTION_SHOULD_ROLLBACK => "TRANSACTION_SHOULD_ROLLBACK",
        TRANSACTION_STATE_UNKNOW => "TRANSACTION_STATE_UNKNOW",
        TRANSACTION_STATE_GROUP_WRONG => "TRANSACTION_STATE_GROUP_WRONG",
        NO_BUYER_ID => "NO_BUYER_ID",
        NOT_IN_CURRENT_UNIT => "NOT_IN_CURRENT_UNIT",
        CONSUMER_NOT_ONLINE => "CONSUMER_NOT_ONLINE",
        CONSUME_MSG_TIMEOUT => "CONSUME_MSG_TIMEOUT",
        NO_MESSAGE => "NO_MESSAGE",
        POLLING_FULL => "POLLING_FULL",
        POLLING_TIMEOUT => "POLLING_TIMEOUT",
        BROKER_NOT_EXIST => "BROKER_NOT_EXIST",
        BROKER_DISPATCH_NOT_COMPLETE => "BROKER_DISPATCH_NOT_COMPLETE",
        BROADCAST_CONSUMPTION => "BROADCAST_CONSUMPTION",
        FLOW_CONTROL => "FLOW_CONTROL",
        NOT_LEADER_FOR_QUEUE => "NOT_LEADER_FOR_QUEUE",
        ILLEGAL_OPERATION => "ILLEGAL_OPERATION",
        GO_AWAY => "GO_AWAY",
        CONTROLLER_FENCED_MASTER_EPOCH => "CONTROLLER_FENCED_MASTER_EPOCH",
        CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH => "CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH",
        CONTROLLER_INVALID_MASTER => "CONTROLLER_INVALID_MASTER",
        CONTROLLER_INVALID_REPLICAS => "CONTROLLER_INVALID_REPLICAS",
        CONTROLLER_MASTER_NOT_AVAILABLE => "CONTROLLER_MASTER_NOT_AVAILABLE",
        CONTROLLER_INVALID_REQUEST => "CONTROLLER_INVALID_REQUEST",
        CONTROLLER_BROKER_NOT_ALIVE => "CONTROLLER_BROKER_NOT_ALIVE",
        CONTROLLER_NOT_LEADER => "CONTROLLER_NOT_LEADER",
        CONTROLLER_BROKER_METADATA_NOT_EXIST => "CONTROLLER_BROKER_METADATA_NOT_EXIST",
        CONTROLLER_INVALID_CLEAN_BROKER_METADATA => "CONTROLLER_INVALID_CLEAN_BROKER_METADATA",
        CONTROLLER_BROKER_NEED_TO_BE_REGISTERED => "CONTROLLER_BROKER_NEED_TO_BE_REGISTERED",
        CONTROLLER_MASTER_STILL_EXIST => "CONTROLLER_MASTER_STILL_EXIST",
        CONTROLLER_ELECT_MASTER_FAILED => "CONTROLLER_ELECT_MASTER_FAILED",
        CONTROLLER_ALTER_SYNC_STATE_SET_FAILED => "CONTROLLER_ALTER_SYNC_STATE_SET_FAILED",
        CONTROLLER_BROKER_ID_INVALID => "CONTROLLER_BROKER_ID_INVALID",
        CONTROLLER_JRAFT_INTERNAL_ERROR => "CONTROLLER_JRAFT_INTERNAL_ERROR",
        CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS => "CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS",
        USER_NOT_EXIST => "USER_NOT_EXIST",
        POLICY_NOT_EXIST => "POLICY_NOT_EXIST",
        _ => return None,
    };
    Some(name)
}

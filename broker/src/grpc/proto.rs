//! The messages of `apache.rocketmq.v2` (apache/rocketmq-apis `service.proto` and
//! `definition.proto`) that the endpoint reads or writes, declared for prost: field numbers and
//! types are the protocol's, the declarations our own. Enums travel as `i32` (prost's form for
//! open enums); their values are the constants in [`code`], [`client_type`], ...

// A oneof holds one of its messages at a time, as prost's generated code declares them.
#![allow(clippy::large_enum_variant)]

use std::collections::HashMap;

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Duration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Duration {
    pub fn from_millis(ms: i64) -> Self {
        Duration {
            seconds: ms.div_euclid(1000),
            nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
        }
    }

    pub fn millis(&self) -> i64 {
        self.seconds * 1000 + i64::from(self.nanos / 1_000_000)
    }
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Timestamp {
            seconds: ms.div_euclid(1000),
            nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
        }
    }

    pub fn millis(&self) -> i64 {
        self.seconds * 1000 + i64::from(self.nanos / 1_000_000)
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Resource {
    #[prost(string, tag = "1")]
    pub resource_namespace: String,
    #[prost(string, tag = "2")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

impl Status {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Status {
            code,
            message: message.into(),
        }
    }

    /// `OK` with Java's message, the code's name.
    pub fn ok() -> Self {
        Status::new(code::OK, "OK")
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FilterExpression {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(string, tag = "2")]
    pub expression: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExponentialBackoff {
    #[prost(message, optional, tag = "1")]
    pub initial: Option<Duration>,
    #[prost(message, optional, tag = "2")]
    pub max: Option<Duration>,
    #[prost(float, tag = "3")]
    pub multiplier: f32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CustomizedBackoff {
    #[prost(message, repeated, tag = "1")]
    pub next: Vec<Duration>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Strategy {
    #[prost(message, tag = "2")]
    ExponentialBackoff(ExponentialBackoff),
    #[prost(message, tag = "3")]
    CustomizedBackoff(CustomizedBackoff),
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RetryPolicy {
    #[prost(int32, tag = "1")]
    pub max_attempts: i32,
    #[prost(oneof = "Strategy", tags = "2, 3")]
    pub strategy: Option<Strategy>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SubscriptionEntry {
    #[prost(message, optional, tag = "1")]
    pub topic: Option<Resource>,
    #[prost(message, optional, tag = "2")]
    pub expression: Option<FilterExpression>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Address {
    #[prost(string, tag = "1")]
    pub host: String,
    #[prost(int32, tag = "2")]
    pub port: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Endpoints {
    #[prost(int32, tag = "1")]
    pub scheme: i32,
    #[prost(message, repeated, tag = "2")]
    pub addresses: Vec<Address>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Broker {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(int32, tag = "2")]
    pub id: i32,
    #[prost(message, optional, tag = "3")]
    pub endpoints: Option<Endpoints>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MessageQueue {
    #[prost(message, optional, tag = "1")]
    pub topic: Option<Resource>,
    #[prost(int32, tag = "2")]
    pub id: i32,
    #[prost(int32, tag = "3")]
    pub permission: i32,
    #[prost(message, optional, tag = "4")]
    pub broker: Option<Broker>,
    #[prost(int32, repeated, tag = "5")]
    pub accept_message_types: Vec<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Digest {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(string, tag = "2")]
    pub checksum: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SystemProperties {
    #[prost(string, optional, tag = "1")]
    pub tag: Option<String>,
    #[prost(string, repeated, tag = "2")]
    pub keys: Vec<String>,
    #[prost(string, tag = "3")]
    pub message_id: String,
    #[prost(message, optional, tag = "4")]
    pub body_digest: Option<Digest>,
    #[prost(int32, tag = "5")]
    pub body_encoding: i32,
    #[prost(int32, tag = "6")]
    pub message_type: i32,
    #[prost(message, optional, tag = "7")]
    pub born_timestamp: Option<Timestamp>,
    #[prost(string, tag = "8")]
    pub born_host: String,
    #[prost(message, optional, tag = "9")]
    pub store_timestamp: Option<Timestamp>,
    #[prost(string, tag = "10")]
    pub store_host: String,
    #[prost(message, optional, tag = "11")]
    pub delivery_timestamp: Option<Timestamp>,
    #[prost(string, optional, tag = "12")]
    pub receipt_handle: Option<String>,
    #[prost(int32, tag = "13")]
    pub queue_id: i32,
    #[prost(int64, optional, tag = "14")]
    pub queue_offset: Option<i64>,
    #[prost(message, optional, tag = "15")]
    pub invisible_duration: Option<Duration>,
    #[prost(int32, optional, tag = "16")]
    pub delivery_attempt: Option<i32>,
    #[prost(string, optional, tag = "17")]
    pub message_group: Option<String>,
    #[prost(string, optional, tag = "18")]
    pub trace_context: Option<String>,
    #[prost(message, optional, tag = "19")]
    pub orphaned_transaction_recovery_duration: Option<Duration>,
    #[prost(message, optional, tag = "20")]
    pub dead_letter_queue: Option<DeadLetterQueue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct DeadLetterQueue {
    #[prost(string, tag = "1")]
    pub topic: String,
    #[prost(string, tag = "2")]
    pub message_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Message {
    #[prost(message, optional, tag = "1")]
    pub topic: Option<Resource>,
    #[prost(map = "string, string", tag = "2")]
    pub user_properties: HashMap<String, String>,
    #[prost(message, optional, tag = "3")]
    pub system_properties: Option<SystemProperties>,
    #[prost(bytes = "bytes", tag = "4")]
    pub body: bytes::Bytes,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Assignment {
    #[prost(message, optional, tag = "1")]
    pub message_queue: Option<MessageQueue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Ua {
    #[prost(int32, tag = "1")]
    pub language: i32,
    #[prost(string, tag = "2")]
    pub version: String,
    #[prost(string, tag = "3")]
    pub platform: String,
    #[prost(string, tag = "4")]
    pub hostname: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Publishing {
    #[prost(message, repeated, tag = "1")]
    pub topics: Vec<Resource>,
    #[prost(int32, tag = "2")]
    pub max_body_size: i32,
    #[prost(bool, tag = "3")]
    pub validate_message_type: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Subscription {
    #[prost(message, optional, tag = "1")]
    pub group: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub subscriptions: Vec<SubscriptionEntry>,
    #[prost(bool, optional, tag = "3")]
    pub fifo: Option<bool>,
    #[prost(int32, optional, tag = "4")]
    pub receive_batch_size: Option<i32>,
    #[prost(message, optional, tag = "5")]
    pub long_polling_timeout: Option<Duration>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum PubSub {
    #[prost(message, tag = "5")]
    Publishing(Publishing),
    #[prost(message, tag = "6")]
    Subscription(Subscription),
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    #[prost(bool, tag = "1")]
    pub on: bool,
    #[prost(message, optional, tag = "2")]
    pub endpoints: Option<Endpoints>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Settings {
    #[prost(int32, optional, tag = "1")]
    pub client_type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub access_point: Option<Endpoints>,
    #[prost(message, optional, tag = "3")]
    pub backoff_policy: Option<RetryPolicy>,
    #[prost(message, optional, tag = "4")]
    pub request_timeout: Option<Duration>,
    #[prost(oneof = "PubSub", tags = "5, 6")]
    pub pub_sub: Option<PubSub>,
    #[prost(message, optional, tag = "7")]
    pub user_agent: Option<Ua>,
    #[prost(message, optional, tag = "8")]
    pub metric: Option<Metric>,
    #[prost(map = "string, string", tag = "9")]
    pub client_properties: HashMap<String, String>,
}

// ---- service.proto ----

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryRouteRequest {
    #[prost(message, optional, tag = "1")]
    pub topic: Option<Resource>,
    #[prost(message, optional, tag = "2")]
    pub endpoints: Option<Endpoints>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryRouteResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(message, repeated, tag = "2")]
    pub message_queues: Vec<MessageQueue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SendMessageRequest {
    #[prost(message, repeated, tag = "1")]
    pub messages: Vec<Message>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SendResultEntry {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(string, tag = "2")]
    pub message_id: String,
    #[prost(string, tag = "3")]
    pub transaction_id: String,
    #[prost(int64, tag = "4")]
    pub offset: i64,
    #[prost(string, tag = "5")]
    pub recall_handle: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SendMessageResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<SendResultEntry>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RecallMessageRequest {
    #[prost(message, optional, tag = "1")]
    pub topic: Option<Resource>,
    #[prost(string, tag = "2")]
    pub recall_handle: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RecallMessageResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(string, tag = "2")]
    pub message_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryAssignmentRequest {
    #[prost(message, optional, tag = "1")]
    pub topic: Option<Resource>,
    #[prost(message, optional, tag = "2")]
    pub group: Option<Resource>,
    #[prost(message, optional, tag = "3")]
    pub endpoints: Option<Endpoints>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryAssignmentResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(message, repeated, tag = "2")]
    pub assignments: Vec<Assignment>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ReceiveMessageRequest {
    #[prost(message, optional, tag = "1")]
    pub group: Option<Resource>,
    #[prost(message, optional, tag = "2")]
    pub message_queue: Option<MessageQueue>,
    #[prost(message, optional, tag = "3")]
    pub filter_expression: Option<FilterExpression>,
    #[prost(int32, tag = "4")]
    pub batch_size: i32,
    #[prost(message, optional, tag = "5")]
    pub invisible_duration: Option<Duration>,
    #[prost(bool, tag = "6")]
    pub auto_renew: bool,
    #[prost(message, optional, tag = "7")]
    pub long_polling_timeout: Option<Duration>,
    #[prost(string, optional, tag = "8")]
    pub attempt_id: Option<String>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ReceiveContent {
    #[prost(message, tag = "1")]
    Status(Status),
    #[prost(message, tag = "2")]
    Message(Message),
    #[prost(message, tag = "3")]
    DeliveryTimestamp(Timestamp),
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ReceiveMessageResponse {
    #[prost(oneof = "ReceiveContent", tags = "1, 2, 3")]
    pub content: Option<ReceiveContent>,
}

/// A response that carries only its status: a call refused before its handler runs.
pub trait StatusOnly {
    fn with_status(status: Status) -> Self;
}

macro_rules! status_only {
    ($($t:ty),* $(,)?) => {$(
        impl StatusOnly for $t {
            // Some of these responses are their status alone.
            #[allow(clippy::needless_update)]
            fn with_status(status: Status) -> Self {
                Self { status: Some(status), ..Default::default() }
            }
        }
    )*};
}

status_only!(
    QueryRouteResponse,
    SendMessageResponse,
    QueryAssignmentResponse,
    AckMessageResponse,
    ForwardMessageToDeadLetterQueueResponse,
    HeartbeatResponse,
    EndTransactionResponse,
    NotifyClientTerminationResponse,
    ChangeInvisibleDurationResponse,
    RecallMessageResponse,
);

impl StatusOnly for ReceiveMessageResponse {
    fn with_status(status: Status) -> Self {
        ReceiveMessageResponse {
            content: Some(ReceiveContent::Status(status)),
        }
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AckMessageEntry {
    #[prost(string, tag = "1")]
    pub message_id: String,
    #[prost(string, tag = "2")]
    pub receipt_handle: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AckMessageRequest {
    #[prost(message, optional, tag = "1")]
    pub group: Option<Resource>,
    #[prost(message, optional, tag = "2")]
    pub topic: Option<Resource>,
    #[prost(message, repeated, tag = "3")]
    pub entries: Vec<AckMessageEntry>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AckMessageResultEntry {
    #[prost(string, tag = "1")]
    pub message_id: String,
    #[prost(string, tag = "2")]
    pub receipt_handle: String,
    #[prost(message, optional, tag = "3")]
    pub status: Option<Status>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AckMessageResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<AckMessageResultEntry>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ForwardMessageToDeadLetterQueueRequest {
    #[prost(message, optional, tag = "1")]
    pub group: Option<Resource>,
    #[prost(message, optional, tag = "2")]
    pub topic: Option<Resource>,
    #[prost(string, tag = "3")]
    pub receipt_handle: String,
    #[prost(string, tag = "4")]
    pub message_id: String,
    #[prost(int32, tag = "5")]
    pub delivery_attempt: i32,
    #[prost(int32, tag = "6")]
    pub max_delivery_attempts: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ForwardMessageToDeadLetterQueueResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HeartbeatRequest {
    #[prost(message, optional, tag = "1")]
    pub group: Option<Resource>,
    #[prost(int32, tag = "2")]
    pub client_type: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HeartbeatResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EndTransactionRequest {
    #[prost(message, optional, tag = "1")]
    pub topic: Option<Resource>,
    #[prost(string, tag = "2")]
    pub message_id: String,
    #[prost(string, tag = "3")]
    pub transaction_id: String,
    #[prost(int32, tag = "4")]
    pub resolution: i32,
    #[prost(int32, tag = "5")]
    pub source: i32,
    #[prost(string, tag = "6")]
    pub trace_context: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EndTransactionResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PrintThreadStackTraceCommand {
    #[prost(string, tag = "1")]
    pub nonce: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ReconnectEndpointsCommand {
    #[prost(string, tag = "1")]
    pub nonce: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ThreadStackTrace {
    #[prost(string, tag = "1")]
    pub nonce: String,
    #[prost(string, optional, tag = "2")]
    pub thread_stack_trace: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct VerifyMessageCommand {
    #[prost(string, tag = "1")]
    pub nonce: String,
    #[prost(message, optional, tag = "2")]
    pub message: Option<Message>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct VerifyMessageResult {
    #[prost(string, tag = "1")]
    pub nonce: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RecoverOrphanedTransactionCommand {
    #[prost(message, optional, tag = "1")]
    pub message: Option<Message>,
    #[prost(string, tag = "2")]
    pub transaction_id: String,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Command {
    #[prost(message, tag = "2")]
    Settings(Settings),
    #[prost(message, tag = "3")]
    ThreadStackTrace(ThreadStackTrace),
    #[prost(message, tag = "4")]
    VerifyMessageResult(VerifyMessageResult),
    #[prost(message, tag = "5")]
    RecoverOrphanedTransactionCommand(RecoverOrphanedTransactionCommand),
    #[prost(message, tag = "6")]
    PrintThreadStackTraceCommand(PrintThreadStackTraceCommand),
    #[prost(message, tag = "7")]
    VerifyMessageCommand(VerifyMessageCommand),
    #[prost(message, tag = "8")]
    ReconnectEndpointsCommand(ReconnectEndpointsCommand),
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TelemetryCommand {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(oneof = "Command", tags = "2, 3, 4, 5, 6, 7, 8")]
    pub command: Option<Command>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct NotifyClientTerminationRequest {
    #[prost(message, optional, tag = "1")]
    pub group: Option<Resource>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct NotifyClientTerminationResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ChangeInvisibleDurationRequest {
    #[prost(message, optional, tag = "1")]
    pub group: Option<Resource>,
    #[prost(message, optional, tag = "2")]
    pub topic: Option<Resource>,
    #[prost(string, tag = "3")]
    pub receipt_handle: String,
    #[prost(message, optional, tag = "4")]
    pub invisible_duration: Option<Duration>,
    #[prost(string, tag = "5")]
    pub message_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ChangeInvisibleDurationResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(string, tag = "2")]
    pub receipt_handle: String,
}

/// `apache.rocketmq.v2.Code` values the endpoint answers with or reads.
pub mod code {
    pub const OK: i32 = 20000;
    pub const MULTIPLE_RESULTS: i32 = 30000;
    pub const BAD_REQUEST: i32 = 40000;
    pub const ILLEGAL_TOPIC: i32 = 40002;
    pub const ILLEGAL_CONSUMER_GROUP: i32 = 40003;
    pub const ILLEGAL_MESSAGE_TAG: i32 = 40004;
    pub const ILLEGAL_MESSAGE_KEY: i32 = 40005;
    pub const ILLEGAL_MESSAGE_GROUP: i32 = 40006;
    pub const ILLEGAL_MESSAGE_PROPERTY_KEY: i32 = 40007;
    pub const INVALID_TRANSACTION_ID: i32 = 40008;
    pub const ILLEGAL_MESSAGE_ID: i32 = 40009;
    pub const ILLEGAL_FILTER_EXPRESSION: i32 = 40010;
    pub const ILLEGAL_INVISIBLE_TIME: i32 = 40011;
    pub const ILLEGAL_DELIVERY_TIME: i32 = 40012;
    pub const INVALID_RECEIPT_HANDLE: i32 = 40013;
    pub const MESSAGE_PROPERTY_CONFLICT_WITH_TYPE: i32 = 40014;
    pub const MESSAGE_CORRUPTED: i32 = 40016;
    pub const UNRECOGNIZED_CLIENT_TYPE: i32 = 40015;
    pub const CLIENT_ID_REQUIRED: i32 = 40017;
    pub const ILLEGAL_POLLING_TIME: i32 = 40018;
    pub const FORBIDDEN: i32 = 40300;
    pub const MESSAGE_NOT_FOUND: i32 = 40401;
    pub const TOPIC_NOT_FOUND: i32 = 40402;
    pub const CONSUMER_GROUP_NOT_FOUND: i32 = 40403;
    pub const PAYLOAD_TOO_LARGE: i32 = 41300;
    pub const MESSAGE_BODY_TOO_LARGE: i32 = 41301;
    pub const MESSAGE_BODY_EMPTY: i32 = 41302;
    pub const TOO_MANY_REQUESTS: i32 = 42900;
    pub const MESSAGE_PROPERTIES_TOO_LARGE: i32 = 43101;
    pub const INTERNAL_ERROR: i32 = 50000;
    pub const INTERNAL_SERVER_ERROR: i32 = 50001;
    pub const HA_NOT_AVAILABLE: i32 = 50002;
    pub const NOT_IMPLEMENTED: i32 = 50100;
    pub const MASTER_PERSISTENCE_TIMEOUT: i32 = 50401;
    pub const SLAVE_PERSISTENCE_TIMEOUT: i32 = 50402;
    pub const UNSUPPORTED: i32 = 50500;
    pub const VERIFY_FIFO_MESSAGE_UNSUPPORTED: i32 = 50502;
    pub const FAILED_TO_CONSUME_MESSAGE: i32 = 60000;
}

pub mod client_type {
    pub const PRODUCER: i32 = 1;
    pub const PUSH_CONSUMER: i32 = 2;
    pub const SIMPLE_CONSUMER: i32 = 3;
}

pub mod permission {
    pub const NONE: i32 = 1;
    pub const READ: i32 = 2;
    pub const WRITE: i32 = 3;
    pub const READ_WRITE: i32 = 4;
}

pub mod message_type {
    pub const UNSPECIFIED: i32 = 0;
    pub const NORMAL: i32 = 1;
    pub const FIFO: i32 = 2;
    pub const DELAY: i32 = 3;
    pub const TRANSACTION: i32 = 4;
}

pub mod filter_type {
    pub const TAG: i32 = 1;
    pub const SQL: i32 = 2;
}

pub mod encoding {
    pub const IDENTITY: i32 = 1;
    pub const GZIP: i32 = 2;
}

pub mod digest_type {
    pub const CRC32: i32 = 1;
}

pub mod address_scheme {
    pub const IPV4: i32 = 1;
}

pub mod resolution {
    pub const COMMIT: i32 = 1;
    pub const ROLLBACK: i32 = 2;
}

pub mod source {
    pub const SERVER_CHECK: i32 = 2;
}

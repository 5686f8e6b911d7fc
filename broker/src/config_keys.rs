//! The table of broker configuration keys: Java name, Rust field, type, default, the Java class
//! that declares it, whether Java marks it `@ImportantField`, and what it does in Thrust
//! ([`Effect`]: honoured, without effect and why that is harmless, or refused for the values
//! that turn on a feature Thrust does not have). Everything else about configuration (parse,
//! print, update, the store hand-off, the start-up and update refusals, `docs/config.md`) is
//! generated from this one list.
//!
//! The keys are every field of Java 5.3.3's `BrokerIdentity`, `BrokerConfig`,
//! `NettyServerConfig`, `NettyClientConfig` and `MessageStoreConfig` (the 411 keys
//! `GET_BROKER_CONFIG` lists, plus the ten whose default is null), in Java's declaration order,
//! then `AuthConfig`'s, which Java reads from the file but does not list, then Thrust's own. Defaults are Java's
//! after `BrokerStartup`'s adjustments (`listenPort` 10911, `haListenPort` 0 meaning listen+1).
//! A key in two Java classes (`listenPort`, `writeBufferHighWaterMark`,
//! `writeBufferLowWaterMark`) sets both there and is declared once here.

use remoting::config_effect::{min, no, only_default, range, refused_when, PORT, START, USE};

use crate::config::{
    home_dir, host_name, local_address, processors, ConfigValue, KeyInfo, Section,
};
use crate::config_reasons::*;
use crate::config_values::{BrokerRole, FlushDiskType, MessageRequestMode, MetricsExporterType};

macro_rules! config_table {
    ($( $sec:ident $imp:literal $field:ident : $ty:ty = $key:literal => $default:expr, $effect:expr $(, $rule:expr)* ; )*) => {
        /// Every broker setting, one field per Java key.
        #[derive(Debug, Clone)]
        pub struct BrokerConfig {
            $( pub $field: $ty, )*
            /// Keys of the `-c` file that no declared key matches, kept (like Java's
            /// `Configuration.registerConfig`) for GET_BROKER_CONFIG and config rewrites.
            pub extra: Vec<(String, String)>,
            /// The `-c` file (Java `BrokerPathConfigHelper`, not a key): where an update
            /// persists the configuration unless `brokerConfigPath` names another file.
            pub config_file: Option<String>,
        }

        impl Default for BrokerConfig {
            fn default() -> Self {
                Self { $( $field: $default, )* extra: Vec::new(), config_file: None }
            }
        }

        const KEYS: &[KeyInfo] = &[ $( KeyInfo {
            name: $key,
            section: Section::$sec,
            important: $imp,
            effect: $effect,
            rules: &[ $( $rule ),* ],
        }, )* ];

        impl BrokerConfig {
            /// The declared keys in table order.
            pub fn keys() -> &'static [KeyInfo] { KEYS }

            /// Sets one key; Ok(false) when the key is not declared.
            pub fn set(&mut self, key: &str, raw: &str) -> Result<bool, String> {
                match key {
                    $( $key => { self.$field = <$ty as ConfigValue>::parse_java(raw.trim())?; Ok(true) } )*
                    _ => Ok(false),
                }
            }

            /// One key's value as Java prints it (`None` for null or an undeclared key).
            pub fn get(&self, key: &str) -> Option<String> {
                match key {
                    $( $key => self.$field.render_java(), )*
                    _ => None,
                }
            }

            /// One key's Java default as Java prints it (`None` for null or an undeclared key).
            pub fn default_text(key: &str) -> Option<String> {
                match key {
                    $( $key => { let d: $ty = $default; d.render_java() } )*
                    _ => None,
                }
            }
        }
    };
}

#[rustfmt::skip]
config_table! {
    // BrokerConfig / BrokerIdentity
    Broker true broker_name: String = "brokerName" => host_name(), USE, START;
    Broker true broker_cluster_name: String = "brokerClusterName" => "DefaultCluster".into(), USE, START;
    Broker true broker_id: i64 = "brokerId" => 0, USE, START, min(0);
    Broker false is_broker_container: bool = "isBrokerContainer" => false, no(IDENTITY);
    Broker false in_broker_container: bool = "inBrokerContainer" => false, no(IDENTITY);
    Broker false broker_config_path: Option<String> = "brokerConfigPath" => None, USE;
    Broker false rocketmq_home: Option<String> = "rocketmqHome" => None, USE;
    Broker true namesrv_addr: Option<String> = "namesrvAddr" => None, USE;
    Broker true listen_port: i32 = "listenPort" => 10911, USE, START, PORT;
    Broker true broker_ip1: String = "brokerIP1" => local_address(), USE, START;
    Broker false broker_ip2: String = "brokerIP2" => local_address(), USE, START;
    Broker true recover_concurrently: bool = "recoverConcurrently" => false, no(RECOVERY_SPEED);
    Broker false broker_permission: i32 = "brokerPermission" => 6, USE, range(0, 15);
    Broker false default_topic_queue_nums: i32 = "defaultTopicQueueNums" => 8, USE, min(1);
    Broker true auto_create_topic_enable: bool = "autoCreateTopicEnable" => true, USE;
    Broker false cluster_topic_enable: bool = "clusterTopicEnable" => true, USE;
    Broker false broker_topic_enable: bool = "brokerTopicEnable" => true, USE;
    Broker true auto_create_subscription_group: bool = "autoCreateSubscriptionGroup" => true, USE;
    Broker false message_store_plug_in: String = "messageStorePlugIn" => String::new(), only_default("message store plug-ins");
    Broker true msg_trace_topic_name: String = "msgTraceTopicName" => "RMQ_SYS_TRACE_TOPIC".into(), USE;
    Broker true trace_topic_enable: bool = "traceTopicEnable" => false, USE;
    Broker false send_message_thread_pool_nums: i32 = "sendMessageThreadPoolNums" => processors().min(4), no(POOL);
    Broker false put_message_future_thread_pool_nums: i32 = "putMessageFutureThreadPoolNums" => processors().min(4), no(POOL);
    Broker false pull_message_thread_pool_nums: i32 = "pullMessageThreadPoolNums" => 16 + processors() * 2, no(POOL);
    Broker false lite_pull_message_thread_pool_nums: i32 = "litePullMessageThreadPoolNums" => 16 + processors() * 2, no(POOL);
    Broker false ack_message_thread_pool_nums: i32 = "ackMessageThreadPoolNums" => 16, no(POOL);
    Broker false process_reply_message_thread_pool_nums: i32 = "processReplyMessageThreadPoolNums" => 16 + processors() * 2, no(POOL);
    Broker false query_message_thread_pool_nums: i32 = "queryMessageThreadPoolNums" => 8 + processors(), no(POOL);
    Broker false admin_broker_thread_pool_nums: i32 = "adminBrokerThreadPoolNums" => 16, no(POOL);
    Broker false client_manage_thread_pool_nums: i32 = "clientManageThreadPoolNums" => 32, no(POOL);
    Broker false consumer_manage_thread_pool_nums: i32 = "consumerManageThreadPoolNums" => 32, no(POOL);
    Broker false load_balance_processor_thread_pool_nums: i32 = "loadBalanceProcessorThreadPoolNums" => 32, no(POOL);
    Broker false heartbeat_thread_pool_nums: i32 = "heartbeatThreadPoolNums" => processors().min(32), no(POOL);
    Broker false recover_thread_pool_nums: i32 = "recoverThreadPoolNums" => 32, no(RECOVERY_SPEED);
    Broker false end_transaction_thread_pool_nums: i32 = "endTransactionThreadPoolNums" => (8 + processors() * 2).max(processors().min(4) * 4), no(POOL);
    Broker false flush_consumer_offset_interval: i32 = "flushConsumerOffsetInterval" => 5_000, USE, min(1);
    Broker false flush_consumer_offset_history_interval: i32 = "flushConsumerOffsetHistoryInterval" => 60_000, no(UNUSED);
    Broker true reject_transaction_message: bool = "rejectTransactionMessage" => false, USE;
    Broker true fetch_name_srv_addr_by_dns_lookup: bool = "fetchNameSrvAddrByDnsLookup" => false, only_default("resolving namesrvAddr through DNS to every address of the name");
    Broker true fetch_namesrv_addr_by_address_server: bool = "fetchNamesrvAddrByAddressServer" => false, only_default("fetching the NameServer list from an address server");
    Broker false send_thread_pool_queue_capacity: i32 = "sendThreadPoolQueueCapacity" => 10_000, no(POOL);
    Broker false put_thread_pool_queue_capacity: i32 = "putThreadPoolQueueCapacity" => 10_000, no(POOL);
    Broker false pull_thread_pool_queue_capacity: i32 = "pullThreadPoolQueueCapacity" => 100_000, no(POOL);
    Broker false lite_pull_thread_pool_queue_capacity: i32 = "litePullThreadPoolQueueCapacity" => 100_000, no(POOL);
    Broker false ack_thread_pool_queue_capacity: i32 = "ackThreadPoolQueueCapacity" => 100_000, no(POOL);
    Broker false reply_thread_pool_queue_capacity: i32 = "replyThreadPoolQueueCapacity" => 10_000, no(POOL);
    Broker false query_thread_pool_queue_capacity: i32 = "queryThreadPoolQueueCapacity" => 20_000, no(POOL);
    Broker false client_manager_thread_pool_queue_capacity: i32 = "clientManagerThreadPoolQueueCapacity" => 1_000_000, no(POOL);
    Broker false consumer_manager_thread_pool_queue_capacity: i32 = "consumerManagerThreadPoolQueueCapacity" => 1_000_000, no(POOL);
    Broker false heartbeat_thread_pool_queue_capacity: i32 = "heartbeatThreadPoolQueueCapacity" => 50_000, no(POOL);
    Broker false end_transaction_pool_queue_capacity: i32 = "endTransactionPoolQueueCapacity" => 100_000, no(POOL);
    Broker false admin_broker_thread_pool_queue_capacity: i32 = "adminBrokerThreadPoolQueueCapacity" => 10_000, no(POOL);
    Broker false load_balance_thread_pool_queue_capacity: i32 = "loadBalanceThreadPoolQueueCapacity" => 100_000, no(POOL);
    Broker false long_polling_enable: bool = "longPollingEnable" => true, USE;
    Broker false short_polling_time_mills: i64 = "shortPollingTimeMills" => 1000, USE, min(1);
    Broker false notify_consumer_ids_changed_enable: bool = "notifyConsumerIdsChangedEnable" => true, USE;
    Broker false high_speed_mode: bool = "highSpeedMode" => false, no(UNUSED);
    Broker false commercial_base_count: i32 = "commercialBaseCount" => 1, no(STATS);
    Broker false commercial_size_per_msg: i32 = "commercialSizePerMsg" => 4096, no(STATS);
    Broker false account_stats_enable: bool = "accountStatsEnable" => true, no(STATS);
    Broker false account_stats_print_zero_values: bool = "accountStatsPrintZeroValues" => true, no(STATS);
    Broker false max_stats_idle_time_in_minutes: i32 = "maxStatsIdleTimeInMinutes" => -1, no(STATS);
    Broker false transfer_msg_by_heap: bool = "transferMsgByHeap" => true, no(TRANSFER);
    Broker false region_id: String = "regionId" => "DefaultRegion".into(), USE;
    Broker false register_broker_timeout_mills: i32 = "registerBrokerTimeoutMills" => 24_000, USE, min(1);
    Broker false send_heartbeat_timeout_millis: i32 = "sendHeartbeatTimeoutMillis" => 1000, USE;
    Broker false slave_read_enable: bool = "slaveReadEnable" => false, USE;
    Broker false disable_consume_if_consumer_read_slowly: bool = "disableConsumeIfConsumerReadSlowly" => false, only_default("turning consumption off for groups that read slowly");
    Broker false consumer_fallbehind_threshold: i64 = "consumerFallbehindThreshold" => 16 * 1024 * 1024 * 1024, no(READ_SLOWLY);
    Broker false broker_fast_failure_enable: bool = "brokerFastFailureEnable" => true, no(QUEUE_WAIT);
    Broker false wait_time_mills_in_send_queue: i64 = "waitTimeMillsInSendQueue" => 200, no(QUEUE_WAIT);
    Broker false wait_time_mills_in_pull_queue: i64 = "waitTimeMillsInPullQueue" => 5_000, no(QUEUE_WAIT);
    Broker false wait_time_mills_in_lite_pull_queue: i64 = "waitTimeMillsInLitePullQueue" => 5000, no(QUEUE_WAIT);
    Broker false wait_time_mills_in_heartbeat_queue: i64 = "waitTimeMillsInHeartbeatQueue" => 31_000, no(QUEUE_WAIT);
    Broker false wait_time_mills_in_transaction_queue: i64 = "waitTimeMillsInTransactionQueue" => 3_000, no(QUEUE_WAIT);
    Broker false wait_time_mills_in_ack_queue: i64 = "waitTimeMillsInAckQueue" => 3000, no(QUEUE_WAIT);
    Broker false wait_time_mills_in_admin_broker_queue: i64 = "waitTimeMillsInAdminBrokerQueue" => 5000, no(QUEUE_WAIT);
    Broker false start_accept_send_request_time_stamp: i64 = "startAcceptSendRequestTimeStamp" => 0, USE, min(0);
    Broker false trace_on: bool = "traceOn" => true, USE;
    Broker false enable_calc_filter_bit_map: bool = "enableCalcFilterBitMap" => false, no(PROPERTY_FILTER);
    Broker false reject_pull_consumer_enable: bool = "rejectPullConsumerEnable" => false, only_default("rejecting pull consumers");
    Broker false expect_consumer_num_use_filter: i32 = "expectConsumerNumUseFilter" => 32, no(PROPERTY_FILTER);
    Broker false max_error_rate_of_bloom_filter: i32 = "maxErrorRateOfBloomFilter" => 20, no(PROPERTY_FILTER);
    Broker false filter_data_clean_time_span: i64 = "filterDataCleanTimeSpan" => 24 * 3600 * 1000, no(PROPERTY_FILTER);
    Broker false filter_support_retry: bool = "filterSupportRetry" => false, no(PROPERTY_FILTER);
    Broker false enable_property_filter: bool = "enablePropertyFilter" => false, only_default("SQL92 property filtering");
    Broker false compressed_register: bool = "compressedRegister" => false, no(COMPRESSED_REGISTER);
    Broker false force_register: bool = "forceRegister" => true, no(FORCE_REGISTER);
    Broker false register_name_server_period: i32 = "registerNameServerPeriod" => 30_000, USE, min(1);
    Broker false update_name_server_addr_period: i32 = "updateNameServerAddrPeriod" => 120_000, no(ADDRESS_SERVER);
    Broker false broker_heartbeat_interval: i32 = "brokerHeartbeatInterval" => 1000, USE;
    Broker false broker_not_active_timeout_millis: i64 = "brokerNotActiveTimeoutMillis" => 10_000, no(SLAVE_ACTING);
    Broker false enable_net_work_flow_control: bool = "enableNetWorkFlowControl" => false, no(NETWORK_FLOW);
    Broker false enable_broadcast_offset_store: bool = "enableBroadcastOffsetStore" => true, no(BROADCAST_OFFSETS);
    Broker false broadcast_offset_expire_second: i64 = "broadcastOffsetExpireSecond" => 120, no(BROADCAST_OFFSETS);
    Broker false broadcast_offset_expire_max_second: i64 = "broadcastOffsetExpireMaxSecond" => 300, no(BROADCAST_OFFSETS);
    Broker false pop_polling_size: i32 = "popPollingSize" => 1024, USE;
    Broker false pop_polling_map_size: i32 = "popPollingMapSize" => 100_000, no(POP_POLLING_MAP);
    Broker false max_pop_polling_size: i64 = "maxPopPollingSize" => 100_000, USE;
    Broker false revive_queue_num: i32 = "reviveQueueNum" => 8, USE, START, min(1);
    Broker false revive_interval: i64 = "reviveInterval" => 1000, USE;
    Broker false revive_max_slow: i64 = "reviveMaxSlow" => 3, USE;
    Broker false revive_scan_time: i64 = "reviveScanTime" => 10_000, USE;
    Broker false enable_skip_long_awaiting_ack: bool = "enableSkipLongAwaitingAck" => false, only_default("skipping acks whose check-point never comes (enableSkipLongAwaitingAck)");
    Broker false revive_ack_wait_ms: i64 = "reviveAckWaitMs" => 180_000, no(SKIP_AWAITING_ACK);
    Broker false enable_pop_log: bool = "enablePopLog" => false, no(STATS);
    Broker false enable_pop_buffer_merge: bool = "enablePopBufferMerge" => false, only_default("merging POP check-points and acks in memory (PopBufferMergeService)");
    Broker false pop_ck_stay_buffer_time: i32 = "popCkStayBufferTime" => 10_000, no(POP_BUFFER);
    Broker false pop_ck_stay_buffer_time_out: i32 = "popCkStayBufferTimeOut" => 3000, no(POP_BUFFER);
    Broker false pop_ck_max_buffer_size: i32 = "popCkMaxBufferSize" => 200_000, no(POP_BUFFER);
    Broker false pop_ck_offset_max_queue_size: i32 = "popCkOffsetMaxQueueSize" => 20_000, no(POP_BUFFER);
    Broker false enable_pop_batch_ack: bool = "enablePopBatchAck" => false, no(POP_BUFFER);
    Broker false pop_long_polling_force_notify_interval: i64 = "popLongPollingForceNotifyInterval" => 800, no(POP_FORCE_NOTIFY);
    Broker false enable_notify_before_pop_calculate_lag: bool = "enableNotifyBeforePopCalculateLag" => true, no(STATS);
    Broker false enable_notify_after_pop_order_lock_release: bool = "enableNotifyAfterPopOrderLockRelease" => true, USE;
    Broker false init_pop_offset_by_check_msg_in_mem: bool = "initPopOffsetByCheckMsgInMem" => true, USE;
    Broker false retrieve_message_from_pop_retry_topic_v1: bool = "retrieveMessageFromPopRetryTopicV1" => true, USE;
    Broker false enable_retry_topic_v2: bool = "enableRetryTopicV2" => false, USE;
    Broker false pop_from_retry_probability: i32 = "popFromRetryProbability" => 20, USE;
    Broker false pop_consumer_f_s_service_init: bool = "popConsumerFSServiceInit" => true, only_default("POP without its check-point and revive services (popConsumerFSServiceInit=false)");
    Broker false pop_consumer_k_v_service_log: bool = "popConsumerKVServiceLog" => false, no(POP_KV);
    Broker false pop_consumer_k_v_service_init: bool = "popConsumerKVServiceInit" => false, only_default("the RocksDB-backed POP consumer service");
    Broker false pop_consumer_k_v_service_enable: bool = "popConsumerKVServiceEnable" => false, only_default("the RocksDB-backed POP consumer service");
    Broker false pop_revive_max_return_size_per_read: i32 = "popReviveMaxReturnSizePerRead" => 16_384, no(POP_KV);
    Broker false pop_revive_max_attempt_times: i32 = "popReviveMaxAttemptTimes" => 16, no(POP_KV);
    Broker false real_time_notify_consumer_change: bool = "realTimeNotifyConsumerChange" => true, no(NOTIFY_BATCH);
    Broker false lite_pull_message_enable: bool = "litePullMessageEnable" => true, USE;
    Broker false sync_broker_member_group_period: i32 = "syncBrokerMemberGroupPeriod" => 1000, no(SLAVE_ACTING);
    Broker false load_balance_poll_name_server_interval: i64 = "loadBalancePollNameServerInterval" => 30_000, no(ASSIGNMENT_ROUTE);
    Broker false clean_offline_broker_interval: i32 = "cleanOfflineBrokerInterval" => 30_000, no(UNUSED);
    Broker false server_load_balancer_enable: bool = "serverLoadBalancerEnable" => true, USE;
    Broker false default_message_request_mode: MessageRequestMode = "defaultMessageRequestMode" => MessageRequestMode::Pull, USE;
    Broker false default_pop_share_queue_num: i32 = "defaultPopShareQueueNum" => -1, USE;
    Broker true transaction_time_out: i64 = "transactionTimeOut" => 6_000, USE, min(0);
    Broker true transaction_check_max: i32 = "transactionCheckMax" => 15, USE, min(0);
    Broker true transaction_check_interval: i64 = "transactionCheckInterval" => 30_000, USE, min(1);
    Broker false transaction_metric_flush_interval: i64 = "transactionMetricFlushInterval" => 3000, no(STATS);
    Broker false transaction_op_msg_max_size: i32 = "transactionOpMsgMaxSize" => 4096, no(TRANSACTION_OPS);
    Broker false transaction_op_batch_interval: i32 = "transactionOpBatchInterval" => 3000, no(TRANSACTION_OPS);
    Broker true acl_enable: bool = "aclEnable" => false, USE, START;
    Broker false store_reply_message_enable: bool = "storeReplyMessageEnable" => true, USE;
    Broker false enable_detail_stat: bool = "enableDetailStat" => true, no(STATS);
    Broker false auto_delete_unused_stats: bool = "autoDeleteUnusedStats" => true, no(STATS);
    Broker false isolate_log_enable: bool = "isolateLogEnable" => false, no(LOG_DIR);
    Broker false forward_timeout: i64 = "forwardTimeout" => 3_000, no(SLAVE_ACTING);
    Broker false enable_slave_acting_master: bool = "enableSlaveActingMaster" => false, only_default("a slave acting as master");
    Broker false enable_remote_escape: bool = "enableRemoteEscape" => false, no(SLAVE_ACTING);
    Broker false skip_pre_online: bool = "skipPreOnline" => false, no(SLAVE_ACTING);
    Broker false async_send_enable: bool = "asyncSendEnable" => true, no(ASYNC_SEND);
    Broker false use_server_side_reset_offset: bool = "useServerSideResetOffset" => true, USE;
    Broker false consumer_offset_update_version_step: i64 = "consumerOffsetUpdateVersionStep" => 500, USE, min(1);
    Broker false delay_offset_update_version_step: i64 = "delayOffsetUpdateVersionStep" => 200, no(DELAY_VERSION_STEP);
    Broker false lock_in_strict_mode: bool = "lockInStrictMode" => false, no(STRICT_LOCK);
    Broker false compatible_with_old_name_srv: bool = "compatibleWithOldNameSrv" => true, no(SLAVE_ACTING);
    Broker false enable_controller_mode: bool = "enableControllerMode" => false, USE, START;
    Broker false controller_addr: String = "controllerAddr" => String::new(), USE;
    Broker false fetch_controller_addr_by_dns_lookup: bool = "fetchControllerAddrByDnsLookup" => false, USE;
    Broker false sync_broker_metadata_period: i64 = "syncBrokerMetadataPeriod" => 5000, USE;
    Broker false check_sync_state_set_period: i64 = "checkSyncStateSetPeriod" => 5000, USE;
    Broker false sync_controller_metadata_period: i64 = "syncControllerMetadataPeriod" => 10_000, USE;
    Broker false controller_heart_beat_timeout_mills: i64 = "controllerHeartBeatTimeoutMills" => 10_000, USE;
    Broker false validate_system_topic_when_update_topic: bool = "validateSystemTopicWhenUpdateTopic" => true, USE;
    Broker false broker_election_priority: i32 = "brokerElectionPriority" => 2_147_483_647, USE;
    Broker false use_static_subscription: bool = "useStaticSubscription" => false, USE;
    Broker false metrics_exporter_type: MetricsExporterType = "metricsExporterType" => MetricsExporterType::Disable, refused_when(other_exporter, OTHER_EXPORTER_CONDITION, "the OTLP gRPC and logging metrics exporters"), START;
    Broker false metrics_otel_cardinality_limit: i32 = "metricsOtelCardinalityLimit" => 50_000, USE, START;
    Broker false metrics_grpc_exporter_target: String = "metricsGrpcExporterTarget" => String::new(), no(OTLP);
    Broker false metrics_grpc_exporter_header: String = "metricsGrpcExporterHeader" => String::new(), no(OTLP);
    Broker false metric_grpc_exporter_time_out_in_mills: i64 = "metricGrpcExporterTimeOutInMills" => 3000, no(OTLP);
    Broker false metric_grpc_exporter_interval_in_mills: i64 = "metricGrpcExporterIntervalInMills" => 60_000, no(OTLP);
    Broker false metric_logging_exporter_interval_in_mills: i64 = "metricLoggingExporterIntervalInMills" => 10_000, no(LOG_EXPORTER);
    Broker false metrics_prom_exporter_port: i32 = "metricsPromExporterPort" => 5557, USE, START, PORT;
    Broker false metrics_prom_exporter_host: String = "metricsPromExporterHost" => String::new(), USE, START;
    Broker false metrics_label: String = "metricsLabel" => String::new(), USE, START;
    Broker false metrics_in_delta: bool = "metricsInDelta" => false, USE, START;
    Broker false channel_expired_timeout: i64 = "channelExpiredTimeout" => 120_000, USE, min(1);
    Broker false subscription_expired_timeout: i64 = "subscriptionExpiredTimeout" => 600_000, no(COMPENSATION);
    Broker false estimate_accumulation: bool = "estimateAccumulation" => true, USE;
    Broker false cold_ctr_strategy_enable: bool = "coldCtrStrategyEnable" => false, no(COLD);
    Broker false use_p_i_d_cold_ctr_strategy: bool = "usePIDColdCtrStrategy" => true, no(COLD);
    Broker false cg_cold_read_threshold: i64 = "cgColdReadThreshold" => 3_145_728, no(COLD);
    Broker false global_cold_read_threshold: i64 = "globalColdReadThreshold" => 104_857_600, no(COLD);
    Broker false fetch_namesrv_addr_interval: i64 = "fetchNamesrvAddrInterval" => 10_000, no(ADDRESS_SERVER);
    Broker false pop_response_return_actual_retry_topic: bool = "popResponseReturnActualRetryTopic" => false, USE;
    Broker false enable_single_topic_register: bool = "enableSingleTopicRegister" => false, no(SINGLE_TOPIC_REGISTER);
    Broker false enable_mixed_message_type: bool = "enableMixedMessageType" => false, only_default("topics of the MIXED message type");
    Broker false enable_split_registration: bool = "enableSplitRegistration" => false, no(SPLIT_REGISTRATION);
    Broker false pop_inflight_message_threshold: i64 = "popInflightMessageThreshold" => 10_000, no(POP_THRESHOLD);
    Broker false enable_pop_message_threshold: bool = "enablePopMessageThreshold" => false, only_default("refusing pops above popInflightMessageThreshold in-flight messages");
    Broker false enable_fast_channel_event_process: bool = "enableFastChannelEventProcess" => false, no(CHANNEL_EVENTS);
    Broker false print_channel_groups: bool = "printChannelGroups" => false, no(STATS);
    Broker false print_channel_groups_min_num: i32 = "printChannelGroupsMinNum" => 5, no(STATS);
    Broker false split_registration_size: i32 = "splitRegistrationSize" => 800, no(SPLIT_REGISTRATION);
    Broker false config_black_list: String = "configBlackList" => "configBlackList;brokerConfigPath".into(), USE;
    Broker false skip_when_c_k_re_put_reach_max_times: bool = "skipWhenCKRePutReachMaxTimes" => false, USE;
    Broker false append_ack_async: bool = "appendAckAsync" => false, no(POP_ASYNC);
    Broker false append_ck_async: bool = "appendCkAsync" => false, no(POP_ASYNC);
    Broker false clear_retry_topic_when_delete_topic: bool = "clearRetryTopicWhenDeleteTopic" => true, USE;
    Broker false enable_lmq_stats: bool = "enableLmqStats" => false, no(STATS);
    Broker false config_manager_version: String = "configManagerVersion" => "v1".into(), only_default("config storage v2 (RocksDB)");
    Broker false allow_recall_when_broker_not_writeable: bool = "allowRecallWhenBrokerNotWriteable" => true, USE;
    Broker false recall_message_enable: bool = "recallMessageEnable" => false, USE;
    Broker false enable_register_producer: bool = "enableRegisterProducer" => true, only_default("turning producer registration off");
    Broker false enable_create_sys_group: bool = "enableCreateSysGroup" => true, USE;
    // NettyServerConfig
    NettyServer false bind_address: String = "bindAddress" => "0.0.0.0".into(), USE, START;
    NettyServer false server_worker_threads: i32 = "serverWorkerThreads" => 8, no(NETTY);
    NettyServer false server_callback_executor_threads: i32 = "serverCallbackExecutorThreads" => 0, no(NETTY);
    NettyServer false server_selector_threads: i32 = "serverSelectorThreads" => 3, no(NETTY);
    NettyServer false server_oneway_semaphore_value: i32 = "serverOnewaySemaphoreValue" => 256, no(NETTY);
    NettyServer false server_async_semaphore_value: i32 = "serverAsyncSemaphoreValue" => 64, no(NETTY);
    NettyServer false server_channel_max_idle_time_seconds: i32 = "serverChannelMaxIdleTimeSeconds" => 120, USE, START, min(0);
    NettyServer false server_socket_snd_buf_size: i32 = "serverSocketSndBufSize" => 0, no(NETTY);
    NettyServer false server_socket_rcv_buf_size: i32 = "serverSocketRcvBufSize" => 0, no(NETTY);
    NettyServer false write_buffer_high_water_mark: i32 = "writeBufferHighWaterMark" => 0, no(NETTY);
    NettyServer false write_buffer_low_water_mark: i32 = "writeBufferLowWaterMark" => 0, no(NETTY);
    NettyServer false server_socket_backlog: i32 = "serverSocketBacklog" => 1024, no(UNUSED);
    NettyServer false server_netty_worker_group_enable: bool = "serverNettyWorkerGroupEnable" => true, no(NETTY);
    NettyServer false server_pooled_byte_buf_allocator_enable: bool = "serverPooledByteBufAllocatorEnable" => true, no(NETTY);
    NettyServer false enable_shutdown_gracefully: bool = "enableShutdownGracefully" => false, no(NETTY);
    NettyServer false shutdown_wait_time_seconds: i32 = "shutdownWaitTimeSeconds" => 30, no(NETTY);
    NettyServer false use_epoll_native_selector: bool = "useEpollNativeSelector" => false, no(NETTY);
    // NettyClientConfig
    NettyClient false client_worker_threads: i32 = "clientWorkerThreads" => 4, no(NETTY);
    NettyClient false client_callback_executor_threads: i32 = "clientCallbackExecutorThreads" => processors(), no(NETTY);
    NettyClient false client_oneway_semaphore_value: i32 = "clientOnewaySemaphoreValue" => 65_535, no(NETTY);
    NettyClient false client_async_semaphore_value: i32 = "clientAsyncSemaphoreValue" => 65_535, no(NETTY);
    NettyClient false connect_timeout_millis: i32 = "connectTimeoutMillis" => 3_000, no(NETTY);
    NettyClient false channel_not_active_interval: i64 = "channelNotActiveInterval" => 60_000, no(NETTY);
    NettyClient false scan_available_name_srv: bool = "scanAvailableNameSrv" => true, no(NETTY);
    NettyClient false client_channel_max_idle_time_seconds: i32 = "clientChannelMaxIdleTimeSeconds" => 120, no(NETTY);
    NettyClient false client_socket_snd_buf_size: i32 = "clientSocketSndBufSize" => 0, no(NETTY);
    NettyClient false client_socket_rcv_buf_size: i32 = "clientSocketRcvBufSize" => 0, no(NETTY);
    NettyClient false client_pooled_byte_buf_allocator_enable: bool = "clientPooledByteBufAllocatorEnable" => false, no(NETTY);
    NettyClient false client_close_socket_if_timeout: bool = "clientCloseSocketIfTimeout" => true, no(NETTY);
    NettyClient false use_tls: bool = "useTLS" => false, USE, START;
    NettyClient false socks_proxy_config: String = "socksProxyConfig" => "{}".into(), only_default("a SOCKS proxy for the broker's outbound connections");
    NettyClient false disable_callback_executor: bool = "disableCallbackExecutor" => false, no(NETTY);
    NettyClient false disable_netty_worker_group: bool = "disableNettyWorkerGroup" => false, no(NETTY);
    NettyClient false max_reconnect_interval_time_seconds: i64 = "maxReconnectIntervalTimeSeconds" => 60, no(UNUSED);
    NettyClient false enable_reconnect_for_go_away: bool = "enableReconnectForGoAway" => true, no(NETTY);
    // MessageStoreConfig
    Store true store_path_root_dir: String = "storePathRootDir" => format!("{}/store", home_dir()), USE, START;
    Store true store_path_commit_log: Option<String> = "storePathCommitLog" => None, refused_when(has_comma, "a list separated by `,`", "several CommitLog directories"), START;
    Store true store_path_d_ledger_commit_log: Option<String> = "storePathDLedgerCommitLog" => None, no(DLEDGER);
    Store true store_path_epoch_file: Option<String> = "storePathEpochFile" => None, USE, START;
    Store true store_path_broker_identity: Option<String> = "storePathBrokerIdentity" => None, USE, START;
    Store false read_only_commit_log_store_paths: Option<String> = "readOnlyCommitLogStorePaths" => None, only_default("read-only CommitLog directories");
    Store false mapped_file_size_commit_log: i32 = "mappedFileSizeCommitLog" => 1024 * 1024 * 1024, USE, START, min(4096);
    Store false compaction_mapped_file_size: i32 = "compactionMappedFileSize" => 104_857_600, no(COMPACTION);
    Store false compaction_cq_mapped_file_size: i32 = "compactionCqMappedFileSize" => 10_485_760, no(COMPACTION);
    Store false compaction_schedule_internal: i32 = "compactionScheduleInternal" => 900_000, no(COMPACTION);
    Store false max_offset_map_size: i32 = "maxOffsetMapSize" => 104_857_600, no(COMPACTION);
    Store false compaction_thread_num: i32 = "compactionThreadNum" => 6, no(COMPACTION);
    Store false enable_compaction: bool = "enableCompaction" => true, no(COMPACTION);
    Store false mapped_file_size_timer_log: i32 = "mappedFileSizeTimerLog" => 100 * 1024 * 1024, no(TIMER_FILES);
    Store false timer_precision_ms: i32 = "timerPrecisionMs" => 1000, USE, START, min(1);
    Store false timer_roll_window_slot: i32 = "timerRollWindowSlot" => 3600 * 24 * 2, no(TIMER_FILES);
    Store false timer_flush_interval_ms: i32 = "timerFlushIntervalMs" => 1000, no(TIMER_FILES);
    Store false timer_get_message_thread_num: i32 = "timerGetMessageThreadNum" => 3, no(TIMER_FILES);
    Store false timer_put_message_thread_num: i32 = "timerPutMessageThreadNum" => 3, no(TIMER_FILES);
    Store false timer_enable_disruptor: bool = "timerEnableDisruptor" => false, no(TIMER_FILES);
    Store false timer_enable_check_metrics: bool = "timerEnableCheckMetrics" => true, no(TIMER_FILES);
    Store false timer_intercept_delay_level: bool = "timerInterceptDelayLevel" => false, no(UNUSED);
    Store false timer_max_delay_sec: i32 = "timerMaxDelaySec" => 3600 * 24 * 3, USE, min(1);
    Store false timer_wheel_enable: bool = "timerWheelEnable" => true, USE, START;
    Store true disappear_time_after_start: i32 = "disappearTimeAfterStart" => -1, no(TIMER_FILES);
    Store false timer_stop_enqueue: bool = "timerStopEnqueue" => false, only_default("stopping timer messages from entering the time wheel");
    Store false timer_check_metrics_when: String = "timerCheckMetricsWhen" => "05".into(), no(TIMER_FILES);
    Store false timer_skip_unknown_error: bool = "timerSkipUnknownError" => false, no(TIMER_FILES);
    Store false timer_warm_enable: bool = "timerWarmEnable" => false, no(TIMER_FILES);
    Store false timer_stop_dequeue: bool = "timerStopDequeue" => false, only_default("stopping timer message delivery");
    Store false timer_enable_retry_until_success: bool = "timerEnableRetryUntilSuccess" => false, no(TIMER_FILES);
    Store false timer_congest_num_each_slot: i32 = "timerCongestNumEachSlot" => 2_147_483_647, only_default("refusing timer messages for a crowded time-wheel slot"), min(1);
    Store false timer_metric_small_threshold: i32 = "timerMetricSmallThreshold" => 1_000_000, no(TIMER_FILES);
    Store false timer_progress_log_interval_ms: i32 = "timerProgressLogIntervalMs" => 10_000, no(TIMER_FILES);
    Store true store_type: String = "storeType" => "default".into(), only_default("the RocksDB consume queue");
    Store false mapped_file_size_consume_queue: i32 = "mappedFileSizeConsumeQueue" => 300_000 * 20, USE, START, min(20);
    Store false enable_consume_queue_ext: bool = "enableConsumeQueueExt" => false, only_default("consume-queue extension files");
    Store false mapped_file_size_consume_queue_ext: i32 = "mappedFileSizeConsumeQueueExt" => 48 * 1024 * 1024, no(CQ_EXT);
    Store false mapper_file_size_batch_consume_queue: i32 = "mapperFileSizeBatchConsumeQueue" => 13_800_000, no(BATCH_CQ);
    // 64 in MessageStoreConfig; the running Java broker lists the bloom filter's bit count
    // for the default maxErrorRateOfBloomFilter and expectConsumerNumUseFilter.
    Store false bit_map_length_consume_queue_ext: i32 = "bitMapLengthConsumeQueueExt" => 112, no(CQ_EXT);
    Store true flush_interval_commit_log: i32 = "flushIntervalCommitLog" => 500, USE, min(1);
    Store true commit_interval_commit_log: i32 = "commitIntervalCommitLog" => 200, no(TRANSIENT);
    Store false max_recovery_commitlog_files: i32 = "maxRecoveryCommitlogFiles" => 30, no(UNUSED);
    Store false disk_space_warning_level_ratio: i32 = "diskSpaceWarningLevelRatio" => 90, USE, range(0, 100);
    Store false disk_space_clean_forcibly_ratio: i32 = "diskSpaceCleanForciblyRatio" => 85, USE, range(0, 100);
    Store false use_reentrant_lock_when_put_message: bool = "useReentrantLockWhenPutMessage" => true, no(LOCKING);
    Store true flush_commit_log_timed: bool = "flushCommitLogTimed" => true, no(FLUSH_TIMING);
    Store false flush_interval_consume_queue: i32 = "flushIntervalConsumeQueue" => 1000, USE, min(1);
    Store false clean_resource_interval: i32 = "cleanResourceInterval" => 10_000, USE, min(1);
    Store false delete_commit_log_files_interval: i32 = "deleteCommitLogFilesInterval" => 100, no(FILE_DELETE_TIMING);
    Store false delete_consume_queue_files_interval: i32 = "deleteConsumeQueueFilesInterval" => 100, no(FILE_DELETE_TIMING);
    Store false destroy_maped_file_interval_forcibly: i32 = "destroyMapedFileIntervalForcibly" => 120_000, no(FILE_DELETE_TIMING);
    Store false redelete_hanged_file_interval: i32 = "redeleteHangedFileInterval" => 120_000, no(FILE_DELETE_TIMING);
    Store true delete_when: String = "deleteWhen" => "04".into(), USE;
    Store false disk_max_used_space_ratio: i32 = "diskMaxUsedSpaceRatio" => 75, USE, range(0, 100);
    Store true file_reserved_time: i32 = "fileReservedTime" => 72, USE, min(0);
    Store true delete_file_batch_max: i32 = "deleteFileBatchMax" => 10, USE, min(1);
    Store false put_msg_index_hight_water: i32 = "putMsgIndexHightWater" => 600_000, no(UNUSED);
    Store false max_message_size: i32 = "maxMessageSize" => 4 * 1024 * 1024, USE, min(1);
    Store false max_filter_message_size: i32 = "maxFilterMessageSize" => 16_000, USE, min(1);
    Store false check_crc_on_recover: bool = "checkCRCOnRecover" => true, USE, START;
    Store false flush_commit_log_least_pages: i32 = "flushCommitLogLeastPages" => 4, USE, min(0);
    Store false commit_commit_log_least_pages: i32 = "commitCommitLogLeastPages" => 4, no(TRANSIENT);
    Store false flush_least_pages_when_warm_maped_file: i32 = "flushLeastPagesWhenWarmMapedFile" => 4096, no(PAGE_CACHE);
    Store false flush_consume_queue_least_pages: i32 = "flushConsumeQueueLeastPages" => 2, no(FLUSH_TIMING);
    Store false flush_commit_log_thorough_interval: i32 = "flushCommitLogThoroughInterval" => 10_000, USE, min(0);
    Store false commit_commit_log_thorough_interval: i32 = "commitCommitLogThoroughInterval" => 200, no(TRANSIENT);
    Store false flush_consume_queue_thorough_interval: i32 = "flushConsumeQueueThoroughInterval" => 60_000, no(FLUSH_TIMING);
    Store true max_transfer_bytes_on_message_in_memory: i32 = "maxTransferBytesOnMessageInMemory" => 256 * 1024, USE, min(1);
    Store true max_transfer_count_on_message_in_memory: i32 = "maxTransferCountOnMessageInMemory" => 32, USE, min(1);
    Store true max_transfer_bytes_on_message_in_disk: i32 = "maxTransferBytesOnMessageInDisk" => 64 * 1024, USE, min(1);
    Store true max_transfer_count_on_message_in_disk: i32 = "maxTransferCountOnMessageInDisk" => 8, USE, min(1);
    Store true access_message_in_memory_max_ratio: i32 = "accessMessageInMemoryMaxRatio" => 40, USE, range(0, 100);
    Store true message_index_enable: bool = "messageIndexEnable" => true, USE, START;
    Store false max_hash_slot_num: i32 = "maxHashSlotNum" => 5_000_000, USE, START, min(1);
    Store false max_index_num: i32 = "maxIndexNum" => 20_000_000, USE, START, min(1);
    Store false max_msgs_num_batch: i32 = "maxMsgsNumBatch" => 64, USE, min(1);
    Store true message_index_safe: bool = "messageIndexSafe" => false, no(INDEX_SAFE);
    Store false ha_listen_port: i32 = "haListenPort" => 0, USE, START, PORT;
    Store false ha_send_heartbeat_interval: i32 = "haSendHeartbeatInterval" => 5_000, USE;
    Store false ha_housekeeping_interval: i32 = "haHousekeepingInterval" => 20_000, USE;
    Store false ha_transfer_batch_size: i32 = "haTransferBatchSize" => 32 * 1024, USE, min(1);
    Store true ha_master_address: Option<String> = "haMasterAddress" => None, USE, START;
    Store false ha_max_gap_not_in_sync: i32 = "haMaxGapNotInSync" => 256 * 1024 * 1024, USE;
    Store true broker_role: BrokerRole = "brokerRole" => BrokerRole::AsyncMaster, USE, START;
    Store true flush_disk_type: FlushDiskType = "flushDiskType" => FlushDiskType::AsyncFlush, USE, START;
    Store false sync_flush_timeout: i32 = "syncFlushTimeout" => 5_000, USE, START, min(1);
    Store false put_message_timeout: i32 = "putMessageTimeout" => 8_000, no(UNUSED);
    Store false slave_timeout: i32 = "slaveTimeout" => 3_000, USE;
    Store false message_delay_level: String = "messageDelayLevel" => "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".into(), USE, START;
    Store false flush_delay_offset_interval: i64 = "flushDelayOffsetInterval" => 10_000, no(FLUSH_TIMING);
    Store true clean_file_forcibly_enable: bool = "cleanFileForciblyEnable" => true, USE;
    Store false warm_maped_file_enable: bool = "warmMapedFileEnable" => false, no(PAGE_CACHE);
    Store false offset_check_in_slave: bool = "offsetCheckInSlave" => false, USE;
    Store false debug_lock_enable: bool = "debugLockEnable" => false, no(LOCKING);
    Store false duplication_enable: bool = "duplicationEnable" => false, only_default("store duplication");
    Store false disk_fall_recorded: bool = "diskFallRecorded" => true, no(STATS);
    Store false os_page_cache_busy_time_out_mills: i64 = "osPageCacheBusyTimeOutMills" => 1000, no(PAGE_CACHE);
    Store false default_query_max_num: i32 = "defaultQueryMaxNum" => 32, USE, min(1);
    Store true transient_store_pool_enable: bool = "transientStorePoolEnable" => false, only_default("the transient store pool (off-heap write buffers)");
    Store false transient_store_pool_size: i32 = "transientStorePoolSize" => 5, no(TRANSIENT);
    Store false fast_fail_if_no_buffer_in_store_pool: bool = "fastFailIfNoBufferInStorePool" => false, no(TRANSIENT);
    Store false enable_d_leger_commit_log: bool = "enableDLegerCommitLog" => false, only_default("the DLedger (Raft) CommitLog; enableControllerMode=true is the supported way to fail over automatically");
    Store false d_leger_group: Option<String> = "dLegerGroup" => None, no(DLEDGER);
    Store false d_leger_peers: Option<String> = "dLegerPeers" => None, no(DLEDGER);
    Store false d_leger_self_id: Option<String> = "dLegerSelfId" => None, no(DLEDGER);
    Store false preferred_leader_id: Option<String> = "preferredLeaderId" => None, no(DLEDGER);
    Store false enable_batch_push: bool = "enableBatchPush" => false, no(DLEDGER);
    Store false enable_schedule_message_stats: bool = "enableScheduleMessageStats" => true, no(STATS);
    Store false enable_lmq: bool = "enableLmq" => false, only_default("light message queues (LMQ) and multi-dispatch");
    Store false enable_multi_dispatch: bool = "enableMultiDispatch" => false, only_default("light message queues (LMQ) and multi-dispatch");
    Store false max_lmq_consume_queue_num: i32 = "maxLmqConsumeQueueNum" => 20_000, no(UNUSED);
    Store false enable_schedule_async_deliver: bool = "enableScheduleAsyncDeliver" => false, no(SCHEDULE);
    Store false schedule_async_deliver_max_pending_limit: i32 = "scheduleAsyncDeliverMaxPendingLimit" => 2000, no(SCHEDULE);
    Store false schedule_async_deliver_max_resend_num2_blocked: i32 = "scheduleAsyncDeliverMaxResendNum2Blocked" => 3, no(SCHEDULE);
    Store false max_batch_delete_files_num: i32 = "maxBatchDeleteFilesNum" => 50, no(UNUSED);
    Store false dispatch_cq_threads: i32 = "dispatchCqThreads" => 10, no(UNUSED);
    Store false dispatch_cq_cache_num: i32 = "dispatchCqCacheNum" => 4096, no(UNUSED);
    Store false enable_async_reput: bool = "enableAsyncReput" => true, no(UNUSED);
    Store false recheck_reput_offset_from_cq: bool = "recheckReputOffsetFromCq" => false, no(REPUT_CHECK);
    Store false max_topic_length: i32 = "maxTopicLength" => 127, no(UNUSED);
    Store false auto_message_version_on_topic_len: bool = "autoMessageVersionOnTopicLen" => true, no(RECORD_VERSION);
    Store false enabled_append_prop_crc: bool = "enabledAppendPropCRC" => false, only_default("a CRC32 property appended to every stored message");
    Store false force_verify_prop_c_r_c: bool = "forceVerifyPropCRC" => false, no(PROP_CRC);
    Store false travel_cq_file_num_when_get_message: i32 = "travelCqFileNumWhenGetMessage" => 1, no(SCAN);
    Store false correct_logic_min_offset_sleep_interval: i32 = "correctLogicMinOffsetSleepInterval" => 1, no(SCAN);
    Store false correct_logic_min_offset_force_interval: i32 = "correctLogicMinOffsetForceInterval" => 300_000, no(SCAN);
    Store false mapped_file_swap_enable: bool = "mappedFileSwapEnable" => true, no(UNUSED);
    Store false commit_log_force_swap_map_interval: i64 = "commitLogForceSwapMapInterval" => 43_200_000, no(UNUSED);
    Store false commit_log_swap_map_interval: i64 = "commitLogSwapMapInterval" => 3_600_000, no(UNUSED);
    Store false commit_log_swap_map_reserve_file_num: i32 = "commitLogSwapMapReserveFileNum" => 100, no(UNUSED);
    Store false logic_queue_force_swap_map_interval: i64 = "logicQueueForceSwapMapInterval" => 43_200_000, no(UNUSED);
    Store false logic_queue_swap_map_interval: i64 = "logicQueueSwapMapInterval" => 3_600_000, no(UNUSED);
    Store false clean_swaped_map_interval: i64 = "cleanSwapedMapInterval" => 300_000, no(UNUSED);
    Store false logic_queue_swap_map_reserve_file_num: i32 = "logicQueueSwapMapReserveFileNum" => 20, no(UNUSED);
    Store false search_bcq_by_cache_enable: bool = "searchBcqByCacheEnable" => true, no(BATCH_CQ);
    Store true dispatch_from_sender_thread: bool = "dispatchFromSenderThread" => false, no(UNUSED);
    Store true wake_commit_when_put_message: bool = "wakeCommitWhenPutMessage" => true, no(FLUSH_TIMING);
    Store true wake_flush_when_put_message: bool = "wakeFlushWhenPutMessage" => false, no(FLUSH_TIMING);
    Store true enable_clean_expired_offset: bool = "enableCleanExpiredOffset" => false, no(UNUSED);
    Store false max_async_put_message_requests: i32 = "maxAsyncPutMessageRequests" => 5_000, no(ASYNC_PUT);
    Store false pull_batch_max_message_count: i32 = "pullBatchMaxMessageCount" => 160, no(UNUSED);
    Store true total_replicas: i32 = "totalReplicas" => 1, no(TOTAL_REPLICAS);
    Store true in_sync_replicas: i32 = "inSyncReplicas" => 1, USE, min(0);
    Store true min_in_sync_replicas: i32 = "minInSyncReplicas" => 1, USE;
    Store true all_ack_in_sync_state_set: bool = "allAckInSyncStateSet" => false, USE;
    Store true enable_auto_in_sync_replicas: bool = "enableAutoInSyncReplicas" => false, no(SLAVE_ACTING);
    Store true ha_flow_control_enable: bool = "haFlowControlEnable" => false, USE;
    Store false max_ha_transfer_byte_in_second: i64 = "maxHaTransferByteInSecond" => 104_857_600, USE;
    Store false ha_max_time_slave_not_catchup: i64 = "haMaxTimeSlaveNotCatchup" => 15_000, USE;
    Store false sync_master_flush_offset_when_startup: bool = "syncMasterFlushOffsetWhenStartup" => false, no(SLAVE_ACTING);
    Store false max_checksum_range: i64 = "maxChecksumRange" => 1_073_741_824, no(SCAN);
    Store false replicas_per_disk_partition: i32 = "replicasPerDiskPartition" => 1, only_default("clean-up by the disk usage of several replicas sharing a disk");
    Store false logical_disk_space_clean_forcibly_threshold: f64 = "logicalDiskSpaceCleanForciblyThreshold" => 0.8, no(DISK_PARTITION);
    Store false max_slave_resend_length: i64 = "maxSlaveResendLength" => 268_435_456, no(UNUSED);
    Store false sync_from_last_file: bool = "syncFromLastFile" => false, USE;
    Store false async_learner: bool = "asyncLearner" => false, USE;
    Store false max_consume_queue_scan: i32 = "maxConsumeQueueScan" => 20_000, USE;
    Store false sample_count_threshold: i32 = "sampleCountThreshold" => 5000, USE;
    Store false cold_data_flow_control_enable: bool = "coldDataFlowControlEnable" => false, only_default("cold-data flow control");
    Store false cold_data_scan_enable: bool = "coldDataScanEnable" => false, no(COLD);
    Store false data_read_ahead_enable: bool = "dataReadAheadEnable" => true, USE;
    Store false timer_cold_data_check_interval_ms: i32 = "timerColdDataCheckIntervalMs" => 60_000, no(COLD);
    Store false sample_steps: i32 = "sampleSteps" => 32, no(COLD);
    Store false access_message_in_memory_hot_ratio: i32 = "accessMessageInMemoryHotRatio" => 26, no(COLD);
    Store false enable_build_consume_queue_concurrently: bool = "enableBuildConsumeQueueConcurrently" => false, no(RECOVERY_SPEED);
    Store false batch_dispatch_request_thread_pool_nums: i32 = "batchDispatchRequestThreadPoolNums" => 16, no(RECOVERY_SPEED);
    Store false clean_rocks_d_b_dirty_c_q_interval_min: i64 = "cleanRocksDBDirtyCQIntervalMin" => 60, no(ROCKSDB);
    Store false stat_rocks_d_b_c_q_interval_sec: i64 = "statRocksDBCQIntervalSec" => 10, no(ROCKSDB);
    Store false mem_table_flush_interval_ms: i64 = "memTableFlushIntervalMs" => 3_600_000, no(ROCKSDB);
    Store false real_time_persist_rocks_d_b_config: bool = "realTimePersistRocksDBConfig" => true, no(ROCKSDB);
    Store false enable_rocks_d_b_log: bool = "enableRocksDBLog" => false, no(ROCKSDB);
    Store false topic_queue_lock_num: i32 = "topicQueueLockNum" => 32, no(LOCKING);
    Store false read_un_committed: bool = "readUnCommitted" => false, USE, START;
    Store false put_consume_queue_data_by_file_channel: bool = "putConsumeQueueDataByFileChannel" => true, no(CQ_WRITE);
    Store false rocksdb_c_q_double_write_enable: bool = "rocksdbCQDoubleWriteEnable" => false, only_default("a RocksDB copy of the consume queues");
    Store false bottom_most_compression_type_for_consume_queue_store: String = "bottomMostCompressionTypeForConsumeQueueStore" => "zstd".into(), no(ROCKSDB);
    Store false rocksdb_compression_type: String = "rocksdbCompressionType" => "lz4".into(), no(ROCKSDB);
    Store false rocksdb_flush_wal_frequency: i32 = "rocksdbFlushWalFrequency" => 1024, no(ROCKSDB);
    Store false rocksdb_wal_file_rolling_threshold: i64 = "rocksdbWalFileRollingThreshold" => 1_073_741_824, no(ROCKSDB);
    Store false spin_lock_collision_retreat_optimal_degree: i32 = "spinLockCollisionRetreatOptimalDegree" => 1000, no(LOCKING);
    Store false use_a_b_s_lock: bool = "useABSLock" => false, no(LOCKING);
    // AuthConfig (read from the -c file at start-up; Java lists them only when the file has them)
    Auth false config_name: Option<String> = "configName" => None, no(AUTH_IDENTITY);
    Auth false cluster_name: Option<String> = "clusterName" => None, no(AUTH_IDENTITY);
    Auth false auth_config_path: Option<String> = "authConfigPath" => None, no(AUTH_IDENTITY);
    Auth false authentication_enabled: bool = "authenticationEnabled" => false, USE, START;
    Auth false authentication_provider: Option<String> = "authenticationProvider" => None, refused_when(not_authentication_provider, AUTHN_PROVIDER_CONDITION, "other authentication providers"), START;
    Auth false authentication_metadata_provider: Option<String> = "authenticationMetadataProvider" => None, refused_when(not_authentication_metadata, AUTHN_METADATA_CONDITION, "other user stores"), START;
    Auth false authentication_strategy: Option<String> = "authenticationStrategy" => None, refused_when(not_authentication_strategy, AUTHN_STRATEGY_CONDITION, "the stateful (per-connection cached) authentication strategy"), START;
    Auth false authentication_whitelist: Option<String> = "authenticationWhitelist" => None, USE, START;
    Auth false init_authentication_user: Option<String> = "initAuthenticationUser" => None, USE, START;
    Auth false inner_client_authentication_credentials: Option<String> = "innerClientAuthenticationCredentials" => None, USE, START;
    Auth false authorization_enabled: bool = "authorizationEnabled" => false, USE, START;
    Auth false authorization_provider: Option<String> = "authorizationProvider" => None, refused_when(not_authorization_provider, AUTHZ_PROVIDER_CONDITION, "other authorization providers"), START;
    Auth false authorization_metadata_provider: Option<String> = "authorizationMetadataProvider" => None, refused_when(not_authorization_metadata, AUTHZ_METADATA_CONDITION, "other ACL stores"), START;
    Auth false authorization_strategy: Option<String> = "authorizationStrategy" => None, refused_when(not_authorization_strategy, AUTHZ_STRATEGY_CONDITION, "the stateful (per-connection cached) authorization strategy"), START;
    Auth false authorization_whitelist: Option<String> = "authorizationWhitelist" => None, USE, START;
    Auth false migrate_auth_from_v1_enabled: bool = "migrateAuthFromV1Enabled" => false, only_default("migrating ACL 1.0 users and permissions");
    Auth false user_cache_max_num: i32 = "userCacheMaxNum" => 1000, no(AUTH_CACHE);
    Auth false user_cache_expired_second: i32 = "userCacheExpiredSecond" => 600, no(AUTH_CACHE);
    Auth false user_cache_refresh_second: i32 = "userCacheRefreshSecond" => 60, no(AUTH_CACHE);
    Auth false acl_cache_max_num: i32 = "aclCacheMaxNum" => 1000, no(AUTH_CACHE);
    Auth false acl_cache_expired_second: i32 = "aclCacheExpiredSecond" => 600, no(AUTH_CACHE);
    Auth false acl_cache_refresh_second: i32 = "aclCacheRefreshSecond" => 60, no(AUTH_CACHE);
    Auth false stateful_authentication_cache_max_num: i32 = "statefulAuthenticationCacheMaxNum" => 10_000, no(STATEFUL);
    Auth false stateful_authentication_cache_expired_second: i32 = "statefulAuthenticationCacheExpiredSecond" => 60, no(STATEFUL);
    Auth false stateful_authorization_cache_max_num: i32 = "statefulAuthorizationCacheMaxNum" => 10_000, no(STATEFUL);
    Auth false stateful_authorization_cache_expired_second: i32 = "statefulAuthorizationCacheExpiredSecond" => 60, no(STATEFUL);
    // Thrust's own keys (no Java class has them)
    Thrust false server_max_connections: i32 = "serverMaxConnections" => 100_000, USE, START, min(0);
}

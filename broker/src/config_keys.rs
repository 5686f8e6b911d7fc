//! The table of broker configuration keys: Java name, Rust field, type, default, the Java class
//! that declares it and whether Java marks it `@ImportantField`. Everything else about
//! configuration (parse, print, update, store hand-off) is generated from this one list.
//!
//! Defaults are Java 5.3.3's (`BrokerConfig`, `BrokerIdentity`, `NettyServerConfig`,
//! `NettyClientConfig`, `MessageStoreConfig`), after `BrokerStartup`'s own adjustments
//! (`listenPort` 10911, `haListenPort` 0 meaning listen+1).

use crate::config::{
    home_dir, host_name, local_address, processors, BrokerRole, ConfigValue, FlushDiskType,
    KeyInfo, Section,
};

macro_rules! config_table {
    ($( $sec:ident $imp:literal $field:ident : $ty:ty = $key:literal => $default:expr ; )*) => {
        /// Every broker setting, one field per Java key.
        #[derive(Debug, Clone)]
        pub struct BrokerConfig {
            $( pub $field: $ty, )*
            /// Keys of the `-c` file that no declared key matches, kept (like Java's
            /// `Configuration.registerConfig`) for GET_BROKER_CONFIG and config rewrites.
            pub extra: Vec<(String, String)>,
        }

        impl Default for BrokerConfig {
            fn default() -> Self {
                Self { $( $field: $default, )* extra: Vec::new() }
            }
        }

        const KEYS: &[KeyInfo] = &[ $( KeyInfo { name: $key, section: Section::$sec, important: $imp }, )* ];

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

            /// One key's value as Java prints it.
            pub fn get(&self, key: &str) -> Option<String> {
                match key {
                    $( $key => Some(self.$field.render_java().unwrap_or_default()), )*
                    _ => None,
                }
            }
        }
    };
}

config_table! {
    // BrokerConfig / BrokerIdentity
    Broker false broker_config_path: Option<String> = "brokerConfigPath" => None;
    Broker false rocketmq_home: Option<String> = "rocketmqHome" => None;
    Broker true namesrv_addr: Option<String> = "namesrvAddr" => None;
    Broker true broker_name: String = "brokerName" => host_name();
    Broker true broker_cluster_name: String = "brokerClusterName" => "DefaultCluster".into();
    Broker true broker_id: i64 = "brokerId" => 0;
    Broker true listen_port: i32 = "listenPort" => 10911;
    Broker true broker_ip1: String = "brokerIP1" => local_address();
    Broker false broker_ip2: String = "brokerIP2" => local_address();
    Broker true recover_concurrently: bool = "recoverConcurrently" => false;
    Broker false broker_permission: i32 = "brokerPermission" => 6;
    Broker false default_topic_queue_nums: i32 = "defaultTopicQueueNums" => 8;
    Broker true auto_create_topic_enable: bool = "autoCreateTopicEnable" => true;
    Broker false cluster_topic_enable: bool = "clusterTopicEnable" => true;
    Broker false broker_topic_enable: bool = "brokerTopicEnable" => true;
    Broker true auto_create_subscription_group: bool = "autoCreateSubscriptionGroup" => true;
    Broker false message_store_plug_in: String = "messageStorePlugIn" => String::new();
    Broker true msg_trace_topic_name: String = "msgTraceTopicName" => "RMQ_SYS_TRACE_TOPIC".into();
    Broker true trace_topic_enable: bool = "traceTopicEnable" => false;
    Broker false send_message_thread_pool_nums: i32 = "sendMessageThreadPoolNums" => processors().min(4);
    Broker false pull_message_thread_pool_nums: i32 = "pullMessageThreadPoolNums" => 16 + processors() * 2;
    Broker false lite_pull_message_thread_pool_nums: i32 = "litePullMessageThreadPoolNums" => 16 + processors() * 2;
    Broker false query_message_thread_pool_nums: i32 = "queryMessageThreadPoolNums" => 8 + processors();
    Broker false admin_broker_thread_pool_nums: i32 = "adminBrokerThreadPoolNums" => 16;
    Broker false client_manage_thread_pool_nums: i32 = "clientManageThreadPoolNums" => 32;
    Broker false consumer_manage_thread_pool_nums: i32 = "consumerManageThreadPoolNums" => 32;
    Broker false heartbeat_thread_pool_nums: i32 = "heartbeatThreadPoolNums" => processors().min(32);
    Broker false end_transaction_thread_pool_nums: i32 = "endTransactionThreadPoolNums" => (8 + processors() * 2).max(processors().min(4) * 4);
    Broker false flush_consumer_offset_interval: i32 = "flushConsumerOffsetInterval" => 5_000;
    Broker false flush_consumer_offset_history_interval: i32 = "flushConsumerOffsetHistoryInterval" => 60_000;
    Broker true reject_transaction_message: bool = "rejectTransactionMessage" => false;
    Broker true fetch_name_srv_addr_by_dns_lookup: bool = "fetchNameSrvAddrByDnsLookup" => false;
    Broker true fetch_namesrv_addr_by_address_server: bool = "fetchNamesrvAddrByAddressServer" => false;
    Broker false send_thread_pool_queue_capacity: i32 = "sendThreadPoolQueueCapacity" => 10_000;
    Broker false pull_thread_pool_queue_capacity: i32 = "pullThreadPoolQueueCapacity" => 100_000;
    Broker false lite_pull_thread_pool_queue_capacity: i32 = "litePullThreadPoolQueueCapacity" => 100_000;
    Broker false query_thread_pool_queue_capacity: i32 = "queryThreadPoolQueueCapacity" => 20_000;
    Broker false client_manager_thread_pool_queue_capacity: i32 = "clientManagerThreadPoolQueueCapacity" => 1_000_000;
    Broker false consumer_manager_thread_pool_queue_capacity: i32 = "consumerManagerThreadPoolQueueCapacity" => 1_000_000;
    Broker false heartbeat_thread_pool_queue_capacity: i32 = "heartbeatThreadPoolQueueCapacity" => 50_000;
    Broker false end_transaction_pool_queue_capacity: i32 = "endTransactionPoolQueueCapacity" => 100_000;
    Broker false admin_broker_thread_pool_queue_capacity: i32 = "adminBrokerThreadPoolQueueCapacity" => 10_000;
    Broker false long_polling_enable: bool = "longPollingEnable" => true;
    Broker false short_polling_time_mills: i64 = "shortPollingTimeMills" => 1000;
    Broker false notify_consumer_ids_changed_enable: bool = "notifyConsumerIdsChangedEnable" => true;
    Broker false high_speed_mode: bool = "highSpeedMode" => false;
    Broker false transfer_msg_by_heap: bool = "transferMsgByHeap" => true;
    Broker false region_id: String = "regionId" => "DefaultRegion".into();
    Broker false register_broker_timeout_mills: i32 = "registerBrokerTimeoutMills" => 24_000;
    Broker false slave_read_enable: bool = "slaveReadEnable" => false;
    Broker false disable_consume_if_consumer_read_slowly: bool = "disableConsumeIfConsumerReadSlowly" => false;
    Broker false consumer_fallbehind_threshold: i64 = "consumerFallbehindThreshold" => 16 * 1024 * 1024 * 1024;
    Broker false broker_fast_failure_enable: bool = "brokerFastFailureEnable" => true;
    Broker false wait_time_mills_in_send_queue: i64 = "waitTimeMillsInSendQueue" => 200;
    Broker false wait_time_mills_in_pull_queue: i64 = "waitTimeMillsInPullQueue" => 5_000;
    Broker false wait_time_mills_in_heartbeat_queue: i64 = "waitTimeMillsInHeartbeatQueue" => 31_000;
    Broker false wait_time_mills_in_transaction_queue: i64 = "waitTimeMillsInTransactionQueue" => 3_000;
    Broker false start_accept_send_request_time_stamp: i64 = "startAcceptSendRequestTimeStamp" => 0;
    Broker false trace_on: bool = "traceOn" => true;
    Broker false enable_calc_filter_bit_map: bool = "enableCalcFilterBitMap" => false;
    Broker false reject_pull_consumer_enable: bool = "rejectPullConsumerEnable" => false;
    Broker false expect_consumer_num_use_filter: i32 = "expectConsumerNumUseFilter" => 32;
    Broker false max_error_rate_of_bloom_filter: i32 = "maxErrorRateOfBloomFilter" => 20;
    Broker false filter_data_clean_time_span: i64 = "filterDataCleanTimeSpan" => 24 * 3600 * 1000;
    Broker false filter_support_retry: bool = "filterSupportRetry" => false;
    Broker false enable_property_filter: bool = "enablePropertyFilter" => false;
    Broker false compressed_register: bool = "compressedRegister" => false;
    Broker false force_register: bool = "forceRegister" => true;
    Broker false register_name_server_period: i32 = "registerNameServerPeriod" => 30_000;
    Broker false update_name_server_addr_period: i32 = "updateNameServerAddrPeriod" => 120_000;
    Broker false broker_heartbeat_interval: i32 = "brokerHeartbeatInterval" => 1000;
    Broker false broker_not_active_timeout_millis: i64 = "brokerNotActiveTimeoutMillis" => 10_000;
    Broker false enable_net_work_flow_control: bool = "enableNetWorkFlowControl" => false;
    Broker false enable_broadcast_offset_store: bool = "enableBroadcastOffsetStore" => true;
    Broker false broadcast_offset_expire_second: i64 = "broadcastOffsetExpireSecond" => 120;
    Broker false revive_queue_num: i32 = "reviveQueueNum" => 8;
    Broker false lite_pull_message_enable: bool = "litePullMessageEnable" => true;
    Broker true transaction_time_out: i64 = "transactionTimeOut" => 6_000;
    Broker true transaction_check_max: i32 = "transactionCheckMax" => 15;
    Broker true transaction_check_interval: i64 = "transactionCheckInterval" => 30_000;
    Broker true acl_enable: bool = "aclEnable" => false;
    Broker false store_reply_message_enable: bool = "storeReplyMessageEnable" => true;
    Broker false isolate_log_enable: bool = "isolateLogEnable" => false;
    Broker false forward_timeout: i64 = "forwardTimeout" => 3_000;
    Broker false enable_slave_acting_master: bool = "enableSlaveActingMaster" => false;
    Broker false skip_pre_online: bool = "skipPreOnline" => false;
    Broker false async_send_enable: bool = "asyncSendEnable" => true;
    Broker false use_server_side_reset_offset: bool = "useServerSideResetOffset" => true;
    Broker false consumer_offset_update_version_step: i64 = "consumerOffsetUpdateVersionStep" => 500;
    Broker false delay_offset_update_version_step: i64 = "delayOffsetUpdateVersionStep" => 200;
    Broker false lock_in_strict_mode: bool = "lockInStrictMode" => false;
    Broker false compatible_with_old_name_srv: bool = "compatibleWithOldNameSrv" => true;
    Broker false enable_controller_mode: bool = "enableControllerMode" => false;
    Broker false controller_addr: String = "controllerAddr" => String::new();
    Broker false validate_system_topic_when_update_topic: bool = "validateSystemTopicWhenUpdateTopic" => true;
    Broker false channel_expired_timeout: i64 = "channelExpiredTimeout" => 120_000;
    Broker false subscription_expired_timeout: i64 = "subscriptionExpiredTimeout" => 600_000;
    Broker false enable_split_registration: bool = "enableSplitRegistration" => false;
    Broker false split_registration_size: i32 = "splitRegistrationSize" => 800;
    Broker false config_black_list: String = "configBlackList" => "configBlackList;brokerConfigPath".into();
    Broker false clear_retry_topic_when_delete_topic: bool = "clearRetryTopicWhenDeleteTopic" => true;
    Broker false enable_register_producer: bool = "enableRegisterProducer" => true;
    Broker false enable_create_sys_group: bool = "enableCreateSysGroup" => true;
    // NettyServerConfig / NettyClientConfig
    NettyServer false bind_address: String = "bindAddress" => "0.0.0.0".into();
    NettyServer false server_worker_threads: i32 = "serverWorkerThreads" => 8;
    NettyServer false server_callback_executor_threads: i32 = "serverCallbackExecutorThreads" => 0;
    NettyServer false server_selector_threads: i32 = "serverSelectorThreads" => 3;
    NettyServer false server_oneway_semaphore_value: i32 = "serverOnewaySemaphoreValue" => 256;
    NettyServer false server_async_semaphore_value: i32 = "serverAsyncSemaphoreValue" => 64;
    NettyServer false server_channel_max_idle_time_seconds: i32 = "serverChannelMaxIdleTimeSeconds" => 120;
    NettyServer false server_socket_snd_buf_size: i32 = "serverSocketSndBufSize" => 0;
    NettyServer false server_socket_rcv_buf_size: i32 = "serverSocketRcvBufSize" => 0;
    NettyServer false server_socket_backlog: i32 = "serverSocketBacklog" => 1024;
    NettyServer false server_pooled_byte_buf_allocator_enable: bool = "serverPooledByteBufAllocatorEnable" => true;
    NettyServer false enable_shutdown_gracefully: bool = "enableShutdownGracefully" => false;
    NettyServer false shutdown_wait_time_seconds: i32 = "shutdownWaitTimeSeconds" => 30;
    NettyServer false use_epoll_native_selector: bool = "useEpollNativeSelector" => false;
    NettyClient false client_worker_threads: i32 = "clientWorkerThreads" => 4;
    NettyClient false client_callback_executor_threads: i32 = "clientCallbackExecutorThreads" => processors();
    NettyClient false client_oneway_semaphore_value: i32 = "clientOnewaySemaphoreValue" => 65_535;
    NettyClient false client_async_semaphore_value: i32 = "clientAsyncSemaphoreValue" => 65_535;
    NettyClient false connect_timeout_millis: i32 = "connectTimeoutMillis" => 3_000;
    NettyClient false channel_not_active_interval: i64 = "channelNotActiveInterval" => 60_000;
    NettyClient false client_channel_max_idle_time_seconds: i32 = "clientChannelMaxIdleTimeSeconds" => 120;
    NettyClient false client_close_socket_if_timeout: bool = "clientCloseSocketIfTimeout" => true;
    NettyClient false use_tls: bool = "useTLS" => false;
    // MessageStoreConfig
    Store true store_path_root_dir: String = "storePathRootDir" => format!("{}/store", home_dir());
    Store true store_path_commit_log: Option<String> = "storePathCommitLog" => None;
    Store true store_path_d_ledger_commit_log: Option<String> = "storePathDLedgerCommitLog" => None;
    Store true store_path_epoch_file: Option<String> = "storePathEpochFile" => None;
    Store true store_path_broker_identity: Option<String> = "storePathBrokerIdentity" => None;
    Store false read_only_commit_log_store_paths: Option<String> = "readOnlyCommitLogStorePaths" => None;
    Store false mapped_file_size_commit_log: i32 = "mappedFileSizeCommitLog" => 1024 * 1024 * 1024;
    Store false mapped_file_size_timer_log: i32 = "mappedFileSizeTimerLog" => 100 * 1024 * 1024;
    Store false timer_precision_ms: i32 = "timerPrecisionMs" => 1000;
    Store false timer_roll_window_slot: i32 = "timerRollWindowSlot" => 3600 * 24 * 2;
    Store false timer_max_delay_sec: i32 = "timerMaxDelaySec" => 3600 * 24 * 3;
    Store false timer_wheel_enable: bool = "timerWheelEnable" => true;
    Store true store_type: String = "storeType" => "default".into();
    Store false mapped_file_size_consume_queue: i32 = "mappedFileSizeConsumeQueue" => 300_000 * 20;
    Store false enable_consume_queue_ext: bool = "enableConsumeQueueExt" => false;
    Store false mapped_file_size_consume_queue_ext: i32 = "mappedFileSizeConsumeQueueExt" => 48 * 1024 * 1024;
    Store false bit_map_length_consume_queue_ext: i32 = "bitMapLengthConsumeQueueExt" => 64;
    Store true flush_interval_commit_log: i32 = "flushIntervalCommitLog" => 500;
    Store true commit_interval_commit_log: i32 = "commitIntervalCommitLog" => 200;
    Store false max_recovery_commitlog_files: i32 = "maxRecoveryCommitlogFiles" => 30;
    Store false disk_space_warning_level_ratio: i32 = "diskSpaceWarningLevelRatio" => 90;
    Store false disk_space_clean_forcibly_ratio: i32 = "diskSpaceCleanForciblyRatio" => 85;
    Store false use_reentrant_lock_when_put_message: bool = "useReentrantLockWhenPutMessage" => true;
    Store true flush_commit_log_timed: bool = "flushCommitLogTimed" => true;
    Store false flush_interval_consume_queue: i32 = "flushIntervalConsumeQueue" => 1000;
    Store false clean_resource_interval: i32 = "cleanResourceInterval" => 10_000;
    Store false delete_commit_log_files_interval: i32 = "deleteCommitLogFilesInterval" => 100;
    Store false delete_consume_queue_files_interval: i32 = "deleteConsumeQueueFilesInterval" => 100;
    Store false destroy_maped_file_interval_forcibly: i32 = "destroyMapedFileIntervalForcibly" => 120_000;
    Store false redelete_hanged_file_interval: i32 = "redeleteHangedFileInterval" => 120_000;
    Store true delete_when: String = "deleteWhen" => "04".into();
    Store false disk_max_used_space_ratio: i32 = "diskMaxUsedSpaceRatio" => 75;
    Store true file_reserved_time: i32 = "fileReservedTime" => 72;
    Store true delete_file_batch_max: i32 = "deleteFileBatchMax" => 10;
    Store false put_msg_index_hight_water: i32 = "putMsgIndexHightWater" => 600_000;
    Store false max_message_size: i32 = "maxMessageSize" => 4 * 1024 * 1024;
    Store false max_filter_message_size: i32 = "maxFilterMessageSize" => 16_000;
    Store false check_crc_on_recover: bool = "checkCRCOnRecover" => true;
    Store false flush_commit_log_least_pages: i32 = "flushCommitLogLeastPages" => 4;
    Store false commit_commit_log_least_pages: i32 = "commitCommitLogLeastPages" => 4;
    Store false flush_consume_queue_least_pages: i32 = "flushConsumeQueueLeastPages" => 2;
    Store false flush_commit_log_thorough_interval: i32 = "flushCommitLogThoroughInterval" => 10_000;
    Store false commit_commit_log_thorough_interval: i32 = "commitCommitLogThoroughInterval" => 200;
    Store false flush_consume_queue_thorough_interval: i32 = "flushConsumeQueueThoroughInterval" => 60_000;
    Store true max_transfer_bytes_on_message_in_memory: i32 = "maxTransferBytesOnMessageInMemory" => 256 * 1024;
    Store true max_transfer_count_on_message_in_memory: i32 = "maxTransferCountOnMessageInMemory" => 32;
    Store true max_transfer_bytes_on_message_in_disk: i32 = "maxTransferBytesOnMessageInDisk" => 64 * 1024;
    Store true max_transfer_count_on_message_in_disk: i32 = "maxTransferCountOnMessageInDisk" => 8;
    Store true access_message_in_memory_max_ratio: i32 = "accessMessageInMemoryMaxRatio" => 40;
    Store true message_index_enable: bool = "messageIndexEnable" => true;
    Store false max_hash_slot_num: i32 = "maxHashSlotNum" => 5_000_000;
    Store false max_index_num: i32 = "maxIndexNum" => 20_000_000;
    Store false max_msgs_num_batch: i32 = "maxMsgsNumBatch" => 64;
    Store true message_index_safe: bool = "messageIndexSafe" => false;
    Store false ha_listen_port: i32 = "haListenPort" => 0;
    Store false ha_send_heartbeat_interval: i32 = "haSendHeartbeatInterval" => 5_000;
    Store false ha_housekeeping_interval: i32 = "haHousekeepingInterval" => 20_000;
    Store false ha_transfer_batch_size: i32 = "haTransferBatchSize" => 32 * 1024;
    Store true ha_master_address: Option<String> = "haMasterAddress" => None;
    Store false ha_max_gap_not_in_sync: i32 = "haMaxGapNotInSync" => 256 * 1024 * 1024;
    Store true broker_role: BrokerRole = "brokerRole" => BrokerRole::AsyncMaster;
    Store true flush_disk_type: FlushDiskType = "flushDiskType" => FlushDiskType::AsyncFlush;
    Store false sync_flush_timeout: i32 = "syncFlushTimeout" => 5_000;
    Store false put_message_timeout: i32 = "putMessageTimeout" => 8_000;
    Store false slave_timeout: i32 = "slaveTimeout" => 3_000;
    Store false message_delay_level: String = "messageDelayLevel" => "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".into();
    Store false flush_delay_offset_interval: i64 = "flushDelayOffsetInterval" => 10_000;
    Store true clean_file_forcibly_enable: bool = "cleanFileForciblyEnable" => true;
    Store false warm_maped_file_enable: bool = "warmMapedFileEnable" => false;
    Store false offset_check_in_slave: bool = "offsetCheckInSlave" => false;
    Store false debug_lock_enable: bool = "debugLockEnable" => false;
    Store false duplication_enable: bool = "duplicationEnable" => false;
    Store false disk_fall_recorded: bool = "diskFallRecorded" => true;
    Store false os_page_cache_busy_time_out_mills: i64 = "osPageCacheBusyTimeOutMills" => 1000;
    Store false default_query_max_num: i32 = "defaultQueryMaxNum" => 32;
    Store true transient_store_pool_enable: bool = "transientStorePoolEnable" => false;
    Store false transient_store_pool_size: i32 = "transientStorePoolSize" => 5;
    Store false fast_fail_if_no_buffer_in_store_pool: bool = "fastFailIfNoBufferInStorePool" => false;
    Store false enable_d_leger_commit_log: bool = "enableDLegerCommitLog" => false;
    Store false d_leger_group: Option<String> = "dLegerGroup" => None;
    Store false d_leger_peers: Option<String> = "dLegerPeers" => None;
    Store false d_leger_self_id: Option<String> = "dLegerSelfId" => None;
    Store false preferred_leader_id: Option<String> = "preferredLeaderId" => None;
    Store false enable_schedule_message_stats: bool = "enableScheduleMessageStats" => true;
    Store false enable_lmq: bool = "enableLmq" => false;
    Store false enable_multi_dispatch: bool = "enableMultiDispatch" => false;
    Store false max_lmq_consume_queue_num: i32 = "maxLmqConsumeQueueNum" => 20_000;
    Store false max_topic_length: i32 = "maxTopicLength" => 127;
    Store false auto_message_version_on_topic_len: bool = "autoMessageVersionOnTopicLen" => true;
    Store false enabled_append_prop_crc: bool = "enabledAppendPropCRC" => false;
    Store true dispatch_from_sender_thread: bool = "dispatchFromSenderThread" => false;
    Store true wake_commit_when_put_message: bool = "wakeCommitWhenPutMessage" => true;
    Store true wake_flush_when_put_message: bool = "wakeFlushWhenPutMessage" => false;
    Store true enable_clean_expired_offset: bool = "enableCleanExpiredOffset" => false;
    Store false max_async_put_message_requests: i32 = "maxAsyncPutMessageRequests" => 5_000;
    Store false pull_batch_max_message_count: i32 = "pullBatchMaxMessageCount" => 160;
    Store true total_replicas: i32 = "totalReplicas" => 1;
    Store true in_sync_replicas: i32 = "inSyncReplicas" => 1;
    Store true min_in_sync_replicas: i32 = "minInSyncReplicas" => 1;
    Store true all_ack_in_sync_state_set: bool = "allAckInSyncStateSet" => false;
    Store true enable_auto_in_sync_replicas: bool = "enableAutoInSyncReplicas" => false;
    Store true ha_flow_control_enable: bool = "haFlowControlEnable" => false;
    Store false max_consume_queue_scan: i32 = "maxConsumeQueueScan" => 20_000;
    Store false data_read_ahead_enable: bool = "dataReadAheadEnable" => true;
    Store false topic_queue_lock_num: i32 = "topicQueueLockNum" => 32;
    Store false read_un_committed: bool = "readUnCommitted" => false;
}

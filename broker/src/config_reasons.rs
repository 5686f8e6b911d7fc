//! Why a broker key without effect in Thrust is harmless: the texts the key table
//! ([`config_keys`](crate::config_keys)) shares between keys, and the check that
//! `docs/config.md` lists exactly the table's keys without effect and refused keys.

pub const IDENTITY: &str = "BrokerStartup resets it: a broker started by mqbroker never runs \
    inside a BrokerContainer";
pub const RECOVERY_SPEED: &str = "parallelism of Java's start-up recovery; Thrust recovers the \
    same data";
pub const POOL: &str = "sizes a Java thread pool or its queue; Thrust serves requests on async \
    tasks without such pools";
pub const UNUSED: &str = "Java 5.3.3 declares it but never reads it";
pub const ADDRESS_SERVER: &str = "acts only when the NameServer list is fetched from an address \
    server, which Thrust refuses";
pub const STATS: &str = "Java's statistics, accounting or their log output; requests and \
    stored data are unaffected";
pub const TRANSFER: &str = "how Java copies pulled messages into the response; the bytes sent \
    are the same";
pub const SLAVE_ACTING: &str = "acts only with enableSlaveActingMaster=true, which Thrust \
    refuses";
pub const READ_SLOWLY: &str = "acts only with disableConsumeIfConsumerReadSlowly=true, which \
    Thrust refuses";
pub const QUEUE_WAIT: &str = "Java's fast-failure flow control times how long a request waits \
    in a thread-pool queue; Thrust has no such queues";
pub const PROPERTY_FILTER: &str = "acts only with enablePropertyFilter=true, which Thrust \
    refuses";
pub const COMPRESSED_REGISTER: &str = "registration bodies go uncompressed, which every \
    NameServer reads";
pub const FORCE_REGISTER: &str = "Thrust registers its whole topic list every period, as \
    forceRegister=true does; false only skips registrations Java finds unchanged";
pub const NETWORK_FLOW: &str = "a Netty channel-writability check; Thrust queues every pull \
    response on the connection's writer";
pub const BROADCAST_OFFSETS: &str = "broadcast offsets kept by the broker serve proxy (gRPC) \
    consumers; remoting clients keep their own";
pub const POP_POLLING_MAP: &str = "caps Java's table of topic@group@queue keys that parked \
    pops wait under; Thrust parks each pop on its own task, bounded by maxPopPollingSize and \
    popPollingSize";
pub const SKIP_AWAITING_ACK: &str = "acts only with enableSkipLongAwaitingAck=true, which \
    Thrust refuses";
pub const POP_BUFFER: &str = "acts only with enablePopBufferMerge=true, which Thrust refuses: \
    check-points and acks are stored as they come";
pub const POP_FORCE_NOTIFY: &str = "how often Java wakes parked pops whose filter did not match \
    a new message; Thrust wakes a parked pop at every new message of its queues and pops again";
pub const POP_KV: &str = "acts only with popConsumerKVServiceEnable=true, which Thrust refuses";
pub const POP_THRESHOLD: &str = "acts only with enablePopMessageThreshold=true, which Thrust \
    refuses";
pub const POP_ASYNC: &str = "whether Java stores a POP check-point or ack from another thread; \
    the records are the same";
pub const NOTIFY_BATCH: &str = "false only batches the consumer-change notifications; Thrust \
    sends each at once, as the default does";
pub const ASSIGNMENT_ROUTE: &str = "how often Java refreshes its cached topic routes for \
    QUERY_ASSIGNMENT; Thrust asks the NameServer at each QUERY_ASSIGNMENT";
pub const TRANSACTION_OPS: &str = "batches transaction op records in Java; Thrust writes one op \
    record per END_TRANSACTION, which Java reads alike";
pub const LOG_DIR: &str = "names Java's log directory; Thrust logs to \
    ~/logs/rocketmqlogs/broker.log";
pub const ASYNC_SEND: &str = "whether Java answers a send from another thread; the answer is \
    the same";
pub const DELAY_VERSION_STEP: &str = "steps the dataVersion counter of Java's \
    delayOffset.json; the delay offsets persisted are the same";
pub const STRICT_LOCK: &str = "strict mode locks a queue on a quorum (totalReplicas / 2 + 1) of \
    the group members Java learns only with enableSlaveActingMaster=true, which Thrust refuses; \
    with the default totalReplicas=1 that quorum is this broker";
pub const TOTAL_REPLICAS: &str = "sizes the quorum of lockInStrictMode (see there) and the \
    replica count of enableSlaveActingMaster, which Thrust refuses";
pub const OTLP: &str = "configures the OTLP gRPC metrics exporter \
    (metricsExporterType=OTLP_GRPC), which Thrust refuses";
pub const LOG_EXPORTER: &str = "configures the logging metrics exporter \
    (metricsExporterType=LOG), which Thrust refuses";
pub const OTHER_EXPORTER_CONDITION: &str = "`OTLP_GRPC`, `LOG` (`DISABLE` and `PROM` are served)";

/// `metricsExporterType` values Thrust does not serve.
pub fn other_exporter(v: &str) -> bool {
    matches!(v, "OTLP_GRPC" | "LOG")
}
pub const COMPENSATION: &str = "expires the subscriptions Java compensates for proxy (gRPC) \
    consumers; Thrust keeps none";
pub const COLD: &str = "acts only with coldDataFlowControlEnable=true, which Thrust refuses";
pub const SINGLE_TOPIC_REGISTER: &str = "Java then registers only the created topic instead of \
    all; the NameServer ends up with the same routes";
pub const SPLIT_REGISTRATION: &str = "splits a large registration into several requests; the \
    NameServer ends up with the same routes";
pub const CHANNEL_EVENTS: &str = "a Java shortcut for closed-channel events; the client tables \
    end the same";
pub const NETTY: &str = "tunes Java's Netty transport (threads, buffers, semaphores, the \
    client's sockets); Thrust's transport is its own";
pub const DLEDGER: &str = "acts only with enableDLegerCommitLog=true, which Thrust refuses";
pub const TIMER_FILES: &str = "tunes Java's timerlog/timerwheel files and threads; Thrust keeps \
    pending timer messages in an index rebuilt from the timer topic";
pub const COMPACTION: &str = "tunes compaction of topics with cleanup.policy=COMPACTION, which \
    Thrust does not compact: such a topic keeps every message until the usual clean-up";
pub const CQ_EXT: &str = "acts only with enableConsumeQueueExt=true, which Thrust refuses";
pub const BATCH_CQ: &str = "batch consume queues serve topics created with \
    queue.type=BatchCQ; Thrust keeps that attribute only";
pub const TRANSIENT: &str = "acts only with transientStorePoolEnable=true, which Thrust \
    refuses";
pub const LOCKING: &str = "chooses Java's internal locks; results are the same";
pub const FLUSH_TIMING: &str = "when Java's flush threads run or wake; Thrust flushes every \
    flushIntervalCommitLog / flushIntervalConsumeQueue, with the same durability per \
    flushDiskType";
pub const FILE_DELETE_TIMING: &str = "pauses between deleting expired files; the same files are \
    deleted";
pub const RECORD_VERSION: &str = "a CommitLog record's topic is at most 127 bytes (topic names \
    are validated), so the record version never changes";
pub const PAGE_CACHE: &str = "page-cache warming, read-ahead or busy detection in Java; results \
    are the same";
pub const INDEX_SAFE: &str = "decides where Java's crash recovery restarts index building; \
    queries by key find the same messages after Thrust's recovery";
pub const SCHEDULE: &str = "Java's asynchronous delivery of delay-level messages; Thrust \
    delivers them at the same times";
pub const REPUT_CHECK: &str = "Java re-checks its dispatch position against the consume queues \
    at start; Thrust recovers it from the CommitLog and checkpoint";
pub const PROP_CRC: &str = "acts only on the CRC32 property of enabledAppendPropCRC=true, which \
    Thrust refuses";
pub const SCAN: &str = "how far Java scans consume queues for estimates, checksums or \
    min-offset correction; pulled messages are the same";
pub const ASYNC_PUT: &str = "bounds Java's asynchronous put queue; Thrust has none";
pub const DISK_PARTITION: &str = "acts only with replicasPerDiskPartition above 1, which Thrust \
    refuses";
pub const ROCKSDB: &str = "acts only with storeType=defaultRocksDB or configManagerVersion=v2, \
    which Thrust refuses";
pub const CQ_WRITE: &str = "Java writes consume-queue entries through a file channel or the \
    mapping; the bytes are the same";
pub const AUTH_IDENTITY: &str = "BrokerStartup sets it from brokerName, brokerClusterName and \
    storePathRootDir";
pub const AUTH_CACHE: &str = "sizes and times Java's caches of users and ACLs, which every \
    change made on the broker invalidates; Thrust reads its tables directly, with the same \
    results";
pub const STATEFUL: &str = "acts only with the stateful authentication or authorization \
    strategy, which Thrust refuses";

/// Java's class names for the auth plug-ins Thrust has (`AuthenticationFactory`,
/// `AuthorizationFactory`): an empty value is Java's default.
pub const AUTHN_PROVIDER: &str =
    "org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider";
pub const AUTHN_METADATA: &str =
    "org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider";
pub const AUTHN_STRATEGY: &str =
    "org.apache.rocketmq.auth.authentication.strategy.StatelessAuthenticationStrategy";
pub const AUTHZ_PROVIDER: &str =
    "org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider";
pub const AUTHZ_METADATA: &str =
    "org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider";
pub const AUTHZ_STRATEGY: &str =
    "org.apache.rocketmq.auth.authorization.strategy.StatelessAuthorizationStrategy";

pub const AUTHN_PROVIDER_CONDITION: &str = "a class other than DefaultAuthenticationProvider";
pub const AUTHN_METADATA_CONDITION: &str = "a class other than LocalAuthenticationMetadataProvider";
pub const AUTHN_STRATEGY_CONDITION: &str = "a class other than StatelessAuthenticationStrategy";
pub const AUTHZ_PROVIDER_CONDITION: &str = "a class other than DefaultAuthorizationProvider";
pub const AUTHZ_METADATA_CONDITION: &str = "a class other than LocalAuthorizationMetadataProvider";
pub const AUTHZ_STRATEGY_CONDITION: &str = "a class other than StatelessAuthorizationStrategy";

fn other_class(value: &str, known: &str) -> bool {
    !value.trim().is_empty() && value.trim() != known
}
pub fn not_authentication_provider(v: &str) -> bool {
    other_class(v, AUTHN_PROVIDER)
}
pub fn not_authentication_metadata(v: &str) -> bool {
    other_class(v, AUTHN_METADATA)
}
pub fn not_authentication_strategy(v: &str) -> bool {
    other_class(v, AUTHN_STRATEGY)
}
pub fn not_authorization_provider(v: &str) -> bool {
    other_class(v, AUTHZ_PROVIDER)
}
pub fn not_authorization_metadata(v: &str) -> bool {
    other_class(v, AUTHZ_METADATA)
}
pub fn not_authorization_strategy(v: &str) -> bool {
    other_class(v, AUTHZ_STRATEGY)
}

/// `storePathCommitLog`: Java splits it on `,` (`MixAll.MULTI_PATH_SPLITTER`) into several
/// CommitLog directories.
pub fn has_comma(value: &str) -> bool {
    value.contains(',')
}

#[cfg(test)]
mod tests {
    use remoting::config_effect::{
        no_effect_table, refused_table, replace_section, rules_table, DocKey,
    };

    use crate::config::BrokerConfig;

    fn doc_keys() -> impl Iterator<Item = DocKey<'static>> {
        BrokerConfig::keys().iter().map(|k| DocKey {
            key: k.name,
            effect: k.effect,
            default: BrokerConfig::default_text(k.name).unwrap_or_default(),
        })
    }

    /// `docs/config.md` carries the generated lists; `THRUST_BLESS_DOCS=1 cargo test -p broker
    /// config_docs` rewrites them after the table changed.
    #[test]
    fn config_docs_list_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/config.md");
        let doc = std::fs::read_to_string(&path).expect("docs/config.md");
        let fresh = replace_section(&doc, "broker-refused", &refused_table(doc_keys()))
            .and_then(|d| replace_section(&d, "broker-no-effect", &no_effect_table(doc_keys())))
            .and_then(|d| {
                let rules = BrokerConfig::keys().iter().map(|k| (k.name, k.rules));
                replace_section(&d, "broker-rules", &rules_table(rules))
            })
            .expect("docs/config.md has the broker-refused, -no-effect and -rules markers");
        if std::env::var_os("THRUST_BLESS_DOCS").is_some() {
            std::fs::write(&path, &fresh).expect("write docs/config.md");
        }
        assert!(
            doc == fresh,
            "docs/config.md is not what broker/src/config_keys.rs says: rerun with \
             THRUST_BLESS_DOCS=1 and review the diff"
        );
    }
}

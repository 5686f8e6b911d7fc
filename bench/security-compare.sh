#!/usr/bin/env bash
# What ACL and TLS cost a sending client: send TPS and RT with ACL on and with TLS on, relative to
# both off, on Thrust's mqbroker and on the Java brokers, in one run behind one NameServer (ours).
#
#   bench/security-compare.sh
#   ROUNDS=3 bench/security-compare.sh      # three rounds, the order reversed every other round
#   PRODUCE_SECONDS=20 THREADS=32 SIZE=1024 REPORT_MS=1000 PIN=1 bench/security-compare.sh
#   RUNS="ours:plain ours:tls java:plain java:tls" bench/security-compare.sh
#   TLS_SERVER_MODE=enforcing bench/security-compare.sh   # tls runs refuse plain connections
#   ACL_PRODUCER_SK=wrongSecret RUNS=ours:acl bench/security-compare.sh   # must fail: ACL is on
#
# A run is BROKER:MODE. Brokers: ours (target/release/mqbroker), java (BrokerStartup 5.3.3),
# java4 (BrokerStartup 4.9.7, the newest 4.x broker on Maven Central: ACL 1.0 — aclEnable and
# conf/plain_acl.yml — is a 4.x feature; the 5.3.3 broker declares aclEnable and ignores it).
# Modes:
#   plain  no ACL, a plain client;
#   acl    ours and java4: aclEnable=true with conf/plain_acl.yml under ROCKETMQ_HOME, one account
#          with PUB|SUB on the run's topic (default topic permission DENY, no white address);
#          java: 5.3.3's ACL 2.0 (authenticationEnabled, authorizationEnabled, local metadata)
#          with that same file migrated at start-up (migrateAuthFromV1Enabled), which is how a
#          5.3.3 deployment keeps a plain_acl.yml; the Producer signs (-a true -ak -sk,
#          AclClientRPCHook);
#   tls    the broker's default TLS mode (tls.server.mode permissive, test mode's self-signed
#          certificate; TLS_SERVER_MODE overrides it), the Producer with -Dtls.enable=true (its
#          NameServer connection is TLS too).
# Each run: a fresh broker and store (the broker.conf keys of bench/broker-compare.sh), the
# Producer sending SIZE-byte messages synchronously from THREADS threads for PRODUCE_SECONDS
# (the tool reports from its 10th second on: at least 15), the broker stopped. Then a table:
# send TPS and average RT of each run, the ratios acl/plain and tls/plain per broker, and
# ours/Java per mode. With ROUNDS=n the runs repeat n times, every other round in reverse order
# (a change in the machine's load does not always favour the same runs); ratios are computed per
# round and their median printed.
#
# The load tool is RocketMQ's official benchmark Producer (rocketmq-example 5.5.0, bench/tools.sh).
# BENCH_NO_BUILD=1 skips the cargo build and uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

produce_s=${PRODUCE_SECONDS:-20}
threads=${THREADS:-32}
size=${SIZE:-1024}
report_ms=${REPORT_MS:-1000}
rounds=${ROUNDS:-1}
tls_mode=${TLS_SERVER_MODE:-}
read -r -a runs <<< "${RUNS:-ours:plain ours:acl ours:tls java:plain java:acl java:tls java4:plain java4:acl}"
((produce_s >= 15)) || echo "PRODUCE_SECONDS=$produce_s: the Producer reports from its 10th second on; use 15 or more" >&2

# The account of plain_acl.yml; the Producer signs with ACL_AK and ACL_PRODUCER_SK
# (AclClientRPCHook), the account's secret unless set.
ACL_AK=benchUser
ACL_SK=benchSecret1
producer_sk=${ACL_PRODUCER_SK:-$ACL_SK}

bench_workdir

bench_build_bins "$work/bin" mqnamesrv mqbroker
bench_java_classpaths broker-5.3.3 broker-4.9.7
bench_pinning
source bench/tools.sh
select_tools

bench_ours_namesrv

# conf/plain_acl.yml: one signing account that may send to and consume TOPIC, nothing else.
plain_acl() {
    cat <<EOF
accounts:
- accessKey: $ACL_AK
  secretKey: $ACL_SK
  whiteRemoteAddress:
  admin: false
  defaultTopicPerm: DENY
  defaultGroupPerm: SUB
  topicPerms:
  - $1=PUB|SUB
EOF
}

# 4.x configures logback from $ROCKETMQ_HOME/conf/logback_broker.xml and exits without it (5.x
# ships its configuration in the jar): INFO to one file, as the distribution's does.
logback_4x() {
    cat <<EOF
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$1/logs/rocketmqlogs/broker.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
EOF
}

# broker_conf KIND MODE NAME DIR PORT: the broker.conf of one run.
broker_conf() {
    local kind=$1 mode=$2 name=$3 dir=$4 port=$5
    cat <<EOF
brokerClusterName=BenchCluster
brokerName=$name
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
listenPort=$port
haListenPort=$((port + 1))
bindAddress=127.0.0.1
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
namesrvAddr=$ns
storePathRootDir=$dir/store
storePathCommitLog=$dir/store/commitlog
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
EOF
    [[ $mode == acl ]] || return 0
    if [[ $kind == java ]]; then
        cat <<EOF
authenticationEnabled=true
authorizationEnabled=true
authenticationProvider=org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider
authenticationMetadataProvider=org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider
authorizationProvider=org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider
authorizationMetadataProvider=org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider
migrateAuthFromV1Enabled=true
EOF
    else
        echo "aclEnable=true"
    fi
}

# start_broker KIND MODE ROUND TOPIC: starts one broker with a fresh store in $work/KIND.MODE.ROUND;
# sets $broker (pid) and $broker_dir. A port taken between the check and the bind (other work on
# the machine opens connections too) costs one more try on other ports.
start_broker() {
    local try
    for try in 1 2 3; do
        start_broker_once "$@" && return 0
        grep -q 'Address already in use' "$broker_dir/stdout" || break
        bench_log "a port was taken meanwhile; starting the $1 broker ($2) again"
    done
    echo "the $1 broker ($2) did not start:" >&2
    tail -n 40 "$broker_dir/stdout" >&2
    exit 1
}

start_broker_once() {
    local kind=$1 mode=$2 r=$3 topic=$4 dir="$work/$1.$2.$3" port name props=()
    name="bench-$kind-$mode-$r"
    rm -rf "$dir"
    mkdir -p "$dir/conf"
    port=$(bench_free_broker_port)
    broker_conf "$kind" "$mode" "$name" "$dir" "$port" > "$dir/broker.conf"
    [[ $mode != acl ]] || plain_acl "$topic" > "$dir/conf/plain_acl.yml"
    [[ $mode != tls || -z $tls_mode ]] || props=("-Dtls.server.mode=$tls_mode")
    case $kind in
        ours)
            ROCKETMQ_HOME="$dir" HOME="$dir" JAVA_OPT="${props[*]}" "${BENCH_SERVER_TASKSET[@]}" \
                "$work/bin/mqbroker" -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
            ;;
        java)
            ROCKETMQ_HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" java -Xms1g -Xmx1g "${BENCH_JVM_OPTS[@]}" \
                "${props[@]}" "-Duser.home=$dir" -cp "$BENCH_CACHE/java/broker-5.3.3/*" \
                org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
            ;;
        java4)
            logback_4x "$dir" > "$dir/conf/logback_broker.xml"
            # 4.9.x was built for JDK 8: its MappedFile reaches JDK internals (mlock, unmapping).
            ROCKETMQ_HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" java -Xms1g -Xmx1g "${BENCH_JVM_OPTS[@]}" \
                --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
                --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
                --add-opens=java.base/java.lang=ALL-UNNAMED -Drocketmq.broker.diskSpaceWarningLevelRatio=0.99 \
                "${props[@]}" "-Duser.home=$dir" -cp "$BENCH_CACHE/java/broker-4.9.7/*" \
                org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
            ;;
        *)
            echo "unknown broker '$kind' in RUNS (ours, java, java4)" >&2
            exit 1
            ;;
    esac
    broker=$!
    broker_dir=$dir
    pids+=("$broker")
    bench_wait_line "$dir/stdout" 'boot success' 120 "$broker" || {
        bench_stop "$broker"
        return 1
    }
    # With autoCreateTopicEnable the broker registers TBW102, the route a producer uses for a new topic.
    bench_wait_route "$ns" TBW102 "$name" 60 || {
        tail -n 40 "$dir/stdout" >&2
        exit 1
    }
    bench_log "$kind broker ($mode) up and registered (pid $broker, 127.0.0.1:$port)"
}

# run_one KIND MODE ROUND: one Producer run against a fresh broker; results under KIND.MODE.ROUND.
run_one() {
    local kind=$1 mode=$2 r=$3 k="$1.$2.$3" topic args reports
    send_tps[$k]=n/a avg_rt[$k]=n/a max_rt[$k]=n/a failed[$k]=n/a
    case $mode in plain | acl | tls) ;; *)
        echo "unknown mode '$mode' in RUNS (plain, acl, tls)" >&2
        exit 1
        ;;
    esac
    topic="BenchmarkTest_${kind}_${mode}_$r"
    start_broker "$kind" "$mode" "$r" "$topic"
    args=(-n "$ns" -t "$topic" -w "$threads" -s "$size" -ri "$report_ms")
    TOOL_JVM_OPTS=()
    [[ $mode != acl ]] || args+=(-a true -ak "$ACL_AK" -sk "$producer_sk")
    [[ $mode != tls ]] || TOOL_JVM_OPTS=(-Dtls.enable=true)
    bench_log "$kind $mode (round $r): Producer ${produce_s}s (${threads} threads, ${size} B)"
    run_tool "$produce_s" producer "$work/$k.producer" "${args[@]}"
    TOOL_JVM_OPTS=()
    read -r send_tps[$k] avg_rt[$k] max_rt[$k] failed[$k] reports < <(parse_send "$work/$k.producer")
    bench_stop "$broker"
    if [[ "${send_tps[$k]}" == 0 ]]; then
        if ((reports < 2)); then
            echo "FAILED: the Producer printed $reports report line(s) in ${produce_s}s (the first is" \
                "warm-up and left out): raise PRODUCE_SECONDS. Its output:" >&2
        else
            echo "FAILED: the Producer could not send to the $kind broker ($mode). Its output:" >&2
        fi
        tail -n 30 "$work/$k.producer" "$work/$k.producer.err" >&2
        echo "---- the commonest exceptions in its log:" >&2
        cat "$work/clients/logs/rocketmqlogs/"*.log 2>/dev/null | grep -E '^[a-zA-Z.]+Exception: ' |
            cut -c1-240 | sort | uniq -c | sort -rn | head -n 3 >&2 || true
        echo "---- $kind broker output:" >&2
        tail -n 30 "$broker_dir/stdout" >&2
        exit 1
    fi
    echo "---- $kind $mode (round $r): Producer"
    grep -E 'Send TPS' "$work/$k.producer" || true
    grep -m3 -E 'Exception|ERROR' "$work/$k.producer.err" || true
}

declare -A send_tps avg_rt max_rt failed
for round in $(seq 1 "$rounds"); do
    order=("${runs[@]}")
    if ((round % 2 == 0)); then
        order=()
        for ((i = ${#runs[@]} - 1; i >= 0; i--)); do order+=("${runs[i]}"); done
    fi
    for run in "${order[@]}"; do
        run_one "${run%%:*}" "${run#*:}" "$round"
    done
done

# median: the median of the numbers on stdin ("n/a" when none).
median() {
    grep -v n/a | sort -g | awk '{ v[NR] = $1 }
        END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# has KIND.MODE: whether RUNS has that run.
has() { [[ " ${runs[*]} " == *" ${1/./:} "* ]]; }

# ratio_line LABEL ARRAY NUM DEN: NUM/DEN (keys KIND.MODE) per round and, with several, the median.
ratio_line() {
    local label=$1 round all=() r
    local -n arr=$2
    has "$3" && has "$4" || return 0
    for round in $(seq 1 "$rounds"); do
        all+=("$(bench_ratio "${arr[$3.$round]}" "${arr[$4.$round]}")")
    done
    if ((rounds == 1)); then
        printf '%-34s%sx\n' "$label:" "${all[0]}"
    else
        printf '%-34s%sx (median; rounds: %s)\n' "$label:" \
            "$(printf '%s\n' "${all[@]}" | median)" "${all[*]}"
    fi
}

label() {
    case $1 in
        ours) echo "Thrust mqbroker" ;;
        java) echo "Java 5.3.3 broker" ;;
        java4) echo "Java 4.9.7 broker" ;;
    esac
}

echo
echo "==== Send cost of ACL and TLS: ${size} B sync sends, ${threads} threads, ${produce_s}s per run"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "tools:   $TOOLS_NOTE"
echo "java brokers: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
echo "tls:     tls.server.mode ${tls_mode:-permissive (default)}, test mode; Producer -Dtls.enable=true"
echo "acl:     ours, Java 4.9.7: aclEnable=true + conf/plain_acl.yml; Java 5.3.3: ACL 2.0 migrated from it"
fmt='%-30s %-6s %10s %10s %10s %10s\n'
printf "$fmt" broker mode "send TPS" "avg RT ms" "max RT ms" "send fail"
for round in $(seq 1 "$rounds"); do
    for run in "${runs[@]}"; do
        k="${run/:/.}.$round"
        l=$(label "${run%%:*}")
        ((rounds == 1)) || l="$l (round $round)"
        printf "$fmt" "$l" "${run#*:}" "${send_tps[$k]}" "${avg_rt[$k]}" "${max_rt[$k]}" "${failed[$k]}"
    done
done
echo "-- send TPS, each broker against itself"
for kind in ours java java4; do
    ratio_line "$(label $kind) acl/plain" send_tps "$kind.acl" "$kind.plain"
    ratio_line "$(label $kind) tls/plain" send_tps "$kind.tls" "$kind.plain"
done
echo "-- send TPS, ours/Java"
for mode in plain acl tls; do
    ratio_line "$mode: ours/Java 5.3.3" send_tps "ours.$mode" "java.$mode"
    ratio_line "$mode: ours/Java 4.9.7" send_tps "ours.$mode" "java4.$mode"
done
echo "-- avg RT, Java/ours"
for mode in plain acl tls; do
    ratio_line "$mode: Java 5.3.3/ours" avg_rt "java.$mode" "ours.$mode"
    ratio_line "$mode: Java 4.9.7/ours" avg_rt "java4.$mode" "ours.$mode"
done

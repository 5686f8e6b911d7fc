#!/usr/bin/env bash
# Produce and consume through the unmodified Java client: Thrust's mqbroker against the Java 5.3.3
# broker, in one run, behind one NameServer (ours).
#
#   bench/broker-compare.sh
#   PRODUCE_SECONDS=30 CONSUME_SECONDS=40 THREADS=32 SIZE=1024 PIN=1 ORDER="ours java" bench/broker-compare.sh
#
# For each broker, one after the other (ours, then Java's -Xms1g -Xmx1g with G1 as bin/runbroker.sh),
# from the same broker.conf keys (127.0.0.1, brokerIP1=127.0.0.1, ASYNC_FLUSH, autoCreateTopicEnable,
# a fresh temp store): the Producer sends SIZE-byte messages synchronously from THREADS threads for
# PRODUCE_SECONDS (the first report window is warm-up), then a new push-consumer group drains the
# backlog from the first offset (the tool runs CONSUME_SECONDS). Prints send TPS, average and max
# RT, consume TPS, the messages the broker stored and the group consumed (mqadmin consumerProgress),
# the broker's peak RSS (VmHWM, which also counts mapped store pages) and peak RssAnon, and ratios.
#
# The load tools are RocketMQ's official benchmark Producer/Consumer
# (org.apache.rocketmq.example.benchmark) from rocketmq-example 5.5.0 on Maven Central, fetched into
# .cache/java/example-5.5.0 on first use (bench/tools.sh).
# BENCH_NO_BUILD=1 skips the cargo build and uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

produce_s=${PRODUCE_SECONDS:-30}
consume_s=${CONSUME_SECONDS:-40}
threads=${THREADS:-32}
size=${SIZE:-1024}
report_ms=${REPORT_MS:-5000}

work=$(mktemp -d)
pids=()
cleanup() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do bench_stop "${pids[i]}"; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_build_bins "$work/bin" mqnamesrv mqbroker
bench_java_classpaths broker-5.3.3 tools-5.3.3
bench_pinning
source bench/tools.sh
select_tools

# ---- the NameServer (ours), shared by both runs
ns_port=$(bench_free_port)
mkdir -p "$work/namesrv"
printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/namesrv/kv.json\n' "$ns_port" "$work" \
    > "$work/namesrv/namesrv.conf"
ROCKETMQ_HOME="$work/namesrv" HOME="$work/namesrv" "${BENCH_SERVER_TASKSET[@]}" \
    "$work/bin/mqnamesrv" -c "$work/namesrv/namesrv.conf" > "$work/namesrv/stdout" 2>&1 &
pids+=($!)
bench_wait_line "$work/namesrv/stdout" '^The Name Server boot success' 30 "${pids[-1]}" || {
    cat "$work/namesrv/stdout" >&2
    exit 1
}
ns="127.0.0.1:$ns_port"
bench_log "NameServer (ours) at $ns"

# start_broker KIND: starts one broker in $work/KIND; sets $broker (pid).
start_broker() {
    local kind=$1 dir="$work/$1" port
    mkdir -p "$dir"
    port=$(bench_free_broker_port)
    cat > "$dir/broker.conf" <<EOF
brokerClusterName=BenchCluster
brokerName=bench-$kind
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
    if [[ $kind == java ]]; then
        ROCKETMQ_HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" java -Xms1g -Xmx1g "${BENCH_JVM_OPTS[@]}" \
            "-Duser.home=$dir" -cp "$BENCH_CACHE/java/broker-5.3.3/*" \
            org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
    else
        ROCKETMQ_HOME="$dir" HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" "$work/bin/mqbroker" \
            -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
    fi
    broker=$!
    pids+=("$broker")
    if ! bench_wait_line "$dir/stdout" 'boot success' 120 "$broker"; then
        echo "the $kind broker did not start:" >&2
        tail -n 40 "$dir/stdout" >&2
        exit 1
    fi
    # With autoCreateTopicEnable the broker registers TBW102, the route a producer uses for a new topic.
    bench_wait_route "$ns" TBW102 "bench-$kind" 60 || {
        tail -n 40 "$dir/stdout" >&2
        exit 1
    }
    bench_log "$kind broker up and registered (pid $broker, 127.0.0.1:$port)"
}

declare -A send_tps avg_rt max_rt stored failed cons_tps drain_s consumed hwm anon
for kind in ours java; do
    send_tps[$kind]=n/a avg_rt[$kind]=n/a max_rt[$kind]=n/a stored[$kind]=n/a failed[$kind]=n/a
    cons_tps[$kind]=n/a drain_s[$kind]=n/a consumed[$kind]=n/a hwm[$kind]="" anon[$kind]=""
done
for kind in ${ORDER:-ours java}; do
    start_broker "$kind"
    sampler=$(bench_sample_anon "$broker" "$work/$kind.anon")
    pids+=("$sampler")
    topic="BenchmarkTest_$kind"

    bench_log "$kind: Producer ${produce_s}s (${threads} threads, ${size} B)"
    run_tool "$produce_s" producer "$work/$kind.producer" \
        -n "$ns" -t "$topic" -w "$threads" -s "$size" -ri "$report_ms"
    read -r send_tps[$kind] avg_rt[$kind] max_rt[$kind] failed[$kind] reports \
        < <(parse_send "$work/$kind.producer")
    if [[ "${send_tps[$kind]}" == 0 ]]; then
        echo "FAILED: the Producer could not send to the $kind broker. Its output:" >&2
        tail -n 30 "$work/$kind.producer" "$work/$kind.producer.err" >&2
        echo "---- $kind broker output:" >&2
        tail -n 30 "$work/$kind/stdout" >&2
        exit 1
    fi

    bench_log "$kind: Consumer (drains the backlog; runs ${consume_s}s)"
    run_tool "$consume_s" consumer "$work/$kind.consumer" \
        -n "$ns" -t "$topic" -g "bench_consumer_$kind" -w 20 -ri 1000
    read -r cons_tps[$kind] drain_s[$kind] < <(parse_consume "$work/$kind.consumer")
    [[ "${cons_tps[$kind]}" != 0 ]] || cons_tps[$kind]=n/a drain_s[$kind]=n/a
    read -r stored[$kind] consumed[$kind] \
        < <(broker_counts "$ns" "bench_consumer_$kind" "$work/$kind.progress")

    hwm[$kind]=$(bench_status_kib "$broker" VmHWM)
    anon[$kind]=$(cat "$work/$kind.anon" 2>/dev/null || true)
    mem_end=$(grep -E '^(VmHWM|VmRSS|RssAnon|RssFile):' "/proc/$broker/status" | tr -s ' \t' ' ' | paste -sd, -)
    bench_stop "$broker"
    echo "---- $kind broker memory before stopping: $mem_end"
    echo "---- $kind broker: Producer"
    grep -E 'Send TPS' "$work/$kind.producer" || true
    grep -m3 -E 'Exception|ERROR' "$work/$kind.producer.err" || true
    echo "---- $kind broker: Consumer"
    # One line a second (-ri 1000): those whose window saw consumption.
    grep -E 'Consume TPS' "$work/$kind.consumer" | grep -v 'Consume TPS: 0 ' || true
    echo "(drain: ${drain_s[$kind]} s busy, ${cons_tps[$kind]} msg/s, from the per-second counts)"
done

echo
echo "==== Broker: ${size} B sync sends, ${threads} threads, ${produce_s}s; then a push consumer drains the backlog (${consume_s}s)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "tools:   $TOOLS_NOTE"
echo "java broker: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
fmt='%-22s %10s %10s %10s %10s %12s %12s %12s %12s\n'
printf "$fmt" broker "send TPS" "avg RT ms" "max RT ms" "send fail" "consume TPS" "cons/stored" \
    "VmHWM MiB" "RssAnon MiB"
for kind in java ours; do
    label=$([[ $kind == java ]] && echo "Java 5.3.3 broker" || echo "Thrust mqbroker")
    printf "$fmt" "$label" "${send_tps[$kind]}" "${avg_rt[$kind]}" "${max_rt[$kind]}" \
        "${failed[$kind]}" "${cons_tps[$kind]}" "${consumed[$kind]}/${stored[$kind]}" \
        "$(bench_mib "${hwm[$kind]}")" "$(bench_mib "${anon[$kind]}")"
done
echo "send TPS ours/Java:       $(bench_ratio "${send_tps[ours]}" "${send_tps[java]}")x"
echo "avg RT Java/ours:         $(bench_ratio "${avg_rt[java]}" "${avg_rt[ours]}")x"
echo "consume TPS ours/Java:    $(bench_ratio "${cons_tps[ours]}" "${cons_tps[java]}")x"
echo "peak RSS Java/ours:       $(bench_ratio "${hwm[java]}" "${hwm[ours]}")x (VmHWM)"
echo "peak RssAnon Java/ours:   $(bench_ratio "${anon[java]}" "${anon[ours]}")x"

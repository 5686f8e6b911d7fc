#!/usr/bin/env bash
# Produce and consume through the unmodified Java client: Thrust's mqbroker against the Java 5.3.3
# broker, in one run, behind one NameServer (ours).
#
#   bench/broker-compare.sh
#   ROUNDS=3 bench/broker-compare.sh        # three rounds, the order alternating (a noisy machine)
#   PRODUCE_SECONDS=30 CONSUME_SECONDS=40 THREADS=32 SIZE=1024 PIN=1 ORDER="ours java" bench/broker-compare.sh
#
# For each broker, one after the other (ours, then Java's -Xms1g -Xmx1g with G1 as bin/runbroker.sh),
# from the same broker.conf keys (127.0.0.1, brokerIP1=127.0.0.1, ASYNC_FLUSH, autoCreateTopicEnable,
# a fresh temp store): the Producer sends SIZE-byte messages synchronously from THREADS threads for
# PRODUCE_SECONDS (the first report window is warm-up), then a new push-consumer group drains the
# backlog from the first offset (the tool runs CONSUME_SECONDS). Prints send TPS, average and max
# RT, consume TPS, the messages the broker stored and the group consumed (mqadmin consumerProgress),
# the broker's peak RSS (VmHWM, which also counts mapped store pages) and peak RssAnon, and ratios.
# With ROUNDS=n the pair runs n times, each round with fresh brokers and stores and the order of
# the two reversed from the previous round (ours first, then Java first, ...), so a change in the
# machine's load during the run does not always favour the same broker; the ratios are computed per
# round and their median is printed.
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
rounds=${ROUNDS:-1}

bench_workdir

bench_build_bins "$work/bin" mqnamesrv mqbroker
bench_java_classpaths broker-5.3.3 tools-5.3.3
bench_pinning
source bench/tools.sh
select_tools

# ---- the NameServer (ours), shared by both runs
bench_ours_namesrv

# start_broker KIND ROUND: starts one broker with a fresh store in $work/KIND.ROUND; sets $broker (pid).
start_broker() {
    local kind=$1 dir="$work/$1.$2" port
    mkdir -p "$dir"
    port=$(bench_free_broker_port)
    cat > "$dir/broker.conf" <<EOF
brokerClusterName=BenchCluster
brokerName=bench-$kind-$2
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
    bench_wait_route "$ns" TBW102 "bench-$kind-$2" 60 || {
        tail -n 40 "$dir/stdout" >&2
        exit 1
    }
    bench_log "$kind broker up and registered (pid $broker, 127.0.0.1:$port)"
}

# run_broker KIND ROUND: one Producer + Consumer run against a fresh broker of KIND; results go to
# the arrays under the key KIND.ROUND.
run_broker() {
    local kind=$1 r=$2 k="$1.$2" topic sampler mem_end reports
    send_tps[$k]=n/a avg_rt[$k]=n/a max_rt[$k]=n/a stored[$k]=n/a failed[$k]=n/a
    cons_tps[$k]=n/a drain_s[$k]=n/a consumed[$k]=n/a hwm[$k]="" anon[$k]=""
    start_broker "$kind" "$r"
    sampler=$(bench_sample_anon "$broker" "$work/$k.anon")
    pids+=("$sampler")
    topic="BenchmarkTest_${kind}_$r"

    bench_log "$kind (round $r): Producer ${produce_s}s (${threads} threads, ${size} B)"
    run_tool "$produce_s" producer "$work/$k.producer" \
        -n "$ns" -t "$topic" -w "$threads" -s "$size" -ri "$report_ms"
    read -r send_tps[$k] avg_rt[$k] max_rt[$k] failed[$k] reports \
        < <(parse_send "$work/$k.producer")
    if [[ "${send_tps[$k]}" == 0 ]]; then
        echo "FAILED: the Producer could not send to the $kind broker. Its output:" >&2
        tail -n 30 "$work/$k.producer" "$work/$k.producer.err" >&2
        echo "---- $kind broker output:" >&2
        tail -n 30 "$work/$k/stdout" >&2
        exit 1
    fi

    bench_log "$kind (round $r): Consumer (drains the backlog; runs ${consume_s}s)"
    run_tool "$consume_s" consumer "$work/$k.consumer" \
        -n "$ns" -t "$topic" -g "bench_consumer_${kind}_$r" -w 20 -ri 1000
    read -r cons_tps[$k] drain_s[$k] < <(parse_consume "$work/$k.consumer")
    [[ "${cons_tps[$k]}" != 0 ]] || cons_tps[$k]=n/a drain_s[$k]=n/a
    read -r stored[$k] consumed[$k] \
        < <(broker_counts "$ns" "bench_consumer_${kind}_$r" "$work/$k.progress")

    hwm[$k]=$(bench_status_kib "$broker" VmHWM)
    anon[$k]=$(cat "$work/$k.anon" 2>/dev/null || true)
    mem_end=$(grep -E '^(VmHWM|VmRSS|RssAnon|RssFile):' "/proc/$broker/status" | tr -s ' \t' ' ' | paste -sd, -)
    bench_stop "$broker"
    echo "---- $kind broker (round $r) memory before stopping: $mem_end"
    echo "---- $kind broker (round $r): Producer"
    grep -E 'Send TPS' "$work/$k.producer" || true
    grep -m3 -E 'Exception|ERROR' "$work/$k.producer.err" || true
    echo "---- $kind broker (round $r): Consumer"
    # One line a second (-ri 1000): those whose window saw consumption.
    grep -E 'Consume TPS' "$work/$k.consumer" | grep -v 'Consume TPS: 0 ' || true
    echo "(drain: ${drain_s[$k]} s busy, ${cons_tps[$k]} msg/s, from the per-second counts)"
}

declare -A send_tps avg_rt max_rt stored failed cons_tps drain_s consumed hwm anon
order=(${ORDER:-ours java})
for round in $(seq 1 "$rounds"); do
    # Odd rounds run ORDER as given, even rounds reversed.
    kinds=("${order[@]}")
    ((round % 2 == 1 || ${#order[@]} < 2)) || kinds=("${order[1]}" "${order[0]}")
    for kind in "${kinds[@]}"; do
        run_broker "$kind" "$round"
    done
done
echo
echo "==== Broker: ${size} B sync sends, ${threads} threads, ${produce_s}s; then a push consumer drains the backlog (${consume_s}s)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "tools:   $TOOLS_NOTE"
echo "java broker: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
fmt='%-26s %10s %10s %10s %10s %12s %14s %10s %12s\n'
printf "$fmt" broker "send TPS" "avg RT ms" "max RT ms" "send fail" "consume TPS" "cons/stored" \
    "VmHWM MiB" "RssAnon MiB"
for round in $(seq 1 "$rounds"); do
    for kind in java ours; do
        k="$kind.$round"
        label=$([[ $kind == java ]] && echo "Java 5.3.3 broker" || echo "Thrust mqbroker")
        ((rounds == 1)) || label="$label (round $round)"
        printf "$fmt" "$label" "${send_tps[$k]}" "${avg_rt[$k]}" "${max_rt[$k]}" \
            "${failed[$k]}" "${cons_tps[$k]}" "${consumed[$k]}/${stored[$k]}" \
            "$(bench_mib "${hwm[$k]}")" "$(bench_mib "${anon[$k]}")"
    done
done

# ratio_line LABEL ARRAY NUM DEN: the ratio of each round and, with several rounds, their median.
ratio_line() {
    local label=$1 round all=() r
    local -n arr=$2
    for round in $(seq 1 "$rounds"); do
        r=$(bench_ratio "${arr[$3.$round]}" "${arr[$4.$round]}")
        all+=("$r")
    done
    if ((rounds == 1)); then
        printf '%-26s%sx\n' "$label:" "${all[0]}"
    else
        printf '%-26s%sx (median; rounds: %s)\n' "$label:" \
            "$(printf '%s\n' "${all[@]}" | grep -v n/a | sort -g | awk '{ v[NR] = $1 }
                END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
                      else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')" "${all[*]}"
    fi
}
ratio_line "send TPS ours/Java" send_tps ours java
ratio_line "avg RT Java/ours" avg_rt java ours
ratio_line "consume TPS ours/Java" cons_tps ours java
ratio_line "peak RSS Java/ours" hwm java ours
ratio_line "peak RssAnon Java/ours" anon java ours

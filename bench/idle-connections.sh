#!/usr/bin/env bash
# What idle connections cost: Thrust's mqbroker against the Java 5.3.3 broker, in one run.
#
#   bench/idle-connections.sh
#   CONNECTIONS=10000 SECONDS_PER_PHASE=10 WAVES=2 SIZE=1024 INTERVAL_US=1000 PIN=1 ORDER="ours java" \
#       bench/idle-connections.sh
#   OURS_MQBROKER=/path/to/other/mqbroker bench/idle-connections.sh   # measure another build of ours
#
# For each broker, one after the other (ours, then Java's -Xms1g -Xmx1g with G1 as
# bin/runbroker.sh), from the same broker.conf keys (127.0.0.1, a fresh temp store, our NameServer):
# target/release/conn-bench (bench/src/bin/conn-bench.rs) creates a topic, keeps one connection
# sending SIZE-byte messages (one in flight, one every INTERVAL_US) for the whole run, and meanwhile
# opens CONNECTIONS idle TCP connections, holds them SECONDS_PER_PHASE, and closes them (WAVES times).
# It reads the broker's VmRSS and RssAnon (its own memory, without the mapped store files) once
# settled before, with the connections open and after they closed, and the busy connection's send
# latency (p50, p99) per phase. Prints both, the memory the connections added (RssAnon, open minus
# before) per broker and the ratios.
#
# The script raises the open-file limit (ulimit -n) for itself and the processes it starts; the
# hard limit must allow CONNECTIONS + 1000. BENCH_NO_BUILD=1 uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

connections=${CONNECTIONS:-10000}
seconds=${SECONDS_PER_PHASE:-10}
waves=${WAVES:-1}
size=${SIZE:-1024}
interval_us=${INTERVAL_US:-1000}

need=$((connections + 1000))
hard=$(ulimit -Hn)
if [[ $hard != unlimited ]] && ((hard < need)); then
    echo "ulimit -Hn is $hard; $need open files are needed for $connections connections" >&2
    exit 1
fi
ulimit -n "$need"

bench_workdir

bench_build_bins "$work/bin" mqnamesrv mqbroker
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    bench_log "building conn-bench (release)"
    cargo build --release -q -p bench --bin conn-bench
fi
cp target/release/conn-bench "$work/bin/conn-bench"
if [[ -n "${OURS_MQBROKER:-}" ]]; then
    cp "$OURS_MQBROKER" "$work/bin/mqbroker"
fi
bench_java_classpaths broker-5.3.3
bench_pinning

# ---- the NameServer (ours), shared by both brokers
bench_ours_namesrv

# A listenPort below the ephemeral range (whose ports the idle connections of the previous broker
# may still hold, in TIME_WAIT) with listenPort-2 and listenPort+1 in no socket at all.
low_broker_port() {
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 12000))
        if ! ss -Htan "( sport = :$((p - 2)) or sport = :$p or sport = :$((p + 1)) )" | grep -q .; then
            echo "$p"
            return
        fi
    done
    echo "no free broker port found" >&2
    return 1
}

# start_broker KIND: a broker of KIND with a fresh store in $work/KIND; sets $broker and $port.
start_broker() {
    local kind=$1 dir="$work/$1"
    mkdir -p "$dir"
    port=$(low_broker_port)
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
    bench_log "$kind broker up (pid $broker, 127.0.0.1:$port)"
}

declare -A result
# value KIND KEY: one key=value line of KIND's conn-bench output ("n/a" when missing).
value() {
    local v
    v=$(grep -m1 "^$2=" "$work/$1.out" 2>/dev/null | cut -d= -f2- || true)
    echo "${v:-n/a}"
}

order=(${ORDER:-ours java})
for kind in "${order[@]}"; do
    start_broker "$kind"
    bench_log "$kind: $connections idle connections, $waves wave(s), ${seconds}s per phase"
    if ! "${BENCH_LOAD_TASKSET[@]}" "$work/bin/conn-bench" --addr "127.0.0.1:$port" --pid "$broker" \
        --connections "$connections" --waves "$waves" --seconds "$seconds" --size "$size" \
        --interval-us "$interval_us" > "$work/$kind.out" 2> "$work/$kind.err"; then
        echo "conn-bench failed against the $kind broker:" >&2
        tail -n 20 "$work/$kind.err" "$work/$kind.out" >&2
        tail -n 20 "$work/$kind/stdout" >&2
        exit 1
    fi
    bench_stop "$broker"
    echo "---- $kind broker"
    grep -v '=' "$work/$kind.out"
done

# The first wave's keys carry a "wave1." prefix when there are several waves.
w=""
((waves == 1)) || w="wave1."
echo
echo "==== Idle connections: $connections, held ${seconds}s; one busy connection sends ${size} B every ${interval_us} µs"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "java broker: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
fmt='%-18s %12s %12s %12s %12s %12s %14s %14s %14s\n'
printf "$fmt" broker "anon before" "anon open" "anon closed" "added MiB" "VmRSS open" \
    "p50/p99 base" "p50/p99 open." "p50/p99 idle"
for kind in java ours; do
    [[ -f "$work/$kind.out" ]] || continue
    before=$(value "$kind" rss.before.rssanon_kib)
    open=$(value "$kind" "rss.${w}open.rssanon_kib")
    closed=$(value "$kind" "rss.${w}closed.rssanon_kib")
    added=$(awk -v a="$open" -v b="$before" 'BEGIN { if (a == "n/a" || b == "n/a") print ""; else print a - b }')
    result[$kind.added]=$added
    lat() { echo "$(value "$kind" "latency.$1.p50_us")/$(value "$kind" "latency.$1.p99_us")"; }
    label=$([[ $kind == java ]] && echo "Java 5.3.3 broker" || echo "Thrust mqbroker")
    printf "$fmt" "$label" "$(bench_mib "$before")" "$(bench_mib "$open")" "$(bench_mib "$closed")" \
        "$(bench_mib "$added")" "$(bench_mib "$(value "$kind" "rss.${w}open.vmrss_kib")")" \
        "$(lat baseline)" "$(lat "${w}opening")" "$(lat "${w}idle")"
done
echo "(RssAnon in MiB; latencies in µs, SEND_MESSAGE_V2 round trips on the busy connection)"
for kind in java ours; do
    [[ -n "${result[$kind.added]:-}" ]] || continue
    printf '%-34s%s KiB\n' "$kind: RssAnon added per connection:" \
        "$(awk -v a="${result[$kind.added]}" -v n="$connections" 'BEGIN { printf "%.2f", a / n }')"
done
printf '%-34s%sx\n' "memory added Java/ours:" \
    "$(bench_ratio "${result[java.added]:-}" "${result[ours.added]:-}")"

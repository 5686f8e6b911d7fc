#!/usr/bin/env bash
# Master/slave replication: a Thrust pair (mqbroker master + mqbroker slave) against a Java 5.3.3
# pair, as SYNC_MASTER and as ASYNC_MASTER, in one run, behind one NameServer (ours).
#
#   bench/ha-compare.sh
#   SECONDS_PER_RUN=20 SENDERS=16 SIZE=1024 ROLES="SYNC_MASTER ASYNC_MASTER" ORDER="ours java" PIN=1 \
#       bench/ha-compare.sh
#
# For each role and each implementation, one after the other, a fresh pair from the same broker.conf
# keys (127.0.0.1, ASYNC_FLUSH, fresh temp stores; the master brokerId=0 with the role, the slave
# brokerId=1 brokerRole=SLAVE; inSyncReplicas=2 so that a 5.3.3 SYNC_MASTER waits for its slave, as
# Thrust's does; Java with -Xms1g -Xmx1g and G1 as bin/runbroker.sh): target/release/ha-bench
# (bench/src/bin/ha-bench.rs) waits for the slave to attach, then SENDERS connections send
# SIZE-byte messages to the master, one in flight each, for SECONDS_PER_RUN, while it samples the
# slave's lag (master minus slave commitLogMaxOffset, every 100 ms); then the time the slave needs
# to catch up. Prints SEND_OK TPS, p50/p99/max latency, answers other than SEND_OK, lag, catch-up,
# the slave's peak RSS (VmHWM, which counts mapped store pages) and peak RssAnon, and the ratios.
# BENCH_NO_BUILD=1 uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

seconds=${SECONDS_PER_RUN:-20}
senders=${SENDERS:-16}
size=${SIZE:-1024}
roles=(${ROLES:-SYNC_MASTER ASYNC_MASTER})
order=(${ORDER:-ours java})

bench_workdir

bench_build_bins "$work/bin" mqnamesrv mqbroker
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    bench_log "building ha-bench (release)"
    cargo build --release -q -p bench --bin ha-bench
fi
cp target/release/ha-bench "$work/bin/ha-bench"
bench_java_classpaths broker-5.3.3
bench_pinning

# ---- the NameServer (ours), shared by every run
bench_ours_namesrv

# start_node KIND DIR NAME ID ROLE: starts one broker on a fresh store in DIR; sets $node (pid) and
# $node_port.
start_node() {
    local kind=$1 dir=$2 name=$3 id=$4 role=$5 port
    mkdir -p "$dir"
    # Not next to the other node's three ports (listen, listen-2 for VIP, listen+1 for HA).
    port=$(bench_free_broker_port)
    while [[ -n "${avoid:-}" ]] && ((port > avoid - 4 && port < avoid + 4)); do
        port=$(bench_free_broker_port)
    done
    cat > "$dir/broker.conf" <<EOF
brokerClusterName=HaBenchCluster
brokerName=$name
brokerId=$id
brokerRole=$role
inSyncReplicas=2
flushDiskType=ASYNC_FLUSH
listenPort=$port
haListenPort=$((port + 1))
bindAddress=127.0.0.1
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
namesrvAddr=$ns
storePathRootDir=$dir/store
storePathCommitLog=$dir/store/commitlog
slaveReadEnable=true
EOF
    if [[ $kind == java ]]; then
        ROCKETMQ_HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" java -Xms1g -Xmx1g "${BENCH_JVM_OPTS[@]}" \
            "-Duser.home=$dir" -cp "$BENCH_CACHE/java/broker-5.3.3/*" \
            org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
    else
        ROCKETMQ_HOME="$dir" HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" "$work/bin/mqbroker" \
            -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
    fi
    node=$!
    node_port=$port
    pids+=("$node")
    if ! bench_wait_line "$dir/stdout" 'boot success' 120 "$node"; then
        echo "the $kind broker $name/$id did not start:" >&2
        tail -n 40 "$dir/stdout" >&2
        exit 1
    fi
}

# value FILE KEY: one key=value line of ha-bench's output ("n/a" when missing).
value() {
    local v
    v=$(awk -F= -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null | tail -n1)
    echo "${v:-n/a}"
}

declare -A tps p50 p99 maxrt other lag_mean lag_max catch_up hwm anon
# run_pair KIND ROLE: one measurement; results under the key KIND.ROLE.
run_pair() {
    local kind=$1 role=$2 k="$1.$2" name="ha-$1-${2%%_*}" master slave master_port slave_port sampler
    start_node "$kind" "$work/$k.m" "$name" 0 "$role"
    master=$node master_port=$node_port
    avoid=$master_port start_node "$kind" "$work/$k.s" "$name" 1 SLAVE
    slave=$node slave_port=$node_port
    sampler=$(bench_sample_anon "$slave" "$work/$k.anon")
    pids+=("$sampler")
    bench_log "$kind $role: ha-bench ${seconds}s, $senders senders, $size B"
    if ! "${BENCH_LOAD_TASKSET[@]}" "$work/bin/ha-bench" --master "127.0.0.1:$master_port" \
        --slave "127.0.0.1:$slave_port" --seconds "$seconds" --senders "$senders" --size "$size" \
        > "$work/$k.out" 2> "$work/$k.err"; then
        echo "ha-bench failed against the $kind pair:" >&2
        cat "$work/$k.err" >&2
        tail -n 30 "$work/$k.m/stdout" "$work/$k.s/stdout" >&2
        exit 1
    fi
    grep -Ev '^[a-z_0-9]+=' "$work/$k.out" | sed "s/^/  $kind $role: /"
    tps[$k]=$(value "$work/$k.out" tps)
    p50[$k]=$(value "$work/$k.out" p50_us)
    p99[$k]=$(value "$work/$k.out" p99_us)
    maxrt[$k]=$(value "$work/$k.out" max_us)
    other[$k]=$(value "$work/$k.out" other)
    lag_mean[$k]=$(value "$work/$k.out" lag_mean_bytes)
    lag_max[$k]=$(value "$work/$k.out" lag_max_bytes)
    catch_up[$k]=$(value "$work/$k.out" catch_up_ms)
    hwm[$k]=$(bench_status_kib "$slave" VmHWM)
    anon[$k]=$(cat "$work/$k.anon" 2>/dev/null || true)
    bench_stop "$slave"
    bench_stop "$master"
}

for role in "${roles[@]}"; do
    for kind in "${order[@]}"; do
        run_pair "$kind" "$role"
    done
done

echo
echo "==== Master/slave pairs: ${size} B sends from ${senders} connections (one in flight each), ${seconds}s"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "java broker: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
fmt='%-28s %9s %9s %9s %10s %7s %12s %12s %10s %11s %11s\n'
printf "$fmt" pair "send TPS" "p50 ms" "p99 ms" "max ms" "not OK" "lag mean B" "lag max B" \
    "catchup ms" "slave HWM" "slave anon"
ms() { awk -v u="$1" 'BEGIN { if (u == "n/a" || u == "") print "n/a"; else printf "%.2f\n", u / 1000 }'; }
for role in "${roles[@]}"; do
    for kind in java ours; do
        k="$kind.$role"
        label=$([[ $kind == java ]] && echo "Java 5.3.3" || echo "Thrust")
        printf "$fmt" "$label $role" "${tps[$k]:-n/a}" "$(ms "${p50[$k]:-}")" "$(ms "${p99[$k]:-}")" \
            "$(ms "${maxrt[$k]:-}")" "${other[$k]:-n/a}" "${lag_mean[$k]:-n/a}" "${lag_max[$k]:-n/a}" \
            "${catch_up[$k]:-n/a}" "$(bench_mib "${hwm[$k]:-}") MiB" "$(bench_mib "${anon[$k]:-}") MiB"
    done
done
for role in "${roles[@]}"; do
    printf '%-13s send TPS ours/Java %sx, p99 Java/ours %sx, slave VmHWM Java/ours %sx, slave RssAnon Java/ours %sx\n' \
        "$role:" "$(bench_ratio "${tps[ours.$role]:-}" "${tps[java.$role]:-}")" \
        "$(bench_ratio "${p99[java.$role]:-}" "${p99[ours.$role]:-}")" \
        "$(bench_ratio "${hwm[java.$role]:-}" "${hwm[ours.$role]:-}")" \
        "$(bench_ratio "${anon[java.$role]:-}" "${anon[ours.$role]:-}")"
done

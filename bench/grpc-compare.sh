#!/usr/bin/env bash
# The RocketMQ 5.x gRPC endpoint: Thrust's mqbroker --enable-proxy against Java 5.3.3's proxy in
# local mode (broker and proxy in one JVM, the same shape), in one run.
#
#   bench/grpc-compare.sh
#   ROUNDS=3 bench/grpc-compare.sh            # three rounds, the order alternating (a noisy machine)
#   SEND_SECONDS=20 WARMUP_SECONDS=5 CONNECTIONS=4 CONCURRENCY=8 SIZE=1024 RECEIVERS=8 BATCH=32 \
#       RECEIVE_SECONDS=60 JAVA_HEAP=1g PIN=1 ORDER="ours java" bench/grpc-compare.sh
#
# For each server set, one after the other, each with its own fresh NameServer and store:
#   ours: target/release/mqnamesrv + mqbroker --enable-proxy -pc rmq-proxy.json
#   java: NamesrvStartup 5.3.3 + ProxyStartup 5.3.3 -pm local -bc broker.conf -pc rmq-proxy.json
#         (-Xms$JAVA_HEAP -Xmx$JAVA_HEAP, G1 with bin/runbroker.sh's flags)
# from the same broker.conf keys (127.0.0.1, ASYNC_FLUSH, autoCreateSubscriptionGroup) and the
# same gRPC keys (grpcServerPort; Java's file also names its remoting port and cluster), it
# creates a NORMAL topic of 8 queues with mqadmin (rocketmq-tools 5.3.3), waits for its route,
# subscribes the consumer group (one receive on the empty topic), then runs
# target/release/grpc-bench (bench/src/bin/grpc-bench.rs): `send` (CONNECTIONS SDK-like
# clients, CONCURRENCY unary SendMessage calls in flight on each, SIZE-byte bodies,
# WARMUP_SECONDS then SEND_SECONDS measured), then `receive` (RECEIVERS ReceiveMessage loops of
# BATCH, each followed by an AckMessage, until every message sent has arrived, at most
# RECEIVE_SECONDS). Prints send and receive rates and latencies, the messages received against
# those sent, the server's CPU time per message in each phase (utime+stime from /proc), its
# peak RSS (VmHWM, which also counts the mapped store files' pages) and peak RssAnon (sampled
# every 0.2 s), and the ratios against the targets (>= 3x the Java pair's throughput, <= 1/10 of
# its memory). The NameServers' memory is not counted (neither is part of the endpoint).
# With ROUNDS=n the pair runs n times, the order reversed every other round, and each ratio is
# printed per round with the median in front.
# BENCH_NO_BUILD=1 skips the cargo build and uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

send_s=${SEND_SECONDS:-20}
warmup_s=${WARMUP_SECONDS:-5}
connections=${CONNECTIONS:-4}
concurrency=${CONCURRENCY:-8}
size=${SIZE:-1024}
receivers=${RECEIVERS:-8}
batch=${BATCH:-32}
receive_s=${RECEIVE_SECONDS:-60}
java_heap=${JAVA_HEAP:-1g}
rounds=${ROUNDS:-1}
order=(${ORDER:-ours java})
queues=8
cluster=GrpcBenchCluster

bench_workdir

bench_build_bins "$work/bin" mqnamesrv mqbroker grpc-bench
bench_java_classpaths namesrv-5.3.3 proxy-5.3.3 tools-5.3.3
bench_pinning

# cpu_ticks PID: the process's utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat;
# the command name, field 2, may hold spaces, so count from its closing parenthesis).
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" 2> /dev/null | awk '{ print $12 + $13 }' || true
}
clk_tck=$(getconf CLK_TCK)

# wait_port HOST:PORT SECONDS PID: waits until something accepts connections on HOST:PORT.
wait_port() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        (exec 3<> "/dev/tcp/${1%:*}/${1##*:}") 2> /dev/null && return 0
        kill -0 "$3" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}

# start_namesrv KIND DIR: a fresh NameServer of KIND; sets $ns and $ns_pid.
start_namesrv() {
    local kind=$1 dir=$2 port
    mkdir -p "$dir"
    port=$(bench_free_port)
    printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kvConfig.json\n' "$port" "$dir" \
        > "$dir/namesrv.conf"
    if [[ $kind == java ]]; then
        ROCKETMQ_HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" java -Xms256m -Xmx1g "${BENCH_JVM_OPTS[@]}" \
            "-Duser.home=$dir" -cp "$BENCH_CACHE/java/namesrv-5.3.3/*" \
            org.apache.rocketmq.namesrv.NamesrvStartup -c "$dir/namesrv.conf" > "$dir/stdout" 2>&1 &
    else
        ROCKETMQ_HOME="$dir" HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" "$work/bin/mqnamesrv" \
            -c "$dir/namesrv.conf" > "$dir/stdout" 2>&1 &
    fi
    ns_pid=$!
    pids+=("$ns_pid")
    if ! bench_wait_line "$dir/stdout" '^The Name Server boot success' 60 "$ns_pid"; then
        echo "the $kind NameServer did not start:" >&2
        tail -n 40 "$dir/stdout" >&2
        exit 1
    fi
    ns="127.0.0.1:$port"
}

# start_server KIND ROUND: the NameServer and the broker with its gRPC endpoint, fresh, in
# $work/KIND.ROUND; sets $server (the pid whose memory is measured), $grpc and $broker_name.
start_server() {
    local kind=$1 dir="$work/$1.$2" port grpc_port remoting_port
    mkdir -p "$dir"
    start_namesrv "$kind" "$dir/namesrv"
    port=$(bench_free_broker_port)
    grpc_port=$(bench_free_port)
    broker_name="grpc-$kind-$2"
    cat > "$dir/broker.conf" <<EOF
brokerClusterName=$cluster
brokerName=$broker_name
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
autoCreateSubscriptionGroup=true
EOF
    if [[ $kind == java ]]; then
        # Keys Thrust's endpoint has no use for (it refuses them): the proxy's own remoting
        # port (a proxy serves remoting clients too), the NameServer its route service asks
        # even in local mode, and its cluster; the jstack dump every minute would only fill
        # the log.
        remoting_port=$(bench_free_port)
        cat > "$dir/rmq-proxy.json" <<EOF
{
  "grpcServerPort": $grpc_port,
  "remotingListenPort": $remoting_port,
  "namesrvAddr": "$ns",
  "rocketMQClusterName": "$cluster",
  "enablePrintJstack": false
}
EOF
        ROCKETMQ_HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" java "-Xms$java_heap" "-Xmx$java_heap" \
            "${BENCH_JVM_OPTS[@]}" "-Duser.home=$dir" -cp "$BENCH_CACHE/java/proxy-5.3.3/*" \
            org.apache.rocketmq.proxy.ProxyStartup -pm local -bc "$dir/broker.conf" \
            -pc "$dir/rmq-proxy.json" > "$dir/stdout" 2>&1 &
        server=$!
        pids+=("$server")
        if ! bench_wait_line "$dir/stdout" 'rocketmq-proxy startup successfully' 180 "$server"; then
            echo "Java's proxy (local mode) did not start:" >&2
            tail -n 40 "$dir/stdout" >&2
            exit 1
        fi
    else
        printf '{\n  "grpcServerPort": %s\n}\n' "$grpc_port" > "$dir/rmq-proxy.json"
        ROCKETMQ_HOME="$dir" HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" "$work/bin/mqbroker" \
            -c "$dir/broker.conf" --enable-proxy -pc "$dir/rmq-proxy.json" > "$dir/stdout" 2>&1 &
        server=$!
        pids+=("$server")
        if ! bench_wait_line "$dir/stdout" 'boot success' 60 "$server"; then
            echo "Thrust's mqbroker did not start:" >&2
            tail -n 40 "$dir/stdout" >&2
            exit 1
        fi
    fi
    grpc="127.0.0.1:$grpc_port"
    wait_port "$grpc" 60 "$server" || {
        echo "the $kind gRPC endpoint does not accept connections on $grpc" >&2
        tail -n 40 "$dir/stdout" >&2
        exit 1
    }
    # A broker registers a topic named after itself (brokerTopicEnable, on by default for both):
    # once the NameServer routes it, mqadmin finds the cluster.
    bench_wait_route "$ns" "$broker_name" "$broker_name" 60 || {
        tail -n 40 "$dir/stdout" >&2
        exit 1
    }
    bench_log "$kind: NameServer $ns, broker 127.0.0.1:$port, gRPC endpoint $grpc (pid $server)"
}

# create_topic TOPIC: a NORMAL topic (Java's proxy refuses a message whose type differs from
# its topic's) of $queues queues on the cluster, through mqadmin, routed by the NameServer.
create_topic() {
    local out="$work/$1.mqadmin"
    "${BENCH_LOAD_TASKSET[@]}" timeout -k 5 90 java -Xmx256m -XX:-UsePerfData \
        "-Duser.home=$work/clients" -cp "$BENCH_CACHE/java/tools-5.3.3/*" \
        org.apache.rocketmq.tools.command.MQAdminStartup updateTopic -n "$ns" -c "$cluster" \
        -t "$1" -r "$queues" -w "$queues" -a +message.type=NORMAL > "$out" 2>&1 || true
    grep -q success "$out" || {
        echo "mqadmin updateTopic $1 failed:" >&2
        tail -n 20 "$out" >&2
        exit 1
    }
    bench_wait_route "$ns" "$1" "$broker_name" 60
}

# value FILE PHASE KEY: KEY of grpc-bench's `phase=PHASE key=value ...` line ("n/a" when missing).
value() {
    local v
    v=$(grep "^phase=$2 " "$1" 2> /dev/null | tail -n1 | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { print $2 }') || true
    echo "${v:-n/a}"
}

# cpu_us_per_msg TICKS MSGS: server CPU time per message in µs.
cpu_us_per_msg() {
    awk -v t="$1" -v n="$2" -v hz="$clk_tck" 'BEGIN {
        if (n == "n/a" || n + 0 == 0) print "n/a"; else printf "%.0f\n", t / hz * 1e6 / n }'
}

# busy CPU_MS WALL_MS: the load tool's CPU use in % of one CPU.
busy() {
    awk -v c="$1" -v w="$2" 'BEGIN { if (w == "n/a" || w + 0 == 0) print "n/a"; else printf "%.0f\n", c * 100 / w }'
}

declare -A send_tps send_p50 send_p99 send_p999 send_max send_fail sent recv_tps distinct dups \
    recv_p50 recv_p99 ack_p50 ack_p99 ack_fail send_cpu recv_cpu send_tool recv_tool hwm anon
# run_set KIND ROUND: one send + receive against a fresh server set; results under KIND.ROUND.
run_set() {
    local kind=$1 r=$2 k="$1.$2" topic group sampler t0 t1 t2 mem_end
    start_server "$kind" "$r"
    sampler=$(bench_sample_anon "$server" "$work/$k.anon")
    pids+=("$sampler")
    topic="GrpcBench_${kind}_$r"
    group="GrpcBench_${kind}_$r"
    create_topic "$topic"
    # The group subscribes before the sends, as a consumer that exists before the messages: a
    # group's first POP on a queue starts at the queue's end unless the queue's first message is
    # still in the page cache (initMode MAX with initPopOffsetByCheckMsgInMem, Java's and ours),
    # which a backlog of a GiB written seconds before cannot promise. One receive on the empty
    # topic commits offset 0 on every queue; the tool gives up waiting after 3 s.
    "${BENCH_LOAD_TASKSET[@]}" timeout -k 5 60 "$work/bin/grpc-bench" receive --endpoint "$grpc" \
        --topic "$topic" --group "$group" --connections 1 --receivers 1 --seconds 3 \
        > "$work/$k.subscribe" 2>&1 || {
        echo "grpc-bench could not subscribe $group on $kind:" >&2
        cat "$work/$k.subscribe" >&2
        exit 1
    }

    bench_log "$kind (round $r): send, $connections x $concurrency in flight, ${size} B, ${warmup_s}+${send_s} s"
    t0=$(cpu_ticks "$server")
    if ! "${BENCH_LOAD_TASKSET[@]}" timeout -k 5 $((warmup_s + send_s + 60)) "$work/bin/grpc-bench" \
        send --endpoint "$grpc" --topic "$topic" --connections "$connections" \
        --concurrency "$concurrency" --seconds "$send_s" --warmup "$warmup_s" --size "$size" \
        > "$work/$k.send" 2> "$work/$k.send.err"; then
        echo "grpc-bench send failed against $kind:" >&2
        cat "$work/$k.send" "$work/$k.send.err" >&2
        tail -n 30 "$work/$k/stdout" >&2
        exit 1
    fi
    t1=$(cpu_ticks "$server")
    sent[$k]=$(value "$work/$k.send" send sent_total)

    bench_log "$kind (round $r): receive ${sent[$k]} messages, $receivers receivers, batch $batch, <= ${receive_s} s"
    "${BENCH_LOAD_TASKSET[@]}" timeout -k 5 $((receive_s + 30)) "$work/bin/grpc-bench" receive \
        --endpoint "$grpc" --topic "$topic" --group "$group" \
        --connections "$connections" --receivers "$receivers" --batch "$batch" \
        --seconds "$receive_s" --expect "${sent[$k]}" --size "$size" \
        > "$work/$k.recv" 2> "$work/$k.recv.err" || {
        echo "grpc-bench receive failed against $kind:" >&2
        cat "$work/$k.recv" "$work/$k.recv.err" >&2
    }
    t2=$(cpu_ticks "$server")

    send_tps[$k]=$(value "$work/$k.send" send tps)
    send_p50[$k]=$(value "$work/$k.send" send p50_us)
    send_p99[$k]=$(value "$work/$k.send" send p99_us)
    send_p999[$k]=$(value "$work/$k.send" send p999_us)
    send_max[$k]=$(value "$work/$k.send" send max_us)
    send_fail[$k]=$(value "$work/$k.send" send failed)
    recv_tps[$k]=$(value "$work/$k.recv" receive tps)
    distinct[$k]=$(value "$work/$k.recv" receive distinct)
    dups[$k]=$(value "$work/$k.recv" receive duplicates)
    recv_p50[$k]=$(value "$work/$k.recv" receive recv_p50_us)
    recv_p99[$k]=$(value "$work/$k.recv" receive recv_p99_us)
    ack_p50[$k]=$(value "$work/$k.recv" receive ack_p50_us)
    ack_p99[$k]=$(value "$work/$k.recv" receive ack_p99_us)
    ack_fail[$k]=$(value "$work/$k.recv" receive ack_failed)
    send_tool[$k]=$(busy "$(value "$work/$k.send" send client_cpu_ms)" "$(value "$work/$k.send" send wall_ms)")
    recv_tool[$k]=$(busy "$(value "$work/$k.recv" receive client_cpu_ms)" "$(value "$work/$k.recv" receive wall_ms)")
    # Over the whole send (warm-up included) and the whole receive: every message the server
    # took in or gave out in that time.
    send_cpu[$k]=$(cpu_us_per_msg "$((t1 - t0))" "${sent[$k]}")
    recv_cpu[$k]=$(cpu_us_per_msg "$((t2 - t1))" "${distinct[$k]}")
    hwm[$k]=$(bench_status_kib "$server" VmHWM)
    anon[$k]=$(cat "$work/$k.anon" 2> /dev/null || true)
    mem_end=$(grep -E '^(VmHWM|VmRSS|RssAnon|RssFile):' "/proc/$server/status" | tr -s ' \t' ' ' | paste -sd, -)
    bench_stop "$server"
    bench_stop "$ns_pid"
    echo "---- $kind (round $r) server memory before stopping: $mem_end"
    grep -v '^phase=' "$work/$k.send" "$work/$k.recv" | sed "s/^[^:]*:/  $kind (round $r): /" || true
    grep -h -m3 -v '^send:\|^receive:' "$work/$k.send.err" "$work/$k.recv.err" | sed "s/^/  $kind stderr: /" || true
}

for round in $(seq 1 "$rounds"); do
    # Odd rounds run ORDER as given, even rounds reversed.
    kinds=("${order[@]}")
    ((round % 2 == 1 || ${#order[@]} < 2)) || kinds=("${order[1]}" "${order[0]}")
    for kind in "${kinds[@]}"; do
        run_set "$kind" "$round"
    done
done

ms() { awk -v u="$1" 'BEGIN { if (u == "n/a" || u == "") print "n/a"; else printf "%.2f\n", u / 1000 }'; }
echo
echo "==== gRPC endpoint: ${size} B SendMessage from $connections clients x $concurrency in flight, ${send_s} s after ${warmup_s} s;"
echo "     then $receivers ReceiveMessage (batch $batch) + AckMessage loops drain the backlog (<= ${receive_s} s)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "java: $(java -version 2>&1 | head -n1); NamesrvStartup + ProxyStartup -pm local 5.3.3, -Xms$java_heap -Xmx$java_heap ${BENCH_JVM_OPTS[*]}"
echo "latencies in ms; CPU s/r = the server's CPU time per message sent/received (µs); tool s/r = the"
echo "load tool's CPU use (% of one CPU) while sending/receiving; memory of the broker process only"
fmt='%-24s %8s %7s %7s %7s %7s %5s %8s %15s %7s %7s %7s %7s %5s %6s %6s %6s %6s %9s %9s\n'
printf "$fmt" server "send/s" p50 p99 p999 max fail "recv/s" "distinct/sent" "rcv p50" "rcv p99" \
    "ack p50" "ack p99" dup "CPU s" "CPU r" "tool s" "tool r" "VmHWM MiB" "anon MiB"
for round in $(seq 1 "$rounds"); do
    for kind in java ours; do
        k="$kind.$round"
        [[ -n "${send_tps[$k]:-}" ]] || continue
        label=$([[ $kind == java ]] && echo "Java 5.3.3 local proxy" || echo "Thrust --enable-proxy")
        ((rounds == 1)) || label="$label ($round)"
        printf "$fmt" "$label" "${send_tps[$k]}" "$(ms "${send_p50[$k]}")" "$(ms "${send_p99[$k]}")" \
            "$(ms "${send_p999[$k]}")" "$(ms "${send_max[$k]}")" "${send_fail[$k]}" \
            "${recv_tps[$k]}" "${distinct[$k]}/${sent[$k]}" "$(ms "${recv_p50[$k]}")" \
            "$(ms "${recv_p99[$k]}")" "$(ms "${ack_p50[$k]}")" "$(ms "${ack_p99[$k]}")" \
            "${dups[$k]}" "${send_cpu[$k]}" "${recv_cpu[$k]}" "${send_tool[$k]}%" \
            "${recv_tool[$k]}%" "$(bench_mib "${hwm[$k]}")" \
            "$(bench_mib "${anon[$k]}")"
    done
done

# ratio_line LABEL TARGET ARRAY NUM DEN: NUM/DEN per round and, with several rounds, the median.
ratio_line() {
    local label=$1 target=$2 round all=()
    local -n arr=$3
    for round in $(seq 1 "$rounds"); do
        all+=("$(bench_ratio "${arr[$4.$round]:-}" "${arr[$5.$round]:-}")")
    done
    if ((rounds == 1)); then
        printf '%-28s%6sx   (target %s)\n' "$label:" "${all[0]}" "$target"
    else
        printf '%-28s%6sx   (target %s; median; rounds: %s)\n' "$label:" \
            "$(printf '%s\n' "${all[@]}" | bench_median)" "$target" "${all[*]}"
    fi
}
ratio_line "send/s ours/Java" ">= 3" send_tps ours java
ratio_line "receive/s ours/Java" ">= 3" recv_tps ours java
ratio_line "send p99 Java/ours" "-" send_p99 java ours
ratio_line "peak RSS Java/ours" ">= 10" hwm java ours
ratio_line "peak RssAnon Java/ours" "-" anon java ours

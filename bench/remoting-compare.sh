#!/usr/bin/env bash
# The broker under remoting load, measured by thrust-bench (bin/src/bin/thrust-bench.rs, no JVM
# client in the way): Thrust's mqbroker against the Java 5.3.3 broker, in one run, next to the raw
# sequential write bandwidth of the disk the stores are on, with issue #14's targets.
#
#   bench/remoting-compare.sh                 # one round, 20 s per load, a 2 GiB backlog to drain
#   QUICK=1 bench/remoting-compare.sh         # a few seconds per load, a 100 MiB backlog
#   ROUNDS=3 bench/remoting-compare.sh        # three rounds, the order alternating; medians
#   RUN_SECONDS=20 WARMUP_SECONDS=2 JIT_SECONDS=15 SIZE=1024 SCALE=1 LAT_RATE=10000 DD_MIB=1024 \
#     DRAIN_PIPELINE=4 DRAIN_CONNECTIONS=2 PIN=1 ORDER="ours java" bench/remoting-compare.sh
#
# Per broker and round, each on a fresh store (broker.conf: 127.0.0.1, ASYNC_MASTER, ASYNC_FLUSH,
# auto-created topics and groups; Java with -Xms1g -Xmx1g and G1 as bin/runbroker.sh), SIZE-byte
# messages (8 queues per topic, JSON headers as Java clients send), RUN_SECONDS measured after
# WARMUP_SECONDS:
#   one in flight   1 connection, sync: round trip p50
#   single          16 connections × 16 in flight, single messages: msg/s, broker CPU µs/msg
#   batches         16 × 16, batches of 16 (SEND_BATCH_MESSAGE): msg/s and MiB/s, also as % of
#                   the disk's raw write bandwidth
#   drain           a backlog of SCALE × 2 GiB (written in batches), then PULL_MESSAGE with long
#                   polling, DRAIN_PIPELINE (4) pulls in flight per queue on DRAIN_CONNECTIONS (2)
#                   connections, until every queue's max offset: msg/s
#   tail latency    LAT_RATE msg/s produced with the send time in the body, tail-consumed by
#                   long-polling pulls: send→receive p50/p99
#   SYNC_FLUSH      a second broker with flushDiskType=SYNC_FLUSH, 64 connections sync: msg/s
#   floor           per round, no broker: the loopback round trip between two processes on the
#                   same CPUs (under "one in flight") and one durable SIZE-byte append, whose p50
#                   bounds SYNC_FLUSH with 64 producers to 64 per fsync (thrust-bench echo,
#                   pingpong, fsync)
# Each broker first gets JIT_SECONDS (15; QUICK 3) of pipelined sends and their drain, unmeasured,
# so that Java's JIT has compiled the request path before anything counts.
# The broker's peak RSS (VmHWM, which also counts the mapped store pages) and peak RssAnon (the
# process's own memory) over all of it. The raw bandwidth: `dd bs=1M conv=fdatasync` of DD_MIB
# MiB in the work directory, once per round (and once more with oflag=direct, shown beside it).
# With ROUNDS=n every figure is the median over the rounds, each round with fresh brokers and the
# order of the two reversed from the previous one.
# PIN=1 (default) runs the brokers on the last CPU and thrust-bench on the others (bench/lib.sh).
# BENCH_NO_BUILD=1 skips the cargo build and uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

quick=${QUICK:-0}
rounds=${ROUNDS:-1}
size=${SIZE:-1024}
lat_rate=${LAT_RATE:-10000}
drain_pipeline=${DRAIN_PIPELINE:-4}
drain_connections=${DRAIN_CONNECTIONS:-2}
if ((quick)); then
    secs=${RUN_SECONDS:-3} warm=${WARMUP_SECONDS:-1} scale=${SCALE:-0.05} dd_mib=${DD_MIB:-256}
    jit=${JIT_SECONDS:-3}
else
    secs=${RUN_SECONDS:-20} warm=${WARMUP_SECONDS:-2} scale=${SCALE:-1} dd_mib=${DD_MIB:-1024}
    jit=${JIT_SECONDS:-15}
fi
backlog_msgs=$(awk -v s="$scale" -v z="$size" 'BEGIN { printf "%d\n", s * 2 * 1024 ^ 3 / z }')

bench_workdir
bench_build_bins "$work/bin" mqbroker thrust-bench
bench_java_classpaths broker-5.3.3
bench_pinning

declare -A res

# measure KIND ROUND NAME ARGS...: one thrust-bench run against $addr, its output kept in
# $work/KIND.ROUND.NAME and shown without the key=value lines; a failed run is reported and its
# figures stay n/a.
measure() {
    local kind=$1 r=$2 name=$3 out
    shift 3
    out="$work/$kind.$r.$name"
    bench_log "$kind (round $r): $name"
    if ! bench_tool "$@" > "$out" 2> "$out.err"; then
        echo "FAILED: thrust-bench $* against the $kind broker:" >&2
        cat "$out" "$out.err" >&2
        : > "$out"
    fi
    echo "---- $kind (round $r): $name"
    grep -v '^[a-z_0-9.]*=' "$out" || true
}

# warm_up KIND ROUND: JIT_SECONDS of pipelined sends and a drain of them on a topic of their own,
# before anything is measured: Java's broker runs interpreted until its JIT has compiled the
# request path (both brokers get the same).
warm_up() {
    local kind=$1 r=$2
    measure "$kind" "$r" "warmup.$broker" produce --addr "127.0.0.1:$broker_port" --size "$size" \
        --topic Warmup --connections 16 --inflight 16 --seconds "$jit" --warmup-seconds 0
    measure "$kind" "$r" "warmup-drain.$broker" consume --addr "127.0.0.1:$broker_port" \
        --topic Warmup --group warmup --mode drain
}

# run_async KIND ROUND: the ASYNC_FLUSH loads against a fresh broker of KIND.
run_async() {
    local kind=$1 r=$2 k="$1.$2" dir="$work/$1.$2.async" addr sampler common
    bench_start_broker "$kind" "$dir" "bench-$kind-$r"
    sampler=$(bench_sample_anon "$broker" "$work/$k.anon")
    pids+=("$sampler")
    addr="127.0.0.1:$broker_port"
    warm_up "$kind" "$r"
    common=(--addr "$addr" --size "$size" --pid "$broker" --seconds "$secs" --warmup-seconds "$warm")

    measure "$kind" "$r" one produce "${common[@]}" --topic OneInFlight --mode sync --connections 1
    res[one_p50.$k]=$(bench_kv "$work/$k.one" latency_p50_us)
    res[one_rate.$k]=$(bench_kv "$work/$k.one" msg_per_s)

    measure "$kind" "$r" single produce "${common[@]}" --topic Single --connections 16 --inflight 16
    res[single_rate.$k]=$(bench_kv "$work/$k.single" msg_per_s)
    res[single_cpu.$k]=$(bench_kv "$work/$k.single" broker_cpu_us_per_msg)
    res[single_p99.$k]=$(bench_kv "$work/$k.single" latency_p99_us)
    res[single_wait.$k]=$(bench_kv "$work/$k.single" broker_cpu_wait)
    res[single_user.$k]=$(bench_kv "$work/$k.single" broker_cpu_user_us_per_msg)
    res[single_sys.$k]=$(bench_kv "$work/$k.single" broker_cpu_sys_us_per_msg)
    res[single_faults.$k]=$(bench_kv "$work/$k.single" broker_faults_per_msg)

    measure "$kind" "$r" batch produce "${common[@]}" --topic Batch --connections 16 --inflight 16 \
        --batch 16
    res[batch_rate.$k]=$(bench_kv "$work/$k.batch" msg_per_s)
    res[batch_mib.$k]=$(bench_kv "$work/$k.batch" mib_per_s)
    res[batch_cpu.$k]=$(bench_kv "$work/$k.batch" broker_cpu_us_per_msg)

    measure "$kind" "$r" backlog produce --addr "$addr" --size "$size" --topic Backlog \
        --connections 16 --inflight 16 --batch 16 --messages "$backlog_msgs" --warmup-seconds 0
    measure "$kind" "$r" drain consume --addr "$addr" --topic Backlog --group "drain_$kind" \
        --mode drain --pipeline "$drain_pipeline" --connections "$drain_connections" --pid "$broker"
    res[drain_rate.$k]=$(bench_kv "$work/$k.drain" msg_per_s)
    [[ "$(bench_kv "$work/$k.drain" drained)" == 1 ]] || res[drain_rate.$k]=n/a

    measure "$kind" "$r" latency latency --addr "$addr" --size "$size" --topic Latency \
        --rate "$lat_rate" --seconds "$secs" --warmup-seconds "$warm" --pid "$broker"
    res[tail_p50.$k]=$(bench_kv "$work/$k.latency" e2e_p50_us)
    res[tail_p99.$k]=$(bench_kv "$work/$k.latency" e2e_p99_us)

    res[hwm.$k]=$(bench_status_kib "$broker" VmHWM)
    bench_stop "$broker"
    res[anon.$k]=$(cat "$work/$k.anon" 2>/dev/null || echo "")
    rm -rf "$dir/store"
}

# run_sync KIND ROUND: 64 synchronous producers against a fresh SYNC_FLUSH broker of KIND.
run_sync() {
    local kind=$1 r=$2 k="$1.$2" dir="$work/$1.$2.sync" hwm anon sampler
    bench_start_broker "$kind" "$dir" "bench-$kind-$r-sync" flushDiskType=SYNC_FLUSH
    sampler=$(bench_sample_anon "$broker" "$work/$k.sync.anon")
    pids+=("$sampler")
    warm_up "$kind" "$r"
    measure "$kind" "$r" syncflush produce --addr "127.0.0.1:$broker_port" --size "$size" \
        --pid "$broker" --seconds "$secs" --warmup-seconds "$warm" --topic SyncFlush \
        --mode sync --connections 64
    res[sync_rate.$k]=$(bench_kv "$work/$k.syncflush" msg_per_s)
    res[sync_p99.$k]=$(bench_kv "$work/$k.syncflush" latency_p99_us)
    hwm=$(bench_status_kib "$broker" VmHWM)
    bench_stop "$broker"
    anon=$(cat "$work/$k.sync.anon" 2>/dev/null || echo "")
    # The peak over both brokers of the round.
    [[ -z "$hwm" || -n "${res[hwm.$k]:-}" && "${res[hwm.$k]:-0}" -ge "$hwm" ]] || res[hwm.$k]=$hwm
    [[ -z "$anon" || -n "${res[anon.$k]:-}" && "${res[anon.$k]:-0}" -ge "$anon" ]] || res[anon.$k]=$anon
    rm -rf "$dir/store"
}

# raw_disk ROUND: sequential write bandwidth (MiB/s) of the work directory's disk, through the
# page cache as a broker writes (res[raw.ROUND], the batches target's base), and with O_DIRECT
# (res[direct.ROUND], the device alone): where the first is far below the second, the machine's
# cost of fresh page-cache memory bounds it, not the disk.
raw_disk() {
    local line flags
    for flags in conv=fdatasync "oflag=direct conv=fdatasync"; do
        bench_log "round $1: dd ${dd_mib} MiB, bs=1M $flags"
        line=$(dd if=/dev/zero of="$work/dd.bin" bs=1M count="$dd_mib" $flags 2>&1 | tail -n1)
        rm -f "$work/dd.bin"
        echo "---- round $1: dd $flags: $line"
        res[$([[ $flags == oflag* ]] && echo direct || echo raw).$1]=$(awk -v n="$dd_mib" -v l="$line" 'BEGIN {
            if (match(l, /copied, [0-9.]+ s/)) { s = substr(l, RSTART + 8, RLENGTH - 10); printf "%.1f\n", n / s }
            else print "n/a" }')
    done
}

# floor ROUND: what the machine allows without a broker, on the same CPUs and disk: a loopback
# round trip between two processes (thrust-bench echo on the broker's CPU, pingpong on the load
# generator's: a request of SIZE + 300 bytes, a 250-byte reply, about a send's frames), and one
# SIZE-byte append made durable (write + fdatasync), which bounds a group commit with 64 producers
# to 64 per fsync.
floor() {
    local port echo_pid
    port=$(bench_free_port)
    "${BENCH_SERVER_TASKSET[@]}" "$work/bin/thrust-bench" echo --port "$port" > "$work/echo.$1" 2>&1 &
    echo_pid=$!
    pids+=("$echo_pid")
    bench_wait_line "$work/echo.$1" 'listening' 30 "$echo_pid" || true
    measure floor "$1" pingpong pingpong --addr "127.0.0.1:$port" --size "$((size + 300))" \
        --reply 250 --seconds "$secs" --warmup-seconds "$warm"
    bench_stop "$echo_pid"
    measure floor "$1" fsync fsync --dir "$work" --size "$size" --seconds "$secs" --warmup-seconds "$warm"
    res[floor_rtt.$1]=$(bench_kv "$work/floor.$1.pingpong" floor_rtt_p50_us)
    res[fsync_p50.$1]=$(bench_kv "$work/floor.$1.fsync" fsync_p50_us)
}

order=(${ORDER:-ours java})
for round in $(seq 1 "$rounds"); do
    # Odd rounds run ORDER as given, even rounds reversed.
    kinds=("${order[@]}")
    ((round % 2 == 1 || ${#order[@]} < 2)) || kinds=("${order[1]}" "${order[0]}")
    raw_disk "$round"
    floor "$round"
    for kind in "${kinds[@]}"; do
        run_async "$kind" "$round"
        run_sync "$kind" "$round"
    done
done

# med METRIC KIND: the median over the rounds.
med() {
    local r
    for r in $(seq 1 "$rounds"); do echo "${res[$1.$2.$r]:-n/a}"; done | bench_median
}
raw=$(for r in $(seq 1 "$rounds"); do echo "${res[raw.$r]:-n/a}"; done | bench_median)
direct=$(for r in $(seq 1 "$rounds"); do echo "${res[direct.$r]:-n/a}"; done | bench_median)
# pct MIB: MIB as a percentage of the raw bandwidth.
pct() { awk -v a="$1" -v b="$raw" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.0f%%\n", 100 * a / b }'; }
# verdict EXPR...: "met" when every "value op limit" triple holds, "n/a" when a value is missing.
verdict() {
    awk -v e="$*" 'BEGIN { n = split(e, t, " "); ok = 1
        for (i = 1; i + 2 <= n; i += 3) {
            if (t[i] == "n/a") { print "n/a"; exit }
            if (t[i+1] == ">=" && !(t[i] + 0 >= t[i+2] + 0)) ok = 0
            if (t[i+1] == "<=" && !(t[i] + 0 <= t[i+2] + 0)) ok = 0
        }
        print (ok ? "met" : "missed") }'
}

echo
echo "==== Broker under remoting load (thrust-bench): ${size} B messages, ${secs} s per load after ${warm} s warm-up, $rounds round(s)$( ((quick)) && echo ", QUICK")"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "java broker: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
echo "disk: $(df -h "$work" | awk 'NR == 2 { print $1 }'), raw sequential write ${raw} MiB/s (dd bs=1M conv=fdatasync, ${dd_mib} MiB); ${direct} MiB/s with oflag=direct"
echo "drain backlog: $backlog_msgs messages ($(awk -v m="$backlog_msgs" -v z="$size" 'BEGIN { printf "%.2f", m * z / 1024 ^ 3 }') GiB); tail latency at $lat_rate msg/s"
fmt='%-28s %10s %10s %7s  %-32s %s\n'
printf "$fmt" load Thrust "Java 5.3.3" ratio "target (Thrust)" "met?"
line() { printf "$fmt" "$@"; }

o=$(med single_rate ours) j=$(med single_rate java) x=$(bench_ratio "$o" "$j")
line "single, 16x16: msg/s" "$o" "$j" "$x" ">= 250 k msg/s, >= 2.5x Java" "$(verdict "$o" '>=' 250000 "$x" '>=' 2.5)"
o=$(med single_cpu ours) j=$(med single_cpu java)
line "single: broker CPU us/msg" "$o" "$j" "$(bench_ratio "$j" "$o")" "<= 3 us" "$(verdict "$o" '<=' 3)"
o=$(med single_user ours) j=$(med single_user java)
line "  of which user" "$o" "$j" "$(bench_ratio "$j" "$o")" "" ""
o=$(med single_sys ours) j=$(med single_sys java)
line "  of which kernel" "$o" "$j" "$(bench_ratio "$j" "$o")" "" ""
o=$(med single_faults ours) j=$(med single_faults java)
line "single: page faults/msg" "$o" "$j" "" "(first writes to new store pages)" ""
o=$(med single_wait ours) j=$(med single_wait java)
line "single: broker CPU wait" "$o" "$j" "" "(runnable, not running)" ""
o=$(med single_p99 ours) j=$(med single_p99 java)
line "single: p99 us" "$o" "$j" "$(bench_ratio "$j" "$o")" "" ""
o=$(med batch_rate ours) j=$(med batch_rate java)
line "batches of 16: msg/s" "$o" "$j" "$(bench_ratio "$o" "$j")" "" ""
o=$(med batch_mib ours) j=$(med batch_mib java)
line "batches of 16: MiB/s" "$o" "$j" "$(bench_ratio "$o" "$j")" "" ""
po=$(pct "$o") pj=$(pct "$j")
line "batches: % of raw write" "$po" "$pj" "" ">= 90% of ${raw} MiB/s" "$(verdict "${po%\%}" '>=' 90)"
o=$(med one_p50 ours) j=$(med one_p50 java)
line "one in flight: p50 us" "$o" "$j" "$(bench_ratio "$j" "$o")" "<= 40 us" "$(verdict "$o" '<=' 40)"
f=$(for r in $(seq 1 "$rounds"); do echo "${res[floor_rtt.$r]:-n/a}"; done | bench_median)
line "  floor: loopback p50 us" "$f" "" "" "(no broker: thrust-bench pingpong)" ""
o=$(med one_rate ours) j=$(med one_rate java)
line "one in flight: msg/s" "$o" "$j" "$(bench_ratio "$o" "$j")" "" ""
o=$(med sync_rate ours) j=$(med sync_rate java) x=$(bench_ratio "$o" "$j")
line "SYNC_FLUSH, 64 sync: msg/s" "$o" "$j" "$x" ">= 100 k msg/s, >= 2x Java" "$(verdict "$o" '>=' 100000 "$x" '>=' 2)"
f=$(for r in $(seq 1 "$rounds"); do echo "${res[fsync_p50.$r]:-n/a}"; done | bench_median)
c=$(awk -v f="$f" 'BEGIN { if (f == "n/a" || f + 0 == 0) print "n/a"; else printf "%.0f\n", 64 * 1e6 / f }')
line "  ceiling: 64 / fsync p50" "$c" "" "" "(fdatasync p50 ${f} us)" ""
o=$(med drain_rate ours) j=$(med drain_rate java) x=$(bench_ratio "$o" "$j")
line "drain: msg/s" "$o" "$j" "$x" ">= 500 k msg/s, >= 2x Java" "$(verdict "$o" '>=' 500000 "$x" '>=' 2)"
o=$(med tail_p50 ours) j=$(med tail_p50 java)
line "tail send->receive p50 us" "$o" "$j" "$(bench_ratio "$j" "$o")" "" ""
o=$(med tail_p99 ours) j=$(med tail_p99 java) x=$(bench_ratio "$j" "$o")
line "tail send->receive p99 us" "$o" "$j" "$x" "<= 1/2 of Java's (ratio >= 2)" "$(verdict "$x" '>=' 2)"
o=$(med hwm ours) j=$(med hwm java) x=$(bench_ratio "$j" "$o")
line "peak RSS (VmHWM) MiB" "$(bench_mib "${o/n\/a/}")" "$(bench_mib "${j/n\/a/}")" "$x" "<= 1/10 of Java's (ratio >= 10)" "$(verdict "$x" '>=' 10)"
o=$(med anon ours) j=$(med anon java)
line "peak RssAnon MiB" "$(bench_mib "${o/n\/a/}")" "$(bench_mib "${j/n\/a/}")" "$(bench_ratio "$j" "$o")" "" ""
echo "ratio: Thrust/Java for rates, Java/Thrust for times, CPU and memory (above 1 = Thrust better)"
echo "CPU wait: the fraction of the window the broker's threads waited runnable for a CPU (others' load)"

#!/usr/bin/env bash
# Route lookups (GET_ROUTEINFO_BY_TOPIC): Thrust's mqnamesrv against the Java 5.3.3 NameServer, in
# one run, with the same load against each: namesrv-bench, the tool bench/namesrv-route.sh runs
# (called directly, from a copy made after one build, so both measurements use the same binaries).
#
#   bench/namesrv-compare.sh [--seconds N] [--warmup N] [--connections N] [--pipeline N]
#   PIN=0 bench/namesrv-compare.sh      # no CPU pinning
#   BENCH_NO_BUILD=1 bench/namesrv-compare.sh   # use target/release as it is (no cargo build)
#
# For each server, one after the other: start it on 127.0.0.1 (Java: the Maven jars of
# .cache/java/namesrv-5.3.3, -Xms256m -Xmx1g, G1 as bin/runserver.sh; temp ROCKETMQ_HOME and
# user.home), warm it up with --warmup seconds of the same load (JIT for Java; both get it alike),
# measure --seconds, read its peak RSS (VmHWM), stop it. Prints QPS, p50/p99 latency and peak RSS
# of each, and the ratios ours/Java QPS and Java/ours RSS.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

seconds=15
warmup=10
load_args=()
while (($#)); do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --connections | --pipeline) load_args+=("$1" "$2"); shift 2 ;;
        -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

work=$(mktemp -d)
server=""
cleanup() {
    bench_stop "$server"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_build_bins "$work/bin" mqnamesrv namesrv-bench
bench_java_classpaths namesrv-5.3.3
bench_pinning

# start_server KIND: starts one NameServer in $work/KIND, sets $server (pid) and $port.
start_server() {
    local kind=$1 dir="$work/$1"
    mkdir -p "$dir"
    port=$(bench_free_port)
    printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kvConfig.json\n' "$port" "$dir" \
        > "$dir/namesrv.conf"
    if [[ $kind == java ]]; then
        ROCKETMQ_HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" java -Xms256m -Xmx1g "${BENCH_JVM_OPTS[@]}" \
            "-Duser.home=$dir" -cp "$BENCH_CACHE/java/namesrv-5.3.3/*" \
            org.apache.rocketmq.namesrv.NamesrvStartup -c "$dir/namesrv.conf" \
            > "$dir/stdout" 2> "$dir/stderr" &
    else
        ROCKETMQ_HOME="$dir" HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" "$work/bin/mqnamesrv" \
            -c "$dir/namesrv.conf" > "$dir/stdout" 2> "$dir/stderr" &
    fi
    server=$!
    if ! bench_wait_line "$dir/stdout" '^The Name Server boot success' 60 "$server"; then
        echo "$kind NameServer did not start:" >&2
        tail -n 40 "$dir/stdout" "$dir/stderr" >&2
        exit 1
    fi
}

# run_load KIND SECONDS OUT: the route-lookup load against the running server.
run_load() {
    "${BENCH_LOAD_TASKSET[@]}" "$work/bin/namesrv-bench" --addr "127.0.0.1:$port" --pid "$server" \
        --seconds "$2" "${load_args[@]}" > "$3" 2> "$3.err" || {
        echo "namesrv-bench failed against the $1 NameServer:" >&2
        cat "$3" "$3.err" >&2
        exit 1
    }
}

declare -A qps p50 p99 hwm
for kind in ours java; do
    start_server "$kind"
    bench_log "$kind NameServer up (pid $server, 127.0.0.1:$port); warm-up ${warmup}s"
    run_load "$kind" "$warmup" "$work/$kind.warmup"
    bench_log "$kind: measuring ${seconds}s"
    run_load "$kind" "$seconds" "$work/$kind.out"
    hwm[$kind]=$(bench_status_kib "$server" VmHWM)
    bench_stop "$server"
    server=""
    echo "---- $kind: namesrv-bench output"
    cat "$work/$kind.out"
    qps[$kind]=$(awk '$1 == "qps" { print $2 }' "$work/$kind.out")
    p50[$kind]=$(awk '$1 == "latency" { print $4 }' "$work/$kind.out")
    p99[$kind]=$(awk '$1 == "latency" { print $6 }' "$work/$kind.out")
done

echo
echo "==== NameServer route lookups (GET_ROUTEINFO_BY_TOPIC), ${seconds}s after a ${warmup}s warm-up each"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "java:    $(java -version 2>&1 | head -n1); -Xms256m -Xmx1g ${BENCH_JVM_OPTS[*]}"
printf '%-28s %12s %10s %10s %14s\n' server QPS "p50 ms" "p99 ms" "peak RSS MiB"
printf '%-28s %12s %10s %10s %14s\n' "Java 5.3.3 NameServer" "${qps[java]}" "${p50[java]}" \
    "${p99[java]}" "$(bench_mib "${hwm[java]}")"
printf '%-28s %12s %10s %10s %14s\n' "Thrust mqnamesrv" "${qps[ours]}" "${p50[ours]}" \
    "${p99[ours]}" "$(bench_mib "${hwm[ours]}")"
echo "QPS ratio ours/Java:        $(bench_ratio "${qps[ours]}" "${qps[java]}")x   (target >= 5x)"
echo "RSS ratio Java/ours:        $(bench_ratio "${hwm[java]}" "${hwm[ours]}")x   (target >= 20x)"
echo "p99 ratio Java/ours:        $(bench_ratio "${p99[java]}" "${p99[ours]}")x"

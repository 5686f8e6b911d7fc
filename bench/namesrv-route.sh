#!/usr/bin/env bash
# Route-lookup load (GET_ROUTEINFO_BY_TOPIC) against a RocketMQ NameServer.
#
#   bench/namesrv-route.sh                         # starts Thrust's mqnamesrv on 127.0.0.1, benches it, stops it
#   bench/namesrv-route.sh --addr 127.0.0.1:9876   # benches a server that is already running (e.g. Java's)
#
# Any other flags go to namesrv-bench: --connections N (16), --pipeline N (16), --seconds N (10),
# --topic T (BenchTopic), --no-register, --pid PID (for the peak-RSS line of a server not found in /proc).
# Output: requests, errors, QPS, latency p50/p99/p99.9/max, server peak RSS (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -q -p bench -p thrust --bin namesrv-bench --bin mqnamesrv

if [[ " $* " == *" --addr "* ]]; then
    exec target/release/namesrv-bench "$@"
fi

work=$(mktemp -d)
server=""
cleanup() {
    if [[ -n "$server" ]]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

printf 'bindAddress=127.0.0.1\nlistenPort=0\nkvConfigPath=%s/kvConfig.json\n' "$work" > "$work/namesrv.conf"
ROCKETMQ_HOME="$work" target/release/mqnamesrv -c "$work/namesrv.conf" > "$work/stdout" 2> "$work/stderr" &
server=$!

port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/^The Name Server boot success\. serializeType=JSON, address .*:\([0-9]*\)$/\1/p' "$work/stdout")
    [[ -n "$port" ]] && break
    sleep 0.05
done
if [[ -z "$port" ]]; then
    echo "mqnamesrv did not start:" >&2
    cat "$work/stderr" >&2
    exit 1
fi

target/release/namesrv-bench --addr "127.0.0.1:$port" --pid "$server" "$@"

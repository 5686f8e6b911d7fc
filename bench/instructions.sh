#!/usr/bin/env bash
# Instructions Thrust's broker executes per message, counted by valgrind's callgrind: a figure
# that, unlike time, the machine's other load does not move, so a change of a few per cent on the
# send or pull path shows in one run where msg/s and CPU per message need many pairs.
#
#   bench/instructions.sh                       # every load
#   LOADS=send bench/instructions.sh            # or LOADS="batch drain"
#   SEND_MESSAGES=20000 DRAIN_MESSAGES=100000 SIZE=1024 CONNECTIONS=16 INFLIGHT=16 \
#     bench/instructions.sh
#   BASELINE=path/to/other/mqbroker bench/instructions.sh   # the same loads on a second binary
#
# send:  a broker under callgrind (bench_start_broker callgrind: instrumentation off), 3 000
#        pipelined SIZE-byte single sends unmeasured, then instrumentation on for SEND_MESSAGES
#        more on CONNECTIONS × INFLIGHT (thrust-bench produce); instructions / SEND_MESSAGES.
# batch: the same with SEND_BATCH_MESSAGE requests of 16 messages (--batch 16), SEND_MESSAGES
#        messages in all; instructions / SEND_MESSAGES.
# drain: a fresh broker, DRAIN_MESSAGES in batches of 16 on 8 queues, one unmeasured drain by a
#        first group (so code and data are warm alike), then the drain of a second group
#        (thrust-bench consume --mode drain --pipeline 4 --connections 2) instrumented;
#        instructions / DRAIN_MESSAGES.
# The counts include everything the broker's threads execute meanwhile (flushers, timers), in
# user space only. BENCH_NO_BUILD=1 skips the cargo build and uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
baseline=${BASELINE:+$(realpath "$BASELINE")}
cd "$BENCH_ROOT"

size=${SIZE:-1024}
conns=${CONNECTIONS:-16}
inflight=${INFLIGHT:-16}
send_n=${SEND_MESSAGES:-20000}
drain_n=${DRAIN_MESSAGES:-100000}
loads=(${LOADS:-send batch drain})
command -v callgrind_control > /dev/null || {
    echo "valgrind (callgrind_control) is needed" >&2
    exit 1
}

bench_workdir
bench_build_bins "$work/bin" mqbroker thrust-bench
binaries=("$work/bin/mqbroker")
[[ -z "$baseline" ]] || binaries+=("$baseline")

# one BINARY LOAD TAG: starts BINARY under callgrind, runs LOAD, prints its count.
one() {
    local bin=$1 load=$2 tag=$3 dir="$work/$3.$2" vg per
    bench_mqbroker=$bin bench_start_broker callgrind "$dir" "cg-$tag-$load"
    vg=$broker
    local addr="127.0.0.1:$broker_port"
    if [[ $load == send || $load == batch ]]; then
        local batch=$([[ $load == batch ]] && echo 16 || echo 1)
        bench_tool produce --addr "$addr" --size "$size" --topic Send --connections "$conns" \
            --inflight "$inflight" --batch "$batch" --messages 3000 --warmup-seconds 0 \
            > "$dir/warmup" 2>&1
        callgrind_control -i on "$vg" > /dev/null 2>&1
        bench_tool produce --addr "$addr" --size "$size" --topic Send --connections "$conns" \
            --inflight "$inflight" --batch "$batch" --messages "$send_n" --warmup-seconds 0 \
            --no-create > "$dir/send" 2>&1
        callgrind_control -d "$vg" > /dev/null 2>&1
        per=$(bench_callgrind_per "$dir" "$send_n")
    else
        bench_tool produce --addr "$addr" --size "$size" --topic Drain --batch 16 --connections 8 \
            --inflight 8 --messages "$drain_n" --warmup-seconds 0 > "$dir/produce" 2>&1
        bench_tool consume --addr "$addr" --topic Drain --group Warm --mode drain --pipeline 4 \
            --connections 2 > "$dir/warm" 2>&1
        callgrind_control -i on "$vg" > /dev/null 2>&1
        bench_tool consume --addr "$addr" --topic Drain --group Measured --mode drain \
            --pipeline 4 --connections 2 > "$dir/drain" 2>&1
        callgrind_control -d "$vg" > /dev/null 2>&1
        per=$(bench_callgrind_per "$dir" "$drain_n")
        [[ $(bench_kv "$dir/drain" drained) == 1 ]] || per="n/a (the drain did not complete)"
    fi
    bench_stop "$vg"
    echo "$tag $load: $per instructions per message ($bin)"
}

for load in "${loads[@]}"; do
    for i in "${!binaries[@]}"; do
        tag=$([[ $i == 0 ]] && echo ours || echo baseline)
        one "${binaries[$i]}" "$load" "$tag"
    done
done

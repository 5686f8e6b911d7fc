#!/usr/bin/env bash
# What broker metrics cost the send path: send throughput with metricsExporterType=PROM (and
# /metrics scraped as Prometheus would, every SCRAPE_SECONDS) against the same broker with metrics
# off, for Thrust's mqbroker and the Java 5.3.3 broker, measured by thrust-bench (no JVM client
# in the way). Issue #15's bound: Thrust's cost at most 2 %.
#
#   bench/metrics-cost.sh                   # 20 pairs of 3 s loads per broker kind
#   QUICK=1 bench/metrics-cost.sh           # 3 pairs of 2 s
#   PAIRS=20 SLICE_SECONDS=3 WARMUP_SECONDS=1 JIT_SECONDS=10 SIZE=1024 CONNECTIONS=16 INFLIGHT=16 \
#     SCRAPE_SECONDS=5 KINDS="ours java" PIN=1 bench/metrics-cost.sh
#
# Per broker kind, two brokers run side by side (bench_start_broker: 127.0.0.1, ASYNC_MASTER,
# ASYNC_FLUSH, auto-created topics; Java with -Xms1g -Xmx1g and G1 as bin/runbroker.sh), one with
# metrics off and one with them on, both pinned to the same CPU; each gets JIT_SECONDS of
# unmeasured sends. Then the load alternates between them, PAIRS times: CONNECTIONS × INFLIGHT
# pipelined single SIZE-byte sends for SLICE_SECONDS after WARMUP_SECONDS, to one and then the
# other (off first in odd pairs, on first in even ones): msg/s and the broker's CPU per message.
# The machine's speed drifts by more than the cost being measured (a virtual machine's neighbours),
# but hardly within one pair of short loads: the cost is the median of the pairs' costs, printed
# with its quartiles. With metrics on, a curl (on the load generator's CPUs) scrapes /metrics every
# SCRAPE_SECONDS throughout (5; Prometheus' default interval is 15 s).
# PIN=1 (default) runs the brokers on the last CPU and thrust-bench on the others (bench/lib.sh).
# INSTRUCTIONS=1 (default) then also counts, under valgrind's callgrind, the instructions Thrust's
# broker executes per send (CG_MESSAGES, 20000, after 3000 unmeasured) with metrics off and on:
# the cost as a figure that the machine's other load does not move.
# BENCH_NO_BUILD=1 skips the cargo build and uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

quick=${QUICK:-0}
size=${SIZE:-1024}
conns=${CONNECTIONS:-16}
inflight=${INFLIGHT:-16}
scrape_every=${SCRAPE_SECONDS:-5}
warm=${WARMUP_SECONDS:-1}
if ((quick)); then
    pairs=${PAIRS:-3} secs=${SLICE_SECONDS:-2} jit=${JIT_SECONDS:-3}
else
    pairs=${PAIRS:-20} secs=${SLICE_SECONDS:-3} jit=${JIT_SECONDS:-10}
fi
kinds=(${KINDS:-ours java})

bench_workdir
bench_build_bins "$work/bin" mqbroker thrust-bench
bench_java_classpaths broker-5.3.3
bench_pinning

declare -A res

# scraper URL OUT: in the background, GETs URL every $scrape_every s until killed, counting the
# answers that look like a scrape in OUT. Prints its pid.
scraper() {
    local url=$1 out=$2
    (
        n=0
        while true; do
            if "${BENCH_LOAD_TASKSET[@]}" curl -sf --max-time 5 -o "$out.body" "$url" &&
                grep -q '^rocketmq_' "$out.body"; then
                n=$((n + 1))
                echo "$n" > "$out"
            fi
            sleep "$scrape_every"
        done
    ) > /dev/null 2>&1 &
    echo $!
}

# wait_metrics URL: up to 30 s for URL to answer a scrape.
wait_metrics() {
    local i
    for i in $(seq 1 60); do
        curl -sf --max-time 5 -o "$work/scrape" "$1" && grep -q '^rocketmq_' "$work/scrape" && return 0
        sleep 0.5
    done
    return 1
}

# start KIND SETTING: a broker of KIND with metrics SETTING (on|off), warmed up; its pid and port
# in port.KIND.SETTING and pid.KIND.SETTING, and with metrics on a scraper running beside it.
start() {
    local kind=$1 setting=$2 k="$1.$2" dir="$work/$1.$2" prom
    local extra=()
    if [[ $setting == on ]]; then
        prom=$(bench_free_port)
        extra=(metricsExporterType=PROM metricsPromExporterHost=127.0.0.1 "metricsPromExporterPort=$prom")
    fi
    bench_start_broker "$kind" "$dir" "metrics-$kind-$setting" "${extra[@]}"
    res[pid.$k]=$broker res[port.$k]=$broker_port
    if [[ $setting == on ]]; then
        wait_metrics "http://127.0.0.1:$prom/metrics" || {
            echo "the $kind broker serves no metrics on 127.0.0.1:$prom" >&2
            exit 1
        }
    fi
    bench_log "$kind, metrics $setting: warm-up, ${jit} s"
    bench_tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Warmup --connections "$conns" \
        --inflight "$inflight" --seconds "$jit" --warmup-seconds 0 > "$work/$k.warmup" 2>&1 || true
    if [[ $setting == on ]]; then
        res[scraper.$kind]=$(scraper "http://127.0.0.1:$prom/metrics" "$work/$k.scrapes")
        pids+=("${res[scraper.$kind]}")
    fi
}

# slice KIND SETTING PAIR: one measured load on that broker.
slice() {
    local kind=$1 setting=$2 i=$3 k="$1.$2.$3" out="$work/$1.$2.$3.send"
    if ! bench_tool produce --addr "127.0.0.1:${res[port.$kind.$setting]}" --size "$size" --topic Send \
        --pid "${res[pid.$kind.$setting]}" --connections "$conns" --inflight "$inflight" --seconds "$secs" \
        --warmup-seconds "$warm" > "$out" 2> "$out.err"; then
        echo "FAILED: thrust-bench produce against the $kind broker (metrics $setting):" >&2
        cat "$out" "$out.err" >&2
        : > "$out"
    fi
    res[rate.$k]=$(bench_kv "$out" msg_per_s)
    res[cpu.$k]=$(bench_kv "$out" broker_cpu_us_per_msg)
    res[wait.$k]=$(bench_kv "$out" broker_cpu_wait)
}

# measure KIND: both brokers of KIND, PAIRS pairs of loads, then both stopped.
measure() {
    local kind=$1 i first second
    start "$kind" off
    start "$kind" on
    bench_log "$kind: $pairs pairs of ${conns}x${inflight} single sends, ${secs} s each"
    for i in $(seq 1 "$pairs"); do
        if ((i % 2)); then first=off second=on; else first=on second=off; fi
        slice "$kind" "$first" "$i"
        slice "$kind" "$second" "$i"
        echo "---- $kind, pair $i: off ${res[rate.$kind.off.$i]} msg/s ${res[cpu.$kind.off.$i]} us CPU/msg," \
            "on ${res[rate.$kind.on.$i]} msg/s ${res[cpu.$kind.on.$i]} us CPU/msg"
    done
    res[scrapes.$kind]=$(cat "$work/$kind.on.scrapes" 2>/dev/null || echo 0)
    bench_stop "${res[scraper.$kind]}"
    bench_stop "${res[pid.$kind.off]}"
    bench_stop "${res[pid.$kind.on]}"
    rm -rf "$work/$kind.off/store" "$work/$kind.on/store"
}

# instructions SETTING: Thrust's broker under callgrind (instrumented only once warmed up),
# CG_MESSAGES pipelined sends: the instructions it executed per send with metrics SETTING. Unlike
# time, an instruction count does not move with what else the machine runs.
instructions() {
    local setting=$1 dir="$work/cg.$1" n=$cg_messages extra=()
    if [[ $setting == on ]]; then
        extra=(metricsExporterType=PROM metricsPromExporterHost=127.0.0.1 "metricsPromExporterPort=$(bench_free_port)")
    fi
    bench_start_broker callgrind "$dir" "cg-$setting" "${extra[@]}"
    local vg=$broker
    bench_tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Send --connections "$conns" \
        --inflight "$inflight" --messages 3000 --warmup-seconds 0 > "$dir/warmup" 2>&1
    callgrind_control -i on "$vg" > /dev/null
    bench_tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Send --connections "$conns" \
        --inflight "$inflight" --messages "$n" --warmup-seconds 0 --no-create > "$dir/send" 2>&1
    callgrind_control -d "$vg" > /dev/null
    res[ir.$setting]=$(bench_callgrind_per "$dir" "$n")
    bench_stop "$vg"
    echo "---- ours under callgrind, metrics $setting: ${res[ir.$setting]} instructions per send"
}

for kind in "${kinds[@]}"; do
    measure "$kind"
done

cg_messages=${CG_MESSAGES:-20000}
if [[ ${INSTRUCTIONS:-1} == 1 ]] && [[ " ${kinds[*]} " == *" ours "* ]]; then
    if command -v callgrind_control > /dev/null; then
        instructions off
        instructions on
    else
        echo "valgrind is not installed: no instruction counts" >&2
    fi
fi

# med METRIC KIND SETTING: the median over the pairs.
med() {
    local i
    for i in $(seq 1 "$pairs"); do echo "${res[$1.$2.$3.$i]:-n/a}"; done | bench_median
}
# cost OFF ON: how much lower ON is than OFF, in percent (negative: ON was faster).
cost() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || a + 0 == 0) print "n/a";
        else printf "%.1f\n", 100 * (a - b) / a }'
}
# rise OFF ON: how much higher ON is than OFF, in percent.
rise() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || a + 0 == 0) print "n/a";
        else printf "%.1f\n", 100 * (b - a) / a }'
}
# per_pair METRIC KIND FN: FN(off, on) of each pair, one per line.
per_pair() {
    local i
    for i in $(seq 1 "$pairs"); do
        "$3" "${res[$1.$2.off.$i]:-n/a}" "${res[$1.$2.on.$i]:-n/a}"
    done
}
# quartiles: "Q1..Q3" of the numbers on stdin ("n/a" lines left out).
quartiles() {
    { grep -v n/a || true; } | sort -g | awk '{ v[NR] = $1 }
        function q(p,   x, i) { x = 1 + (NR - 1) * p; i = int(x); return v[i] + (x - i) * (v[i + 1] - v[i]) }
        END { if (NR < 2) print "n/a"; else printf "%.1f..%.1f\n", q(0.25), q(0.75) }'
}

echo
echo "==== Send throughput, broker metrics off vs on (PROM, scraped every ${scrape_every} s): ${size} B," \
    "${conns}x${inflight} in flight, $pairs pairs of ${secs} s loads after ${warm} s$( ((quick)) && echo ", QUICK")"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "java broker: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
fmt='%-12s %10s %10s %7s %12s %12s %12s %9s %11s %8s %6s\n'
printf "$fmt" broker "off msg/s" "on msg/s" cost "middle half" "off CPU us" "on CPU us" "CPU cost" "middle half" "CPU wait" "met?"
for kind in "${kinds[@]}"; do
    off=$(med rate "$kind" off) on=$(med rate "$kind" on)
    c=$(per_pair rate "$kind" cost | bench_median) cq=$(per_pair rate "$kind" cost | quartiles)
    u=$(per_pair cpu "$kind" rise | bench_median) uq=$(per_pair cpu "$kind" rise | quartiles)
    met=""
    if [[ $kind == ours ]]; then
        met=$(awk -v c="$c" 'BEGIN { if (c == "n/a") print "n/a"; else print (c + 0 <= 2 ? "met" : "missed") }')
    fi
    name=$([[ $kind == ours ]] && echo Thrust || echo "Java 5.3.3")
    wait=$(for st in off on; do for i in $(seq 1 "$pairs"); do echo "${res[wait.$kind.$st.$i]:-n/a}"; done; done | bench_median)
    printf "$fmt" "$name" "$off" "$on" "$c%" "$cq" "$(med cpu "$kind" off)" "$(med cpu "$kind" on)" "$u%" "$uq" \
        "$wait" "$met"
done
if [[ -n "${res[ir.off]:-}" ]]; then
    echo "Thrust under callgrind, ${cg_messages} sends: ${res[ir.off]} -> ${res[ir.on]} instructions per send," \
        "metrics on costs $(rise "${res[ir.off]}" "${res[ir.on]}")% (steady whatever else the machine runs)"
fi
echo "msg/s and CPU (broker CPU us per message): medians over the pairs; cost: how much lower the send rate"
echo "is with metrics on, the median of the pairs' costs (target for Thrust: <= 2 %), and the middle half of"
echo "the pairs' costs (first to third quartile); CPU cost: likewise, how much more broker CPU a message"
echo "takes with metrics on;"
echo "CPU wait: the median fraction of a window the broker's threads waited runnable for a CPU (others' load)"

#!/usr/bin/env bash
# What broker metrics cost the send path: send throughput with metricsExporterType=PROM (and
# /metrics scraped as Prometheus would, every SCRAPE_SECONDS) against the same broker with metrics
# off, for Thrust's mqbroker and the Java 5.3.3 broker, measured by thrust-bench (no JVM client
# in the way). Issue #15's bound: Thrust's cost at most 2 %.
#
#   bench/metrics-cost.sh                   # 3 rounds, 15 s per load
#   QUICK=1 bench/metrics-cost.sh           # 1 round, 4 s per load
#   ROUNDS=5 RUN_SECONDS=20 WARMUP_SECONDS=2 JIT_SECONDS=10 SIZE=1024 CONNECTIONS=16 INFLIGHT=16 \
#     SCRAPE_SECONDS=5 KINDS="ours java" PIN=1 bench/metrics-cost.sh
#
# Per round, broker kind and setting, a fresh broker (bench_start_broker: 127.0.0.1,
# ASYNC_MASTER, ASYNC_FLUSH, auto-created topics; Java with -Xms1g -Xmx1g and G1 as
# bin/runbroker.sh), JIT_SECONDS of unmeasured sends, then CONNECTIONS × INFLIGHT pipelined
# single SIZE-byte sends for RUN_SECONDS after WARMUP_SECONDS: msg/s and the broker's CPU per
# message. With metrics on, a curl (on the load generator's CPUs) scrapes /metrics every
# SCRAPE_SECONDS meanwhile (5; Prometheus' default interval is 15 s). The two settings alternate
# which goes first from round to round; every figure is the median over the rounds.
# PIN=1 (default) runs the brokers on the last CPU and thrust-bench on the others (bench/lib.sh).
# BENCH_NO_BUILD=1 skips the cargo build and uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

quick=${QUICK:-0}
size=${SIZE:-1024}
conns=${CONNECTIONS:-16}
inflight=${INFLIGHT:-16}
scrape_every=${SCRAPE_SECONDS:-5}
if ((quick)); then
    rounds=${ROUNDS:-1} secs=${RUN_SECONDS:-4} warm=${WARMUP_SECONDS:-1} jit=${JIT_SECONDS:-3}
else
    rounds=${ROUNDS:-3} secs=${RUN_SECONDS:-15} warm=${WARMUP_SECONDS:-2} jit=${JIT_SECONDS:-10}
fi
kinds=(${KINDS:-ours java})

bench_workdir
bench_build_bins "$work/bin" mqbroker thrust-bench
bench_java_classpaths broker-5.3.3
bench_pinning

tool() { "${BENCH_LOAD_TASKSET[@]}" "$work/bin/thrust-bench" "$@"; }

# kv FILE KEY: the last KEY=value of a thrust-bench output, "n/a" when absent.
kv() { awk -F= -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? "n/a" : v) }' "$1" 2>/dev/null || echo n/a; }

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

# run KIND ROUND SETTING: one broker of KIND with metrics SETTING (on|off), warmed up, measured.
run() {
    local kind=$1 r=$2 setting=$3 k="$1.$3.$2" dir="$work/$1.$3.$2" out prom scr=""
    local extra=()
    if [[ $setting == on ]]; then
        prom=$(bench_free_port)
        extra=(metricsExporterType=PROM metricsPromExporterHost=127.0.0.1 "metricsPromExporterPort=$prom")
    fi
    bench_start_broker "$kind" "$dir" "metrics-$kind-$setting-$r" "${extra[@]}"
    if [[ $setting == on ]]; then
        wait_metrics "http://127.0.0.1:$prom/metrics" || {
            echo "the $kind broker serves no metrics on 127.0.0.1:$prom" >&2
            exit 1
        }
    fi
    bench_log "$kind, metrics $setting (round $r): warm-up"
    tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Warmup --connections "$conns" \
        --inflight "$inflight" --seconds "$jit" --warmup-seconds 0 > "$work/$k.warmup" 2>&1 || true
    if [[ $setting == on ]]; then
        scr=$(scraper "http://127.0.0.1:$prom/metrics" "$work/$k.scrapes")
        pids+=("$scr")
    fi
    bench_log "$kind, metrics $setting (round $r): ${conns}x${inflight} single sends, ${secs} s"
    out="$work/$k.send"
    if ! tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Send --pid "$broker" \
        --connections "$conns" --inflight "$inflight" --seconds "$secs" --warmup-seconds "$warm" \
        > "$out" 2> "$out.err"; then
        echo "FAILED: thrust-bench produce against the $kind broker (metrics $setting):" >&2
        cat "$out" "$out.err" >&2
        : > "$out"
    fi
    [[ -z "$scr" ]] || bench_stop "$scr"
    res[rate.$k]=$(kv "$out" msg_per_s)
    res[cpu.$k]=$(kv "$out" broker_cpu_us_per_msg)
    res[p99.$k]=$(kv "$out" latency_p99_us)
    res[wait.$k]=$(kv "$out" broker_cpu_wait)
    res[scrapes.$k]=$(cat "$work/$k.scrapes" 2>/dev/null || echo 0)
    echo "---- $kind, metrics $setting (round $r): ${res[rate.$k]} msg/s, ${res[cpu.$k]} us CPU/msg," \
        "p99 ${res[p99.$k]} us, CPU wait ${res[wait.$k]}$([[ $setting == on ]] && echo ", ${res[scrapes.$k]} scrapes")"
    bench_stop "$broker"
    rm -rf "$dir/store"
}

for round in $(seq 1 "$rounds"); do
    settings=(off on)
    ((round % 2 == 1)) || settings=(on off)
    for kind in "${kinds[@]}"; do
        for setting in "${settings[@]}"; do
            run "$kind" "$round" "$setting"
        done
    done
done

# med METRIC KIND SETTING: the median over the rounds.
med() {
    local r
    for r in $(seq 1 "$rounds"); do echo "${res[$1.$2.$3.$r]:-n/a}"; done | bench_median
}
# cost OFF ON: how much lower ON is than OFF, in percent (negative: ON was faster).
cost() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || a + 0 == 0) print "n/a";
        else printf "%.1f%%\n", 100 * (a - b) / a }'
}
# rise OFF ON: how much higher ON is than OFF, in percent.
rise() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || a + 0 == 0) print "n/a";
        else printf "%.1f%%\n", 100 * (b - a) / a }'
}

echo
echo "==== Send throughput, broker metrics off vs on (PROM, scraped every ${scrape_every} s): ${size} B," \
    "${conns}x${inflight} in flight, ${secs} s per load after ${warm} s, $rounds round(s)$( ((quick)) && echo ", QUICK")"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "java broker: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
fmt='%-12s %12s %12s %8s %14s %14s %9s %9s %8s\n'
printf "$fmt" broker "off msg/s" "on msg/s" cost "off CPU us/msg" "on CPU us/msg" "CPU cost" "CPU wait" "met?"
for kind in "${kinds[@]}"; do
    off=$(med rate "$kind" off) on=$(med rate "$kind" on) c=$(cost "$off" "$on")
    met=""
    if [[ $kind == ours ]]; then
        met=$(awk -v c="${c%\%}" 'BEGIN { if (c == "n/a") print "n/a"; else print (c + 0 <= 2 ? "met" : "missed") }')
    fi
    name=$([[ $kind == ours ]] && echo Thrust || echo "Java 5.3.3")
    coff=$(med cpu "$kind" off) con=$(med cpu "$kind" on)
    wait=$(for st in off on; do for r in $(seq 1 "$rounds"); do echo "${res[wait.$kind.$st.$r]:-n/a}"; done; done | bench_median)
    printf "$fmt" "$name" "$off" "$on" "$c" "$coff" "$con" "$(rise "$coff" "$con")" "$wait" "$met"
done
echo "cost: how much lower the send rate is with metrics on (target for Thrust: <= 2 %); CPU cost:"
echo "how much more broker CPU a message takes with metrics on (steadier than the rate on a busy machine);"
echo "CPU wait: the median fraction of a window the broker's threads waited runnable for a CPU (others' load)"
